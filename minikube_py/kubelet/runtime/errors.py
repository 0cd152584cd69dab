"""Errors of the container runtime seam, the only ones a kubelet has to know.

Each runtime (:mod:`.docker`, :mod:`.sim`) translates what its engine raises (aiodocker and
aiohttp errors, for Docker) into these at its one boundary, chained with ``from``::

    ContainerRuntimeError          anything the runtime could not do
    ├── RuntimeUnavailable         no engine answers (not installed, not started, socket gone)
    ├── NotFound                   no such sandbox, container or exec session
    │   └── ImageNotPresent        the image is not in the node's image store
    ├── ImagePullError             a pull failed (no registry, no such image, timed out)
    ├── Conflict                   the name is taken, or the object is in the wrong state
    └── InvalidConfig              the engine rejected a sandbox or container config
"""

from __future__ import annotations

RUNTIME_FIX = "start Docker, or run with --runtime sim"


class ContainerRuntimeError(Exception):
    """The runtime could not do what was asked."""


class RuntimeUnavailable(ContainerRuntimeError):
    """No container engine answers; the message names the fix."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"container runtime unavailable ({detail}): {RUNTIME_FIX}")
        self.detail = detail


class NotFound(ContainerRuntimeError):
    """No sandbox, container or exec session with that id."""


class ImageNotPresent(NotFound):
    """The image is not in the node's image store (pull it first)."""


class ImagePullError(ContainerRuntimeError):
    """Pulling an image failed; the message says which image and why."""

    def __init__(self, ref: str, reason: str) -> None:
        super().__init__(f"failed to pull image {ref!r}: {reason}")
        self.ref = ref
        self.reason = reason


class Conflict(ContainerRuntimeError):
    """The name is already in use, or the object's state does not allow the operation."""


class InvalidConfig(ContainerRuntimeError):
    """The engine rejected the config it was given."""
