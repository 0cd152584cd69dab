"""Local images, made without a registry: ``docker import`` of a root file system we build.

Two images matter to the cluster and its tests:

* the pause image (``minikube-py/pause:3.9`` by default), from :mod:`.pause`; the Docker
  runtime calls :func:`ensure_pause_image` before its first sandbox;
* ``minikube-py/busybox:local``, Debian's static busybox with a symlink per applet and
  ``CMD ["sh"]``, for tests and the demo manifests. Its tag is not ``latest`` on purpose:
  ``:latest`` means ``imagePullPolicy: Always`` in Kubernetes, and no pull can succeed here.

Both are idempotent: an image that is already present is left alone. ``scripts/build_images.sh``
runs ``python -m minikube_py.kubelet.runtime.images``; the daemon may call the functions too.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path

import aiodocker
from yarl import URL

from .base import split_ref
from .errors import ContainerRuntimeError, RuntimeUnavailable
from .pause import pause_rootfs

log = logging.getLogger(__name__)

PAUSE_IMAGE = "minikube-py/pause:3.9"
BUSYBOX_IMAGE = "minikube-py/busybox:local"
BUSYBOX_BINARY = Path("/bin/busybox")  # Debian's busybox-static
_PATH = "PATH=/bin:/sbin:/usr/bin:/usr/sbin"


async def image_present(docker: aiodocker.Docker, ref: str) -> bool:
    try:
        await docker.images.inspect(ref)
    except aiodocker.DockerError as exc:
        if exc.status == 404:
            return False
        raise _translate(exc, f"inspect image {ref}") from exc
    return True


async def import_rootfs(
    docker: aiodocker.Docker, *, rootfs: bytes, ref: str, changes: Sequence[str]
) -> str:
    """Import the tar ``rootfs`` as image ``ref`` (``docker import -c ...``); return its id."""
    repo, tag = split_ref(ref)
    query = [("fromSrc", "-"), ("repo", repo), ("tag", tag)] + [("changes", c) for c in changes]
    url = URL("images/create").with_query(query)
    headers = {"Content-Type": "application/x-tar"}
    try:
        async with docker._query(url, "POST", data=rootfs, headers=headers) as response:
            body = await response.read()
    except aiodocker.DockerError as exc:
        raise _translate(exc, f"import image {ref}") from exc
    for line in body.decode().splitlines():
        message = json.loads(line) if line.strip() else {}
        if "error" in message:
            raise ContainerRuntimeError(f"import image {ref}: {message['error']}")
    info = await docker.images.inspect(ref)
    log.info("imported image %s (%s)", ref, info["Id"])
    return str(info["Id"])


async def ensure_pause_image(docker: aiodocker.Docker, ref: str = PAUSE_IMAGE) -> bool:
    """Create the pause image ``ref`` unless present; True when it was created now."""
    if await image_present(docker, ref):
        return False
    changes = ['CMD ["/pause"]']
    await import_rootfs(docker, rootfs=pause_rootfs(), ref=ref, changes=changes)
    return True


def busybox_rootfs(binary: Path = BUSYBOX_BINARY) -> bytes:
    """A tar of ``/bin/busybox``, a symlink per applet, and the directories a shell expects."""
    if not binary.is_file():
        raise ContainerRuntimeError(
            f"{binary} is missing: install busybox-static (scripts/ensure_docker.sh does)"
        )
    applets = subprocess.run(
        [str(binary), "--list"], check=True, capture_output=True, text=True
    ).stdout.split()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, mode in (("bin", 0o755), ("etc", 0o755), ("root", 0o700), ("tmp", 0o1777),
                           ("proc", 0o555), ("sys", 0o555), ("dev", 0o755), ("var", 0o755)):
            _add_dir(tar, name, mode)
        tar.add(str(binary), arcname="bin/busybox", filter=_owned_by_root)
        for applet in applets:
            if applet != "busybox":
                _add_symlink(tar, f"bin/{applet}", "busybox")
        _add_file(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
                  b"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
        _add_file(tar, "etc/group", b"root:x:0:\nnogroup:x:65534:\n")
    return buf.getvalue()


async def ensure_busybox_image(docker: aiodocker.Docker, ref: str = BUSYBOX_IMAGE) -> bool:
    """Create the busybox image ``ref`` unless present; True when it was created now."""
    if await image_present(docker, ref):
        return False
    rootfs = await asyncio.to_thread(busybox_rootfs)
    await import_rootfs(docker, rootfs=rootfs, ref=ref, changes=['CMD ["sh"]', f"ENV {_PATH}"])
    return True


def _translate(exc: aiodocker.DockerError, what: str) -> ContainerRuntimeError:
    if exc.status == 900:  # aiodocker's "cannot connect"
        return RuntimeUnavailable(exc.message)
    return ContainerRuntimeError(f"{what}: {exc.message}")


def _owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def _add_dir(tar: tarfile.TarFile, name: str, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, mode
    tar.addfile(info)


def _add_symlink(tar: tarfile.TarFile, name: str, target: str) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = tarfile.SYMTYPE, target, 0o777
    tar.addfile(info)


def _add_file(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o644
    tar.addfile(info, io.BytesIO(data))


async def build_all(*, pause_ref: str = PAUSE_IMAGE, busybox_ref: str = BUSYBOX_IMAGE) -> None:
    """Make both local images (each only if missing), printing one line per image."""
    try:
        docker = aiodocker.Docker()
    except (aiodocker.DockerError, ValueError) as exc:
        raise RuntimeUnavailable(str(exc)) from exc
    async with docker:
        for ref, ensure in ((pause_ref, ensure_pause_image), (busybox_ref, ensure_busybox_image)):
            made = await ensure(docker, ref)
            print(f"{ref}: {'built' if made else 'present'}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build minikube-py's local images.")
    parser.add_argument("--pause-image", default=PAUSE_IMAGE)
    parser.add_argument("--busybox-image", default=BUSYBOX_IMAGE)
    args = parser.parse_args(argv)
    try:
        asyncio.run(build_all(pause_ref=args.pause_image, busybox_ref=args.busybox_image))
    except ContainerRuntimeError as exc:
        print(f"build_images: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
