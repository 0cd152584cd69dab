"""Query and body options of API requests, decoded and validated before anything is read or
written (Kubernetes' ParameterCodec plus ``ValidateCreateOptions``, ``ValidatePatchOptions``,
``ValidateDeleteOptions`` and ``ValidateListOptions``).

Two kinds of failure, as in Kubernetes: a value that does not decode (``timeoutSeconds=abc``,
``force=maybe``) is 400 BadRequest; options that decode but break a rule (``dryRun=Bogus``,
``resourceVersionMatch`` without ``resourceVersion``) are 422 Invalid, with kind
``CreateOptions``/``ListOptions``/... of group ``meta.k8s.io`` and one cause per rule. Either
way the request stops here: an invalid option never falls through to a read or a write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from minikube_py.api.errors import BadRequest, Cause, Invalid
from minikube_py.api.machinery.fieldselectors import FieldSelector
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.validation.base import (
    GoStrings,
    forbidden,
    invalid,
    not_supported,
    required,
    too_long,
)

META_GROUP = "meta.k8s.io"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
FIELD_MANAGER_MAX = 128
FIELD_VALIDATION = ("Ignore", "Strict", "Warn")
EXACT, NOT_OLDER_THAN = "Exact", "NotOlderThan"
PROPAGATION = ("Foreground", "Background", "Orphan")
_OPTIONS_KINDS = {"create": "CreateOptions", "update": "UpdateOptions", "patch": "PatchOptions"}
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class Query:
    """The query string of a request: first value per name, or all of them (``dryRun``)."""

    def __init__(self, first: Mapping[str, str],
                 every: Mapping[str, Sequence[str]] | None = None) -> None:
        self._first = first
        self._every = every or {}

    def get(self, name: str, default: str = "") -> str:
        return self._first.get(name, default)

    def has(self, name: str) -> bool:
        return name in self._first

    def all(self, name: str) -> list[str]:
        if name in self._every:
            return list(self._every[name])
        return [self._first[name]] if name in self._first else []

    def int64(self, name: str) -> int | None:
        """An int64 parameter as Go's strconv.ParseInt reads it; None when absent or empty."""
        raw = self._first.get(name, "")
        if raw == "":
            return None
        return parse_int64(name, raw)

    def bool(self, name: str) -> bool | None:
        """A bool parameter as Go's strconv.ParseBool reads it; None when absent or empty."""
        raw = self._first.get(name, "")
        if raw == "":
            return None
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise BadRequest(f'{name}: strconv.ParseBool: parsing "{raw}": invalid syntax')


def parse_int64(name: str, raw: str) -> int:
    text = raw[1:] if raw[:1] in "+-" else raw
    if not text.isascii() or not text.isdigit():
        raise BadRequest(f'{name}: strconv.ParseInt: parsing "{raw}": invalid syntax')
    value = int(raw)
    if not INT64_MIN <= value <= INT64_MAX:
        raise BadRequest(f'{name}: strconv.ParseInt: parsing "{raw}": value out of range')
    return value


def _invalid_options(kind: str, causes: list[Cause]) -> None:
    if causes:
        raise Invalid.of(META_GROUP, kind, "", causes)


def dry_run_causes(values: list[str]) -> list[Cause]:
    """ValidateDryRun: the only value is ``All``."""
    if all(v == "All" for v in values):
        return []
    return [not_supported("dryRun", GoStrings(values), ["All"])]


def field_manager_causes(manager: str) -> list[Cause]:
    """ValidateFieldManager: at most 128 characters, all printable."""
    causes = []
    if len(manager) > FIELD_MANAGER_MAX:
        causes.append(too_long("fieldManager", "", FIELD_MANAGER_MAX))
    for i, ch in enumerate(manager):
        if not ch.isprintable():
            causes.append(invalid("fieldManager", manager,
                                  f"invalid character U+{ord(ch):04X} (at position {i})"))
    return causes


def field_validation_causes(value: str) -> list[Cause]:
    if value in ("", *FIELD_VALIDATION):
        return []
    return [not_supported("fieldValidation", value, ["", *FIELD_VALIDATION])]


@dataclass(frozen=True)
class WriteOptions:
    """CreateOptions, UpdateOptions and PatchOptions from the query."""

    dry_run: bool
    field_validation: str  # "" when the client did not say; each verb picks its default
    field_manager: str  # as given; "" means "derive from the user agent"
    force: bool | None

    @classmethod
    def parse(cls, query: Query, verb: str, *, apply: bool = False) -> WriteOptions:
        """The options of a ``verb`` (create, update or patch); ``apply`` says whether the
        patch is a server-side apply (which needs a field manager and may force)."""
        dry = query.all("dryRun")
        manager = query.get("fieldManager")
        validation = query.get("fieldValidation")
        patching = verb == "patch"
        force = query.bool("force") if patching else None
        causes: list[Cause] = []
        if patching:
            if not apply and force is not None:
                causes.append(forbidden("force", "may not be specified for non-apply patch"))
            if apply and not manager:
                causes.append(required("fieldManager", "is required for apply patch"))
        causes += field_manager_causes(manager)
        causes += dry_run_causes(dry)
        causes += field_validation_causes(validation)
        _invalid_options(_OPTIONS_KINDS[verb], causes)
        return cls(dry_run=bool(dry), field_validation=validation, field_manager=manager,
                   force=force)


