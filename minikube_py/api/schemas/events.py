"""Schema of the events.k8s.io/v1 Event: the same objects as core/v1 Events (stored as those)
with the newer field names (``note``, ``regarding``, ``reportingController``, the
``deprecated*`` copies of the legacy counters)."""

from __future__ import annotations

from minikube_py.api.schema import integer, obj, string, timestamp
from minikube_py.api.schemas.core import EVENT_SOURCE
from minikube_py.api.schemas.meta import OBJECT_REFERENCE, kind

EVENT_SERIES = obj(
    "io.k8s.api.events.v1.EventSeries",
    {
        "count": integer("Occurrences in this series up to the last heartbeat time."),
        "lastObservedTime": timestamp("When the last occurrence was observed."),
    },
    required=("count", "lastObservedTime"),
    description="Data about a series of events that keep happening.",
)

EVENT = kind(
    "io.k8s.api.events.v1.Event",
    {
        "eventTime": timestamp("When this event was first observed (required)."),
        "series": EVENT_SERIES.describe("Data about the series this event stands for."),
        "reportingController": string("Name of the controller that emitted this event."),
        "reportingInstance": string("ID of the controller instance, e.g. kubelet-xyzf."),
        "action": string("What action was taken or failed regarding the regarding object."),
        "reason": string("Why the action was taken; machine-readable, up to 128 characters."),
        "regarding": OBJECT_REFERENCE.describe("The object this event is about."),
        "related": OBJECT_REFERENCE.describe("Optional secondary object for complex actions."),
        "note": string("Human-readable description of the status of this operation."),
        "type": string("Type of this event (Normal, Warning)."),
        "deprecatedSource": EVENT_SOURCE.describe("Deprecated field for core.v1 compatibility."),
        "deprecatedFirstTimestamp": timestamp("Deprecated field for core.v1 compatibility."),
        "deprecatedLastTimestamp": timestamp("Deprecated field for core.v1 compatibility."),
        "deprecatedCount": integer("Deprecated field for core.v1 compatibility."),
    },
    required=("eventTime",),
    description="A report of an event somewhere in the cluster (events.k8s.io/v1).",
)
