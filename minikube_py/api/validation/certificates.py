"""Validation of CertificateSigningRequests, as pkg/apis/certificates/validation: the request
is a PEM CSR, the signer a qualified name with a path (``kubernetes.io/...``), usages known
and not repeated, at least 600 s asked for; conditions of one type each, Approved and
Denied exclusive and True, none removed; an issued certificate is PEM CERTIFICATE blocks and
stays once set."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography import x509

from minikube_py.api.errors import Cause
from minikube_py.api.validation import names
from minikube_py.api.validation.base import (
    duplicate,
    forbidden,
    immutable,
    invalid,
    not_supported,
    required,
)

USAGES = ["signing", "digital signature", "content commitment", "key encipherment",
          "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only",
          "decipher only", "any", "server auth", "client auth", "code signing",
          "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user",
          "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc"]
EXCLUSIVE = ("Approved", "Denied")
MIN_EXPIRATION = 600


def decoded(value: Any) -> bytes | None:
    """The bytes of a base64 field (JSON's form of protobuf bytes), None if not base64."""
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_request(value: Any) -> x509.CertificateSigningRequest | None:
    raw = decoded(value)
    if raw is None:
        return None
    try:
        return x509.load_pem_x509_csr(raw)
    except ValueError:
        return None


def validate_csr(obj: dict[str, Any]) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    if not spec.get("request"):
        causes.append(required("spec.request"))
    elif parse_request(spec["request"]) is None:
        causes.append(invalid("spec.request", "<value omitted>",
                              "PEM block type must be CERTIFICATE REQUEST"))
    signer = spec.get("signerName")
    if not signer:
        causes.append(required("spec.signerName"))
    else:
        causes += _signer_name(str(signer))
    usages = spec.get("usages") or []
    if not usages:
        causes.append(required("spec.usages"))
    seen: set[str] = set()
    for i, usage in enumerate(usages):
        if usage not in USAGES:
            causes.append(not_supported(f"spec.usages[{i}]", usage, USAGES))
        elif usage in seen:
            causes.append(duplicate(f"spec.usages[{i}]", usage))
        seen.add(str(usage))
    expiration = spec.get("expirationSeconds")
    if expiration is not None and (not isinstance(expiration, int) or
                                   expiration < MIN_EXPIRATION):
        causes.append(invalid("spec.expirationSeconds", expiration,
                              f"may not specify a duration less than {MIN_EXPIRATION} "
                              "seconds (10 minutes)"))
    causes += _status(obj.get("status") or {}, None)
    return causes


def _signer_name(signer: str) -> list[Cause]:
    path = "spec.signerName"
    if "/" not in signer:
        return [invalid(path, signer, "must be a fully qualified domain and path of the form "
                        "'example.com/signer-name'")]
    domain, _, rest = signer.partition("/")
    problems = names.is_qualified_name(f"{domain}/{rest.replace('/', '-')}"[:316]) if rest \
        else ["a path is required"]
    if problems:
        return [invalid(path, signer, "; ".join(problems))]
    return []


def _status(status: dict[str, Any], old: dict[str, Any] | None) -> list[Cause]:
    causes: list[Cause] = []
    types: set[str] = set()
    for i, condition in enumerate(status.get("conditions") or []):
        kind = condition.get("type") or ""
        where = f"status.conditions[{i}]"
        if not kind:
            causes.append(required(f"{where}.type"))
        elif kind in types:
            causes.append(duplicate(f"{where}.type", kind))
        types.add(kind)
        if kind in (*EXCLUSIVE, "Failed") and condition.get("status") != "True":
            causes.append(not_supported(f"{where}.status", condition.get("status"), ["True"]))
    if set(EXCLUSIVE) <= types:
        causes.append(invalid("status.conditions", "Approved",
                              "Approved and Denied conditions are mutually exclusive"))
    certificate = status.get("certificate")
    if certificate:
        raw = decoded(certificate)
        try:
            ok = raw is not None and bool(x509.load_pem_x509_certificates(raw))
        except ValueError:
            ok = False
        if not ok:
            causes.append(invalid("status.certificate", "<certificate data>",
                                  "must contain at least one CERTIFICATE PEM block"))
    if old is not None:
        before = {c.get("type") for c in old.get("conditions") or []}
        for kind in sorted(t for t in before - types if t in (*EXCLUSIVE, "Failed")):
            causes.append(forbidden("status.conditions", f"updates may not remove a "
                                    f"condition of type {kind!r}"))
        if old.get("certificate") and certificate != old.get("certificate"):
            causes.append(immutable("status.certificate", "<certificate data>"))
    return causes


def validate_csr_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    return _status(new.get("status") or {}, old.get("status") or {})
