"""resourceVersion handling in one place (Kubernetes' APIObjectVersioner).

A resourceVersion is the decimal string of the revision of an object's last write: the store
stamps it on every write, and parses it wherever a client hands one back (a precondition, a
list or watch option, a continue token).
"""

from __future__ import annotations

from typing import Any

from minikube_py.store.errors import InvalidResourceVersion


def stamp(obj: dict[str, Any], revision: int) -> None:
    obj.setdefault("metadata", {})["resourceVersion"] = str(revision)


def parse(text: Any) -> int:
    """The revision a resourceVersion names; :class:`InvalidResourceVersion` if it names
    none (not a decimal number, or beyond 64 bits)."""
    raw = str(text)
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        raise InvalidResourceVersion(raw)
    return int(raw)


def of(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")
