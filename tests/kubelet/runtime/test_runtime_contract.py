"""The ContainerRuntime contract, held to both runtimes: sim, and Docker (marked e2e).

Every container here is scripted twice: a busybox command for Docker and a ``sim`` script for
the simulation, meaning the same thing.
"""

from __future__ import annotations

import ipaddress

import pytest

from minikube_py.kubelet.runtime.base import (
    KIND_CONTAINER,
    KIND_SANDBOX,
    LABEL_ATTEMPT,
    LABEL_CONTAINER_NAME,
    LABEL_KIND,
    LABEL_MANAGED,
    LABEL_NODE,
    LABEL_POD_NAME,
    LABEL_POD_NAMESPACE,
    LABEL_POD_UID,
    LABEL_SANDBOX_ID,
    Conflict,
    ContainerConfig,
    ContainerRuntime,
    ContainerState,
    EventKind,
    ImageNotPresent,
    InvalidConfig,
    NotFound,
    SandboxState,
    exec_sync,
)
from minikube_py.kubelet.runtime.images import BUSYBOX_IMAGE
from tests.kubelet.runtime.helpers import (
    RUN_ID,
    TEST_LABEL,
    clean,
    collect_logs,
    container_config,
    make_runtime,
    next_event,
    sandbox_config,
    wait_for_state,
)

FOREVER = ("sleep", "3600")


def exits_with(name: str, code: int, *, attempt: int = 0) -> ContainerConfig:
    """A container that ends by itself with ``code``, in Docker and in the simulation."""
    return container_config(name, command=("sh", "-c", f"exit {code}"),
                            sim={"exitCode": code}, attempt=attempt)


async def test_version_names_the_engine(runtime: ContainerRuntime) -> None:
    """version() answers "<runtime>://<version>" for the node's status."""
    assert (await runtime.version()).startswith(f"{runtime.name}://")


async def test_image_status_of_present_and_missing_images(runtime: ContainerRuntime) -> None:
    """A local image is reported with its tag and size; a missing one is None."""
    info = await runtime.image_status(BUSYBOX_IMAGE)
    assert info is not None and BUSYBOX_IMAGE in info.tags and info.size > 0
    assert await runtime.image_status("minikube-py/absent:v0") is None
    assert info.id in {i.id for i in await runtime.list_images()}


async def test_sandbox_is_ready_with_an_ip_and_the_pod_labels(runtime: ContainerRuntime) -> None:
    """A new sandbox is ready, has an IPv4 pod IP, and carries every label of the contract."""
    config = sandbox_config("web", attempt=2)
    status = await runtime.run_sandbox(config)
    assert status.state is SandboxState.READY
    assert ipaddress.ip_address(status.ip or "").version == 4
    assert (status.pod_uid, status.namespace, status.name, status.attempt) == (
        config.pod_uid, "default", "web", 2)
    assert status.labels[LABEL_MANAGED] == "true"
    assert status.labels[LABEL_NODE] == runtime.node_name
    assert status.labels[LABEL_KIND] == KIND_SANDBOX
    assert status.labels[LABEL_POD_UID] == config.pod_uid
    assert status.labels[LABEL_POD_NAMESPACE] == "default"
    assert status.labels[LABEL_POD_NAME] == "web"
    assert status.labels[LABEL_ATTEMPT] == "2"
    assert status.labels[TEST_LABEL] == RUN_ID
    assert await runtime.sandbox_status(status.id) == status


