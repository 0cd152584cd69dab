"""The csrapproving and csrsigning controllers against an in-process apiserver: a kubelet's
request made with a bootstrap token is approved and issued by the cluster CA; what a body says
about its requester is replaced by who created it; other requests wait for a person, and a
denied one is never issued."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from minikube_py.api.errors import Invalid
from minikube_py.api.wire import ApiRequest, UserInfo
from minikube_py.apiserver.server import ApiServer
from minikube_py.apiserver.tls import ensure_ca
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.client.local import LocalTransport
from minikube_py.controllers.certificates import (
    CLIENT,
    CSRS,
    KUBELET_CLIENT,
    ClusterSigning,
    CSRApprovingController,
    CSRSigningController,
)
from tests.helpers.certs import csr_b64

BOOTSTRAP = UserInfo("system:bootstrap:abcdef",
                     ("system:bootstrappers", "system:authenticated"))
Object = dict[str, Any]


def as_user(apiserver: ApiServer, user: UserInfo) -> Client:
    async def handle(req: ApiRequest) -> Any:
        return await apiserver.handle(dataclasses.replace(req, user=user))
    return Client(LocalTransport(handle))


def csr(name: str, cn: str, signer: str = KUBELET_CLIENT, **spec: Any) -> Object:
    return {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
            "metadata": {"name": name},
            "spec": {"request": csr_b64(cn), "signerName": signer,
                     "usages": ["digital signature", "client auth"], **spec}}


@pytest.fixture
async def controllers(client: Client, tmp_path: Path) -> AsyncIterator[bytes]:
    ca_crt, ca_key = ensure_ca(tmp_path)
    informers = SharedInformerFactory(client)
    running = [CSRApprovingController(client, informers),
               CSRSigningController(client, informers, ClusterSigning(ca_crt, ca_key))]
    informers.start()
    for c in running:
        await c.start()
    yield ca_crt.read_bytes()
    for c in running:
        await c.stop()
    await informers.shutdown()


async def eventually(client: Client, name: str, check: Callable[[Object], bool]) -> Object:
    for _ in range(200):
        got = await client.get(CSRS, name)
        if check(got):
            return got
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name}: {got.get('status')}")


def certificate(obj: Object) -> x509.Certificate:
    return x509.load_pem_x509_certificate(base64.b64decode(obj["status"]["certificate"]))


async def test_a_bootstrapping_kubelet_is_approved_and_issued(
        apiserver: ApiServer, client: Client, controllers: bytes) -> None:
    kubelet = as_user(apiserver, BOOTSTRAP)
    created = await kubelet.create(CSRS, csr("node-a", "system:node:a",
                                             expirationSeconds=3600, groups=["forged"]))
    assert created["spec"]["username"] == BOOTSTRAP.name
    assert created["spec"]["groups"] == list(BOOTSTRAP.groups)  # not the body's
    done = await eventually(client, "node-a", lambda o: bool(
        (o.get("status") or {}).get("certificate")))
    assert [c["type"] for c in done["status"]["conditions"]] == ["Approved"]
    cert = certificate(done)
    ca = x509.load_pem_x509_certificate(controllers)
    cert.verify_directly_issued_by(ca)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "system:node:a"
    assert cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == \
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert dt.timedelta(minutes=60) <= lifetime <= dt.timedelta(minutes=66)


async def test_other_requests_wait_for_a_person_and_denied_ones_stay_unissued(
        apiserver: ApiServer, client: Client, controllers: bytes) -> None:
    # The admin asks for a node's certificate: not a bootstrap token, not that node.
    await client.create(CSRS, csr("admin-for-b", "system:node:b"))
    await client.create(CSRS, csr("user-x", "x", signer=CLIENT))
    await asyncio.sleep(0.3)
    for name in ("admin-for-b", "user-x"):
        assert not ((await client.get(CSRS, name)).get("status") or {}).get("conditions")
    pending = await client.get(CSRS, "user-x")
    pending["status"] = {"conditions": [{"type": "Approved", "status": "True",
                                          "reason": "KubectlApprove"}]}
    await client.update(CSRS, pending, subresource="approval")
    issued = await eventually(client, "user-x", lambda o: bool(
        (o.get("status") or {}).get("certificate")))
    assert certificate(issued).subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value \
        == "x"
    denied = await client.get(CSRS, "admin-for-b")
    denied["status"] = {"conditions": [{"type": "Denied", "status": "True"}]}
    await client.update(CSRS, denied, subresource="approval")
    await asyncio.sleep(0.3)
    assert "certificate" not in (await client.get(CSRS, "admin-for-b"))["status"]
    # Approval cannot be undone, and a /status write cannot approve.
    flip = await client.get(CSRS, "admin-for-b")
    flip["status"]["conditions"] = [{"type": "Approved", "status": "True"}]
    with pytest.raises(Invalid):
        await client.update(CSRS, flip, subresource="approval")
    via_status = await client.get(CSRS, "admin-for-b")
    via_status["status"]["conditions"] = []
    kept = await client.update(CSRS, via_status, subresource="status")
    assert [c["type"] for c in kept["status"]["conditions"]] == ["Denied"]


async def test_a_bad_request_is_refused_with_field_causes(client: Client) -> None:
    bad = csr("bad", "x", signer="nodomain", usages=["client auth", "client auth", "flying"])
    bad["spec"]["request"] = base64.b64encode(b"not a pem").decode()
    with pytest.raises(Invalid) as err:
        await client.create(CSRS, bad)
    fields = {c.field for c in err.value.causes}
    assert {"spec.request", "spec.signerName", "spec.usages[1]", "spec.usages[2]"} <= fields
