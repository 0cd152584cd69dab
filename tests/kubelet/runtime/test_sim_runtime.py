"""What only the simulated runtime does: scripted outcomes, pulls, usage, and scale."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from minikube_py.kubelet.runtime.base import (
    ContainerState,
    EventKind,
    ImagePullError,
    InvalidConfig,
    OutputStream,
    exec_sync,
)
from minikube_py.kubelet.runtime.sim import SimRuntime, SimScript
from tests.kubelet.runtime.helpers import (
    collect_logs,
    container_config,
    next_event,
    sandbox_config,
    wait_for_state,
)


@pytest.fixture
async def sim() -> AsyncIterator[SimRuntime]:
    runtime = SimRuntime(node_name="sim-node")
    yield runtime
    await runtime.close()


@pytest.mark.parametrize(("attempt", "code"), [
    pytest.param(0, 1, id="first-attempt"), pytest.param(1, 2, id="second-attempt"),
    pytest.param(7, 0, id="last-code-repeats"),
])
def test_exit_codes_per_attempt(attempt: int, code: int) -> None:
    """A list of exit codes gives one per restart attempt, the last one repeating."""
    script = SimScript.parse({"exitCode": [1, 2, 0]}, attempt=attempt)
    assert (script.exit_code, script.run_seconds) == (code, 0.0)


@pytest.mark.parametrize("raw", [
    pytest.param({"exitcode": 1}, id="misspelt-key"),
    pytest.param({"runSeconds": "soon"}, id="not-a-number"),
])
def test_bad_scripts_are_invalid_config(raw: dict[str, object]) -> None:
    """Typos and wrong types in a script are errors, not silently ignored."""
    with pytest.raises(InvalidConfig):
        SimScript.parse(raw, attempt=0)


def test_no_script_runs_until_stopped() -> None:
    """Without exitCode, oomKilled or runSeconds a container runs until it is stopped."""
    assert SimScript.parse(None, attempt=0).run_seconds is None


async def test_oom_killed_script(sim: SimRuntime) -> None:
    """oomKilled ends the container as OOMKilled (137) after an oom event."""
    sandbox = await sim.run_sandbox(sandbox_config())
    async with sim.events() as events:
        cid = await sim.create_container(
            sandbox.id, container_config("hog", command=(), sim={"oomKilled": True}))
        await sim.start_container(cid)
        kinds = [(await next_event(events, lambda e: e.container_id == cid)).kind
                 for _ in range(3)]
    assert kinds == [EventKind.STARTED, EventKind.OOM, EventKind.DIED]
    status = await sim.container_status(cid)
    assert (status.exit_code, status.reason) == (137, "OOMKilled")


@pytest.mark.parametrize(("term_seconds", "grace", "code"), [
    pytest.param(0.0, 5.0, 143, id="exits-on-sigterm"),
    pytest.param(0.05, 5.0, 143, id="exits-within-grace"),
    pytest.param(10.0, 0.05, 137, id="killed-after-grace"),
])
async def test_stop_with_grace(
    sim: SimRuntime, term_seconds: float, grace: float, code: int,
) -> None:
    """A stop ends with 143 when the process exits within the grace period, else 137."""
    sandbox = await sim.run_sandbox(sandbox_config())
    cid = await sim.create_container(
        sandbox.id, container_config("app", command=(), sim={"termSeconds": term_seconds}))
    await sim.start_container(cid)
    await sim.stop_container(cid, grace)
    assert (await sim.container_status(cid)).exit_code == code


async def test_pull_succeeds_unless_unpullable(sim: SimRuntime) -> None:
    """A pull adds the image; a reference saying "unpullable" fails with ImagePullError."""
    info = await sim.pull_image("example/app:v1")
    assert await sim.image_status("example/app:v1") == info
    with pytest.raises(ImagePullError, match="unpullable"):
        await sim.pull_image("example/unpullable:v1")


async def test_scripted_exec_and_stdin(sim: SimRuntime) -> None:
    """Scripted commands answer as scripted; cat copies what was written to stdin."""
    sandbox = await sim.run_sandbox(sandbox_config())
    script = {"exec": {"cat /tmp/healthy": {"exitCode": 1, "stderr": "no such file\n"}}}
    cid = await sim.create_container(sandbox.id, container_config("app", command=(), sim=script))
    await sim.start_container(cid)
    probe = await exec_sync(sim, cid, ["cat", "/tmp/healthy"], timeout_seconds=5)
    assert (probe.exit_code, probe.stderr) == (1, b"no such file\n")
    session = await sim.exec(cid, ["cat"], stdin=True)
    await session.write(b"abc")
    await session.close_stdin()
    assert [item async for item in session.output()] == [(OutputStream.STDOUT, b"abc")]


async def test_usage_grows_with_time(sim: SimRuntime) -> None:
    """Scripted usage: memory as given while running, CPU time accumulating."""
    sandbox = await sim.run_sandbox(sandbox_config())
    usage = {"usage": {"cpuMillicores": 1000, "memoryBytes": 123}}
    cid = await sim.create_container(sandbox.id, container_config("app", command=(), sim=usage))
    await sim.start_container(cid)
    first = await sim.stats(cid)
    await asyncio.sleep(0.01)
    second = await sim.stats(cid)
    assert second.cpu_usage_nanoseconds > first.cpu_usage_nanoseconds
    assert second.memory_working_set_bytes == 123


async def test_logs_follow_ends_when_the_container_exits(sim: SimRuntime) -> None:
    """A log follower gets the lines and returns once the container ended."""
    sandbox = await sim.run_sandbox(sandbox_config())
    script = {"logs": "one\ntwo\n", "runSeconds": 0.05}
    cid = await sim.create_container(sandbox.id, container_config("job", command=(), sim=script))
    follower = asyncio.create_task(collect_logs(sim, cid, follow=True))
    await sim.start_container(cid)
    assert await follower == b"one\ntwo\n"
    assert (await collect_logs(sim, cid, timestamps=True)).count(b"Z ") == 2


async def test_thousands_of_pods(sim: SimRuntime) -> None:
    """Two thousand pods start, each container finishes by itself, and all are removed."""
    sandboxes = [await sim.run_sandbox(sandbox_config(f"p{i}")) for i in range(2000)]
    ids = []
    for box in sandboxes:
        cid = await sim.create_container(
            box.id, container_config("app", command=(), sim={"runSeconds": 0.01}))
        await sim.start_container(cid)
        ids.append(cid)
    await wait_for_state(sim, ids[-1], ContainerState.EXITED)
    assert {c.reason for c in await sim.list_containers()} == {"Completed"}
    assert len({box.ip for box in sandboxes}) == 2000
    for box in sandboxes:
        await sim.remove_sandbox(box.id)
    assert await sim.list_containers() == [] and await sim.list_sandboxes() == []