async def test_stop_and_remove_sandbox_are_idempotent(runtime: ContainerRuntime) -> None:
    """A stopped sandbox is not ready and has no IP; removed, it is NotFound; repeats are fine."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    await runtime.stop_sandbox(sandbox.id)
    stopped = await runtime.sandbox_status(sandbox.id)
    assert stopped.state is SandboxState.NOTREADY and stopped.ip is None
    await runtime.stop_sandbox(sandbox.id)
    await runtime.remove_sandbox(sandbox.id)
    with pytest.raises(NotFound):
        await runtime.sandbox_status(sandbox.id)
    await runtime.remove_sandbox(sandbox.id)
    await runtime.stop_sandbox(sandbox.id)


async def test_same_pod_attempt_twice_is_a_conflict(runtime: ContainerRuntime) -> None:
    """Two sandboxes for one pod uid and attempt are refused; the next attempt is fine."""
    first = await runtime.run_sandbox(sandbox_config())
    with pytest.raises(Conflict):
        await runtime.run_sandbox(sandbox_config(pod_uid=first.pod_uid))
    await runtime.run_sandbox(sandbox_config(pod_uid=first.pod_uid, attempt=1))


async def test_list_sandboxes_by_label(runtime: ContainerRuntime) -> None:
    """list_sandboxes filters by labels, the caller's and the runtime's alike."""
    a = await runtime.run_sandbox(sandbox_config("a", labels={"app": "x"}))
    b = await runtime.run_sandbox(sandbox_config("b", labels={"app": "y"}))
    assert {s.id for s in await runtime.list_sandboxes()} == {a.id, b.id}
    assert [s.id for s in await runtime.list_sandboxes({"app": "y"})] == [b.id]
    assert [s.id for s in await runtime.list_sandboxes({LABEL_POD_NAME: "a"})] == [a.id]
    assert await runtime.list_sandboxes({"app": "z"}) == []


async def test_container_lifecycle(runtime: ContainerRuntime) -> None:
    """create -> created; start -> running; stop(0) -> exited 137 (killed); remove -> NotFound."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    cid = await runtime.create_container(sandbox.id, container_config("app", command=FOREVER))
    created = await runtime.container_status(cid)
    assert created.state is ContainerState.CREATED and created.started_at is None
    assert (created.name, created.sandbox_id, created.image) == ("app", sandbox.id, BUSYBOX_IMAGE)
    assert created.image_id.startswith("sha256:")
    await runtime.start_container(cid)
    running = await runtime.container_status(cid)
    assert running.state is ContainerState.RUNNING and running.started_at is not None
    await runtime.stop_container(cid, 0)
    exited = await runtime.container_status(cid)
    assert exited.state is ContainerState.EXITED
    assert (exited.exit_code, exited.reason) == (137, "Error")
    assert exited.finished_at is not None and exited.finished_at >= running.started_at
    await runtime.stop_container(cid, 0)
    await runtime.remove_container(cid)
    with pytest.raises(NotFound):
        await runtime.container_status(cid)
    await runtime.remove_container(cid)


async def test_container_labels(runtime: ContainerRuntime) -> None:
    """A container carries the pod's labels, its own name, sandbox, attempt and the caller's."""
    config = sandbox_config("web")
    sandbox = await runtime.run_sandbox(config)
    cid = await runtime.create_container(
        sandbox.id, container_config("app", command=FOREVER, attempt=3, labels={"tier": "1"}))
    status = await runtime.container_status(cid)
    assert status.pod_uid == config.pod_uid and status.attempt == 3
    assert status.labels[LABEL_KIND] == KIND_CONTAINER
    assert status.labels[LABEL_CONTAINER_NAME] == "app"
    assert status.labels[LABEL_SANDBOX_ID] == sandbox.id
    assert status.labels[LABEL_POD_NAME] == "web"
    assert status.labels[LABEL_NODE] == runtime.node_name
    assert status.labels[LABEL_ATTEMPT] == "3"
    assert status.labels["tier"] == "1"


@pytest.mark.parametrize(("code", "reason"), [
    pytest.param(0, "Completed", id="exit-0-is-completed"),
    pytest.param(3, "Error", id="exit-3-is-error"),
])
async def test_exit_code_and_reason(runtime: ContainerRuntime, code: int, reason: str) -> None:
    """A container that ends by itself reports its exit code and the Kubernetes reason."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    cid = await runtime.create_container(sandbox.id, exits_with("job", code))
    await runtime.start_container(cid)
    await wait_for_state(runtime, cid, ContainerState.EXITED)
    status = await runtime.container_status(cid)
    assert (status.exit_code, status.reason) == (code, reason)


async def test_start_twice_is_a_conflict(runtime: ContainerRuntime) -> None:
    """A container starts once; a restart is a new container with the next attempt."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    cid = await runtime.create_container(sandbox.id, exits_with("job", 0))
    await runtime.start_container(cid)
    await wait_for_state(runtime, cid, ContainerState.EXITED)
    with pytest.raises(Conflict):
        await runtime.start_container(cid)


