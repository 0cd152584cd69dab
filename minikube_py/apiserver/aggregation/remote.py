"""Aggregated APIServices: group-versions served by a Service of the cluster.

For an APIService with ``spec.service`` (and a group-version the registry does not serve
itself), :class:`Aggregator` proxies every request under ``/apis/<group>/<version>`` to the
Service over HTTPS: resolved through its Endpoints (or the address the proxy publishes),
verified with ``caBundle`` for ``<service>.<namespace>.svc`` unless
``insecureSkipTLSVerify``; the caller is named in ``X-Remote-User``/``X-Remote-Group``, as
Kubernetes' front proxy does. Watches and other streams are relayed as they arrive.

Its health check (:meth:`Aggregator.run`, Kubernetes' availability controller) GETs
``/apis/<group>/<version>`` of each such Service when its APIService changes and every
``CHECK_INTERVAL``, writes the ``Available`` condition (``Passed``, ``ServiceNotFound``,
``MissingEndpoints``, ``FailedDiscoveryCheck``) through ``/status`` when it changes, and keeps
the APIResourceList it got for discovery (:meth:`discovered`) and where the Service keeps its
OpenAPI v3 document (``aggregation/openapi.py`` serves it in the apiserver's).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import ssl
import time
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

import aiohttp

from minikube_py.api.errors import ServiceUnavailable, StatusError
from minikube_py.api.registry import Registry, ResourceType
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.options import WriteOptions
from minikube_py.apiserver.rest import RestStorage
from minikube_py.apiserver.storedobjects import StoredObjects
from minikube_py.apiserver.webhooks.client import Sessions, WebhookCallError, resolve
from minikube_py.util import clock, jsonutil

log = logging.getLogger(__name__)

CHECK_INTERVAL = 30.0
LOOP_INTERVAL = 1.0
CHECK_TIMEOUT = 5.0
PROXY_TIMEOUT = 60.0
_FORWARDED = ("Content-Type", "Accept", "User-Agent")


@lru_cache(maxsize=64)
def _ssl(ca_bundle: str, insecure: bool) -> ssl.SSLContext | bool:
    if insecure:
        return False
    if not ca_bundle:
        return ssl.create_default_context()
    try:
        pem = base64.b64decode(ca_bundle, validate=True).decode()
        return ssl.create_default_context(cadata=pem)
    except (binascii.Error, UnicodeDecodeError, ssl.SSLError, ValueError):
        return ssl.create_default_context()


class Aggregator:
    """Proxying and health of the APIServices that name a Service."""

    def __init__(self, rest: RestStorage, registry: Registry) -> None:
        self.rest = rest
        self.registry = registry
        self.rt: ResourceType = registry.require("apiregistration.k8s.io", "v1", "apiservices")
        self.apiservices = StoredObjects(rest.store, self.rt)
        # group-version -> (APIResourceList, groupPriorityMinimum, versionPriority)
        self._discovered: dict[tuple[str, str], tuple[dict[str, Any], int, int]] = {}
        self._checked: dict[str, tuple[float, str]] = {}  # name -> (when, resourceVersion)
        self._openapi: dict[tuple[str, str], str] = {}  # group-version -> its document URL
        self.sessions = Sessions()

    async def close(self) -> None:
        await self.sessions.close()
        self.apiservices.close()

    # -- which requests ----------------------------------------------------------------------

    def _local(self, group: str, version: str) -> bool:
        return version in self.registry.groups().get(group, [])

    async def remote_for(self, path: str) -> dict[str, Any] | None:
        """The APIService that serves ``path`` remotely, if any (a resource served here is
        known from one look-up: every request under ``/apis`` asks)."""
        parts = path.split("/")
        if len(parts) < 4 or parts[1] != "apis":
            return None
        plural = parts[6] if len(parts) > 6 and parts[4] == "namespaces" else \
            parts[4] if len(parts) > 4 else ""
        if plural and self.registry.by_path(parts[2], parts[3], plural) is not None:
            return None
        if self._local(parts[2], parts[3]):
            return None
        name = f"{parts[3]}.{parts[2]}"
        for obj in await self.apiservices.objects():
            if obj["metadata"]["name"] == name and (obj.get("spec") or {}).get("service"):
                return obj
        return None

    def discovered(self) -> dict[tuple[str, str], tuple[dict[str, Any], int, int]]:
        """What each available remote group-version last said it serves (for discovery)."""
        return dict(self._discovered)

    # -- the proxy ---------------------------------------------------------------------------

    def _target(self, apiservice: dict[str, Any]) -> tuple[str, str | None, ssl.SSLContext | bool]:
        spec = apiservice.get("spec") or {}
        service = dict(spec.get("service") or {})
        service["path"] = "/"
        target = resolve({"service": service}, self.rest.find)
        context = _ssl(str(spec.get("caBundle") or ""), bool(spec.get("insecureSkipTLSVerify")))
        return target.url.rstrip("/"), target.server_name, context

    async def proxy(self, req: ApiRequest, apiservice: dict[str, Any]) -> ApiResponse:
        """Relay ``req`` to the APIService's Service; its answer, streamed."""
        try:
            base, server_name, context = self._target(apiservice)
        except WebhookCallError as exc:
            raise ServiceUnavailable(f"the server is currently unable to handle the request "
                                     f"({exc})") from exc
        headers = {h: v for h, v in ((h, getattr(req, _ATTR.get(h, ""), "")) for h in
                                     _FORWARDED) if v}
        headers["X-Remote-User"] = req.user.name
        streaming = req.query.get("watch") in ("true", "1") or req.query.get("follow") == "true"
        timeout = aiohttp.ClientTimeout(total=None if streaming else PROXY_TIMEOUT,
                                        sock_connect=CHECK_TIMEOUT)
        try:
            resp = await self.sessions.get().request(
                req.method, base + req.path, params=list(_query(req)), data=req.body,
                headers=[*headers.items(), *(("X-Remote-Group", g) for g in req.user.groups)],
                ssl=context, timeout=timeout, server_hostname=server_name)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ServiceUnavailable(f"error trying to reach service: {exc}") from exc
        content_type = resp.headers.get("Content-Type", "application/json")
        warnings = resp.headers.getall("Warning", [])
        if streaming:
            out = ApiResponse(resp.status, stream=_relay(resp), content_type=content_type)
        else:
            try:
                body = await resp.read()
            finally:
                resp.release()
            out = ApiResponse(resp.status, raw=body, content_type=content_type)
        out.warnings = list(warnings)
        return out

    # -- the health check --------------------------------------------------------------------

    async def run(self) -> None:
        """Check each remote APIService when it changes and every CHECK_INTERVAL."""
        while True:
            try:
                await self.check_all()
            except StatusError as exc:  # a status write raced another: next round
                log.debug("APIService availability: %s", exc)
            except Exception:  # one bad round must not end the checks of every APIService
                log.exception("APIService availability check failed")
            await asyncio.sleep(LOOP_INTERVAL)

    async def check_all(self, *, force: bool = False) -> None:
        remote = {o["metadata"]["name"]: o for o in await self.apiservices.objects()
                  if (o.get("spec") or {}).get("service")}
        for gv in [gv for gv in self._discovered if f"{gv[1]}.{gv[0]}" not in remote]:
            del self._discovered[gv]
        for gv in [gv for gv in self._openapi if f"{gv[1]}.{gv[0]}" not in remote]:
            del self._openapi[gv]
        now = time.monotonic()
        for name, obj in remote.items():
            rv = obj["metadata"].get("resourceVersion", "")
            when, seen = self._checked.get(name, (0.0, ""))
            if force or seen != rv or now - when >= CHECK_INTERVAL:
                await self._check(obj)
                latest = self.rest.find(self.rt, "", name)
                self._checked[name] = (now, (latest or obj)["metadata"].get("resourceVersion",
                                                                            ""))

    async def _check(self, obj: dict[str, Any]) -> None:
        spec = obj.get("spec") or {}
        group, version = str(spec.get("group") or ""), str(spec.get("version") or "")
        status, reason, message = "False", "FailedDiscoveryCheck", ""
        try:
            base, server_name, context = self._target(obj)
            resources = await self._discover(f"{base}/apis/{group}/{version}", server_name,
                                             context)
        except WebhookCallError as exc:
            reason = "ServiceNotFound" if "not found" in str(exc) else "MissingEndpoints"
            message = str(exc)
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            message = f"failing or missing response from {exc}"
        else:
            status, reason, message = "True", "Passed", "all checks passed"
            self._discovered[(group, version)] = (resources, int(spec["groupPriorityMinimum"]),
                                                  int(spec["versionPriority"]))
            await self._find_openapi(obj, group, version)
        if status != "True":
            self._discovered.pop((group, version), None)
            self._openapi.pop((group, version), None)
        await self._set_available(obj, status, reason, message)

    async def _find_openapi(self, obj: dict[str, Any], group: str, version: str) -> None:
        """Where the Service keeps the OpenAPI v3 document of the group-version, if it has
        one (its ``/openapi/v3`` index)."""
        self._openapi.pop((group, version), None)
        try:
            base, server_name, context = self._target(obj)
            index = await self._get_json(f"{base}/openapi/v3", server_name, context)
        except (WebhookCallError, aiohttp.ClientError, OSError, ValueError, TimeoutError):
            return
        entry = (index.get("paths") or {}).get(f"apis/{group}/{version}") \
            if isinstance(index, dict) else None
        url = entry.get("serverRelativeURL") if isinstance(entry, dict) else None
        if isinstance(url, str) and url.startswith("/"):
            self._openapi[(group, version)] = url

    def openapi_documents(self) -> dict[tuple[str, str], str]:
        """Group-version -> the Service's URL (relative) of its OpenAPI v3 document."""
        return dict(self._openapi)

    async def fetch_openapi(self, group: str, version: str) -> bytes | None:
        """The OpenAPI v3 document of an aggregated group-version, from its Service."""
        url = self._openapi.get((group, version))
        apiservice = await self.remote_for(f"/apis/{group}/{version}")
        if url is None or apiservice is None:
            return None
        try:
            base, server_name, context = self._target(apiservice)
            async with self.sessions.get().get(
                    base + url, headers={"Accept": "application/json"}, ssl=context,
                    timeout=aiohttp.ClientTimeout(total=CHECK_TIMEOUT),
                    server_hostname=server_name) as resp:
                return await resp.read() if resp.status == 200 else None
        except (WebhookCallError, aiohttp.ClientError, OSError, TimeoutError):
            return None

    async def _get_json(self, url: str, server_name: str | None,
                        context: ssl.SSLContext | bool) -> Any:
        async with self.sessions.get().get(
                url, headers={"Accept": "application/json"}, ssl=context,
                timeout=aiohttp.ClientTimeout(total=CHECK_TIMEOUT),
                server_hostname=server_name) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise ValueError(f"{url}, status {resp.status}")
        return jsonutil.loads(body)

    async def _discover(self, url: str, server_name: str | None,
                        context: ssl.SSLContext | bool) -> dict[str, Any]:
        found = await self._get_json(url, server_name, context)
        if not isinstance(found, dict) or found.get("kind") != "APIResourceList":
            raise ValueError(f"{url}: not an APIResourceList")
        return found

    async def _set_available(self, obj: dict[str, Any], status: str, reason: str,
                             message: str) -> None:
        conditions = (obj.get("status") or {}).get("conditions") or []
        current = next((c for c in conditions if c.get("type") == "Available"), None)
        if current is not None and (current.get("status"), current.get("reason"),
                                    current.get("message")) == (status, reason, message):
            return
        when = current.get("lastTransitionTime") if current is not None and \
            current.get("status") == status else clock.rfc3339()
        new = jsonutil.copy(obj)
        new["status"] = {"conditions": [
            *(c for c in conditions if c.get("type") != "Available"),
            {"type": "Available", "status": status, "lastTransitionTime": when,
             "reason": reason, "message": message}]}
        opts = WriteOptions(dry_run=False, field_validation="Strict",
                            field_manager="kube-apiserver", force=None)
        await self.rest.update(self.rt, "", obj["metadata"]["name"], new, opts=opts,
                               manager="kube-apiserver", subresource="status")


_ATTR = {"Content-Type": "content_type", "Accept": "accept", "User-Agent": "user_agent"}


def _query(req: ApiRequest) -> list[tuple[str, str]]:
    if req.query_all:
        return [(k, v) for k, values in req.query_all.items() for v in values]
    return list(req.query.items())


async def _relay(resp: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    try:
        async for chunk in resp.content.iter_any():
            yield chunk
    finally:
        resp.release()
