"""API errors, each one a ``metav1.Status`` waiting to be sent.

The tree::

    StatusError                      (code, reason) -> metav1.Status
    ├── BadRequest                   400 BadRequest
    ├── Unauthorized                 401 Unauthorized
    ├── Forbidden                    403 Forbidden
    ├── NotFound                     404 NotFound
    ├── MethodNotAllowed             405 MethodNotAllowed
    ├── NotAcceptable                406 NotAcceptable
    ├── AlreadyExists                409 AlreadyExists
    ├── Conflict                     409 Conflict
    ├── Gone                         410 Expired
    ├── RequestEntityTooLarge        413 RequestEntityTooLarge
    ├── UnsupportedMediaType         415 UnsupportedMediaType
    ├── Invalid                      422 Invalid (details.causes: one per field)
    ├── TooManyRequests              429 TooManyRequests
    ├── InternalError                500 InternalError
    ├── ServiceUnavailable           503 ServiceUnavailable
    └── Timeout                      504 Timeout

Lower layers raise their own few errors (the store's ``KeyExists``, ``Compacted``...); the
apiserver turns them into these at one place. Clients turn a received Status back into the same
class with :func:`from_status`, so code on both sides of the wire catches the same types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Cause:
    """One entry of ``details.causes``: what is wrong with which field."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"

    def to_dict(self) -> dict[str, str]:
        """As Kubernetes encodes a StatusCause: empty members are left out."""
        whole = {"reason": self.reason, "message": self.message, "field": self.field}
        return {k: v for k, v in whole.items() if v}


class StatusError(Exception):
    code: ClassVar[int] = 500
    reason: ClassVar[str] = "InternalError"

    def __init__(
        self,
        message: str,
        *,
        name: str | None = None,
        group: str | None = None,
        kind: str | None = None,
        causes: list[Cause] | None = None,
        retry_after: int | None = None,
        generic: bool = False,
    ) -> None:
        super().__init__(message)
        # Kubernetes' NewGenericServerResponse (an unknown path, a method a path does not
        # serve): its Status carries empty details, ``"details":{}``.
        self.generic_response = generic
        self.message = message
        self.metadata: dict[str, Any] = {}  # ListMeta of the Status (e.g. a fresh continue)
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes or []
        self.retry_after = retry_after

    def to_status(self) -> dict[str, Any]:
        details: dict[str, Any] = {}
        if self.name is not None:
            details["name"] = self.name
        if self.group:  # omitted when empty (the core group), as Kubernetes does
            details["group"] = self.group
        if self.kind is not None:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = [c.to_dict() for c in self.causes]
        if self.retry_after is not None:
            details["retryAfterSeconds"] = self.retry_after
        # The field order of Kubernetes' encoding: clients that compare bodies see the same.
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": dict(self.metadata),
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if details or self.generic_response:
            status["details"] = details
        status["code"] = self.code
        return status


def _kind_label(group: str | None, kind: str | None) -> str:
    """``pods`` or ``deployments.apps``: the resource as Kubernetes names it in messages."""
    if not kind:
        return ""
    return f"{kind}.{group}" if group else kind


class BadRequest(StatusError):
    code = 400
    reason = "BadRequest"


class Unauthorized(StatusError):
    code = 401
    reason = "Unauthorized"


class Forbidden(StatusError):
    code = 403
    reason = "Forbidden"


class NotFound(StatusError):
    code = 404
    reason = "NotFound"

    @classmethod
    def generic(cls) -> NotFound:
        """A path the server does not serve (no resource named)."""
        return cls("the server could not find the requested resource", generic=True)

    @classmethod
    def of(cls, group: str, resource: str, name: str) -> NotFound:
        return cls(f'{_kind_label(group, resource)} "{name}" not found',
                   name=name, group=group, kind=resource)


class MethodNotAllowed(StatusError):
    code = 405
    reason = "MethodNotAllowed"

    @classmethod
    def generic(cls) -> MethodNotAllowed:
        """A verb the path does not serve."""
        return cls("the server does not allow this method on the requested resource",
                   generic=True)


class NotAcceptable(StatusError):
    code = 406
    reason = "NotAcceptable"


class AlreadyExists(StatusError):
    code = 409
    reason = "AlreadyExists"

    @classmethod
    def of(cls, group: str, resource: str, name: str) -> AlreadyExists:
        return cls(f'{_kind_label(group, resource)} "{name}" already exists',
                   name=name, group=group, kind=resource)


class Conflict(StatusError):
    code = 409
    reason = "Conflict"

    @classmethod
    def of(cls, group: str, resource: str, name: str, why: str) -> Conflict:
        return cls(
            f'Operation cannot be fulfilled on {_kind_label(group, resource)} "{name}": {why}',
            name=name, group=group, kind=resource,
        )


class Gone(StatusError):
    code = 410
    reason = "Expired"


class RequestEntityTooLarge(StatusError):
    code = 413
    reason = "RequestEntityTooLarge"


class UnsupportedMediaType(StatusError):
    code = 415
    reason = "UnsupportedMediaType"


class Invalid(StatusError):
    code = 422
    reason = "Invalid"

    @classmethod
    def of(cls, group: str, kind: str, name: str, causes: list[Cause]) -> Invalid:
        """``Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be ...``"""
        label = f"{kind}.{group}" if group else kind
        parts = "; ".join(f"{c.field}: {c.message}" for c in causes)
        if len(causes) > 1:
            parts = "[" + ", ".join(f"{c.field}: {c.message}" for c in causes) + "]"
        return cls(f'{label} "{name}" is invalid: {parts}', name=name, group=group,
                   kind=kind, causes=causes)


class TooManyRequests(StatusError):
    code = 429
    reason = "TooManyRequests"


class InternalError(StatusError):
    code = 500
    reason = "InternalError"


class ServiceUnavailable(StatusError):
    code = 503
    reason = "ServiceUnavailable"


class Timeout(StatusError):
    code = 504
    reason = "Timeout"


_BY_REASON: dict[str, type[StatusError]] = {
    cls.reason: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, NotAcceptable,
                AlreadyExists, Conflict, Gone, RequestEntityTooLarge, UnsupportedMediaType,
                Invalid, TooManyRequests, InternalError, ServiceUnavailable, Timeout)
}
_BY_CODE: dict[int, type[StatusError]] = {}
for _cls in _BY_REASON.values():
    _BY_CODE.setdefault(_cls.code, _cls)


def from_status(status: dict[str, Any], *, code: int | None = None) -> StatusError:
    """Rebuild the error a server sent as a Status (the client side of :meth:`to_status`)."""
    reason = status.get("reason") or ""
    cls = _BY_REASON.get(reason) or _BY_CODE.get(code or status.get("code") or 500, InternalError)
    details = status.get("details") or {}
    causes = [Cause(field=c.get("field", ""), message=c.get("message", ""),
                    reason=c.get("reason", "")) for c in details.get("causes") or []]
    err = cls(status.get("message") or reason or "unknown error", name=details.get("name"),
              group=details.get("group"), kind=details.get("kind"), causes=causes)
    return err
