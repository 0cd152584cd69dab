"""The admission webhook plugins: MutatingAdmissionWebhook and ValidatingAdmissionWebhook,
as the apiserver's admission chain runs them (``apiserver/admission.py``: mutating plugins,
validation, validating plugins), for every kind whose strategy allows webhooks.

- Which: the stored configurations' webhooks whose rules and selectors match
  (``matching.py``) and whose ``matchConditions`` (CEL over ``object``, ``oldObject`` and
  ``request``) all hold; under ``matchPolicy: Equivalent`` (the default) also those naming
  another version of the same objects (events.k8s.io/v1 and core/v1 Events), sent the
  objects in that version. Writes through ``/scale`` are admitted as the ``autoscaling/v1``
  Scale they are (a patch of it changes the replicas).
- Mutating webhooks are called one at a time, by configuration name and then as listed;
  each may answer a base64 JSONPatch, applied at once (the next webhook sees it; validation
  runs after all of them). ``reinvocationPolicy: IfNeeded`` ones are called once more when a
  later one changed the object. Validating webhooks are called concurrently.
- A refusal is the webhook's Status, its message prefixed ``admission webhook "<name>"
  denied the request``; a webhook that cannot be called (or whose conditions cannot be
  evaluated) refuses the request (500) under ``failurePolicy: Fail`` and is skipped under
  ``Ignore``. A dry run is refused by webhooks with side effects. The warnings of the
  answers become the response's Warning headers.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextvars
import dataclasses
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from minikube_py.api.errors import BadRequest, InternalError, StatusError, from_status
from minikube_py.api.machinery.cel import CelError, evaluate_bool
from minikube_py.api.machinery.jsonpatch import apply_json_patch
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.api.validation.structural import decode
from minikube_py.api.wire import SYSTEM_ADMIN, UserInfo
from minikube_py.apiserver.admission import WriteContext
from minikube_py.apiserver.handlers import to_scale
from minikube_py.apiserver.storedobjects import StoredObjects
from minikube_py.apiserver.webhooks import client
from minikube_py.apiserver.webhooks.matching import namespace_object_labels, webhook_matches
from minikube_py.store.interface import Storage
from minikube_py.util import jsonutil

log = logging.getLogger(__name__)

REVIEW_VERSION = "admission.k8s.io/v1"
NO_SIDE_EFFECTS = ("None", "NoneOnDryRun")
SCALE_KIND = {"group": "autoscaling", "version": "v1", "kind": "Scale"}
_OPTIONS_KIND = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"}

#: Who makes the request being admitted (set by the apiserver for each request).
REQUEST_USER: contextvars.ContextVar[UserInfo] = contextvars.ContextVar(
    "request_user", default=SYSTEM_ADMIN)


@dataclass(frozen=True)
class Hook:
    """One webhook of a stored configuration, and the version of the request's resource it
    matched (another version of the same objects under ``matchPolicy: Equivalent``)."""

    configuration: str
    spec: Mapping[str, Any]
    seen_as: ResourceType | None = None

    @property
    def name(self) -> str:
        return str(self.spec.get("name") or "")


class WebhookAdmission:
    """Both plugins over the stored configurations; ``get`` reads objects (namespaces,
    services, endpoints) as admission may."""

    def __init__(self, store: Storage, get: client.Getter) -> None:
        self.get = get
        self.sessions = client.Sessions()
        self.validating_configs = StoredObjects(store, REGISTRY.require(
            "admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations"))
        self.mutating_configs = StoredObjects(store, REGISTRY.require(
            "admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations"))

    async def close(self) -> None:
        await self.sessions.close()
        self.validating_configs.close()
        self.mutating_configs.close()

    # -- which webhooks ----------------------------------------------------------------------

    async def _matching(self, configs: StoredObjects, ctx: WriteContext) -> list[Hook]:
        if not ctx.rt.strategy.webhook_admission:
            return []
        hooks = [Hook(str(c["metadata"]["name"]), h) for c in await configs.objects()
                 for h in c.get("webhooks") or [] if isinstance(h, dict)]
        if not hooks:
            return []
        found: list[dict[str, str] | None] = []

        def labels() -> dict[str, str] | None:  # looked up once, if a selector needs them
            if not found:
                found.append(self._namespace_labels(ctx))
            return found[0]

        others = [rt for rt in REGISTRY if rt.storage_type is ctx.rt.storage_type
                  and rt is not ctx.rt]
        matched: list[Hook] = []
        for hook in hooks:
            if webhook_matches(hook.spec, ctx, labels):
                matched.append(hook)
                continue
            if hook.spec.get("matchPolicy", "Equivalent") != "Equivalent":
                continue
            # The same objects in another version (events.k8s.io/v1 Events are core/v1
            # Events): sent in the version the webhook asked for, as Kubernetes does.
            seen_as = next((rt for rt in others if webhook_matches(
                hook.spec, dataclasses.replace(ctx, rt=rt), labels)), None)
            if seen_as is not None:
                matched.append(dataclasses.replace(hook, seen_as=seen_as))
        return matched

    def _namespace_labels(self, ctx: WriteContext) -> dict[str, str] | None:
        namespaces = REGISTRY.require("", "v1", "namespaces")
        if ctx.rt is namespaces:
            return namespace_object_labels(ctx)
        if not ctx.rt.namespaced:
            return None
        ns = self.get(namespaces, "", ctx.namespace) or {}
        labels = (ns.get("metadata") or {}).get("labels")
        return labels if isinstance(labels, dict) else {}

    # -- the plugins -------------------------------------------------------------------------

    async def mutate(self, ctx: WriteContext) -> None:
        if ctx.operation not in ("CREATE", "UPDATE") or ctx.obj is None:
            return
        hooks = await self._matching(self.mutating_configs, ctx)
        changed_after: dict[str, bool] = {}
        for hook in hooks:
            if await self._mutate_once(hook, ctx):
                for name in changed_after:
                    changed_after[name] = True
            changed_after[hook.name] = False
        # Called again: IfNeeded webhooks that ran before a later webhook changed the object.
        for hook in hooks:
            if hook.spec.get("reinvocationPolicy") == "IfNeeded" and changed_after.get(hook.name):
                await self._mutate_once(hook, ctx)

    async def _mutate_once(self, hook: Hook, ctx: WriteContext) -> bool:
        """Call one mutating webhook; True if its patch changed the object."""
        response = await self._review(hook, ctx)
        if response is None:
            return False
        patch = response.get("patch")
        if not patch:
            return False
        if response.get("patchType") != "JSONPatch":
            raise self._failed(hook, f'unsupported patch type "{response.get("patchType")}"')
        assert ctx.obj is not None
        try:
            operations = jsonutil.loads(base64.b64decode(str(patch), validate=True))
        except (binascii.Error, ValueError) as exc:
            raise self._failed(hook, f"invalid patch: {exc}") from exc
        if ctx.subresource == "scale":  # the webhook saw, and patched, a Scale
            return _scale_patched(ctx.obj, apply_json_patch(to_scale(ctx.rt, ctx.obj), operations))
        patched = apply_json_patch(_convert(ctx.obj, ctx.rt, hook.seen_as), operations)
        if not isinstance(patched, dict):
            raise self._failed(hook, "the patch must leave an object")
        if hook.seen_as is not None:
            patched = _convert(patched, hook.seen_as, ctx.rt)
        if ctx.rt.schema is not None:
            result = decode(ctx.rt.schema, patched)  # unknown fields dropped, as Go decodes
            if result.type_errors:
                raise self._failed(hook, "; ".join(result.type_errors))
        if patched == ctx.obj:
            return False
        ctx.obj.clear()
        ctx.obj.update(patched)
        return True

    async def validate(self, ctx: WriteContext) -> None:
        if ctx.operation not in ("CREATE", "UPDATE", "DELETE", "CONNECT"):
            return
        hooks = await self._matching(self.validating_configs, ctx)
        if not hooks:
            return
        results = await asyncio.gather(*(self._review(h, ctx, validating=True) for h in hooks),
                                       return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    # -- one call ----------------------------------------------------------------------------

    async def _review(self, hook: Hook, ctx: WriteContext, *,
                      validating: bool = False) -> dict[str, Any] | None:
        """Call ``hook``; its response when it allows the request (None when skipped);
        raises the refusal or, under failurePolicy Fail, the failure."""
        if ctx.dry_run and hook.spec.get("sideEffects") not in NO_SIDE_EFFECTS:
            raise BadRequest(f'admission webhook "{hook.name}" does not support dry run')
        review = self._request(ctx, hook.seen_as or ctx.rt)
        uid = review["request"]["uid"]
        try:
            if not _conditions_hold(hook, review["request"]):
                return None
            answer = await client.call(dict(hook.spec), review, self.get, self.sessions)
            response = _check_answer(answer, uid)
        except (client.WebhookCallError, CelError) as exc:
            if hook.spec.get("failurePolicy") == "Ignore":
                log.warning("failed calling webhook %r (failurePolicy Ignore): %s",
                            hook.name, exc)
                return None
            raise self._failed(hook, str(exc)) from exc
        warnings = response.get("warnings")
        if isinstance(warnings, list):
            ctx.warnings.extend(str(w) for w in warnings)
        if not response.get("allowed"):
            raise _denied(hook.name, response.get("status"))
        if validating and response.get("patch"):
            raise self._failed(hook, "validating webhook may not return a patch")
        return response

    @staticmethod
    def _failed(hook: Hook, why: str) -> StatusError:
        return InternalError(f'Internal error occurred: failed calling webhook '
                             f'"{hook.name}": {why}')

    @staticmethod
    def _request(ctx: WriteContext, rt: ResourceType) -> dict[str, Any]:
        """The AdmissionReview of ``ctx``, its objects in ``rt``'s version."""
        user = REQUEST_USER.get()

        def gvk(t: ResourceType) -> dict[str, str]:
            return {"group": t.group, "version": t.version, "kind": t.kind}

        def gvr(t: ResourceType) -> dict[str, str]:
            return {"group": t.group, "version": t.version, "resource": t.plural}

        request: dict[str, Any] = {
            "uid": str(uuid.uuid4()), "kind": gvk(rt), "resource": gvr(rt),
            "requestKind": gvk(ctx.rt), "requestResource": gvr(ctx.rt),
            "name": ctx.name, "operation": ctx.operation,
            "userInfo": {"username": user.name, "groups": list(user.groups)},
            "object": _convert(ctx.obj, ctx.rt, rt), "oldObject": _convert(ctx.old, ctx.rt, rt),
            "dryRun": ctx.dry_run,
        }
        if ctx.operation in _OPTIONS_KIND:
            request["options"] = {"kind": _OPTIONS_KIND[ctx.operation],
                                  "apiVersion": "meta.k8s.io/v1"}
        else:  # CONNECT: the object is the request's options (PodExecOptions, ...)
            options_kind = {"group": "", "version": "v1", "kind": str(ctx.obj and
                                                                     ctx.obj.get("kind"))}
            request["kind"] = request["requestKind"] = options_kind
            request["object"], request["options"] = ctx.obj, None
        if ctx.subresource:
            request["subResource"] = request["requestSubResource"] = ctx.subresource
        if ctx.subresource == "scale":  # as Kubernetes: the Scale is what is admitted
            request["kind"] = request["requestKind"] = dict(SCALE_KIND)
            request["object"] = to_scale(rt, ctx.obj) if ctx.obj is not None else None
            request["oldObject"] = to_scale(rt, ctx.old) if ctx.old is not None else None
        if ctx.namespace and rt.namespaced:
            request["namespace"] = ctx.namespace
        return {"kind": "AdmissionReview", "apiVersion": REVIEW_VERSION, "request": request}


