"""Table printers of networking.k8s.io and node.k8s.io kinds (kubectl's columns; the
Ingress printer is with the Service's in ``core.py``)."""

from __future__ import annotations

from minikube_py.api.printers.base import AGE, Column, Obj, age_of, name_of, selector_string, spec
from minikube_py.api.printers.base import simple as _simple


def _parameters(obj: Obj) -> str:
    params = spec(obj).get("parameters")
    if not isinstance(params, dict):
        return "<none>"
    text = str(params.get("kind") or "")
    if params.get("apiGroup") is not None:
        text += "." + str(params["apiGroup"])
    return f"{text}/{params.get('name') or ''}"


INGRESS_CLASS = _simple((
    Column("Controller", description="Controller that is responsible for handling this class"),
    Column("Parameters", description="A reference to a resource with additional parameters"),
    AGE,
), lambda obj, now: [name_of(obj), spec(obj).get("controller") or "", _parameters(obj),
                     age_of(obj, now)])

NETWORK_POLICY = _simple((
    Column("Pod-Selector", description="Selects the pods to which this NetworkPolicy object "
           "applies."),
    AGE,
), lambda obj, now: [name_of(obj), selector_string(spec(obj).get("podSelector")) or "<none>",
                     age_of(obj, now)])

RUNTIME_CLASS = _simple((
    Column("Handler", description="Handler specifies the underlying runtime and configuration "
           "that the CRI implementation will use to handle pods of this class."),
    AGE,
), lambda obj, now: [name_of(obj), obj.get("handler") or "", age_of(obj, now)])
