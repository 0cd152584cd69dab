"""The TokenRequest subresource: ``POST .../serviceaccounts/<name>/token`` (Kubernetes'
``pkg/registry/core/serviceaccount/storage/token.go``), registered in the apiserver's
``subresource_handlers``.

The body is an authentication.k8s.io/v1 TokenRequest; the answer (201) is the same request
filled in (name and namespace of the account, audiences defaulted to the apiserver's, the
lifetime defaulted to 3600 s) with ``status.token`` and ``status.expirationTimestamp``.
Nothing is stored. A ``boundObjectRef`` naming a Pod (of the same service account, with the
same uid when one is given) binds the token to it. A pod-bound token asked for 3607 s (the
kubelet's projected volumes) is signed for a year and carries ``warnafter`` = 3607 s, as
Kubernetes' ``--service-account-extend-token-expiration`` does, so a kubelet that is late in
refreshing does not break its pods.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from minikube_py.api.codecs.body import decode_body
from minikube_py.api.errors import BadRequest, Conflict, Invalid, MethodNotAllowed
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.api.schemas.authentication import TOKEN_REQUEST
from minikube_py.api.validation.base import invalid
from minikube_py.api.validation.structural import decode
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.negotiation import YAML, negotiate
from minikube_py.apiserver.options import Query, WriteOptions
from minikube_py.apiserver.serviceaccount.tokens import BoundPod, TokenIssuer
from minikube_py.util import yamlutil
from minikube_py.util.clock import rfc3339

API_VERSION = "authentication.k8s.io/v1"
KIND = "TokenRequest"
DEFAULT_EXPIRATION = 3600
MIN_EXPIRATION = 600
MAX_EXPIRATION = 1 << 32
WARN_ONLY_EXPIRATION = 3607  # what the kubelet asks for: extended, with a warning time
EXTENDED_EXPIRATION = 365 * 24 * 3600
NOT_ALLOWED = "the server does not allow this method on the requested resource"

PODS = REGISTRY.require("", "v1", "pods")


class TokenRequestHandler:
    """``serviceaccounts/token``: create only."""

    def __init__(self, issuer: TokenIssuer) -> None:
        self.issuer = issuer

    async def __call__(self, server: Any, req: ApiRequest, info: Any,
                       rt: ResourceType) -> ApiResponse:
        if info.verb != "create":
            raise MethodNotAllowed(NOT_ALLOWED)
        media = negotiate(req.accept)
        WriteOptions.parse(Query(req.query, req.query_all), "create")
        namespace, name = str(info.namespace), str(info.name)
        request = _decode(req)
        meta = request.setdefault("metadata", {})
        causes = []
        if meta.get("name") and meta["name"] != name:
            causes.append(invalid("metadata.name", meta["name"],
                                  "must match the service account name if specified"))
        if meta.get("namespace") and meta["namespace"] != namespace:
            causes.append(invalid("metadata.namespace", meta["namespace"],
                                  "must match the service account namespace if specified"))
        if causes:
            raise Invalid.of("authentication.k8s.io", KIND, name, causes)
        account = server.rest.get(rt, namespace, name)
        spec = request.setdefault("spec", {})
        if not spec.get("audiences"):
            spec["audiences"] = list(self.issuer.audiences)
        spec.setdefault("expirationSeconds", DEFAULT_EXPIRATION)
        spec.setdefault("boundObjectRef", None)
        now = self.issuer.now()
        meta.update(name=name, namespace=namespace, creationTimestamp=rfc3339())
        _validate(spec)
        pod = _bound_pod(server, namespace, name, spec.get("boundObjectRef"))
        expiration, warn_after = int(spec["expirationSeconds"]), 0
        if pod is not None and expiration == WARN_ONLY_EXPIRATION and \
                set(spec["audiences"]) <= set(self.issuer.audiences):
            expiration, warn_after = EXTENDED_EXPIRATION, WARN_ONLY_EXPIRATION
        token = self.issuer.issue(namespace=namespace, name=name,
                                  uid=str(account["metadata"].get("uid") or ""),
                                  audiences=spec["audiences"], expiration_seconds=expiration,
                                  pod=pod, warn_after_seconds=warn_after, at=now)
        expires = rfc3339_at(now + int(spec["expirationSeconds"]))
        answer = {"kind": KIND, "apiVersion": API_VERSION, "metadata": meta, "spec": spec,
                  "status": {"token": token, "expirationTimestamp": expires}}
        if media.type == YAML:
            return ApiResponse(201, raw=yamlutil.dump(answer), content_type=YAML)
        return ApiResponse(201, answer)


def rfc3339_at(seconds: float) -> str:
    return rfc3339(dt.datetime.fromtimestamp(int(seconds), dt.UTC))


def _decode(req: ApiRequest) -> dict[str, Any]:
    body = decode_body(req.body, req.content_type, TOKEN_REQUEST).value
    if not isinstance(body, dict):
        raise BadRequest("TokenRequest must be a JSON object")
    if body.get("kind") not in (None, "", KIND) or \
            body.get("apiVersion") not in (None, "", API_VERSION):
        raise BadRequest(f'the body of the request was a {body.get("apiVersion")} '
                         f'{body.get("kind")}, not an {API_VERSION} {KIND}')
    decoded = decode(TOKEN_REQUEST, body)
    if decoded.type_errors:
        raise BadRequest(f'TokenRequest in version "v1" cannot be handled as a TokenRequest: '
                         f'{decoded.type_errors[0]}')
    body.pop("status", None)
    return body


def _validate(spec: dict[str, Any]) -> None:
    seconds = spec["expirationSeconds"]
    if seconds < MIN_EXPIRATION:
        cause = invalid("spec.expirationSeconds", seconds,
                        "may not specify a duration less than 10 minutes")
    elif seconds > MAX_EXPIRATION:
        cause = invalid("spec.expirationSeconds", seconds,
                        "may not specify a duration larger than 2^32 seconds")
    else:
        return
    raise Invalid.of("authentication.k8s.io", KIND, "", [cause])


def _bound_pod(server: Any, namespace: str, account: str,
               ref: dict[str, Any] | None) -> BoundPod | None:
    """The pod a token is bound to (checked), None when it is bound to nothing."""
    if not ref:
        return None
    api_version, kind = str(ref.get("apiVersion") or ""), str(ref.get("kind") or "")
    if (api_version, kind) != ("v1", "Pod"):
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        version = api_version.rpartition("/")[2]
        raise BadRequest(f"cannot bind token to object of type {group}/{version}, "
                         f"Kind={kind}")
    pod_name = str(ref.get("name") or "")
    pod = server.rest.get(PODS, namespace, pod_name)
    if (pod.get("spec") or {}).get("serviceAccountName") != account:
        raise BadRequest(f'cannot bind token for serviceaccount "{account}" to pod running '
                         f'with different serviceaccount name.')
    uid = str(pod["metadata"].get("uid") or "")
    if ref.get("uid") and ref["uid"] != uid:
        raise Conflict.of("", "Pod", pod_name,
                          f"the UID in the bound object reference ({ref['uid']}) does not "
                          "match the UID in record. The object might have been deleted and "
                          "then recreated")
    return BoundPod(pod_name, uid)
