"""Who may approve, sign and ask for which certificates (apiserver/authorization/
certificates.py), in process on a real SQLite store with RBAC on and the bootstrap policy:
the approve and sign verbs on ``signers`` follow each request's signerName, and nobody may
ask the client signer for a ``system:masters`` certificate."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from minikube_py.api.errors import Forbidden, NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.api.wire import UserInfo
from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.local import LocalTransport
from minikube_py.daemon import bootstrap, bootstrap_policy
from minikube_py.store.sqlite import SqliteStorage as Store
from tests.helpers.certs import csr_b64

Object = dict[str, Any]
CSRS = REGISTRY.require("certificates.k8s.io", "v1", "certificatesigningrequests")
CLUSTER_ROLES = REGISTRY.require("rbac.authorization.k8s.io", "v1", "clusterroles")
BINDINGS = REGISTRY.require("rbac.authorization.k8s.io", "v1", "clusterrolebindings")
KUBELET = "kubernetes.io/kube-apiserver-client-kubelet"
CLIENT = "kubernetes.io/kube-apiserver-client"
JANE = UserInfo("jane", ("system:authenticated",))


@pytest.fixture
async def server(store: Store) -> AsyncIterator[ApiServer]:
    server = ApiServer(store)
    server.enable_authorization("RBAC")
    await server.start()
    admin = Client(LocalTransport(server.handle))
    await bootstrap(admin)
    await bootstrap_policy(admin)
    # jane may create, read and update requests, their approval and their status; which
    # signers she may approve or sign for is each test's.
    await admin.create(CLUSTER_ROLES, {"metadata": {"name": "csr-clerk"}, "rules": [
        {"verbs": ["create", "get", "list", "update"], "apiGroups": ["certificates.k8s.io"],
         "resources": ["certificatesigningrequests", "certificatesigningrequests/approval",
                       "certificatesigningrequests/status"]}]})
    await grant(admin, "csr-clerk")
    yield server
    await server.stop()


async def grant(admin: Client, role: str) -> None:
    await admin.create(BINDINGS, {
        "metadata": {"name": f"jane-{role.replace(':', '-')}"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": role},
        "subjects": [{"kind": "User", "name": "jane"}]})


async def signer_role(admin: Client, name: str, verb: str, signer: str) -> None:
    await admin.create(CLUSTER_ROLES, {"metadata": {"name": name}, "rules": [
        {"verbs": [verb], "apiGroups": ["certificates.k8s.io"], "resources": ["signers"],
         "resourceNames": [signer]}]})
    await grant(admin, name)


def csr(name: str, signer: str, cn: str = "system:node:n1",
        organization: str = "system:nodes") -> Object:
    return {"metadata": {"name": name},
            "spec": {"request": csr_b64(cn, organization), "signerName": signer,
                     "usages": ["digital signature", "client auth"]}}


def self_signed() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "system:node:n1")])
    now = dt.datetime.now(dt.UTC)
    cert = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(
        key.public_key()).serial_number(1).not_valid_before(now).not_valid_after(
        now + dt.timedelta(hours=1)).sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM)


def approved(obj: Object) -> Object:
    return {**obj, "status": {"conditions": [
        {"type": "Approved", "status": "True", "reason": "ByJane", "message": "ok"}]}}


async def test_approving_needs_approve_on_the_request_s_signer(server: ApiServer) -> None:
    """Approve on the kubelet signer approves kubelet requests only; the shipped approver
    role of the client signer, or ``kubernetes.io/*``, covers the other."""
    admin = Client(LocalTransport(server.handle))
    jane = Client(LocalTransport(server.handle, user=JANE))
    kubelet = await jane.create(CSRS, csr("kubelet", KUBELET))
    client = await jane.create(CSRS, csr("client", CLIENT, "jane", "devs"))
    with pytest.raises(Forbidden) as refused:
        await jane.update(CSRS, approved(kubelet), subresource="approval")
    assert refused.value.message == (
        'certificatesigningrequests.certificates.k8s.io "kubelet" is forbidden: user not '
        f'permitted to approve requests with signerName "{KUBELET}"')
    await grant(admin, "system:certificates.k8s.io:kube-apiserver-client-kubelet-approver")
    done = await jane.update(CSRS, approved(kubelet), subresource="approval")
    assert [c["type"] for c in done["status"]["conditions"]] == ["Approved"]
    with pytest.raises(Forbidden, match=f'signerName "{CLIENT}"'):
        await jane.update(CSRS, approved(client), subresource="approval")
    assert not (await jane.get(CSRS, "client")).get("status", {}).get("conditions")
    await signer_role(admin, "all-kubernetes-io", "approve", "kubernetes.io/*")
    await jane.update(CSRS, approved(client), subresource="approval")


async def test_issuing_needs_sign_on_the_signer(server: ApiServer) -> None:
    """A status write that sets the certificate needs sign; one that leaves it alone
    (a condition) does not."""
    admin = Client(LocalTransport(server.handle))
    jane = Client(LocalTransport(server.handle, user=JANE))
    obj = await jane.create(CSRS, csr("kubelet", KUBELET))
    cert = base64.b64encode(self_signed()).decode()
    issued = {**obj, "status": {"certificate": cert}}
    with pytest.raises(Forbidden, match="user not permitted to sign requests with "
                                        f'signerName "{KUBELET}"'):
        await jane.update(CSRS, issued, subresource="status")
    failed = {**obj, "status": {"conditions": [
        {"type": "Failed", "status": "True", "reason": "Broken", "message": "no"}]}}
    await jane.update(CSRS, failed, subresource="status")
    await signer_role(admin, "signs-kubelets", "sign", KUBELET)
    latest = await jane.get(CSRS, "kubelet")
    got = await jane.update(CSRS, {**latest, "status": {**latest["status"],
                                                        "certificate": cert}},
                            subresource="status")
    assert got["status"]["certificate"] == cert


@pytest.mark.parametrize("who", ["admin", "jane"])
async def test_nobody_asks_the_client_signer_for_system_masters(server: ApiServer,
                                                                who: str) -> None:
    """Refused at create even for a cluster admin, and nothing stored; the same subject
    for another signer is not this check's business."""
    user = None if who == "admin" else JANE
    asker = Client(LocalTransport(server.handle, user=user) if user else
                   LocalTransport(server.handle))
    with pytest.raises(Forbidden) as refused:
        await asker.create(CSRS, csr("root", CLIENT, "mallory", "system:masters"))
    assert refused.value.message == (
        'certificatesigningrequests.certificates.k8s.io "root" is forbidden: use of '
        f"{CLIENT} signer with system:masters group is not allowed")
    with pytest.raises(NotFound):
        await asker.get(CSRS, "root")
    await asker.create(CSRS, csr("other", "example.com/signer", "mallory", "system:masters"))
