"""The apiserver's request pipeline, independent of HTTP: ``ApiRequest`` in, ``ApiResponse`` out.

The aiohttp front end (``app.py``) and the client's in-process transport both call
:meth:`ApiServer.handle`, so validation, defaulting and admission apply to every caller. This
module routes a parsed request: a non-resource path (``/version``, health, discovery, OpenAPI)
to its handler, a resource request to the verb handlers of ``handlers.py`` once the path's
shape allows the verb, and turns any error into a ``metav1.Status``.

Which verbs a path serves, as Kubernetes' API installer registers them::

    /api/v1/configmaps                          list, watch        (all namespaces)
    /api/v1/namespaces/ns/configmaps            list, watch, create, deletecollection
    /api/v1/namespaces/ns/configmaps/name       get, watch, update, patch, delete

Anything else on a known path is 405 MethodNotAllowed, before a byte is read or written.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Awaitable, Callable
from typing import Any

from minikube_py import __version__
from minikube_py.api.errors import (
    BadRequest,
    InternalError,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
    StatusError,
)
from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver import connect, requestinfo
from minikube_py.apiserver import protobuf_responses as pbr
from minikube_py.apiserver.admission import REQUESTER, default_admission
from minikube_py.apiserver.admission_classes import class_plugins
from minikube_py.apiserver.aggregation.local import LocalAPIServices
from minikube_py.apiserver.aggregation.remote import Aggregator
from minikube_py.apiserver.authentication import BearerAuthenticator
from minikube_py.apiserver.authorization import attributes, impersonation
from minikube_py.apiserver.authorization import rbac as authorizers
from minikube_py.apiserver.authorization.certificates import CertificateAdmission
from minikube_py.apiserver.authorization.escalation import RBACEscalation
from minikube_py.apiserver.authorization.noderestriction import node_restriction
from minikube_py.apiserver.authorization.policy import PolicyIndex
from minikube_py.apiserver.authorization.reviewer import ApiReviewer
from minikube_py.apiserver.customresources import CustomResourceServing
from minikube_py.apiserver.handlers import ResourceHandlers
from minikube_py.apiserver.indexes import register_field_indexes
from minikube_py.apiserver.limitranger import LimitRanger
from minikube_py.apiserver.negotiation import prefers_protobuf
from minikube_py.apiserver.options import Query
from minikube_py.apiserver.resourcequota import ResourceQuotaAdmission
from minikube_py.apiserver.rest import RestStorage
from minikube_py.apiserver.webhooks.dispatcher import REQUEST_USER, WebhookAdmission
from minikube_py.store.errors import StoreClosed, Unencodable
from minikube_py.store.interface import Storage
from minikube_py.util import textsafe

log = logging.getLogger(__name__)

KUBERNETES_MINOR = "32"
GIT_VERSION = f"v1.{KUBERNETES_MINOR}.0+minikube-py.{__version__}"

NonResourceHandler = Callable[[ApiRequest], Awaitable[ApiResponse]]
SubresourceHandler = Callable[..., Awaitable[ApiResponse]]

_ALL_NAMESPACES_VERBS = frozenset({"list", "watch"})
_COLLECTION_VERBS = frozenset({"list", "watch", "create", "deletecollection"})
_ITEM_VERBS = frozenset({"get", "watch", "update", "patch", "delete"})


def status_response(err: StatusError) -> ApiResponse:
    headers = {}
    if err.retry_after is not None:
        headers["Retry-After"] = str(err.retry_after)
    return ApiResponse(err.code, textsafe.scrub(err.to_status()), headers=headers)


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


def path_verbs(rt: ResourceType, namespace: str, name: str) -> frozenset[str]:
    """The verbs the shape of a resource path serves (see the module docstring)."""
    if name:
        return _ITEM_VERBS
    if rt.namespaced and not namespace:
        return _ALL_NAMESPACES_VERBS
    return _COLLECTION_VERBS


class ApiServer:
    """Routes requests to resources; ``non_resource`` maps extra paths (discovery, OpenAPI,
    metrics) to handlers that other modules register."""

    def __init__(self, store: Storage, registry: Registry | None = None) -> None:
        self.store = store
        # Its own registry: the built-in kinds, plus the custom resources of this cluster's
        # CRDs while they are established (``custom_resources``, started by the daemon).
        self.registry = registry if registry is not None else REGISTRY.copy()
        self.rest = RestStorage(store)
        self.custom_resources = CustomResourceServing(store, self.rest, self.registry)
        self.rest.admission = default_admission(self.rest.find, self.rest.find_all)
        self.rest.admission.mutating += class_plugins(self.rest.find, self.rest.find_all)
        limit_ranger = LimitRanger(self.rest.find_all)
        self.rest.admission.mutating.append(limit_ranger.mutate)
        self.rest.admission.validating.append(limit_ranger.validate)
        # Users' admission webhooks, last of each half of the chain (as Kubernetes orders
        # MutatingAdmissionWebhook and ValidatingAdmissionWebhook).
        self.webhooks = WebhookAdmission(store, self.rest.find)
        self.rest.admission.mutating.append(self.webhooks.mutate)
        self.rest.admission.validating.append(self.webhooks.validate)
        # ResourceQuota last (as in Kubernetes): it charges the quota before the write.
        self.rest.admission.validating.append(ResourceQuotaAdmission(self.rest.storage_for))
        # apiregistration: a Local APIService per served group-version, and group-versions
        # served by a Service of the cluster (the daemon runs both loops: run()).
        self.local_apiservices = LocalAPIServices(self.rest, self.registry)
        self.aggregator = Aggregator(self.rest, self.registry)
        register_field_indexes(store, self.registry)
        self.handlers = ResourceHandlers(self.rest)
        self.non_resource: dict[str, NonResourceHandler] = {}
        # name -> check returning None when healthy, else why not (for /healthz, /readyz).
        self.health_checks: dict[str, Callable[[], str | None]] = {
            "custom-resources": self.custom_resources.health}
        # Components' own Prometheus lines for /metrics (e.g. the controllers' reconciles).
        self.metric_sources: list[Callable[[], list[str]]] = []
        # subresource name -> handler, for components that serve one (logs, exec, ...).
        self.subresource_handlers: dict[str, SubresourceHandler] = {}
        # provider name -> handler of the kinds no store holds (Strategy.provider).
        self.providers: dict[str, SubresourceHandler] = {}
        self.ready = True
        self.requests_total = 0
        # Who may do what (None: everyone everything, as on a bare pipeline in tests).
        self.authorizer: authorizers.Authorizer | None = None
        self.policy: PolicyIndex | None = None

    # -- authorization -----------------------------------------------------------------------

    def enable_authorization(self, mode: str,
                             authenticator: BearerAuthenticator | None = None) -> None:
        """Authorize every request in ``mode`` (RBAC or AlwaysAllow); the RBAC index and
        escalation checks follow the store once :meth:`start` runs."""
        self.policy = PolicyIndex(self.store)
        self.authorizer = authorizers.build(mode, self.policy)
        self.handlers.reviewer = ApiReviewer(self.authorizer, authenticator)
        self.rest.admission.validating += [RBACEscalation(self.authorizer, self.policy),
                                            node_restriction,
                                            CertificateAdmission(self.authorizer)]

    async def start(self) -> None:
        if self.policy is not None:
            await self.policy.start()

    async def stop(self) -> None:
        if self.policy is not None:
            await self.policy.stop()

    def _authorize(self, req: ApiRequest, info: requestinfo.RequestInfo) -> None:
        """Impersonation first (checked as the requester), then the request as the user it
        runs as: 403 Forbidden unless allowed. ``system:masters`` short-circuits."""
        authorizer = self.authorizer or authorizers.AlwaysAllow()
        if req.impersonation is not None:
            req.user = impersonation.impersonate(authorizer, req.user, req.impersonation)
        if self.authorizer is None or authorizers.MASTERS in req.user.groups:
            return
        attrs = attributes.from_request(req.user, info, req.query)
        decision = self.authorizer.authorize(attrs)
        if not decision.allowed:
            log.debug("forbidden: %s", attributes.forbidden_message(attrs))
            raise attributes.forbidden(attrs, decision.reason)

    async def close(self) -> None:
        """Release what the apiserver holds besides the store (client sessions, watches)."""
        await self.webhooks.close()
        await self.aggregator.close()

    async def handle(self, req: ApiRequest) -> ApiResponse:
        self.requests_total += 1
        token = user = None
        try:
            info = requestinfo.parse(req.method, req.path, req.query)
            # Authorized first (impersonation decides who the request runs as), then the
            # aggregated APIs' proxy and everything else see that user.
            self._authorize(req, info)
            token = REQUESTER.set(req.user)
            user = REQUEST_USER.set(req.user)  # who admission webhooks are told is asking
            if req.path.startswith("/apis/"):
                remote = await self.aggregator.remote_for(req.path)
                if remote is not None:
                    return await self.aggregator.proxy(req, remote)
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
        finally:
            if user is not None:
                REQUEST_USER.reset(user)
            if token is not None:
                REQUESTER.reset(token)

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
        raise NotFound.generic()

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
            raise NotFound.generic()
        ns, name = info.namespace, info.name
        if rt.namespaced and not ns and name:
            raise NotFound.generic()
        if not rt.namespaced and ns and info.resource != "namespaces":
            raise NotFound.generic()
        query = Query(req.query, req.query_all)
        try:
            if rt.strategy.provider is not None:
                return await self._provided(req, info, rt)
            if info.subresource:
                response = await self._subresource(req, info, rt, query)
            elif info.verb not in path_verbs(rt, ns, name) or info.verb not in rt.verbs:
                raise MethodNotAllowed.generic()
            else:
                response = await self.handlers.serve(info.verb, req, rt, ns, name, query)
        except StatusError as err:
            # In the serializer the client negotiated, as Kubernetes writes errors: a
            # protobuf client of a kind with a protobuf form gets a protobuf Status.
            if pbr.has_protobuf(rt) and prefers_protobuf(req.accept):
                return pbr.error_response(err, status_response(err).headers)
            raise
        if rt.strategy.deprecation:
            response.warnings.insert(0, rt.strategy.deprecation)
        return response

    async def _provided(self, req: ApiRequest, info: requestinfo.RequestInfo,
                        rt: ResourceType) -> ApiResponse:
        """A kind no store holds: its provider answers get and list (as an aggregated API
        server would); 503 while no component has registered one."""
        if info.subresource or info.verb not in path_verbs(rt, info.namespace, info.name) \
                or info.verb not in rt.verbs:
            raise MethodNotAllowed.generic()
        provider = self.providers.get(str(rt.strategy.provider))
        if provider is None:
            raise ServiceUnavailable("the server is currently unable to handle the request")
        return await provider(self, req, info, rt)

    async def _subresource(self, req: ApiRequest, info: requestinfo.RequestInfo,
                           rt: ResourceType, query: Query) -> ApiResponse:
        sub = info.subresource
        if sub not in rt.subresources:
            raise NotFound.generic()
        handler = self.subresource_handlers.get(sub)
        if handler is not None:
            if sub in connect.OPTIONS_KINDS:
                await connect.admit(self.rest.admission, rt, info.namespace, info.name, sub,
                                    req.query, req.query_all)
            return await handler(self, req, info, rt)
        return await self.handlers.serve_subresource(sub, info.verb, req, rt, info.namespace,
                                                     info.name, query)
