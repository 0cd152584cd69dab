"""What only the HTTP front end adds, against a real daemon process: TLS with the cluster CA,
bearer tokens, public health endpoints, body limits, streaming watches, metrics."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.conftest import RunningDaemon


def _ctx(daemon: RunningDaemon) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(daemon.data_dir / "ca.crt"))


def request(daemon: RunningDaemon, method: str, path: str, body: bytes | None = None, *,
            token: str | None = "default", headers: dict[str, str] | None = None,
            ) -> tuple[int, Any]:
    req = urllib.request.Request(daemon.url + path, data=body, method=method)
    if token == "default":
        token = daemon.token
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    if body is not None and "Content-Type" not in (headers or {}):
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, context=_ctx(daemon), timeout=10) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as err:
        raw, status = err.read(), err.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode()


@pytest.mark.parametrize("token", [
    pytest.param(None, id="no-token"),
    pytest.param("wrong-token", id="wrong-token"),
])
def test_requests_without_valid_token_are_unauthorized(daemon: RunningDaemon,
                                                       token: str | None) -> None:
    """Without the bearer token the API answers 401 with an Unauthorized Status."""
    status, body = request(daemon, "GET", "/api/v1/namespaces", token=token)
    assert status == 401 and body["reason"] == "Unauthorized" and body["kind"] == "Status"


@pytest.mark.parametrize("path", ["/version", "/healthz", "/readyz", "/livez"])
def test_public_endpoints(daemon: RunningDaemon, path: str) -> None:
    """/version and the health endpoints answer without a token, as in Kubernetes."""
    status, body = request(daemon, "GET", path, token=None)
    assert status == 200
    if path == "/version":
        assert body["minor"] == "32" and body["gitVersion"].startswith("v1.32.")
    else:
        assert body == "ok"


def test_tls_is_verified_against_the_cluster_ca(daemon: RunningDaemon) -> None:
    """The serving certificate verifies with the CA from the data dir and names 127.0.0.1."""
    status, _ = request(daemon, "GET", "/version")
    assert status == 200
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(daemon.url + "/version", timeout=5,
                               context=ssl.create_default_context())


def test_body_over_3_mib_is_413(daemon: RunningDaemon) -> None:
    """A request body over 3 MiB is refused with 413 and nothing is stored."""
    big = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"},
           "data": {"k": "x" * (3 * 1024 * 1024 + 10)}}
    status, body = request(daemon, "POST", "/api/v1/namespaces/default/configmaps",
                           json.dumps(big).encode())
    assert status == 413 and body["reason"] == "RequestEntityTooLarge"
    status, _ = request(daemon, "GET", "/api/v1/namespaces/default/configmaps/big")
    assert status == 404


def test_unknown_path_is_404_status(daemon: RunningDaemon) -> None:
    """An unknown path answers a NotFound Status."""
    status, body = request(daemon, "GET", "/apis/nope/v1/things")
    assert status == 404 and body["reason"] == "NotFound"


def test_watch_streams_over_http(daemon: RunningDaemon) -> None:
    """A watch over HTTPS delivers each event as a JSON line as it happens."""
    status, listing = request(daemon, "GET", "/api/v1/namespaces/default/configmaps")
    rv = listing["metadata"]["resourceVersion"]
    req = urllib.request.Request(
        f"{daemon.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}"
        "&timeoutSeconds=10")
    req.add_header("Authorization", f"Bearer {daemon.token}")
    with urllib.request.urlopen(req, context=_ctx(daemon), timeout=10) as stream:
        request(daemon, "POST", "/api/v1/namespaces/default/configmaps", json.dumps(
            {"metadata": {"name": "streamed"}, "data": {"a": "b"}}).encode())
        event = json.loads(stream.readline())
    assert event["type"] == "ADDED" and event["object"]["metadata"]["name"] == "streamed"


def test_metrics(daemon: RunningDaemon) -> None:
    """/metrics answers Prometheus text with the store's revision."""
    status, body = request(daemon, "GET", "/metrics")
    assert status == 200 and "etcd_current_revision" in body
