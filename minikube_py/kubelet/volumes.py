"""Pod volumes on the node: directories under ``<root>/pods/<uid>/volumes/<plugin>/<name>``.

emptyDir is a directory kept for the pod's life; hostPath is the host's own path (created
for ``DirectoryOrCreate``/``FileOrCreate``); configMap, secret, downwardAPI and projected
volumes are files (:mod:`.projected` says which) rewritten when what they show changes,
atomically per file; a persistentVolumeClaim resolves through its bound PersistentVolume to
that volume's hostPath. :func:`mounts` turns a container's volumeMounts into runtime mounts.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .projected import (
    Files,
    ProjectionError,
    TokenSource,
    downward_files,
    key_files,
    projected_files,
)
from .runtime.base import Mount

Object = dict[str, Any]
# (resource plural, namespace or "", name) -> object or None when missing
Lookup = Callable[[str, str, str], Awaitable[Object | None]]


class VolumeError(Exception):
    """A volume's source is missing; the pod waits (ContainerCreating) and retries."""


def _write_files(target: Path, files: Files, mode: int) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for rel, (content, file_mode) in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.read_bytes() == content:
            continue
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(tmp, mode if file_mode is None else file_mode)
        os.replace(tmp, path)
    wanted = {target / rel for rel in files}
    for existing in target.rglob("*"):
        if existing.is_file() and existing not in wanted:
            existing.unlink()


def _host_path(path: Path, kind: str) -> None:
    if kind == "DirectoryOrCreate":
        path.mkdir(parents=True, exist_ok=True)
    elif kind == "FileOrCreate" and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def _empty_dir(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o777)


async def prepare(pod: Object, pod_dir: Path, lookup: Lookup,
                  tokens: TokenSource | None = None) -> dict[str, str]:
    """Make or refresh every volume of ``pod``; returns volume name -> host path
    (``tokens`` gives projected volumes their service account tokens)."""
    namespace = str(pod["metadata"].get("namespace") or "default")
    out: dict[str, str] = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = str(volume["name"])
        if "hostPath" in volume:
            source = volume["hostPath"]
            path = Path(str(source.get("path")))
            await asyncio.to_thread(_host_path, path, str(source.get("type") or ""))
            out[name] = str(path)
        elif "configMap" in volume or "secret" in volume:
            is_secret = "secret" in volume
            source = volume["secret" if is_secret else "configMap"]
            ref = str(source.get("secretName" if is_secret else "name"))
            plural = "secrets" if is_secret else "configmaps"
            obj = await lookup(plural, namespace, ref)
            target = pod_dir / "volumes" / plural / name
            if obj is None:
                if not source.get("optional"):
                    raise VolumeError(f'{plural[:-1]} "{ref}" not found')
                obj = {}
            mode = int(source.get("defaultMode") or 0o644)
            files = key_files(obj, plural, source.get("items"))
            await asyncio.to_thread(_write_files, target, files, mode)
            out[name] = str(target)
        elif "projected" in volume or "downwardAPI" in volume:
            plugin = "projected" if "projected" in volume else "downward-api"
            source = volume.get("projected") or volume.get("downwardAPI") or {}
            try:
                files = await projected_files(pod, source, lookup, tokens) \
                    if plugin == "projected" else downward_files(pod, source.get("items") or [])
            except ProjectionError as exc:
                raise VolumeError(str(exc)) from exc
            target = pod_dir / "volumes" / plugin / name
            await asyncio.to_thread(_write_files, target, files,
                                    int(source.get("defaultMode") or 0o644))
            out[name] = str(target)
        elif "persistentVolumeClaim" in volume:
            claim = str(volume["persistentVolumeClaim"].get("claimName"))
            pvc = await lookup("persistentvolumeclaims", namespace, claim)
            if pvc is None:
                raise VolumeError(f'persistentvolumeclaim "{claim}" not found')
            pv_name = (pvc.get("spec") or {}).get("volumeName")
            pv = await lookup("persistentvolumes", "", str(pv_name)) if pv_name else None
            host = ((pv or {}).get("spec") or {}).get("hostPath")
            if not host:
                raise VolumeError(f'persistentvolumeclaim "{claim}" is not bound to a '
                                  "hostPath volume")
            await asyncio.to_thread(_host_path, Path(str(host["path"])), "DirectoryOrCreate")
            out[name] = str(host["path"])
        else:  # emptyDir, and anything else as a scratch directory
            target = pod_dir / "volumes" / "empty-dir" / name
            await asyncio.to_thread(_empty_dir, target)
            out[name] = str(target)
    return out


def mounts(container: Object, paths: dict[str, str]) -> tuple[Mount, ...]:
    out = []
    for m in container.get("volumeMounts") or []:
        host = paths.get(str(m.get("name")))
        if host is None:
            continue
        if m.get("subPath"):
            host = str(Path(host) / str(m["subPath"]))
            Path(host).mkdir(parents=True, exist_ok=True)
        out.append(Mount(host, str(m["mountPath"]), bool(m.get("readOnly"))))
    return tuple(out)


def remove(pod_dir: Path) -> None:
    shutil.rmtree(pod_dir, ignore_errors=True)
