"""DaemonSet: one pod on every eligible node (apps/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
Like Kubernetes' it keeps the template generation (apps/v1 shows it as the annotation
``deprecated.daemonset.template.generation``): 1 on create, one more whenever the template
changes; the DaemonSet controller labels its pods with it (``pod-template-generation``)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults import apps as defaults
from minikube_py.api.errors import Cause
from minikube_py.api.printers import workloads as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import apps as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import apps as validation

TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"


def _annotations(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta.get("annotations"), dict):
        meta["annotations"] = {}
    return meta["annotations"]  # type: ignore[no-any-return]


def _template_generation(obj: dict[str, Any]) -> int:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(TEMPLATE_GENERATION)
    try:
        return int(value or 1)
    except (TypeError, ValueError):
        return 1


class DaemonSetStrategy(Strategy):
    generation = ("spec",)
    printer = printers.DAEMON_SET

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_daemon_set(obj)

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        _annotations(obj)[TEMPLATE_GENERATION] = "1"

    def prepare_for_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        previous = _template_generation(old)
        changed = (new.get("spec") or {}).get("template") != (old.get("spec") or {}).get(
            "template")
        _annotations(new)[TEMPLATE_GENERATION] = str(previous + 1 if changed else previous)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_daemon_set(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_daemon_set_update(new, old)


RESOURCE = ResourceType("apps", "v1", "DaemonSet", "daemonsets", True, schemas.DAEMON_SET,
                        short_names=("ds",), categories=("all",),
                        subresources=("status",), strategy=DaemonSetStrategy())
