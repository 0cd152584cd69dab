"""The daemon's life cycle in process: one daemon per data dir, clean stop, health checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from minikube_py.api.registry import REGISTRY
from minikube_py.api.wire import ApiRequest
from minikube_py.config import DaemonConfig
from minikube_py.daemon import Daemon, DaemonError, running_pid


async def test_one_daemon_per_data_dir(tmp_path: Path) -> None:
    """A second daemon on a data dir in use is refused; after a stop the dir is free again."""
    config = DaemonConfig(data_dir=tmp_path, port=0)
    first = Daemon(config)
    await first.start()
    try:
        assert running_pid(config) is not None
        second = Daemon(config)
        with pytest.raises(DaemonError, match="another minikube-py daemon"):
            await second.start()
        resp = await first.server.handle(ApiRequest("GET", "/readyz",  # type: ignore[union-attr]
                                                    query={"verbose": "1"}))
        assert resp.status == 200 and b"[+]store-writer ok" in (resp.raw or b"")
    finally:
        await first.stop()
    assert running_pid(config) is None
    again = Daemon(config)
    await again.start()
    await again.stop()


async def test_kubernetes_service_follows_the_api_port(tmp_path: Path) -> None:
    """The default/kubernetes Service targets the port the apiserver really listens on, also
    after a restart on another port."""
    services = REGISTRY.resolve("services")
    assert services is not None
    for _ in range(2):
        daemon = Daemon(DaemonConfig(data_dir=tmp_path, port=0))
        await daemon.start()
        try:
            assert daemon.client is not None
            svc = await daemon.client.get(services, "kubernetes", "default")
            assert svc["spec"]["ports"][0]["targetPort"] == daemon.port
            assert svc["spec"]["clusterIP"] == "10.96.0.1"

        finally:
            await daemon.stop()
