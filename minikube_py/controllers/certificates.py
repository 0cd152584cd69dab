"""The certificate controllers of kube-controller-manager: ``csrapproving`` and ``csrsigning``.

- :class:`CSRApprovingController` approves (``/approval``: Approved, reason ``AutoApproved``)
  a kubelet's client certificate request: signer
  ``kubernetes.io/kube-apiserver-client-kubelet``, subject ``CN=system:node:<name>,
  O=system:nodes``, usages within digital signature, key encipherment and client auth, asked
  by a bootstrap token (group ``system:bootstrappers``) or by that node itself (a renewal).
  Anything else waits for a person (``kubectl certificate approve``).
- :class:`CSRSigningController` issues approved requests of the two client signers
  (``kube-apiserver-client-kubelet``, ``kube-apiserver-client``) with the cluster CA (the
  files the apiserver trusts for client certificates): the request's subject and key, client
  auth usage, valid for ``expirationSeconds`` (at most the signing duration, a year), written
  to ``status.certificate`` through ``/status``.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.store import Lister
from minikube_py.controllers.base import Controller

log = logging.getLogger(__name__)
CSRS = REGISTRY.require("certificates.k8s.io", "v1", "certificatesigningrequests")
KUBELET_CLIENT = "kubernetes.io/kube-apiserver-client-kubelet"
CLIENT = "kubernetes.io/kube-apiserver-client"
SIGNED = (KUBELET_CLIENT, CLIENT)
KUBELET_USAGES = {"digital signature", "key encipherment", "client auth"}
BOOTSTRAPPERS = "system:bootstrappers"
NODE_PREFIX = "system:node:"
NODES_GROUP = "system:nodes"
SIGNING_DURATION = dt.timedelta(days=365)
Object = dict[str, Any]


def _conditions(csr: Object) -> dict[str, Object]:
    return {c.get("type", ""): c for c in (csr.get("status") or {}).get("conditions") or []}


def request_of(csr: Object) -> x509.CertificateSigningRequest | None:
    try:
        raw = base64.b64decode((csr.get("spec") or {}).get("request") or "")
        return x509.load_pem_x509_csr(raw)
    except ValueError:
        return None


def subject(request: x509.CertificateSigningRequest) -> tuple[str, list[str]]:
    """(common name, organizations): the user and groups a client certificate stands for."""
    cn = [a.value for a in request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    orgs = [a.value for a in request.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    return (str(cn[0]) if cn else ""), [str(o) for o in orgs]


def is_kubelet_client_request(csr: Object) -> str | None:
    """Why ``csr`` is not a kubelet's client certificate request to approve; None if it is."""
    spec = csr.get("spec") or {}
    if spec.get("signerName") != KUBELET_CLIENT:
        return "not the kubelet client signer"
    request = request_of(csr)
    if request is None:
        return "the request does not parse"
    cn, orgs = subject(request)
    if not cn.startswith(NODE_PREFIX) or orgs != [NODES_GROUP]:
        return f"subject CN={cn} O={orgs} is not a node's"
    if not set(spec.get("usages") or []) <= KUBELET_USAGES:
        return f"usages {spec.get('usages')} are more than a client's"
    username, groups = spec.get("username") or "", spec.get("groups") or []
    if BOOTSTRAPPERS not in groups and username != cn:
        return f"{username or 'nobody'} may not ask for {cn}'s certificate"
    return None


class CSRApprovingController(Controller):
    name = "csrapproving"

    def __init__(self, client: Client, informers: SharedInformerFactory) -> None:
        super().__init__(client, informers)
        self.csrs = Lister(self.watch(CSRS).indexer)

    async def reconcile(self, key: str) -> None:
        csr = self.csrs.get(key, None)
        if csr is None or set(_conditions(csr)) & {"Approved", "Denied"}:
            return
        why_not = is_kubelet_client_request(csr)
        if why_not is not None:
            log.debug("csrapproving: %s left for a person: %s", key, why_not)
            return
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        status = dict(csr.get("status") or {})
        status["conditions"] = [*(status.get("conditions") or []), {
            "type": "Approved", "status": "True", "reason": "AutoApproved",
            "message": "Auto approving kubelet client certificate after SubjectAccessReview.",
            "lastUpdateTime": now, "lastTransitionTime": now}]
        await self.client.update(CSRS, {**csr, "status": status}, subresource="approval")


@dataclass(frozen=True)
class ClusterSigning:
    """The CA the signer issues client certificates with (``ca.crt``/``ca.key``)."""

    cert_file: Path
    key_file: Path

    def load(self) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
        cert = x509.load_pem_x509_certificate(self.cert_file.read_bytes())
        key = serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)
        return cert, key  # type: ignore[return-value]


def issue(request: x509.CertificateSigningRequest, ca: x509.Certificate,
          ca_key: CertificateIssuerPrivateKeyTypes, seconds: int | None) -> bytes:
    """A client certificate for ``request``'s subject and key, signed by the CA (PEM)."""
    now = dt.datetime.now(dt.UTC)
    lifetime = min(dt.timedelta(seconds=seconds), SIGNING_DURATION) if seconds \
        else SIGNING_DURATION
    cert = (x509.CertificateBuilder()
            .subject_name(request.subject).issuer_name(ca.subject)
            .public_key(request.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + lifetime)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


class CSRSigningController(Controller):
    name = "csrsigning"

    def __init__(self, client: Client, informers: SharedInformerFactory,
                 signing: ClusterSigning) -> None:
        super().__init__(client, informers)
        self.signing = signing
        self._ca: tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes] | None = None
        self.csrs = Lister(self.watch(CSRS).indexer)

    async def reconcile(self, key: str) -> None:
        csr = self.csrs.get(key, None)
        if csr is None:
            return
        spec, status = csr.get("spec") or {}, csr.get("status") or {}
        conditions = _conditions(csr)
        if spec.get("signerName") not in SIGNED or status.get("certificate") or \
                "Approved" not in conditions or {"Denied", "Failed"} & set(conditions):
            return
        request = request_of(csr)
        if request is None or not request.is_signature_valid:
            await self._fail(csr, "the request is not a valid signed PEM certificate request")
            return
        if self._ca is None:
            self._ca = self.signing.load()  # read once: the CA lives as long as the cluster
        ca, ca_key = self._ca
        pem = issue(request, ca, ca_key, spec.get("expirationSeconds"))
        await self.client.update(CSRS, {**csr, "status": {
            **status, "certificate": base64.b64encode(pem).decode()}}, subresource="status")

    async def _fail(self, csr: Object, message: str) -> None:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        status = dict(csr.get("status") or {})
        status["conditions"] = [*(status.get("conditions") or []), {
            "type": "Failed", "status": "True", "reason": "SignerValidationFailure",
            "message": message, "lastUpdateTime": now, "lastTransitionTime": now}]
        await self.client.update(CSRS, {**csr, "status": status}, subresource="status")
