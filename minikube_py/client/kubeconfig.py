"""Kubeconfig files: written by the daemon at start, read by our CLI and by kubectl.

One cluster, one user (bearer token), one context, all named ``minikube-py``. The CA goes in
as ``certificate-authority-data`` so the file is self-contained.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

NAME = "minikube-py"


@dataclass(frozen=True)
class KubeConfig:
    server: str
    ca_pem: bytes
    token: str
    path: Path | None = None


def write(path: Path, *, server: str, ca_pem: bytes, token: str) -> None:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": NAME, "cluster": {
            "server": server,
            "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "users": [{"name": NAME, "user": {"token": token}}],
        "contexts": [{"name": NAME, "context": {"cluster": NAME, "user": NAME,
                                                "namespace": "default"}}],
        "current-context": NAME,
        "preferences": {},
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False))
    tmp.chmod(0o600)
    os.replace(tmp, path)


class KubeConfigError(Exception):
    """The kubeconfig is missing or unusable; the message says why, in one line."""


def load(path: Path) -> KubeConfig:
    """Read the current context of a kubeconfig (token auth, CA data or file)."""
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError as exc:
        raise KubeConfigError(f"no kubeconfig at {path}: is the cluster up? "
                              "(run: minikube-py up --detach)") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise KubeConfigError(f"cannot read kubeconfig {path}: {exc}") from exc
    try:
        ctx_name = doc.get("current-context")
        ctx = next(c["context"] for c in doc["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in doc["users"] if u["name"] == ctx["user"])
    except (KeyError, StopIteration, TypeError) as exc:
        raise KubeConfigError(f"kubeconfig {path} has no usable current context") from exc
    if "certificate-authority-data" in cluster:
        ca = base64.b64decode(cluster["certificate-authority-data"])
    elif "certificate-authority" in cluster:
        ca = Path(cluster["certificate-authority"]).read_bytes()
    else:
        ca = b""
    return KubeConfig(server=cluster["server"], ca_pem=ca, token=user.get("token", ""),
                      path=path)
