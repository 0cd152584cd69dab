"""Helpers of the runtime tests: the run's label, config builders, waits, and cleanup by label.

Everything a test creates carries the node label of its runtime (one node name per test) and
``test.minikube-py.io/run=<run id>``, so :func:`clean` and :func:`sweep` find it by label even
after a failed test.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import subprocess
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from minikube_py.kubelet.runtime.base import (
    ContainerConfig,
    ContainerId,
    ContainerRuntime,
    ContainerState,
    EventStream,
    Resources,
    RuntimeEvent,
    SandboxConfig,
)
from minikube_py.kubelet.runtime.images import BUSYBOX_IMAGE

ROOT = Path(__file__).resolve().parents[3]
RUN_ID = secrets.token_hex(4)
TEST_LABEL = "test.minikube-py.io/run"
_nodes = itertools.count()


def run_or_fail(args: list[str], what: str) -> None:
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        pytest.fail(f"{what} failed: {(proc.stderr or proc.stdout).strip()}", pytrace=False)


def sweep() -> None:
    """Remove every container of this run, found by its label."""
    found = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label={TEST_LABEL}={RUN_ID}"],
        capture_output=True, text=True, check=False,
    ).stdout.split()
    if found:
        subprocess.run(["docker", "rm", "-f", *found], capture_output=True, check=False)


def new_node_name() -> str:
    return f"pytest-{RUN_ID}-{next(_nodes)}"


async def make_runtime(kind: str, node_name: str | None = None) -> ContainerRuntime:
    if kind == "docker":
        from minikube_py.kubelet.runtime.docker import DockerRuntime

        return DockerRuntime(node_name=node_name or new_node_name())
    from minikube_py.kubelet.runtime.sim import SimRuntime

    return SimRuntime(node_name=node_name or new_node_name())


async def clean(runtime: ContainerRuntime) -> None:
    """Remove all sandboxes and containers of the runtime's node (by its labels), then close."""
    try:
        for sandbox in await runtime.list_sandboxes():
            await runtime.remove_sandbox(sandbox.id)
        for container in await runtime.list_containers():
            await runtime.remove_container(container.id)
    finally:
        await runtime.close()


def sandbox_config(name: str = "web", *, attempt: int = 0, **kwargs: Any) -> SandboxConfig:
    labels = {TEST_LABEL: RUN_ID, **kwargs.pop("labels", {})}
    return SandboxConfig(
        pod_uid=kwargs.pop("pod_uid", str(uuid.uuid4())), namespace="default", name=name,
        hostname=name, attempt=attempt, labels=labels, **kwargs,
    )


def container_config(
    name: str, *, command: tuple[str, ...], sim: Mapping[str, Any] | None = None,
    attempt: int = 0, resources: Resources = Resources(), **kwargs: Any,
) -> ContainerConfig:
    labels = {TEST_LABEL: RUN_ID, **kwargs.pop("labels", {})}
    return ContainerConfig(
        name=name, image=kwargs.pop("image", BUSYBOX_IMAGE), command=command, sim=sim,
        attempt=attempt, resources=resources, labels=labels, **kwargs,
    )


async def wait_for_state(
    runtime: ContainerRuntime, container_id: ContainerId, state: ContainerState,
    *, within: float = 30.0,
) -> None:
    async with asyncio.timeout(within):
        while True:  # the engine's state, polled: there is no event for "created"
            if (await runtime.container_status(container_id)).state is state:
                return
            await asyncio.sleep(0.05)


async def next_event(
    stream: EventStream, match: Callable[[RuntimeEvent], bool], *, within: float = 30.0
) -> RuntimeEvent:
    async with asyncio.timeout(within):
        async for event in stream:
            if match(event):
                return event
    raise AssertionError("the event stream ended")


async def collect_logs(runtime: ContainerRuntime, container_id: ContainerId, **kw: Any) -> bytes:
    out = bytearray()
    async with asyncio.timeout(30):
        async for chunk in runtime.logs(container_id, **kw):
            out += chunk
    return bytes(out)
