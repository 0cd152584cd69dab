"""Nothing acknowledged is lost: SIGKILL the daemon in the middle of a write load, start it
again on the same data dir, and find every write it acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

from minikube_py.api.errors import StatusError
from minikube_py.api.registry import REGISTRY
from minikube_py.client import kubeconfig
from minikube_py.client.base import Client
from minikube_py.client.http import HttpTransport
from tests.conftest import start_daemon

CONFIGMAPS = REGISTRY.resolve("configmaps")
WRITERS = 16


async def test_sigkill_during_writes_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    """Every create that returned 201 before a SIGKILL is present after restart."""
    assert CONFIGMAPS is not None
    daemon = start_daemon(tmp_path / "data")
    acknowledged: list[str] = []
    killed = asyncio.Event()
    enough = asyncio.Event()
    client = Client(HttpTransport(kubeconfig.load(daemon.kubeconfig)))

    async def writer(w: int) -> None:
        i = 0
        while not killed.is_set():
            name = f"w{w}-{i}"
            try:
                await client.create(CONFIGMAPS, {"metadata": {"name": name, "namespace":
                                                              "default"}, "data": {"i": str(i)}})
            except (StatusError, OSError):
                return
            acknowledged.append(name)
            if len(acknowledged) >= 300:
                enough.set()
            i += 1

    tasks = [asyncio.create_task(writer(w)) for w in range(WRITERS)]
    try:
        await asyncio.wait_for(enough.wait(), 60)
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.proc.wait(timeout=10)
        killed.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    finally:
        killed.set()
        await client.close()
        daemon.stop(signal.SIGKILL)
    restarted = start_daemon(tmp_path / "data")
    client = Client(HttpTransport(kubeconfig.load(restarted.kubeconfig)))
    try:
        listing = await client.list(CONFIGMAPS, "default")
        present = {i["metadata"]["name"] for i in listing["items"]}
        missing = [n for n in acknowledged if n not in present]
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
        revisions = sorted(int(i["metadata"]["resourceVersion"]) for i in listing["items"])
        assert len(set(revisions)) == len(revisions)
    finally:
        await client.close()
        with contextlib.suppress(Exception):
            restarted.stop()
