"""Query and body options of API requests: list options, delete options, field validation."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from minikube_py.api.errors import BadRequest, Gone
from minikube_py.api.fieldselectors import FieldSelector
from minikube_py.api.selectors import LabelSelector
from minikube_py.util import jsonutil


def _int(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)  # type: ignore[arg-type]
    except ValueError as exc:
        raise BadRequest(f"invalid value for {name}: {raw!r}: must be an integer") from exc


@dataclass(frozen=True)
class ListOptions:
    label_selector: LabelSelector
    field_selector: FieldSelector
    limit: int | None
    continue_token: str
    resource_version: str
    timeout_seconds: int | None
    allow_bookmarks: bool
    send_initial_events: bool

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> ListOptions:
        limit = _int(query, "limit")
        if limit is not None and limit < 0:
            raise BadRequest("limit must be a non-negative integer")
        return cls(
            label_selector=LabelSelector.parse(query.get("labelSelector", "")),
            field_selector=FieldSelector.parse(query.get("fieldSelector", "")),
            limit=limit or None,
            continue_token=query.get("continue", ""),
            resource_version=query.get("resourceVersion", ""),
            timeout_seconds=_int(query, "timeoutSeconds"),
            allow_bookmarks=query.get("allowWatchBookmarks", "").lower() == "true",
            send_initial_events=query.get("sendInitialEvents", "").lower() == "true",
        )


def encode_continue(rev: int, last_key: str) -> str:
    raw = jsonutil.dumps({"v": "meta.k8s.io/v1", "rv": rev, "start": last_key + "\x00"})
    return base64.urlsafe_b64encode(raw).decode()


def decode_continue(token: str, compact_rev: int) -> tuple[int, str]:
    """The (revision, start key) a continue token carries; Gone if it is too old."""
    try:
        data = jsonutil.loads(base64.urlsafe_b64decode(token.encode()))
        rev, start = int(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest("continue key is not valid: malformed continue token") from exc
    if rev < compact_rev:
        raise Gone("The provided continue parameter is too old to display a consistent list "
                   "result. You can start a new list without the continue parameter.")
    return rev, start


@dataclass(frozen=True)
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    precondition_uid: str | None = None
    precondition_rv: str | None = None
    dry_run: bool = False

    @classmethod
    def parse(cls, query: Mapping[str, str], body: dict[str, Any] | None) -> DeleteOptions:
        body = body or {}
        grace = body.get("gracePeriodSeconds", _int(query, "gracePeriodSeconds"))
        policy = body.get("propagationPolicy") or query.get("propagationPolicy") or None
        if body.get("orphanDependents") is True or query.get("orphanDependents") == "true":
            policy = policy or "Orphan"
        if policy not in (None, "Orphan", "Background", "Foreground"):
            raise BadRequest(f'propagationPolicy: Unsupported value: "{policy}": supported '
                             'values: "Background", "Foreground", "Orphan"')
        pre = body.get("preconditions") or {}
        dry = body.get("dryRun") or query.get("dryRun") or []
        if isinstance(dry, str):
            dry = [dry]
        if grace is not None and (not isinstance(grace, int) or grace < 0):
            grace = 0 if isinstance(grace, int) else None
        return cls(grace, policy, pre.get("uid"), pre.get("resourceVersion"), "All" in dry)


FIELD_VALIDATION = ("Strict", "Warn", "Ignore")


def field_validation(query: Mapping[str, str]) -> str:
    value = query.get("fieldValidation") or "Warn"
    if value not in FIELD_VALIDATION:
        raise BadRequest(f'fieldValidation parameter unsupported: "{value}": supported values: '
                         '"Ignore", "Warn", "Strict"')
    return value


def dry_run(query: Mapping[str, str]) -> bool:
    value = query.get("dryRun")
    if value not in (None, "", "All"):
        raise BadRequest(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return value == "All"
