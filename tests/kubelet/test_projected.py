"""The kubelet's projected and downwardAPI volumes, its token manager's cache and refresh,
and the Service variables through the bridge gateway."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from minikube_py.api.errors import NotFound
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.client.base import Client
from minikube_py.kubelet import volumes
from minikube_py.kubelet.envvars import PROXY_PORTS_ANNOTATION, service_env, via_gateway
from minikube_py.kubelet.tokens import TokenManager

POD: dict[str, Any] = {
    "metadata": {"name": "web", "namespace": "team", "uid": "pod-uid",
                 "labels": {"b": "2", "a": "1"}, "annotations": {"note": "hi"}},
    "spec": {"serviceAccountName": "robot", "containers": [
        {"name": "c", "image": "x", "resources": {"limits": {"memory": "64Mi"}}}]}}
OBJECTS = {
    ("configmaps", "team", "kube-root-ca.crt"): {"data": {"ca.crt": "CA"}},
    ("secrets", "team", "creds"): {"data": {"user": "YWRh", "pass": "c2VjcmV0"}},
}


async def lookup(plural: str, namespace: str, name: str) -> dict[str, Any] | None:
    return OBJECTS.get((plural, namespace, name))


async def token(pod: dict[str, Any], audience: str, seconds: int) -> str:
    return f"token-for-{pod['metadata']['name']}-{audience or 'api'}-{seconds}"


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def projected(*sources: dict[str, Any], mode: int | None = None) -> dict[str, Any]:
    volume: dict[str, Any] = {"name": "all", "projected": {"sources": list(sources)}}
    if mode is not None:
        volume["projected"]["defaultMode"] = mode
    return volume


async def test_projected_volume_files_and_modes(tmp_path: Path) -> None:
    """Every source lands in one directory: token, ConfigMap key, picked Secret keys (one
    with its own mode) and pod fields, with the volume's default mode otherwise."""
    pod = dict(POD, spec=dict(POD["spec"], volumes=[projected(
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
        {"serviceAccountToken": {"path": "vault-token", "audience": "vault"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt",
                                                              "path": "ca.crt"}]}},
        {"secret": {"name": "creds", "items": [{"key": "pass", "path": "db/pass",
                                                "mode": 0o400}]}},
        {"downwardAPI": {"items": [
            {"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}},
            {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
            {"path": "mem", "resourceFieldRef": {"containerName": "c",
                                                  "resource": "limits.memory",
                                                  "divisor": "1Mi"}}]}},
        mode=0o640)]))
    paths = await volumes.prepare(pod, tmp_path, lookup, token)
    root = Path(paths["all"])
    assert root == tmp_path / "volumes" / "projected" / "all"
    assert files_under(root) == ["ca.crt", "db/pass", "labels", "mem", "namespace", "token",
                                 "vault-token"]
    assert (root / "token").read_text() == "token-for-web-api-3607"
    assert (root / "vault-token").read_text() == "token-for-web-vault-3600"
    assert (root / "ca.crt").read_text() == "CA"
    assert (root / "db/pass").read_text() == "secret"
    assert (root / "labels").read_text() == 'a="1"\nb="2"'
    assert (root / "mem").read_text() == "64"
    assert stat.S_IMODE((root / "db/pass").stat().st_mode) == 0o400
    assert stat.S_IMODE((root / "token").stat().st_mode) == 0o640


@pytest.mark.parametrize(("source", "message"), [
    pytest.param({"configMap": {"name": "absent"}}, 'configmap "absent" not found',
                 id="missing-configmap"),
    pytest.param({"secret": {"name": "absent"}}, 'secret "absent" not found',
                 id="missing-secret"),
    pytest.param({"downwardAPI": {"items": [{"path": "x", "resourceFieldRef": {
        "containerName": "nope", "resource": "limits.cpu"}}]}}, 'container "nope" not found',
        id="missing-container"),
])
async def test_projection_failures_are_volume_errors(tmp_path: Path, source: dict[str, Any],
                                                     message: str) -> None:
    """A missing source fails the mount (the pod waits in ContainerCreating)."""
    pod = dict(POD, spec=dict(POD["spec"], volumes=[projected(source)]))
    with pytest.raises(volumes.VolumeError, match=message):
        await volumes.prepare(pod, tmp_path, lookup, token)


async def test_optional_missing_sources_are_skipped(tmp_path: Path) -> None:
    """``optional`` ConfigMap and Secret sources that are missing project nothing."""
    pod = dict(POD, spec=dict(POD["spec"], volumes=[projected(
        {"configMap": {"name": "absent", "optional": True}},
        {"secret": {"name": "absent", "optional": True}})]))
    paths = await volumes.prepare(pod, tmp_path, lookup, token)
    assert files_under(Path(paths["all"])) == []


