"""CertificateSigningRequest (certificates.k8s.io/v1): a request for an x509 certificate that
is approved (``/approval``: Approved or Denied conditions) and then issued by a signer
(``/status``: the certificate, or Failed). Kubelets that join get their client certificate
this way (controllers/certificates.py approves and signs).

The spec is immutable (an update keeps the stored one, as Kubernetes' strategy does); a
``/status`` write cannot change the approval, an ``/approval`` write only the Approved and
Denied conditions. Cluster-scoped; field selector ``spec.signerName``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.machinery.fieldselectors import get_path, selectable, text
from minikube_py.api.printers import certificates as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import certificates as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import certificates as validation
from minikube_py.api.wire import UserInfo
from minikube_py.util import jsonutil

APPROVAL_TYPES = ("Approved", "Denied")


def _fields(csr: Mapping[str, Any]) -> dict[str, str]:
    return {"spec.signerName": text(get_path(csr, "spec.signerName"))}


def _split(conditions: list[Any]) -> tuple[list[Any], list[Any]]:
    approval = [c for c in conditions if c.get("type") in APPROVAL_TYPES]
    return approval, [c for c in conditions if c.get("type") not in APPROVAL_TYPES]


class CertificateSigningRequestStrategy(Strategy):
    fields = selectable("spec.signerName", namespaced=False, extract=_fields)
    printer = printers.CERTIFICATE_SIGNING_REQUEST

    def prepare_for_create_by(self, obj: dict[str, Any], user: UserInfo | None) -> None:
        """The requester is who created it, never what the body says (the approver trusts
        these fields): Kubernetes' PrepareForCreate sets them from the request's user."""
        spec = obj.setdefault("spec", {})
        for field in ("username", "uid", "groups", "extra"):
            spec.pop(field, None)
        if user is not None:
            spec["username"] = user.name
            if user.groups:
                spec["groups"] = list(user.groups)

    def prepare_for_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        new["spec"] = jsonutil.copy(old.get("spec") or {})

    def prepare_for_status_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        """The signer's write: not the approval, which stays as stored."""
        kept, _ = _split((old.get("status") or {}).get("conditions") or [])
        status = new.setdefault("status", {})
        _, others = _split(status.get("conditions") or [])
        if kept or others:
            status["conditions"] = kept + others
        else:
            status.pop("conditions", None)

    def prepare_for_approval(self, new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
        """An ``/approval`` write: the Approved/Denied conditions from ``new``, all else as
        stored."""
        result: dict[str, Any] = jsonutil.copy(old)
        approval, _ = _split((new.get("status") or {}).get("conditions") or [])
        status = result.setdefault("status", {})
        _, others = _split(status.get("conditions") or [])
        if approval or others:
            status["conditions"] = approval + others
        return result

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_csr(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_csr_update(new, old)


RESOURCE = ResourceType("certificates.k8s.io", "v1", "CertificateSigningRequest",
                        "certificatesigningrequests", False, schemas.CERTIFICATE_SIGNING_REQUEST,
                        short_names=("csr",), subresources=("status", "approval"),
                        strategy=CertificateSigningRequestStrategy())