@dataclass(frozen=True)
class ListOptions:
    label_selector: LabelSelector
    field_selector: FieldSelector
    limit: int | None
    continue_token: str
    resource_version: str
    resource_version_match: str
    timeout_seconds: int | None
    allow_bookmarks: bool
    send_initial_events: bool | None  # None: not given

    @classmethod
    def parse(cls, query: Query, *, watch: bool) -> ListOptions:
        limit = query.int64("limit")
        if limit is not None and limit < 0:
            raise BadRequest("limit must be a non-negative integer")
        opts = cls(
            label_selector=LabelSelector.parse(query.get("labelSelector")),
            field_selector=FieldSelector.parse(query.get("fieldSelector")),
            limit=limit or None,
            continue_token=query.get("continue"),
            resource_version=query.get("resourceVersion"),
            resource_version_match=query.get("resourceVersionMatch"),
            timeout_seconds=query.int64("timeoutSeconds"),
            allow_bookmarks=bool(query.bool("allowWatchBookmarks")),
            send_initial_events=query.bool("sendInitialEvents"),
        )
        _invalid_options("ListOptions", opts._watch_causes() if watch else opts._list_causes())
        if opts.resource_version not in ("", "0"):
            parse_resource_version(opts.resource_version)
        if opts.continue_token and opts.resource_version not in ("", "0"):
            raise BadRequest("specifying resource version is not allowed when using continue")
        return opts

    def _list_causes(self) -> list[Cause]:
        causes: list[Cause] = []
        match = self.resource_version_match
        if match:
            if not self.resource_version:
                causes.append(forbidden("resourceVersionMatch", "resourceVersionMatch is "
                                        "forbidden unless resourceVersion is provided"))
            if self.continue_token:
                causes.append(forbidden("resourceVersionMatch", "resourceVersionMatch is "
                                        "forbidden when continue is provided"))
            if match not in (EXACT, NOT_OLDER_THAN):
                causes.append(not_supported("resourceVersionMatch", match,
                                            [EXACT, NOT_OLDER_THAN, ""]))
            if match == EXACT and self.resource_version == "0":
                causes.append(forbidden("resourceVersionMatch", 'resourceVersionMatch "exact" '
                                        'is forbidden for resourceVersion "0"'))
        if self.send_initial_events is not None:
            causes.append(forbidden("sendInitialEvents", "sendInitialEvents is forbidden "
                                    "for list"))
        return causes

    def _watch_causes(self) -> list[Cause]:
        causes: list[Cause] = []
        match = self.resource_version_match
        if self.send_initial_events is not None:
            if match != NOT_OLDER_THAN:
                causes.append(forbidden("resourceVersionMatch", "sendInitialEvents requires "
                                        f"setting resourceVersionMatch to {NOT_OLDER_THAN}"))
            if self.send_initial_events and not self.allow_bookmarks:
                causes.append(forbidden("allowWatchBookmarks", "allowWatchBookmarks must be "
                                        "true when sendInitialEvents is true"))
        if match:
            if self.send_initial_events is None:
                causes.append(forbidden("resourceVersionMatch", "resourceVersionMatch is "
                                        "forbidden for watch unless sendInitialEvents is "
                                        "provided"))
            if match != NOT_OLDER_THAN:
                causes.append(not_supported("resourceVersionMatch", match, [NOT_OLDER_THAN]))
            if self.continue_token:
                causes.append(forbidden("resourceVersionMatch", "resourceVersionMatch is "
                                        "forbidden when continue is provided"))
        return causes

    @property
    def wants_initial_events(self) -> bool:
        """Whether a watch starts with the current state as ADDED events: when asked for
        (sendInitialEvents=true), or by the legacy rule (resourceVersion unset or 0)."""
        if self.send_initial_events is not None:
            return self.send_initial_events
        return self.resource_version in ("", "0")


def parse_resource_version(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        raise BadRequest(f"invalid resource version: {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    precondition_uid: str | None = None
    precondition_rv: str | None = None
    dry_run: bool = False

    @classmethod
    def parse(cls, query: Query, body: dict[str, Any] | None) -> DeleteOptions:
        """Options from the body (a DeleteOptions already decoded against its schema) and
        the query; a dry run asked for in either place is a dry run."""
        body = body or {}
        grace = body.get("gracePeriodSeconds")
        if grace is None:
            grace = query.int64("gracePeriodSeconds")
        policy = body.get("propagationPolicy")
        if policy is None:
            policy = query.get("propagationPolicy") or None
        orphan = body.get("orphanDependents")
        if orphan is None:
            orphan = query.bool("orphanDependents")
        dry = list(body.get("dryRun") or []) + query.all("dryRun")
        causes: list[Cause] = []
        if orphan is not None and policy is not None:
            causes.append(invalid("propagationPolicy", policy,
                                  "orphanDependents and deletionPropagation cannot be both set"))
        if policy is not None and policy not in PROPAGATION:
            causes.append(not_supported("propagationPolicy", policy, [*PROPAGATION, "nil"]))
        causes += dry_run_causes(dry)
        _invalid_options("DeleteOptions", causes)
        if orphan is not None:
            policy = "Orphan" if orphan else "Background"
        if grace is not None and grace < 0:
            grace = 1  # negative grace periods are treated as 1 s, as Kubernetes does
        pre = body.get("preconditions") or {}
        return cls(grace, policy, pre.get("uid"), pre.get("resourceVersion"), bool(dry))
