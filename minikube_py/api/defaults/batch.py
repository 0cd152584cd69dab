"""Defaulting of Jobs and CronJobs, as pkg/apis/batch/v1/defaults.go.

Registered in ``base.DEFAULTERS`` and applied by ``defaults/__init__.py`` before validation.
A Job also gets the selector and pod labels the Job strategy generates from its uid (once the
apiserver has given it one), unless it asks for ``manualSelector``.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults.apps import default_template
from minikube_py.api.defaults.core import default, section

MAX_INT32 = 2**31 - 1
CONTROLLER_UID = "batch.kubernetes.io/controller-uid"
JOB_NAME = "batch.kubernetes.io/job-name"


def default_job(job: dict[str, Any]) -> None:
    spec = section(job, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1  # a non-parallel Job: one pod, run to one completion
        spec["parallelism"] = 1
    default(spec, "parallelism", 1)
    default(spec, "backoffLimit", MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6)
    default(spec, "completionMode", "NonIndexed")
    default(spec, "suspend", False)
    default(spec, "podReplacementPolicy",
            "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed")
    _generate_selector(job, spec)
    # The Job's own labels default to its pods' (generated ones included, as a read shows).
    template = spec.get("template")
    labels = (template.get("metadata") or {}).get("labels") if isinstance(template, dict) else None
    meta = section(job, "metadata")
    if isinstance(labels, dict) and labels and not meta.get("labels"):
        meta["labels"] = dict(labels)
    default_template(spec)


def _generate_selector(job: dict[str, Any], spec: dict[str, Any]) -> None:
    """The Job strategy's selector: the Job's uid, also set on its pod template's labels."""
    meta = job.get("metadata") or {}
    uid, name = meta.get("uid"), meta.get("name")
    if not uid or spec.get("manualSelector") is True or spec.get("selector") is not None:
        return
    labels = section(section(section(spec, "template"), "metadata"), "labels")
    for key, value in ((CONTROLLER_UID, uid), (JOB_NAME, name), ("controller-uid", uid),
                       ("job-name", name)):
        if value:
            labels.setdefault(key, value)
    spec["selector"] = {"matchLabels": {CONTROLLER_UID: uid}}


def default_cron_job(cron_job: dict[str, Any]) -> None:
    spec = section(cron_job, "spec")
    default(spec, "concurrencyPolicy", "Allow")
    default(spec, "suspend", False)
    default(spec, "successfulJobsHistoryLimit", 3)
    default(spec, "failedJobsHistoryLimit", 1)
    job_template = spec.get("jobTemplate")
    if isinstance(job_template, dict) and isinstance(job_template.get("spec"), dict):
        default_template(job_template["spec"])
