"""Table printers of policy/v1 kinds (kubectl's columns for PodDisruptionBudgets)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.printers.base import AGE, Column, age_of, name_of, simple, spec, status


def _int_or_string(value: Any) -> str:
    return "N/A" if value is None else str(value)


POD_DISRUPTION_BUDGET = simple((
    Column("Min Available", description="The minimum number of pods that must be available."),
    Column("Max Unavailable",
           description="The maximum number of pods that may be unavailable."),
    Column("Allowed Disruptions", "integer",
           description="Calculated number of pods that may be disrupted at this time."),
    AGE,
), lambda obj, now: [name_of(obj), _int_or_string(spec(obj).get("minAvailable")),
                     _int_or_string(spec(obj).get("maxUnavailable")),
                     int(status(obj).get("disruptionsAllowed") or 0), age_of(obj, now)])
