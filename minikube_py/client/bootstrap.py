"""TLS bootstrap, the joining side (kubeadm join's discovery + the kubelet's bootstrap):

1. Read the ``kube-public/cluster-info`` ConfigMap without trusting the server yet (anyone
   may read it); take the cluster CA from its kubeconfig and check it against the
   ``--ca-cert-hash`` given out of band (``sha256:`` of the CA's DER SubjectPublicKeyInfo,
   as kubeadm computes it), so a server in the middle cannot swap it.
2. With that CA trusted and the bootstrap token as bearer, ask for the node's client
   certificate: a CertificateSigningRequest for ``CN=system:node:<name>, O=system:nodes``
   (signer ``kubernetes.io/kube-apiserver-client-kubelet``), a key made here that never leaves
   the machine; wait until the csrsigning controller has issued it.
3. The result is a kubeconfig with that certificate: the kubelet's identity from then on.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ssl
import time
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from minikube_py.api.errors import StatusError
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.http import HttpTransport
from minikube_py.client.kubeconfig import KubeConfig

CLUSTER_INFO = "/api/v1/namespaces/kube-public/configmaps/cluster-info"
KUBELET_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet"
CSRS = REGISTRY.require("certificates.k8s.io", "v1", "certificatesigningrequests")


class BootstrapError(Exception):
    """Joining cannot go on; the message says why in one line."""


def ca_cert_hash(ca_pem: bytes) -> str:
    """``sha256:<hex>`` of the CA certificate's public key (kubeadm's --discovery-token-ca-
    cert-hash)."""
    cert = x509.load_pem_x509_certificate(ca_pem)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(spki).hexdigest()


def cluster_info(server: str, ca_pem: bytes) -> dict[str, Any]:
    """The ``cluster-info`` ConfigMap the daemon publishes: a kubeconfig without a user."""
    kubeconfig = {"apiVersion": "v1", "kind": "Config", "clusters": [{"name": "", "cluster": {
        "server": server, "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "contexts": [], "users": [], "preferences": {}}
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cluster-info", "namespace": "kube-public"},
            "data": {"kubeconfig": yaml.safe_dump(kubeconfig, sort_keys=False)}}


async def discover(server: str, expected_hash: str) -> bytes:
    """The cluster CA, read from cluster-info and checked against ``expected_hash``."""
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE  # not trusted yet: the hash check is the trust
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=insecure),
                                         timeout=aiohttp.ClientTimeout(total=30)) as session:
            async with session.get(server.rstrip("/") + CLUSTER_INFO) as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise BootstrapError(f"cannot read cluster-info from {server}: HTTP "
                                         f"{resp.status}")
    except aiohttp.ClientError as exc:
        raise BootstrapError(f"cannot reach {server}: {exc}") from None
    try:
        config = yaml.safe_load(yaml.safe_load(body)["data"]["kubeconfig"])
        ca_pem = base64.b64decode(config["clusters"][0]["cluster"]
                                  ["certificate-authority-data"])
        actual = ca_cert_hash(ca_pem)
    except (KeyError, IndexError, TypeError, ValueError, yaml.YAMLError):
        raise BootstrapError(f"the cluster-info of {server} holds no usable CA") from None
    if actual != expected_hash.lower():
        raise BootstrapError(f"the cluster CA of {server} has hash {actual}, not "
                             f"{expected_hash}: refusing to trust it")
    return ca_pem


@dataclass(frozen=True)
class Credentials:
    cert_pem: bytes
    key_pem: bytes


async def request_client_certificate(server: str, ca_pem: bytes, token: str, node_name: str,
                                     *, wait_seconds: float = 60.0) -> Credentials:
    """Ask for ``system:node:<node_name>``'s client certificate with the bootstrap token."""
    key = ec.generate_private_key(ec.SECP256R1())
    request = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:nodes"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"system:node:{node_name}"),
    ])).sign(key, hashes.SHA256())
    name = f"node-csr-{uuid.uuid4().hex[:12]}"
    client = Client(HttpTransport(KubeConfig(server=server, ca_pem=ca_pem, token=token)))
    try:
        await client.create(CSRS, {
            "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
            "metadata": {"name": name},
            "spec": {"request": base64.b64encode(request.public_bytes(
                serialization.Encoding.PEM)).decode(), "signerName": KUBELET_SIGNER,
                "usages": ["digital signature", "client auth"]}})
        deadline = time.monotonic() + wait_seconds
        while True:
            csr = await client.get(CSRS, name)
            status = csr.get("status") or {}
            kinds = {c.get("type") for c in status.get("conditions") or []}
            if status.get("certificate"):
                break
            if kinds & {"Denied", "Failed"}:
                raise BootstrapError(f"the cluster refused the node's certificate request "
                                     f"{name}: {sorted(kinds & {'Denied', 'Failed'})}")
            if time.monotonic() > deadline:
                raise BootstrapError(f"certificate request {name} was not issued in "
                                     f"{wait_seconds:.0f} s (is the controller manager running?)")
            await asyncio.sleep(0.2)
    except StatusError as exc:
        raise BootstrapError(f"the cluster refused the bootstrap token: {exc.message}") \
            from None
    finally:
        await client.close()
    return Credentials(base64.b64decode(status["certificate"]), key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
