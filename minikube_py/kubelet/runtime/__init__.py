"""Container runtimes of the kubelet: the protocol (:mod:`.base`), Docker and the simulation.

The daemon calls :func:`open_runtime` with the runtime its settings name (``--runtime``); an
engine that does not answer is an error that names the fix, never a silent switch to ``sim``.
"""

from __future__ import annotations

from .base import ContainerRuntime
from .errors import RuntimeUnavailable

RUNTIMES = ("docker", "sim")


async def open_runtime(kind: str, *, node_name: str, pause_image: str | None = None,
                       docker_host: str | None = None) -> ContainerRuntime:
    """The runtime ``kind`` for ``node_name``, checked to answer (RuntimeUnavailable if not)."""
    runtime: ContainerRuntime
    if kind == "sim":
        from .sim import SimRuntime

        runtime = SimRuntime(node_name=node_name)
    elif kind == "docker":
        from .docker import DockerRuntime
        from .images import PAUSE_IMAGE

        runtime = DockerRuntime(node_name=node_name, pause_image=pause_image or PAUSE_IMAGE,
                                docker_host=docker_host)
    else:
        raise ValueError(f"unknown runtime {kind!r}: choose one of {', '.join(RUNTIMES)}")
    try:
        await runtime.version()
    except RuntimeUnavailable:
        await runtime.close()
        raise
    return runtime