def _scale_patched(obj: dict[str, Any], scale: Any) -> bool:
    """Carry a patched Scale's replicas into the object; True if they changed."""
    replicas = (scale.get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
    spec = obj.setdefault("spec", {})
    if not isinstance(replicas, int) or isinstance(replicas, bool) or \
            spec.get("replicas") == replicas:
        return False
    spec["replicas"] = replicas
    return True


def _conditions_hold(hook: Hook, request: dict[str, Any]) -> bool:
    """Whether every matchCondition of ``hook`` is true for ``request`` (CelError when one
    cannot be evaluated: the failurePolicy decides)."""
    variables = {"object": request.get("object"), "oldObject": request.get("oldObject"),
                 "request": request}
    for condition in hook.spec.get("matchConditions") or []:
        try:
            if not evaluate_bool(str(condition.get("expression") or ""), variables):
                return False
        except CelError as exc:
            raise CelError(f"failed evaluating match conditions: {exc}") from exc
    return True


def _convert(obj: Any, have: ResourceType, want: ResourceType | None) -> Any:
    """``obj`` of ``have``'s version in ``want``'s (a copy; as it is when they are one)."""
    if obj is None or want is None or want is have:
        return obj
    stored = have.strategy.to_shared_storage(jsonutil.copy(obj))
    return want.strategy.from_shared_storage(stored)


def _check_answer(answer: dict[str, Any], uid: str) -> dict[str, Any]:
    if answer.get("apiVersion") != REVIEW_VERSION or answer.get("kind") != "AdmissionReview":
        raise client.WebhookCallError(
            f'received invalid webhook response: expected webhook response of '
            f'{REVIEW_VERSION}, Kind=AdmissionReview, got '
            f'{answer.get("apiVersion")}, Kind={answer.get("kind")}')
    response = answer.get("response")
    if not isinstance(response, dict):
        raise client.WebhookCallError("received invalid webhook response: response is nil")
    if response.get("uid") != uid:
        raise client.WebhookCallError(f'received invalid webhook response: expected '
                                      f'response.uid="{uid}", got "{response.get("uid")}"')
    return response


def _denied(name: str, status: Any) -> StatusError:
    """A refusal as Kubernetes' ToStatusErr makes it: code at least 400, the message
    prefixed with the webhook's name."""
    status = dict(status) if isinstance(status, dict) else {}
    code = status.get("code") if isinstance(status.get("code"), int) else 0
    code = max(int(code), 400)
    denied = f'admission webhook "{name}" denied the request'
    if status.get("message"):
        message = f"{denied}: {status['message']}"
    elif status.get("reason"):
        message = f"{denied}: {status['reason']}"
    else:
        message = f"{denied} without explanation"
    return from_status({"reason": status.get("reason") or "", "message": message,
                        "details": status.get("details") or {}}, code=code)
