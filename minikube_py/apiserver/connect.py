"""Admission of CONNECT requests: ``pods/exec``, ``pods/attach`` and ``pods/portforward``
before the component that serves them (the kubelet's handlers) takes the connection.

As in Kubernetes, the object admitted is the request's options (``PodExecOptions``, ...)
built from its query, the operation is ``CONNECT`` and nothing is stored: validating
plugins and admission webhooks whose rules name ``CONNECT`` on ``pods/exec`` (policy engines
that forbid exec into some pods) see it and may refuse it, before any stream is opened.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.api.resource import ResourceType
from minikube_py.apiserver.admission import AdmissionChain, WriteContext

OPTIONS_KINDS = {"exec": "PodExecOptions", "attach": "PodAttachOptions",
                 "portforward": "PodPortForwardOptions"}
"""Subresource -> the kind of its options (core/v1), for the subresources that connect."""

_FLAGS = ("stdin", "stdout", "stderr", "tty")


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "t", "yes", "y")


def options(subresource: str, query: Mapping[str, str], lists: Mapping[str, list[str]]
            ) -> dict[str, Any]:
    """The options object of a connect request, from its query (``command`` and ``ports``
    repeat)."""
    obj: dict[str, Any] = {"kind": OPTIONS_KINDS[subresource], "apiVersion": "v1"}
    if subresource == "portforward":
        ports = [int(p) for p in lists.get("ports", []) if p.isdigit()]
        if ports:
            obj["ports"] = ports
        return obj
    for flag in _FLAGS:
        if flag in query:
            obj[flag] = _flag(query[flag])
    if query.get("container"):
        obj["container"] = query["container"]
    if subresource == "exec" and lists.get("command"):
        obj["command"] = list(lists["command"])
    return obj


async def admit(chain: AdmissionChain, rt: ResourceType, namespace: str, name: str,
                subresource: str, query: Mapping[str, str],
                lists: Mapping[str, list[str]]) -> None:
    """Run the validating half of ``chain`` on a CONNECT; raises its refusal."""
    ctx = WriteContext(rt, "CONNECT", namespace, name, options(subresource, query, lists),
                       None, subresource)
    await chain.validate(ctx)
