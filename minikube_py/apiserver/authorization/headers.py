"""The ``Impersonate-*`` headers of an HTTP request as an :class:`Impersonation` (read by the
HTTP front end; checked by ``impersonation.py`` in the pipeline)."""

from __future__ import annotations

from urllib.parse import unquote

from multidict import CIMultiDictProxy

from minikube_py.api.wire import Impersonation

_EXTRA = "impersonate-extra-"


def impersonation_of(headers: CIMultiDictProxy[str]) -> Impersonation | None:
    user = headers.get("Impersonate-User", "")
    groups = tuple(headers.getall("Impersonate-Group", ()))
    uid = headers.get("Impersonate-Uid", "")
    extra: dict[str, list[str]] = {}
    for name, value in headers.items():
        if name.lower().startswith(_EXTRA):
            extra.setdefault(unquote(name[len(_EXTRA):]).lower(), []).append(value)
    if not (user or groups or uid or extra):
        return None
    return Impersonation(user, groups, uid,
                         tuple(sorted((k, tuple(v)) for k, v in extra.items())))
