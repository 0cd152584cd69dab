"""The apiserver's request pipeline, independent of HTTP: ``ApiRequest`` in, ``ApiResponse`` out.

The aiohttp front end (``app.py``) and the client's in-process transport both call
:meth:`ApiServer.handle`, so validation, defaulting and admission apply to every caller. This
module routes a parsed request to a verb of ``rest.py`` (or to a subresource, or to a
non-resource path such as ``/version``) and shapes the answer: object, list, Table, watch
stream, or a ``metav1.Status`` for any error.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Awaitable, Callable
from typing import Any

from minikube_py import __version__
from minikube_py.api import meta as metautil
from minikube_py.api.errors import (
    BadRequest,
    InternalError,
    Invalid,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
    StatusError,
)
from minikube_py.api.fieldselectors import check_field_selector
from minikube_py.api.patch import APPLY, MERGE, apply_patch
from minikube_py.api.printers import selector_string
from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.api.schemas.autoscaling import SCALE
from minikube_py.api.schemas.core import BINDING
from minikube_py.api.schemas.meta import DELETE_OPTIONS
from minikube_py.api.validation.base import invalid
from minikube_py.api.validation.names import is_dns1123_subdomain
from minikube_py.api.validation.structural import decode
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver import requestinfo
from minikube_py.apiserver.admission import NamespaceLifecycle
from minikube_py.apiserver.negotiation import wants
from minikube_py.apiserver.options import (
    DeleteOptions,
    ListOptions,
    dry_run,
    field_validation,
)
from minikube_py.apiserver.rest import RestStorage, decode_body, matches
from minikube_py.apiserver.tables import partial_metadata, to_table
from minikube_py.apiserver.watch import open_watch
from minikube_py.store.errors import StoreClosed, Unencodable
from minikube_py.store.sqlite import Store
from minikube_py.util import jsonutil

log = logging.getLogger(__name__)

KUBERNETES_MINOR = "32"
GIT_VERSION = f"v1.{KUBERNETES_MINOR}.0+minikube-py.{__version__}"

NonResourceHandler = Callable[[ApiRequest], Awaitable[ApiResponse]]


def status_response(err: StatusError) -> ApiResponse:
    headers = {}
    if err.retry_after is not None:
        headers["Retry-After"] = str(err.retry_after)
    return ApiResponse(err.code, err.to_status(), headers=headers)


def success_status(details: dict[str, Any] | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                              "status": "Success"}
    if details:
        status["details"] = details
    return status


def version_info() -> dict[str, Any]:
    return {"major": "1", "minor": KUBERNETES_MINOR, "gitVersion": GIT_VERSION,
            "gitCommit": "", "gitTreeState": "clean", "buildDate": "",
            "goVersion": f"python{platform.python_version()}", "compiler": "cpython",
            "platform": f"{platform.system().lower()}/{platform.machine()}"}


class ApiServer:
    """Routes requests to resources; ``non_resource`` maps extra paths (discovery, OpenAPI,
    metrics) to handlers that other modules register."""

    def __init__(self, store: Store, registry: Registry = REGISTRY) -> None:
        self.store = store
        self.registry = registry
        self.rest = RestStorage(store, admit=[NamespaceLifecycle(store)])
        self.non_resource: dict[str, NonResourceHandler] = {}
        # name -> check returning None when healthy, else why not (for /healthz, /readyz).
        self.health_checks: dict[str, Callable[[], str | None]] = {}
        # subresource name -> handler, for components that serve one (logs, exec, ...).
        self.subresource_handlers: dict[str, Callable[..., Awaitable[ApiResponse]]] = {}
        self.ready = True
        self.requests_total = 0

    async def handle(self, req: ApiRequest) -> ApiResponse:
        self.requests_total += 1
        try:
            info = requestinfo.parse(req.method, req.path, req.query)
            if not info.is_resource:
                return await self._non_resource(req)
            return await self._resource(req, info)
        except StatusError as err:
            return status_response(err)
        except Unencodable as exc:
            return status_response(BadRequest(f"the object cannot be stored as JSON: {exc}"))
        except StoreClosed as exc:
            return status_response(ServiceUnavailable(f"the store is not taking writes: {exc}"))
        except Exception as exc:  # a bug: answer 500 with the reason, log the traceback
            log.exception("internal error serving %s %s", req.method, req.path)
            return status_response(InternalError(f"Internal error occurred: {exc!r}"))

    # -- non-resource paths ------------------------------------------------------------------

    async def _non_resource(self, req: ApiRequest) -> ApiResponse:
        path = req.path.rstrip("/") or "/"
        if path == "/version":
            return ApiResponse(200, version_info())
        if path in ("/healthz", "/livez", "/readyz") or path.startswith(
                ("/healthz/", "/livez/", "/readyz/")):
            return self._health(path, verbose="verbose" in req.query)
        handler = self.non_resource.get(path)
        if handler is None:
            for prefix, candidate in self.non_resource.items():
                if prefix.endswith("/*") and path.startswith(prefix[:-1]):
                    handler = candidate
                    break
        if handler is not None:
            return await handler(req)
        raise NotFound("the server could not find the requested resource")

    def _health(self, path: str, *, verbose: bool) -> ApiResponse:
        """``[+]name ok`` / ``[-]name failed: why`` per check, as Kubernetes prints them; any
        failure makes the answer 500."""
        results = [("ping", None)] + [(name, check()) for name, check in
                                      self.health_checks.items()]
        failed = [(n, why) for n, why in results if why is not None]
        if not self.ready and not path.startswith("/livez"):
            failed.append(("ready", "the apiserver is starting or stopping"))
        if not failed and not verbose:
            return ApiResponse(200, raw=b"ok", content_type="text/plain; charset=utf-8")
        lines = [f"[+]{n} ok" if why is None else f"[-]{n} failed: {why}"
                 for n, why in results]
        status = "check failed" if failed else "check passed"
        lines.append(f"{path.strip('/').split('/')[0]} {status}")
        return ApiResponse(500 if failed else 200, raw=("\n".join(lines) + "\n").encode(),
                           content_type="text/plain; charset=utf-8")

    # -- resources ---------------------------------------------------------------------------

    async def _resource(self, req: ApiRequest, info: requestinfo.RequestInfo) -> ApiResponse:
        rt = self.registry.by_path(info.group, info.version, info.resource)
        if rt is None:
            raise NotFound("the server could not find the requested resource")
        ns = info.namespace
        if rt.namespaced and not ns and (info.name or info.verb == "create"):
            raise NotFound("the server could not find the requested resource")
        if not rt.namespaced and ns and info.resource != "namespaces":
            raise NotFound("the server could not find the requested resource")
        if info.subresource:
            return await self._subresource(req, info, rt)
        verb = info.verb
        if verb not in rt.verbs:
            raise MethodNotAllowed(f"{verb} is not supported on {rt.group_resource}")
        if verb == "get":
            obj = self.rest.get(rt, ns, info.name)
            return self._object_response(req, rt, obj)
        if verb == "list":
            return self._list(req, rt, ns)
        if verb == "watch":
            return await self._watch(req, rt, ns, info.name)
        if verb == "create":
            body = decode_body(req.body, req.content_type, rt.schema)
            written = await self.rest.create(rt, ns, body,
                                             field_validation=field_validation(req.query),
                                             dry_run=dry_run(req.query))
            return self._written(req, rt, written.obj, written.warnings, 201)
        if verb == "update":
            body = decode_body(req.body, req.content_type, rt.schema)
            written = await self.rest.update(rt, ns, info.name, body,
                                             field_validation=field_validation(req.query),
                                             dry_run=dry_run(req.query),
                                             field_manager=req.field_manager)
            return self._written(req, rt, written.obj, written.warnings, 200)
        if verb == "patch":
            return await self._patch(req, rt, ns, info.name, "")
        if verb == "delete":
            options = DeleteOptions.parse(req.query, self._delete_body(req))
            obj = await self.rest.delete(rt, ns, info.name, options)
            return ApiResponse(200, obj)
        if verb == "deletecollection":
            return await self._delete_collection(req, rt, ns)
        raise MethodNotAllowed(f"the server does not allow this method on the requested "
                               f"resource ({req.method})")

    def _object_response(self, req: ApiRequest, rt: ResourceType,
                         obj: dict[str, Any]) -> ApiResponse:
        table = wants(req.accept, "Table")
        if table is not None:
            return ApiResponse(200, to_table(
                rt, [obj], resource_version=metautil.resource_version(obj),
                include_object=req.query.get("includeObject", "Metadata"),
                api_version=f"meta.k8s.io/{table.params.get('v', 'v1')}"))
        if wants(req.accept, "PartialObjectMetadata") is not None:
            return ApiResponse(200, partial_metadata(obj))
        return ApiResponse(200, obj)

    def _written(self, req: ApiRequest, rt: ResourceType, obj: dict[str, Any],
                 warnings: list[str], code: int) -> ApiResponse:
        response = self._object_response(req, rt, obj)
        response.status = code
        if warnings:
            response.headers["Warning"] = ", ".join(f'299 - "{w}"' for w in warnings)
        return response

    @staticmethod
    def _delete_body(req: ApiRequest) -> dict[str, Any] | None:
        if not req.body:
            return None
        body = decode_body(req.body, req.content_type, DELETE_OPTIONS)
        if not isinstance(body, dict):
            raise BadRequest("DeleteOptions must be a JSON object")
        body.setdefault("kind", "DeleteOptions")
        result = decode(DELETE_OPTIONS, body)
        if result.type_errors:
            raise BadRequest("DeleteOptions in version \"v1\" cannot be handled as a "
                             "DeleteOptions: " + "; ".join(result.type_errors))
        return body

    def _list_options(self, req: ApiRequest, rt: ResourceType) -> ListOptions:
        opts = ListOptions.parse(req.query)
        check_field_selector(rt.group, rt.kind, opts.field_selector)
        return opts

    def _list(self, req: ApiRequest, rt: ResourceType, ns: str) -> ApiResponse:
        opts = self._list_options(req, rt)
        table = wants(req.accept, "Table")
        plain = (table is None and opts.label_selector.empty() and opts.field_selector.empty()
                 and opts.limit is None and not opts.continue_token
                 and wants(req.accept, "PartialObjectMetadataList") is None)
        if plain:  # fast path: splice the stored bytes, no decode and re-encode
            entries, rev = self.store.list_entries(rt.prefix(ns))
            raw = (b'{"kind":"' + rt.list_kind.encode() + b'","apiVersion":"'
                   + rt.api_version.encode() + b'","metadata":{"resourceVersion":"'
                   + str(rev).encode() + b'"},"items":['
                   + b",".join(e.value for e in entries) + b"]}")
            return ApiResponse(200, raw=raw)
        items, rev, token, remaining = self.rest.list(
            rt, ns, label=opts.label_selector, fields=opts.field_selector, limit=opts.limit,
            continue_token=opts.continue_token)
        if table is not None:
            return ApiResponse(200, to_table(
                rt, items, resource_version=str(rev), continue_token=token,
                include_object=req.query.get("includeObject", "Metadata"),
                api_version=f"meta.k8s.io/{table.params.get('v', 'v1')}"))
        meta: dict[str, Any] = {"resourceVersion": str(rev)}
        if token:
            meta["continue"] = token
            if remaining is not None:
                meta["remainingItemCount"] = remaining
        if wants(req.accept, "PartialObjectMetadataList") is not None:
            return ApiResponse(200, {"kind": "PartialObjectMetadataList",
                                     "apiVersion": "meta.k8s.io/v1", "metadata": meta,
                                     "items": [partial_metadata(o) for o in items]})
        return ApiResponse(200, {"kind": rt.list_kind, "apiVersion": rt.api_version,
                                 "metadata": meta, "items": items})

    async def _watch(self, req: ApiRequest, rt: ResourceType, ns: str,
                     name: str) -> ApiResponse:
        opts = self._list_options(req, rt)

        def match(obj: dict[str, Any]) -> bool:
            return matches(rt, obj, opts.label_selector, opts.field_selector)

        match.everything = opts.label_selector.empty() and opts.field_selector.empty()  # type: ignore[attr-defined]
        render = None
        table = wants(req.accept, "Table")
        if table is not None:
            include = req.query.get("includeObject", "Metadata")
            api_version = f"meta.k8s.io/{table.params.get('v', 'v1')}"

            def render(obj: dict[str, Any], first: bool) -> dict[str, Any]:
                if obj.get("kind") != rt.kind:  # bookmarks pass through as they are
                    return obj
                return to_table(rt, [obj], resource_version=metautil.resource_version(obj),
                                include_object=include, with_columns=first,
                                api_version=api_version)

        stream = await open_watch(self.store, rt, ns, name, opts, match, render,
                                  req.disconnected)
        return ApiResponse(200, stream=stream)

    async def _patch(self, req: ApiRequest, rt: ResourceType, ns: str, name: str,
                     subresource: str) -> ApiResponse:
        ctype = req.content_type.split(";")[0].strip().lower()
        written = await self.rest.patch(rt, ns, name, req.body or b"", ctype,
                                        subresource=subresource,
                                        field_validation=field_validation(req.query),
                                        dry_run=dry_run(req.query),
                                        # apply names its manager; other writes may not
                                        field_manager=req.query.get("fieldManager", "")
                                        if ctype == APPLY else req.field_manager,
                                        force=req.query.get("force", "") == "true")
        return self._written(req, rt, written.obj, written.warnings,
                             201 if written.created else 200)

    async def _delete_collection(self, req: ApiRequest, rt: ResourceType,
                                 ns: str) -> ApiResponse:
        opts = self._list_options(req, rt)
        options = DeleteOptions.parse(req.query, self._delete_body(req))
        items, _, _, _ = self.rest.list(rt, ns, label=opts.label_selector,
                                          fields=opts.field_selector)
        deleted = []
        for obj in items:
            try:
                deleted.append(await self.rest.delete(
                    rt, metautil.namespace_of(obj), metautil.name_of(obj), options))
            except NotFound:
                continue
        return ApiResponse(200, {"kind": rt.list_kind, "apiVersion": rt.api_version,
                                 "metadata": {"resourceVersion": str(self.store.revision)},
                                 "items": deleted})

    # -- subresources ------------------------------------------------------------------------

    async def _subresource(self, req: ApiRequest, info: requestinfo.RequestInfo,
                           rt: ResourceType) -> ApiResponse:
        sub, ns, name = info.subresource, info.namespace, info.name
        if sub not in rt.subresources:
            raise NotFound("the server could not find the requested resource")
        handler = self.subresource_handlers.get(sub)
        if handler is not None:
            return await handler(self, req, info, rt)
        if sub in ("status", "finalize"):
            if info.verb == "get":
                return self._object_response(req, rt, self.rest.get(rt, ns, name))
            if info.verb == "update":
                body = decode_body(req.body, req.content_type, rt.schema)
                written = await self.rest.update(
                    rt, ns, name, body, subresource=sub,
                    field_validation=field_validation(req.query), dry_run=dry_run(req.query))
                return self._written(req, rt, written.obj, written.warnings, 200)
            if info.verb == "patch" and sub == "status":
                return await self._patch(req, rt, ns, name, "status")
        if sub == "scale":
            return await self._scale(req, info, rt)
        if sub == "binding" and info.verb == "create":
            return await self._bind(req, rt, ns, name)
        raise MethodNotAllowed(f"{info.verb} is not supported on {rt.plural}/{sub}")

    async def _scale(self, req: ApiRequest, info: requestinfo.RequestInfo,
                     rt: ResourceType) -> ApiResponse:
        """``autoscaling/v1 Scale`` view of a workload's replicas."""
        ns, name = info.namespace, info.name
        if info.verb == "get":
            return ApiResponse(200, to_scale(self.rest.get(rt, ns, name)))
        if info.verb not in ("update", "patch"):
            raise MethodNotAllowed(f"{info.verb} is not supported on {rt.plural}/scale")
        scale = to_scale(self.rest.get(rt, ns, name))
        if info.verb == "update":
            new_scale = decode_body(req.body, req.content_type or "application/json", SCALE)
        else:
            # Patched without its resourceVersion, so one shows only if the patch set it.
            del scale["metadata"]["resourceVersion"]
            ctype = req.content_type.split(";")[0].strip().lower()
            new_scale = apply_patch(ctype, scale, req.body or b"", SCALE)
        if not isinstance(new_scale, dict):
            raise BadRequest("Scale must be a JSON object")
        result = decode(SCALE, new_scale)
        if result.type_errors:
            raise BadRequest('Scale in version "v1" cannot be handled as a Scale: '
                             + "; ".join(result.type_errors))
        replicas = (new_scale.get("spec") or {}).get("replicas", 0)
        if replicas < 0:
            raise Invalid.of("autoscaling", "Scale", name, [
                invalid("spec.replicas", replicas, "must be greater than or equal to 0")])
        given = (new_scale.get("metadata") or {}).get("name")
        if given and given != name:
            raise BadRequest(f"the name of the object ({given}) does not match the name on "
                             f"the URL ({name})")
        # A resourceVersion in the Scale is a precondition; without one the new replicas
        # apply to whatever the object is by then.
        pinned = (new_scale.get("metadata") or {}).get("resourceVersion")
        patch = {"spec": {"replicas": replicas}}
        if pinned:
            patch["metadata"] = {"resourceVersion": str(pinned)}
        written = await self.rest.patch(rt, ns, name, jsonutil.dumps(patch), MERGE,
                                        dry_run=dry_run(req.query),
                                        field_manager=req.field_manager)
        return ApiResponse(200, to_scale(written.obj))

    async def _bind(self, req: ApiRequest, rt: ResourceType, ns: str,
                    name: str) -> ApiResponse:
        """``pods/binding``: set ``spec.nodeName`` of an unbound pod (the scheduler's write)."""
        body = decode_body(req.body, req.content_type, BINDING)
        if not isinstance(body, dict):
            raise BadRequest("Binding must be a JSON object")
        target = body.get("target") or {}
        node = target.get("name") if isinstance(target, dict) else None
        if not isinstance(node, str) or not node or is_dns1123_subdomain(node):
            raise BadRequest(f"Binding must name a target node by a valid node name, got "
                             f"{node!r}")
        await self.rest.bind(rt, ns, name, node)
        return ApiResponse(201, success_status())

def to_scale(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    return {
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                          "creationTimestamp") if k in meta},
        "spec": {"replicas": spec.get("replicas", 0)},
        "status": {"replicas": status.get("replicas", 0),
                   "selector": selector_string(spec.get("selector"))},
    }
