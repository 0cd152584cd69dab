"""DockerRuntime with real containers from minikube-py/busybox:local (all marked e2e).

These prove what only real processes can: pods share localhost and are reachable at their IP,
limits reach the kernel (an OOM kill), signals and grace periods, exec and log streams, and a
pull that cannot succeed here failing at once rather than hanging.
"""

from __future__ import annotations

import asyncio
import re

import aiodocker
import aiohttp
import pytest

from minikube_py.kubelet.runtime.base import (
    ContainerId,
    ContainerRuntime,
    ContainerState,
    EventKind,
    ImagePullError,
    OutputStream,
    PortMapping,
    Resources,
    SandboxState,
    exec_sync,
)
from minikube_py.kubelet.runtime.docker import DockerRuntime
from tests.kubelet.runtime.helpers import (
    collect_logs,
    container_config,
    next_event,
    sandbox_config,
    wait_for_state,
)

pytestmark = pytest.mark.e2e

FOREVER = ("sleep", "3600")
HTTPD = ("sh", "-c", "mkdir -p /www && echo hello-from-pod > /www/index.html && "
         "exec httpd -f -p 8080 -h /www")


async def started(runtime: ContainerRuntime, sandbox_id: str, name: str,
                  command: tuple[str, ...], **kwargs: object) -> ContainerId:
    cid = await runtime.create_container(
        sandbox_id,  # type: ignore[arg-type]
        container_config(name, command=command, **kwargs),  # type: ignore[arg-type]
    )
    await runtime.start_container(cid)
    return cid


async def wait_for_log(runtime: ContainerRuntime, cid: ContainerId, text: bytes) -> None:
    async with asyncio.timeout(30):
        while True:  # a log line is the only sign a shell has set its traps
            if text in await collect_logs(runtime, cid):
                return
            await asyncio.sleep(0.05)


async def http_get(url: str) -> str:
    """GET from a container we started (never any other address), retrying until it listens."""
    async with asyncio.timeout(30), aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as response:
                    return await response.text()
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)


async def test_pause_sandbox_stays_up_until_sigkill(docker_runtime: DockerRuntime) -> None:
    """The generated pause program keeps the sandbox running; SIGKILL ends it (137)."""
    sandbox = await docker_runtime.run_sandbox(sandbox_config())
    await asyncio.sleep(1)  # a program that exits at once would be gone by now
    assert (await docker_runtime.sandbox_status(sandbox.id)).state is SandboxState.READY
    async with aiodocker.Docker() as docker:
        container = docker.containers.container(sandbox.id)
        await container.kill(signal="SIGKILL")
        await container.wait()
        state = (await container.show())["State"]
    assert (state["Running"], state["ExitCode"]) == (False, 137)
    assert (await docker_runtime.sandbox_status(sandbox.id)).state is SandboxState.NOTREADY


async def test_pause_sandbox_exits_cleanly_on_sigterm(docker_runtime: DockerRuntime) -> None:
    """stop_sandbox's SIGTERM ends the pause program through its handler, with exit code 0."""
    sandbox = await docker_runtime.run_sandbox(sandbox_config())
    await docker_runtime.stop_sandbox(sandbox.id)
    async with aiodocker.Docker() as docker:
        state = (await docker.containers.container(sandbox.id).show())["State"]
    assert state["ExitCode"] == 0


async def test_containers_of_a_pod_share_localhost(docker_runtime: DockerRuntime) -> None:
    """wget from one container reaches httpd in another on 127.0.0.1; the host, on the pod IP."""
    sandbox = await docker_runtime.run_sandbox(sandbox_config())
    await started(docker_runtime, sandbox.id, "server", HTTPD)
    client = await started(docker_runtime, sandbox.id, "client", (
        "sh", "-c", "for i in $(seq 100); do wget -q -O - http://127.0.0.1:8080/ && exit 0; "
        "sleep 0.1; done; exit 1"))
    await wait_for_state(docker_runtime, client, ContainerState.EXITED)
    assert (await docker_runtime.container_status(client)).exit_code == 0
    assert b"hello-from-pod" in await collect_logs(docker_runtime, client)
    assert "hello-from-pod" in await http_get(f"http://{sandbox.ip}:8080/")


async def test_published_port_reaches_the_pod(docker_runtime: DockerRuntime) -> None:
    """A sandbox port mapping with host_port 0 is published on 127.0.0.1 at a picked port."""
    sandbox = await docker_runtime.run_sandbox(
        sandbox_config(ports=(PortMapping(container_port=8080),)))
    [published] = sandbox.published
    assert published.host_ip == "127.0.0.1" and published.host_port > 0
    await started(docker_runtime, sandbox.id, "server", HTTPD)
    assert "hello-from-pod" in await http_get(f"http://127.0.0.1:{published.host_port}/")


async def test_memory_hog_is_oom_killed(docker_runtime: DockerRuntime) -> None:
    """Over its memory limit a container is OOMKilled with exit code 137, after an oom event."""
    sandbox = await docker_runtime.run_sandbox(sandbox_config())
    async with docker_runtime.events() as events:
        hog = await started(docker_runtime, sandbox.id, "hog", ("tail", "/dev/zero"),
                            resources=Resources(memory_limit_bytes=16 * 2**20))
        oom = await next_event(events, lambda e: e.container_id == hog)
        assert oom.kind in (EventKind.STARTED, EventKind.OOM)
        died = await next_event(events, lambda e: e.container_id == hog
                                and e.kind is EventKind.DIED)
        assert died.exit_code == 137
    status = await docker_runtime.container_status(hog)
    assert (status.state, status.exit_code, status.reason) == (
        ContainerState.EXITED, 137, "OOMKilled")


