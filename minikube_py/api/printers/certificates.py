"""Table columns of CertificateSigningRequests, as kubectl get csr shows them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.printers.base import AGE, Column, age_of, name_of, simple


def condition(obj: Mapping[str, Any]) -> str:
    """``Approved,Issued``, ``Denied``, ``Pending``... as Kubernetes' printer words it."""
    status = obj.get("status") or {}
    kinds = [c.get("type") for c in status.get("conditions") or [] if c.get("type")]
    if not kinds:
        kinds = ["Pending"]
    if status.get("certificate"):
        kinds.append("Issued")
    return ",".join(str(k) for k in kinds)


def _duration(obj: Mapping[str, Any]) -> str:
    seconds = (obj.get("spec") or {}).get("expirationSeconds")
    if not isinstance(seconds, int):
        return "<none>"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


CERTIFICATE_SIGNING_REQUEST = simple((
    AGE,
    Column("SignerName", description="The signer asked to issue the certificate."),
    Column("Requestor", description="Who asked for the certificate."),
    Column("RequestedDuration", description="The validity asked for."),
    Column("Condition", description="Approved, Denied, Failed, Issued or Pending."),
), lambda obj, now: [name_of(obj), age_of(obj, now), (obj.get("spec") or {}).get("signerName")
                     or "", (obj.get("spec") or {}).get("username") or "", _duration(obj),
                     condition(obj)])
