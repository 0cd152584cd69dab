"""Kubeconfig files: written by the daemon at start, read by our CLI and by kubectl.

One cluster, one user (a bearer token, or a client certificate and key as a joined kubelet
has), one context, all named ``minikube-py``. The CA goes in as
``certificate-authority-data`` so the file is self-contained.
"""

from __future__ import annotations

import base64
import binascii
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml

NAME = "minikube-py"


@dataclass(frozen=True)
class KubeConfig:
    server: str
    ca_pem: bytes
    token: str
    path: Path | None = None
    client_cert_pem: bytes = b""  # a client certificate (users[].user.client-certificate)
    client_key_pem: bytes = b""


def write(path: Path, *, server: str, ca_pem: bytes, token: str = "",
          client_cert_pem: bytes = b"", client_key_pem: bytes = b"") -> None:
    """A kubeconfig for one user: a bearer ``token``, or a client certificate and key."""
    user: dict[str, str] = {"token": token} if token else {
        "client-certificate-data": base64.b64encode(client_cert_pem).decode(),
        "client-key-data": base64.b64encode(client_key_pem).decode()}
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": NAME, "cluster": {
            "server": server,
            "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "users": [{"name": NAME, "user": user}],
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
    """The kubeconfig is missing or unusable; the message names the file and the field, in
    one line."""


def load(path: Path) -> KubeConfig:
    """Read the current context of a kubeconfig (bearer token; CA data or file).

    Every way a file can be unusable is a :class:`KubeConfigError` naming the file and the
    field: missing file, bad YAML, no current context, an unknown context, cluster or user,
    a missing server, a user without a token, a CA that is missing, unreadable or not PEM.
    """
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise KubeConfigError(f"no kubeconfig at {path}: is the cluster up? "
                              "(run: minikube-py up --detach)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KubeConfigError(f"cannot read kubeconfig {path}: {_why(exc)}") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise KubeConfigError(f"kubeconfig {path} is not valid YAML{where}") from exc
    if not isinstance(doc, dict):
        raise KubeConfigError(f"kubeconfig {path} is not a kubeconfig (want a mapping with "
                              "clusters, users, contexts and current-context)")
    bad = _Complainer(path)
    ctx_name = doc.get("current-context")
    if not ctx_name or not isinstance(ctx_name, str):
        bad("has no current-context (set one: kubectl config use-context NAME)")
    ctx = _named(doc, "contexts", "context", ctx_name, bad, referrer="current-context")
    cluster_name, user_name = ctx.get("cluster"), ctx.get("user")
    if not isinstance(cluster_name, str) or not cluster_name:
        bad(f'context "{ctx_name}" names no cluster (contexts[{ctx_name}].context.cluster)')
    if not isinstance(user_name, str) or not user_name:
        bad(f'context "{ctx_name}" names no user (contexts[{ctx_name}].context.user)')
    cluster = _named(doc, "clusters", "cluster", cluster_name, bad,
                     referrer=f"contexts[{ctx_name}].context.cluster")
    user = _named(doc, "users", "user", user_name, bad,
                  referrer=f"contexts[{ctx_name}].context.user")
    server = cluster.get("server")
    if not isinstance(server, str) or not server.startswith(("https://", "http://")):
        bad(f'cluster "{cluster_name}" has no server URL (clusters[{cluster_name}].cluster.'
            f"server: {server!r})")
    token = user.get("token")
    cert = _pem(user, "client-certificate", f"users[{user_name}].user", path, bad)
    key = _pem(user, "client-key", f"users[{user_name}].user", path, bad)
    if (cert and not key) or (key and not cert):
        bad(f'user "{user_name}" needs both client-certificate and client-key '
            f"(users[{user_name}].user)")
    if (not isinstance(token, str) or not token) and not cert:
        bad(f'user "{user_name}" has no token (users[{user_name}].user.token) and no client '
            "certificate; minikube-py authenticates with bearer tokens or client certificates")
    ca = _ca(cluster, str(cluster_name), path, bad)
    return KubeConfig(server=str(server), ca_pem=ca, token=str(token or ""), path=path,
                      client_cert_pem=cert, client_key_pem=key)


def _pem(user: dict[str, Any], field: str, where: str, path: Path, bad: _Complainer) -> bytes:
    """``<field>-data`` (base64) or ``<field>`` (a file, relative to the kubeconfig)."""
    if f"{field}-data" in user:
        try:
            return base64.b64decode(str(user[f"{field}-data"]), validate=True)
        except (binascii.Error, ValueError):
            bad(f"has a {field}-data that is not base64 ({where}.{field}-data)")
    if field in user:
        file = Path(str(user[field])).expanduser()
        if not file.is_absolute():
            file = path.parent / file
        try:
            return file.read_bytes()
        except OSError as exc:
            bad(f"names a {field} that cannot be read: {file}: {_why(exc)} ({where}.{field})")
    return b""


class _Complainer:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, what: str) -> NoReturn:
        raise KubeConfigError(f"kubeconfig {self.path} {what}")


def _named(doc: dict[str, Any], section: str, field: str, name: object,
           bad: _Complainer, *, referrer: str) -> dict[str, Any]:
    """The ``field`` mapping of the entry called ``name`` in ``doc[section]``."""
    entries = doc.get(section)
    if not isinstance(entries, list):
        bad(f"has no {section} list ({section})")
    for entry in entries:
        if isinstance(entry, dict) and entry.get("name") == name:
            body = entry.get(field)
            if not isinstance(body, dict):
                bad(f'{section[:-1]} "{name}" is empty ({section}[{name}].{field})')
            return body
    bad(f'{section[:-1]} "{name}" ({referrer}) is not in {section}')


def _ca(cluster: dict[str, Any], name: str, path: Path, bad: _Complainer) -> bytes:
    field = f"clusters[{name}].cluster"
    if "certificate-authority-data" in cluster:
        try:
            pem = base64.b64decode(str(cluster["certificate-authority-data"]), validate=True)
        except (binascii.Error, ValueError):
            bad(f"has a certificate-authority-data that is not base64 ({field}."
                "certificate-authority-data)")
        where = f"{field}.certificate-authority-data"
    elif "certificate-authority" in cluster:
        ca_path = Path(str(cluster["certificate-authority"])).expanduser()
        if not ca_path.is_absolute():  # relative to the kubeconfig, as kubectl resolves it
            ca_path = path.parent / ca_path
        try:
            pem = ca_path.read_bytes()
        except OSError as exc:
            bad(f"names a certificate authority that cannot be read: {ca_path}: {_why(exc)} "
                f"({field}.certificate-authority)")
        where = f"{field}.certificate-authority ({ca_path})"
    else:
        return b""
    try:
        ssl.create_default_context(cadata=pem.decode())
    except (ssl.SSLError, UnicodeDecodeError, ValueError):
        bad(f"has a certificate authority that is not a PEM certificate ({where})")
    return pem


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or exc.__class__.__name__