async def test_create_needs_the_image_and_the_sandbox(runtime: ContainerRuntime) -> None:
    """A missing image is ImageNotPresent; a missing sandbox is NotFound."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    with pytest.raises(ImageNotPresent):
        await runtime.create_container(
            sandbox.id, container_config("app", command=FOREVER, image="minikube-py/absent:v0"))
    with pytest.raises(NotFound):
        await runtime.create_container(
            "0" * 64,  # type: ignore[arg-type]
            container_config("app", command=FOREVER))


async def test_reserved_label_prefix_is_refused(runtime: ContainerRuntime) -> None:
    """Callers cannot set (or forge) the runtime's own labels."""
    with pytest.raises(InvalidConfig):
        await runtime.run_sandbox(sandbox_config(labels={LABEL_NODE: "elsewhere"}))


async def test_restart_attempts_are_separate_containers(runtime: ContainerRuntime) -> None:
    """Attempts 0 and 1 of one container coexist; the same attempt twice is a conflict."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    first = await runtime.create_container(
        sandbox.id, exits_with("app", 1, attempt=0))
    await runtime.start_container(first)
    await wait_for_state(runtime, first, ContainerState.EXITED)
    second = await runtime.create_container(
        sandbox.id, exits_with("app", 1, attempt=1))
    with pytest.raises(Conflict):
        await runtime.create_container(
            sandbox.id, exits_with("app", 1, attempt=1))
    listed = await runtime.list_containers({LABEL_CONTAINER_NAME: "app"})
    assert {(c.id, c.attempt) for c in listed} == {(first, 0), (second, 1)}


async def test_list_containers_by_pod(runtime: ContainerRuntime) -> None:
    """list_containers by pod uid returns that pod's containers only."""
    a = await runtime.run_sandbox(sandbox_config("a"))
    b = await runtime.run_sandbox(sandbox_config("b"))
    in_a = await runtime.create_container(a.id, container_config("app", command=FOREVER))
    in_b = await runtime.create_container(b.id, container_config("app", command=FOREVER))
    assert [c.id for c in await runtime.list_containers({LABEL_POD_UID: a.pod_uid})] == [in_a]
    assert {c.id for c in await runtime.list_containers()} == {in_a, in_b}
    assert await runtime.list_containers({LABEL_POD_UID: "nobody"}) == []


async def test_relist_names_every_container_with_pod_and_state(
        runtime: ContainerRuntime) -> None:
    """relist() is (id, pod uid, state) of each container, as the full list reports them."""
    a = await runtime.run_sandbox(sandbox_config("a"))
    started = await runtime.create_container(a.id, container_config("app", command=FOREVER))
    created = await runtime.create_container(a.id, container_config("side", command=FOREVER))
    await runtime.start_container(started)
    assert sorted(await runtime.relist()) == sorted([
        (started, a.pod_uid, ContainerState.RUNNING),
        (created, a.pod_uid, ContainerState.CREATED)])


async def test_stop_sandbox_kills_its_containers(runtime: ContainerRuntime) -> None:
    """Stopping a sandbox ends the containers running in it."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    cid = await runtime.create_container(sandbox.id, container_config("app", command=FOREVER))
    await runtime.start_container(cid)
    await runtime.stop_sandbox(sandbox.id)
    assert (await runtime.container_status(cid)).state is ContainerState.EXITED


async def test_remove_sandbox_removes_its_containers(runtime: ContainerRuntime) -> None:
    """Removing a sandbox removes its containers too, running or not."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    running = await runtime.create_container(sandbox.id, container_config("a", command=FOREVER))
    await runtime.start_container(running)
    created = await runtime.create_container(sandbox.id, container_config("b", command=FOREVER))
    await runtime.remove_sandbox(sandbox.id)
    for cid in (running, created):
        with pytest.raises(NotFound):
            await runtime.container_status(cid)