async def test_downward_api_volume(tmp_path: Path) -> None:
    """A downwardAPI volume writes pod fields under ``volumes/downward-api/<name>``."""
    pod = dict(POD, spec=dict(POD["spec"], volumes=[{"name": "info", "downwardAPI": {
        "items": [{"path": "uid", "fieldRef": {"fieldPath": "metadata.uid"}},
                  {"path": "note", "fieldRef": {"fieldPath": "metadata.annotations['note']"}}]}}]))
    paths = await volumes.prepare(pod, tmp_path, lookup)
    root = Path(paths["info"])
    assert (root / "uid").read_text() == "pod-uid" and (root / "note").read_text() == "hi"


class TokenApi:
    """A transport answering TokenRequests, counting them."""

    def __init__(self) -> None:
        self.requests: list[ApiRequest] = []
        self.now = 1_800_000_000.0

    async def send(self, req: ApiRequest) -> ApiResponse:
        self.requests.append(req)
        body = json.loads(req.body or b"{}")
        seconds = body["spec"]["expirationSeconds"]
        expires = dt.datetime.fromtimestamp(self.now + seconds, dt.UTC)
        return ApiResponse(201, {"spec": body["spec"], "status": {
            "token": f"t{len(self.requests)}",
            "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}})

    async def close(self) -> None:
        return None


async def test_token_manager_caches_then_refreshes_at_80_percent() -> None:
    """One TokenRequest (bound to the pod) serves until 80% of the lifetime (less jitter)
    has passed; then a new one is asked for; a removed pod's tokens are forgotten."""
    api = TokenApi()
    manager = TokenManager(Client(api), now=lambda: api.now)
    assert await manager.token(POD, expiration_seconds=3600) == "t1"
    (req,) = api.requests
    assert req.path == "/api/v1/namespaces/team/serviceaccounts/robot/token"
    sent = json.loads(req.body or b"{}")["spec"]
    assert sent["boundObjectRef"] == {"apiVersion": "v1", "kind": "Pod", "name": "web",
                                      "uid": "pod-uid"}
    assert sent["audiences"] == []
    api_start = api.now
    api.now = api_start + 0.8 * 3600 - 11  # before 80% minus the largest jitter
    assert await manager.token(POD, expiration_seconds=3600) == "t1"
    assert await manager.token(POD, audience="vault", expiration_seconds=3600) == "t2"
    api.now = api_start + 0.8 * 3600 + 1
    assert await manager.token(POD, expiration_seconds=3600) == "t3"
    manager.forget("pod-uid")
    assert await manager.token(POD, audience="vault", expiration_seconds=3600) == "t4"


def test_service_variables_through_the_gateway() -> None:
    """Without service rules the variables name the gateway and the proxy's port per Service
    port; a Service the proxy has not published keeps its cluster IP."""
    kubernetes = {"metadata": {"name": "kubernetes", "annotations": {
        PROXY_PORTS_ANNOTATION: json.dumps({"https": 40123})}},
        "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443}]}}
    plain = {"metadata": {"name": "db"}, "spec": {"clusterIP": "10.96.0.20",
                                                   "ports": [{"port": 5432}]}}
    env = dict(service_env([via_gateway(s, "172.17.0.1") for s in (kubernetes, plain)]))
    assert env["KUBERNETES_SERVICE_HOST"] == "172.17.0.1"
    assert env["KUBERNETES_SERVICE_PORT"] == "40123"
    assert env["KUBERNETES_SERVICE_PORT_HTTPS"] == "40123"
    assert env["DB_SERVICE_HOST"] == "10.96.0.20" and env["DB_SERVICE_PORT"] == "5432"
    assert kubernetes["spec"]["clusterIP"] == "10.96.0.1"  # the cached object is not changed


async def test_failed_refresh_keeps_the_cached_token_until_it_expires() -> None:
    """A refresh the apiserver refuses (the account deleted) keeps serving the cached token
    while it is valid; once it has expired the error is the caller's."""
    api = TokenApi()
    manager = TokenManager(Client(api), now=lambda: api.now)
    assert await manager.token(POD, expiration_seconds=3600) == "t1"
    start = api.now

    async def refuse(req: ApiRequest) -> ApiResponse:
        return ApiResponse(404, NotFound('serviceaccounts "robot" not found').to_status())

    api.send = refuse  # type: ignore[method-assign]
    api.now = start + 3000
    assert await manager.token(POD, expiration_seconds=3600) == "t1"
    api.now = start + 3601
    with pytest.raises(NotFound):
        await manager.token(POD, expiration_seconds=3600)
