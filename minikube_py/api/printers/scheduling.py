"""Table printers of scheduling.k8s.io kinds (kubectl's columns)."""

from __future__ import annotations

from minikube_py.api.printers.base import AGE, Column, age_of, name_of, simple

PRIORITY_CLASS = simple((
    Column("Value", "integer", description="The priority of pods of this class."),
    Column("Global-Default", "boolean", description="Whether this is the default class."),
    AGE,
    Column("PreemptionPolicy", description="Whether pods of this class preempt others."),
), lambda obj, now: [name_of(obj), obj.get("value"), bool(obj.get("globalDefault")),
                     age_of(obj, now), obj.get("preemptionPolicy") or ""])
