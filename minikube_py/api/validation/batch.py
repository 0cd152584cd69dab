"""Validation of Jobs and CronJobs, as pkg/apis/batch/validation.

Registered in ``base.VALIDATORS``/``UPDATE_VALIDATORS`` and run by ``validation/__init__.py``.
Pod templates are checked by ``pod.py``; a CronJob's schedule by :func:`cron_error`, which
asks ``util/cron.py`` (the parser the CronJob controller runs schedules with: the standard
five-field syntax and ``@hourly``-style descriptors, robfig/cron's rules and messages).
"""

from __future__ import annotations

import copy
import re
import zoneinfo
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.validation.base import (
    immutable,
    invalid,
    not_supported,
    required,
)
from minikube_py.api.validation.meta import (
    go_label_selector,
    invalid_go,
    validate_label_selector,
    validate_template_selector,
)
from minikube_py.api.validation.pod import (
    as_dict,
    enum,
    nonnegative,
    validate_pod_template,
    validate_template_restart_policy,
)
from minikube_py.util import cron

CRONJOB_NAME_MAX = 52  # the controller appends an 11-character suffix to make Job names
_TZ_CHARACTERS = re.compile(r"^[A-Za-z\.\-_0-9+]{1,14}$")
# Template fields a suspended Job that never started may still change.
_SUSPENDED_MUTABLE = ("nodeSelector", "tolerations", "affinity", "schedulingGates")


# --- Job -------------------------------------------------------------------------------------

def validate_job(obj: dict[str, Any]) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = _validate_job_spec(spec, "spec")
    selector = spec.get("selector")
    if isinstance(selector, dict):  # absent until generated from the uid at creation
        causes += validate_label_selector(selector, "spec.selector")
        causes += validate_template_selector(selector, spec.get("template"), "spec.template")
    return causes


def _validate_job_spec(spec: dict[str, Any], path: str) -> list[Cause]:
    causes = [c for key in ("parallelism", "completions", "activeDeadlineSeconds",
                            "backoffLimit", "ttlSecondsAfterFinished")
              for c in nonnegative(spec.get(key), f"{path}.{key}")]
    mode = spec.get("completionMode")
    causes += enum(mode, ["NonIndexed", "Indexed"], f"{path}.completionMode")
    if mode == "Indexed" and spec.get("completions") is None:
        causes.append(required(f"{path}.completions", "when completion mode is Indexed"))
    causes += enum(spec.get("podReplacementPolicy"), ["TerminatingOrFailed", "Failed"],
                   f"{path}.podReplacementPolicy")
    template = spec.get("template")
    causes += validate_pod_template(template, f"{path}.template")
    return causes + validate_template_restart_policy(template, f"{path}.template",
                                                     ["OnFailure", "Never"])


def validate_job_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """Selector, completion mode and (unless elastic) completions never change; the template
    only while a suspended Job has not started, and then only its scheduling fields."""
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    causes = []
    if new_spec.get("selector") != old_spec.get("selector"):
        causes.append(invalid_go("spec.selector", go_label_selector(new_spec.get("selector")),
                                 "field is immutable"))
    completions = new_spec.get("completions")
    elastic = (new_spec.get("completionMode") == "Indexed"
               and completions == new_spec.get("parallelism"))
    if completions != old_spec.get("completions") and not elastic:
        causes.append(immutable("spec.completions", completions))
    if new_spec.get("completionMode") != old_spec.get("completionMode"):
        causes.append(immutable("spec.completionMode", new_spec.get("completionMode")))
    new_template, old_template = new_spec.get("template"), old_spec.get("template")
    if new_template != old_template:
        never_started = old_spec.get("suspend") is True and not as_dict(
            old.get("status")).get("startTime")
        if not never_started or _scheduling_only(new_template, old_template) != old_template:
            causes.append(immutable("spec.template", new_template))
    return causes


def _scheduling_only(new: Any, old: Any) -> Any:
    """``new`` with the fields a suspended Job may change put back to ``old``'s."""
    munged, old = copy.deepcopy(as_dict(new)), as_dict(old)
    for part, keys in (("metadata", ("labels", "annotations")), ("spec", _SUSPENDED_MUTABLE)):
        section = as_dict(munged.get(part))
        for key in keys:
            _copy_key(section, as_dict(old.get(part)), key)
        if section or part in old:
            munged[part] = section
        else:
            munged.pop(part, None)
    return munged


def _copy_key(target: dict[str, Any], source: dict[str, Any], key: str) -> None:
    if key in source:
        target[key] = copy.deepcopy(source[key])
    else:
        target.pop(key, None)


# --- CronJob ---------------------------------------------------------------------------------

def validate_cron_job(obj: dict[str, Any]) -> list[Cause]:
    name = as_dict(obj.get("metadata")).get("name") or ""
    causes = []
    if len(name) > CRONJOB_NAME_MAX:
        causes.append(invalid("metadata.name", name, "must be no more than 52 characters"))
    spec = as_dict(obj.get("spec"))
    causes += _validate_schedule(spec.get("schedule"), "spec.schedule")
    causes += _validate_time_zone(spec.get("timeZone"), "spec.timeZone")
    for key in ("startingDeadlineSeconds", "successfulJobsHistoryLimit",
                "failedJobsHistoryLimit"):
        causes += nonnegative(spec.get(key), f"spec.{key}")
    causes += enum(spec.get("concurrencyPolicy"), ["Allow", "Forbid", "Replace"],
                   "spec.concurrencyPolicy")
    job_spec = as_dict(as_dict(spec.get("jobTemplate")).get("spec"))
    path = "spec.jobTemplate.spec"
    causes += _validate_job_spec(job_spec, path)
    if job_spec.get("selector") is not None:
        causes.append(invalid_go(f"{path}.selector", go_label_selector(job_spec["selector"]),
                                 "`selector` will be auto-generated"))
    if job_spec.get("manualSelector") is True:
        causes.append(not_supported(f"{path}.manualSelector", True, ["nil", "false"]))
    return causes


def _validate_schedule(schedule: Any, path: str) -> list[Cause]:
    if not isinstance(schedule, str) or not schedule:
        return [required(path)]
    causes = []
    error = cron_error(schedule)
    if error:
        causes.append(invalid(path, schedule, error))
    if "TZ" in schedule:
        causes.append(invalid(path, schedule,
                              "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
    return causes


def _validate_time_zone(zone: Any, path: str) -> list[Cause]:
    if zone is None:
        return []
    if not isinstance(zone, str) or not zone:
        return [invalid(path, zone, "timeZone must be nil or non-empty string")]
    for part in zone.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_CHARACTERS.match(part):
            return [invalid(path, zone, f"unknown time zone {zone}")]
    if zone.lower() == "local":
        return [invalid(path, zone, "timeZone must be an explicit time zone as defined in "
                        "https://www.iana.org/time-zones")]
    known = zoneinfo.available_timezones()
    if known and zone not in known and zone != "UTC":  # no tz database here: cannot tell
        return [invalid(path, zone, f"unknown time zone {zone}")]
    return []


def cron_error(spec: str) -> str | None:
    """Why ``spec`` is not a valid standard cron schedule (robfig/cron's wording), or None.
    A ``TZ=``/``CRON_TZ=`` prefix is looked past here (:func:`_validate_schedule` refuses it)."""
    if not spec:
        return "empty spec string"
    if spec.startswith(("TZ=", "CRON_TZ=")):
        _, _, spec = spec.partition(" ")
        spec = spec.strip()
        if not spec:
            return "expected exactly 5 fields, found 0: []"
    try:
        cron.parse(spec)
    except cron.CronError as err:
        return str(err)
    return None
