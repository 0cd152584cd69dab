"""The Docker runtime's translations to and from Engine API JSON, its event pump's resume, and
a missing engine. None of these needs Docker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from minikube_py.kubelet.runtime import docker as docker_module
from minikube_py.kubelet.runtime import docker_specs as specs
from minikube_py.kubelet.runtime import open_runtime
from minikube_py.kubelet.runtime.base import (
    LABEL_ATTEMPT,
    LABEL_CONTAINER_NAME,
    LABEL_SANDBOX_ID,
    ContainerConfig,
    ContainerState,
    DnsConfig,
    EventKind,
    Mount,
    PortMapping,
    Resources,
    SandboxConfig,
    SandboxId,
)
from minikube_py.kubelet.runtime.errors import RuntimeUnavailable


def inspect(state: dict[str, Any], labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"Id": "c1", "Name": "/mkpy_app", "Image": "sha256:abc",
            "Created": "2026-01-02T03:04:05Z", "State": state,
            "Config": {"Image": "busybox:local", "Labels": labels or {}}}


def test_container_spec_joins_the_sandbox_and_carries_limits() -> None:
    """Limits, mounts, env and the shared namespaces land where Docker reads them."""
    config = ContainerConfig(
        name="app", image="busybox:local", command=("sh",), args=("-c", "true"),
        env=(("A", "1"),), working_dir="/w", mounts=(Mount("/h", "/c", read_only=True),),
        resources=Resources(cpu_limit_nanos=250_000_000, cpu_shares=1,
                            memory_limit_bytes=1 << 20),
    )
    spec = specs.container_spec(SandboxId("sb"), config, labels={"k": "v"})
    host = spec["HostConfig"]
    assert (host["NetworkMode"], host["IpcMode"]) == ("container:sb", "container:sb")
    assert host["Binds"] == ["/h:/c:ro"]
    assert (host["Memory"], host["MemorySwap"], host["NanoCpus"]) == (1 << 20, 1 << 20, 250_000_000)
    assert host["CpuShares"] == 2  # the kernel's minimum
    assert (spec["Entrypoint"], spec["Cmd"], spec["Env"]) == (["sh"], ["-c", "true"], ["A=1"])
    assert (spec["WorkingDir"], spec["Labels"]) == ("/w", {"k": "v"})


def test_container_spec_without_command_keeps_the_image_defaults() -> None:
    """No command and no args: neither Entrypoint nor Cmd is sent, so the image's apply."""
    spec = specs.container_spec(SandboxId("sb"), ContainerConfig(name="a", image="i"), labels={})
    assert "Entrypoint" not in spec and "Cmd" not in spec and "Memory" not in spec["HostConfig"]


def test_sandbox_spec_publishes_ports_and_sets_dns() -> None:
    """Port mappings become ExposedPorts and PortBindings (empty host port: Docker picks)."""
    config = SandboxConfig(pod_uid="u", namespace="n", name="p", hostname="h",
                           dns=DnsConfig(servers=("10.0.0.10",), searches=("n.svc",)),
                           ports=(PortMapping(8080), PortMapping(53, "UDP", "0.0.0.0", 5353)))
    spec = specs.sandbox_spec(config, image="pause", labels={})
    assert spec["Hostname"] == "h" and spec["ExposedPorts"] == {"8080/tcp": {}, "53/udp": {}}
    assert spec["HostConfig"]["PortBindings"] == {
        "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
        "53/udp": [{"HostIp": "0.0.0.0", "HostPort": "5353"}],
    }
    assert spec["HostConfig"]["Dns"] == ["10.0.0.10"]


@pytest.mark.parametrize(("state", "expected"), [
    pytest.param({"Status": "created", "StartedAt": "0001-01-01T00:00:00Z"},
                 (ContainerState.CREATED, None, ""), id="created"),
    pytest.param({"Status": "running", "StartedAt": "2026-01-02T03:04:06.123456789Z"},
                 (ContainerState.RUNNING, None, ""), id="running"),
    pytest.param({"Status": "exited", "ExitCode": 0}, (ContainerState.EXITED, 0, "Completed"),
                 id="exit-0-completed"),
    pytest.param({"Status": "exited", "ExitCode": 2}, (ContainerState.EXITED, 2, "Error"),
                 id="exit-2-error"),
    pytest.param({"Status": "exited", "ExitCode": 137, "OOMKilled": True},
                 (ContainerState.EXITED, 137, "OOMKilled"), id="oom-killed"),
    pytest.param({"Status": "removing"}, (ContainerState.UNKNOWN, None, ""), id="unknown"),
])
def test_container_status_from_inspect(
    state: dict[str, Any], expected: tuple[ContainerState, int | None, str],
) -> None:
    """Docker's states, exit codes and OOM flag map to the runtime's state and reason."""
    labels = {LABEL_CONTAINER_NAME: "app", LABEL_ATTEMPT: "4", LABEL_SANDBOX_ID: "sb"}
    status = specs.container_status(inspect(state, labels))
    assert (status.state, status.exit_code, status.reason) == expected
    assert (status.name, status.attempt, status.sandbox_id) == ("app", 4, "sb")


