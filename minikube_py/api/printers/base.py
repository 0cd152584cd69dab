"""Server-side Table printers: columns, cells and the helpers every printer shares.

When a client lists or gets with ``Accept: application/json;as=Table;g=meta.k8s.io;v=v1`` the
apiserver answers with a ``meta.k8s.io/v1 Table`` whose ``columnDefinitions`` come from the
kind's ``strategy.printer.columns`` and whose ``rows[].cells`` from ``printer.row(obj, now)``.
kubectl prints those cells verbatim (upper-casing the column names) and hides priority-1
columns unless ``-o wide``; so the cells here are what ``kubectl get`` shows against a real
Kubernetes 1.32 cluster, whose ``pkg/printers/internalversion/printers.go`` is the reference.

Like the real apiserver, a row always carries every column, wide ones included (Kubernetes
generates server-side tables with ``Wide: true``); the client does the hiding.

The printers themselves: ``core.py`` (cluster, networking, configuration and storage kinds)
and ``workloads.py`` (Pod, ReplicationController, apps, batch, autoscaling); each kind's
strategy names its printer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from minikube_py.util.clock import age, parse_rfc3339, rfc3339

Obj = Mapping[str, Any]
RowFunc = Callable[[Obj, dt.datetime], list[Any]]


@dataclass(frozen=True)
class Column:
    """One ``metav1.TableColumnDefinition``."""

    name: str
    type: str = "string"  # OpenAPI type: string | integer | number | boolean | date
    format: str = ""  # "name" for the column that holds the object's name
    description: str = ""
    priority: int = 0  # 1: shown only with -o wide


@dataclass(frozen=True)
class Printer:
    """The columns of a kind and the function that makes one row of cells per object."""

    columns: tuple[Column, ...]
    row: RowFunc


# ---------------------------------------------------------------------------------------------
# Columns every printer shares.

NAME_DOC = (
    "Name must be unique within a namespace. Is required when creating resources, although "
    "some resources may allow a client to request the generation of a name automatically. "
    "Name is primarily intended for creation idempotence and configuration definition. "
    "Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
CREATED_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)

NAME = Column("Name", format="name", description=NAME_DOC)
AGE = Column("Age", description=CREATED_DOC)
CONTAINERS = Column("Containers", priority=1,
                    description="Names of each container in the template.")
IMAGES = Column("Images", priority=1,
                description="Images referenced by each container in the template.")


def wide(name: str, description: str = "") -> Column:
    """A string column shown only with ``-o wide``."""
    return Column(name, description=description, priority=1)


# ---------------------------------------------------------------------------------------------
# Cell helpers, shared by every printer.

def meta(obj: Obj) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def spec(obj: Obj) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def status(obj: Obj) -> Mapping[str, Any]:
    return obj.get("status") or {}


def name_of(obj: Obj) -> str:
    return meta(obj).get("name") or ""


def age_of(obj: Obj, now: dt.datetime) -> str:
    """The AGE cell: time since creationTimestamp, ``<unknown>`` without one."""
    return age(meta(obj).get("creationTimestamp"), at=now)


def since(timestamp: str | None, now: dt.datetime) -> str:
    """Human duration since a timestamp (Time or MicroTime), ``<unknown>`` when unset."""
    return age(timestamp, at=now)


def format_labels(labels: Mapping[str, str] | None) -> str:
    """``labels.FormatLabels``: ``a=b,c=d`` sorted by key, ``<none>`` when empty."""
    labels = labels or {}
    text = ",".join(f"{key}={labels[key]}" for key in sorted(labels))
    return text or "<none>"


def selector_string(selector: Mapping[str, Any] | None) -> str:
    """A LabelSelector as Kubernetes writes it: ``app=web,tier in (a,b),!legacy``.

    Requirements from ``matchLabels`` and ``matchExpressions`` are ordered together by key (as
    ``metav1.LabelSelectorAsSelector`` does); ``in``/``notin`` values are sorted. A missing or
    empty selector gives ``""``: printing ``<none>`` is the printers' choice. An unknown
    operator raises ValueError.
    """
    if not selector:
        return ""
    requirements = [(key, f"{key}={value}")
                    for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        requirements.append((expression.get("key", ""), _requirement(expression)))
    requirements.sort(key=lambda item: item[0])  # stable: same-key requirements keep order
    return ",".join(text for _, text in requirements)


def _requirement(expression: Mapping[str, Any]) -> str:
    key, operator = expression.get("key", ""), expression.get("operator")
    values = expression.get("values") or []
    match operator:
        case "In":
            return f"{key} in ({','.join(sorted(values))})"
        case "NotIn":
            return f"{key} notin ({','.join(sorted(values))})"
        case "Exists":
            return str(key)
        case "DoesNotExist":
            return f"!{key}"
    raise ValueError(f"{operator!r} is not a valid label selector operator")


def format_selector(selector: Mapping[str, Any] | None) -> str:
    """``metav1.FormatLabelSelector``: the selector string, ``<none>`` when empty."""
    try:
        return selector_string(selector) or "<none>"
    except ValueError:
        return "<error>"


def container_cells(pod_spec: Mapping[str, Any] | None) -> list[str]:
    """The CONTAINERS and IMAGES cells of a pod template: names and images, comma-joined."""
    containers = (pod_spec or {}).get("containers") or []
    return [",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers)]


def template_spec(obj: Obj) -> Mapping[str, Any]:
    """``spec.template.spec`` of a workload, ``{}`` where any part is missing."""
    return (spec(obj).get("template") or {}).get("spec") or {}


def condition_true(conditions: Iterable[Mapping[str, Any]] | None, type_: str) -> bool:
    """Whether the first condition of this type has status True."""
    for condition in conditions or []:
        if condition.get("type") == type_:
            return condition.get("status") == "True"
    return False


def simple(columns: Iterable[Column], row: RowFunc) -> Printer:
    """A printer whose first column is NAME, followed by ``columns``."""
    return Printer((NAME, *columns), row)


# ---------------------------------------------------------------------------------------------
# Default tables, for kinds without a printer.

def _created_at_row(obj: Obj, now: dt.datetime) -> list[Any]:
    created = meta(obj).get("creationTimestamp")
    return [name_of(obj), rfc3339(parse_rfc3339(created)) if created else "0001-01-01T00:00:00Z"]


# Built-in kinds without a printer (Role, ClusterRole, LimitRange...) get Kubernetes' default
# table: NAME and CREATED AT (an RFC 3339 timestamp).
BUILTIN_DEFAULT = Printer(
    (NAME, Column("Created At", type="date", description=CREATED_DOC)), _created_at_row)

# Custom resources without printer columns get apiextensions' default: NAME and AGE.
CUSTOM_DEFAULT = Printer(
    (NAME, Column("Age", type="date", description=CREATED_DOC)),
    lambda obj, now: [name_of(obj), age_of(obj, now)])

DEFAULT_PRINTER = BUILTIN_DEFAULT