async def test_events_of_a_container(runtime: ContainerRuntime) -> None:
    """Subscribers see started, died (with the exit code) and destroyed, with the labels."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    async with runtime.events() as events:
        cid = await runtime.create_container(sandbox.id, exits_with("job", 3))
        await runtime.start_container(cid)
        started = await next_event(events, lambda e: e.container_id == cid)
        assert started.kind is EventKind.STARTED and started.pod_uid == sandbox.pod_uid
        assert started.labels[LABEL_CONTAINER_NAME] == "job" and not started.is_sandbox
        died = await next_event(events, lambda e: e.container_id == cid)
        assert (died.kind, died.exit_code) == (EventKind.DIED, 3)
        await runtime.remove_container(cid)
        destroyed = await next_event(events, lambda e: e.container_id == cid)
        assert destroyed.kind is EventKind.DESTROYED


async def test_events_of_a_sandbox(runtime: ContainerRuntime) -> None:
    """A sandbox's start and end are events too, marked as the sandbox's."""
    async with runtime.events() as events:
        sandbox = await runtime.run_sandbox(sandbox_config())
        started = await next_event(events, lambda e: e.container_id == sandbox.id)
        assert started.kind is EventKind.STARTED and started.is_sandbox
        await runtime.stop_sandbox(sandbox.id)
        died = await next_event(events, lambda e: e.container_id == sandbox.id)
        assert died.kind is EventKind.DIED


async def test_logs_hold_stdout_and_stderr(runtime: ContainerRuntime) -> None:
    """logs() returns what the container wrote to stdout and stderr."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    config = container_config("job", command=("sh", "-c", "echo out; echo err >&2"),
                              sim={"logs": "out\nerr\n", "exitCode": 0})
    cid = await runtime.create_container(sandbox.id, config)
    await runtime.start_container(cid)
    await wait_for_state(runtime, cid, ContainerState.EXITED)
    assert sorted((await collect_logs(runtime, cid)).splitlines()) == [b"err", b"out"]
    assert await collect_logs(runtime, cid, tail_lines=0) == b""


async def test_exec_echo(runtime: ContainerRuntime) -> None:
    """exec of echo in a running container returns its output and exit code 0."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    cid = await runtime.create_container(sandbox.id, container_config("app", command=FOREVER))
    await runtime.start_container(cid)
    result = await exec_sync(runtime, cid, ["echo", "hello"], timeout_seconds=30)
    assert (result.exit_code, result.stdout, result.stderr) == (0, b"hello\n", b"")


async def test_exec_in_a_stopped_container_is_a_conflict(runtime: ContainerRuntime) -> None:
    """exec needs a running container."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    cid = await runtime.create_container(sandbox.id, container_config("app", command=FOREVER))
    with pytest.raises(Conflict):
        await runtime.exec(cid, ["true"])


async def test_stats_of_a_running_container(runtime: ContainerRuntime) -> None:
    """stats() reports cumulative CPU nanoseconds and a working set, both non-negative."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    config = container_config("app", command=FOREVER,
                              sim={"usage": {"cpuMillicores": 5, "memoryBytes": 4096}})
    cid = await runtime.create_container(sandbox.id, config)
    await runtime.start_container(cid)
    stats = await runtime.stats(cid)
    assert stats.container_id == cid
    assert stats.cpu_usage_nanoseconds >= 0 and stats.memory_working_set_bytes > 0


async def test_other_nodes_objects_are_invisible(runtime: ContainerRuntime) -> None:
    """A runtime sees only its node's objects, even on an engine it shares."""
    sandbox = await runtime.run_sandbox(sandbox_config())
    other = await make_runtime(runtime.name)
    try:
        assert await other.list_sandboxes() == []
        with pytest.raises(NotFound):
            await other.sandbox_status(sandbox.id)
    finally:
        await clean(other)