def test_times_keep_microseconds_and_drop_the_zero_time() -> None:
    """Nanosecond RFC 3339 times parse to aware datetimes; Docker's zero time is None."""
    assert specs.parse_time("2026-01-02T03:04:06.123456789Z") == datetime(
        2026, 1, 2, 3, 4, 6, 123456, tzinfo=UTC)
    assert specs.parse_time("2026-01-02T03:04:06+02:00") == datetime(
        2026, 1, 2, 1, 4, 6, tzinfo=UTC)
    assert specs.parse_time("0001-01-01T00:00:00Z") is None


def test_event_from_a_die_message() -> None:
    """A die message becomes DIED with its exit code and only the labels as attributes."""
    message = {"Type": "container", "Action": "die", "timeNano": 1_700_000_000_500_000_000,
               "Actor": {"ID": "c1", "Attributes": {"exitCode": "3", "image": "i", "name": "n",
                                                    LABEL_CONTAINER_NAME: "app"}}}
    event = specs.runtime_event(message)
    assert event is not None
    assert (event.container_id, event.kind, event.exit_code) == ("c1", EventKind.DIED, 3)
    assert event.labels == {LABEL_CONTAINER_NAME: "app"}
    assert specs.runtime_event({**message, "Action": "attach"}) is None


def test_stats_working_set_excludes_inactive_file_cache() -> None:
    """Working set is usage minus inactive file pages (cgroup v1 and v2 names)."""
    raw = {"read": "2026-01-02T03:04:05Z", "cpu_stats": {"cpu_usage": {"total_usage": 42}},
           "memory_stats": {"usage": 1000, "stats": {"total_inactive_file": 300}}}
    stats = specs.container_stats("c1", raw)  # type: ignore[arg-type]
    assert (stats.cpu_usage_nanoseconds, stats.memory_working_set_bytes) == (42, 700)
    raw["memory_stats"] = {"usage": 1000, "stats": {"inactive_file": 100}}
    assert specs.container_stats("c1", raw).memory_working_set_bytes == 900  # type: ignore[arg-type]


@pytest.mark.parametrize(("grace", "seconds"), [
    pytest.param(0, 0, id="zero"), pytest.param(0.2, 1, id="fraction-rounds-up"),
    pytest.param(30, 30, id="whole"), pytest.param(-1, 0, id="negative-is-zero"),
])
def test_stop_timeout_in_whole_seconds(grace: float, seconds: int) -> None:
    """Docker's stop timeout is whole seconds; a grace period is never shortened."""
    assert specs.stop_seconds(grace) == seconds


async def test_missing_engine_is_runtime_unavailable_naming_the_fix(tmp_path: Any) -> None:
    """With no engine behind the socket, opening the Docker runtime says how to fix it."""
    with pytest.raises(RuntimeUnavailable, match="start Docker, or run with --runtime sim"):
        await open_runtime("docker", node_name="n", docker_host=f"unix://{tmp_path}/none.sock")


class _BrokenAfter:
    """A fake /events response: the given messages, then the connection breaks."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.content = self._lines(messages)

    @staticmethod
    async def _lines(messages: list[dict[str, Any]]) -> AsyncIterator[bytes]:
        for message in messages:
            yield json.dumps(message).encode() + b"\n"
        raise aiohttp.ClientPayloadError("connection reset")


async def test_event_pump_resumes_after_the_last_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """When /events breaks, the pump reconnects with since = the last event's time + 1 ns."""
    nanos = time.time_ns() + 10**9  # after the subscription, as any real event is
    message = {"Type": "container", "Action": "start", "timeNano": nanos,
               "Actor": {"ID": "c1", "Attributes": {}}}
    sinces: list[str] = []
    reconnected = asyncio.Event()

    @contextlib.asynccontextmanager
    async def fake_streaming(docker: Any, path: str, params: Any) -> AsyncIterator[Any]:
        sinces.append(params["since"])
        if len(sinces) == 2:
            reconnected.set()
        yield _BrokenAfter([message] if len(sinces) == 1 else [])

    monkeypatch.setattr(docker_module, "_streaming", fake_streaming)
    monkeypatch.setattr(docker_module, "_EVENTS_RETRY_FIRST", 0.001)
    runtime = docker_module.DockerRuntime(node_name="n", docker_host="unix:///nonexistent.sock")
    try:
        async with runtime.events() as events:
            event = await anext(events)
            async with asyncio.timeout(10):
                await reconnected.wait()
    finally:
        await runtime.close()
    assert (event.container_id, event.kind) == ("c1", EventKind.STARTED)
    assert sinces[1] == f"{(nanos + 1) // 10**9}.{(nanos + 1) % 10**9:09d}"