async def test_limits_reach_docker(docker_runtime: DockerRuntime) -> None:
    """CPU and memory limits become NanoCpus, CpuShares, Memory and MemorySwap."""
    sandbox = await docker_runtime.run_sandbox(sandbox_config())
    cid = await started(docker_runtime, sandbox.id, "app", FOREVER, resources=Resources(
        cpu_limit_nanos=500_000_000, cpu_shares=256, memory_limit_bytes=64 * 2**20))
    async with aiodocker.Docker() as docker:
        host = (await docker.containers.container(cid).show())["HostConfig"]
    assert (host["NanoCpus"], host["CpuShares"]) == (500_000_000, 256)
    assert host["Memory"] == host["MemorySwap"] == 64 * 2**20
    assert host["NetworkMode"] == f"container:{sandbox.id}"


async def test_exec_separates_streams_and_reports_the_exit_code(
    docker_runtime: DockerRuntime,
) -> None:
    """exec returns stdout and stderr apart and the command's own exit code."""
    sandbox = await docker_runtime.run_sandbox(sandbox_config())
    cid = await started(docker_runtime, sandbox.id, "app", FOREVER)
    result = await exec_sync(docker_runtime, cid, ["sh", "-c", "echo out; echo err >&2; exit 4"],
                             timeout_seconds=30)
    assert (result.exit_code, result.stdout, result.stderr) == (4, b"out\n", b"err\n")


async def test_exec_with_stdin(docker_runtime: DockerRuntime) -> None:
    """Bytes written to an exec's stdin reach the command; closing stdin ends it."""
    sandbox = await docker_runtime.run_sandbox(sandbox_config())
    cid = await started(docker_runtime, sandbox.id, "app", FOREVER)
    session = await docker_runtime.exec(cid, ["cat"], stdin=True)
    try:
        await session.write(b"through stdin\n")
        await session.close_stdin()
        chunks = [chunk async for stream, chunk in session.output()
                  if stream is OutputStream.STDOUT]
        assert b"".join(chunks) == b"through stdin\n"
        assert await session.wait() == 0
    finally:
        await session.close()


async def test_logs_tail_and_timestamps(docker_runtime: DockerRuntime) -> None:
    """tail_lines keeps the last lines; timestamps prefixes each line with an RFC 3339 time."""
    sandbox = await docker_runtime.run_sandbox(sandbox_config())
    cid = await started(docker_runtime, sandbox.id, "job", ("sh", "-c", "seq 5"))
    await wait_for_state(docker_runtime, cid, ContainerState.EXITED)
    assert await collect_logs(docker_runtime, cid, tail_lines=2) == b"4\n5\n"
    stamped = (await collect_logs(docker_runtime, cid, timestamps=True)).splitlines()
    assert len(stamped) == 5 and all(line[4:5] == b"-" and b"Z " in line for line in stamped)


async def test_logs_follow_until_the_container_exits(docker_runtime: DockerRuntime) -> None:
    """follow streams lines as they are written and ends when the container exits."""
    sandbox = await docker_runtime.run_sandbox(sandbox_config())
    cid = await started(docker_runtime, sandbox.id, "job",
                        ("sh", "-c", "echo first; sleep 1; echo second"))
    assert await collect_logs(docker_runtime, cid, follow=True) == b"first\nsecond\n"


@pytest.mark.parametrize(("script", "grace", "exit_code", "log"), [
    pytest.param("trap 'echo term; exit 3' TERM", 30, 3, b"term", id="sigterm-handled-in-grace"),
    pytest.param("trap '' TERM", 1, 137, b"", id="sigterm-ignored-then-sigkill"),
])
async def test_stop_honours_the_grace_period(
    docker_runtime: DockerRuntime, script: str, grace: float, exit_code: int, log: bytes,
) -> None:
    """stop sends SIGTERM first; a process that ignores it is killed once the timeout passes."""
    sandbox = await docker_runtime.run_sandbox(sandbox_config())
    cid = await started(docker_runtime, sandbox.id, "app", (
        "sh", "-c", f"{script}; echo ready; while :; do sleep 0.1; done"))
    await wait_for_log(docker_runtime, cid, b"ready")
    await docker_runtime.stop_container(cid, grace)
    status = await docker_runtime.container_status(cid)
    assert status.exit_code == exit_code
    assert log in await collect_logs(docker_runtime, cid)


async def test_pull_that_cannot_succeed_fails_quickly(docker_runtime: DockerRuntime) -> None:
    """A pull from an unreachable registry raises ImagePullError naming the image."""
    # A registry on a closed loopback port: the engine fails at once and no traffic leaves.
    ref = "127.0.0.1:1/minikube-py/missing:v0"
    with pytest.raises(ImagePullError, match=re.escape(ref)):
        async with asyncio.timeout(60):
            await docker_runtime.pull_image(ref)


async def test_stats_count_cpu_and_memory(docker_runtime: DockerRuntime) -> None:
    """A busy container shows CPU time and a working set."""
    sandbox = await docker_runtime.run_sandbox(sandbox_config())
    cid = await started(docker_runtime, sandbox.id, "busy", (
        "sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 3600"))
    async with asyncio.timeout(30):
        while True:  # usage is sampled by the kernel: poll until the loop has used some
            stats = await docker_runtime.stats(cid)
            if stats.cpu_usage_nanoseconds > 0:
                break
            await asyncio.sleep(0.1)
    assert stats.memory_working_set_bytes > 0
