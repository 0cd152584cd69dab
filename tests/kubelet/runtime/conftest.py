"""Fixtures of the runtime tests: a runtime per test (sim, or Docker behind the e2e marker).

Docker tests need an engine and the local images: the session fixture ``docker_engine`` runs
``scripts/ensure_docker.sh`` (which installs and starts dockerd when root on Debian) and builds
the images. Each runtime fixture removes its node's objects when its test ends, and the session
removes whatever still carries the run's label (see :mod:`helpers`), failed tests' too.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from minikube_py.kubelet.runtime.base import ContainerRuntime
from tests.kubelet.runtime.helpers import clean, make_runtime, run_or_fail, sweep


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[None]:
    """A Docker engine answers and minikube-py/busybox:local and the pause image exist."""
    run_or_fail(["bash", "scripts/ensure_docker.sh"], "scripts/ensure_docker.sh")
    run_or_fail([sys.executable, "-m", "minikube_py.kubelet.runtime.images"], "building the images")
    yield
    sweep()


@pytest.fixture(params=[
    pytest.param("sim", id="sim"),
    pytest.param("docker", id="docker", marks=pytest.mark.e2e),
])
async def runtime(request: pytest.FixtureRequest) -> AsyncIterator[ContainerRuntime]:
    if request.param == "docker":
        request.getfixturevalue("docker_engine")
    rt = await make_runtime(request.param)
    yield rt
    await clean(rt)


@pytest.fixture
async def docker_runtime(docker_engine: None) -> AsyncIterator[ContainerRuntime]:
    rt = await make_runtime("docker")
    yield rt
    await clean(rt)


