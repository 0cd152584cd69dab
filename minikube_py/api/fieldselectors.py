"""Field selectors, as the Kubernetes apiserver parses and matches them (apimachinery
``pkg/fields``), and the selectable fields of each kind.

The apiserver calls :meth:`FieldSelector.parse` on the ``fieldSelector`` query parameter,
checks it against the kind with :func:`check_field_selector`, and matches each object through
:func:`object_fields`. A field the object lacks reads as ``""``.

Which fields a kind accepts (the scheme's field label conversion functions) and which fields an
object exposes (the registry's ``ToSelectableFields``) are two different lists upstream, kept
apart here as well: a Pod accepts ``status.podIPs`` but never sets it, and an ``apps/v1``
ReplicaSet exposes ``status.replicas`` but does not accept it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from minikube_py.api import errors


def _go_quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- FieldSelector (fields.ParseSelector) ------------------------------------------------------

_FIELD_OPERATORS = ("!=", "==", "=")  # "==" before "=" so no "=" is left on the value


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not escaped; escapes stay in the terms."""
    terms, start, escaped = [], 0, False
    for i, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """``(field, operator, raw value)`` at the first operator; fields have no escapes."""
    for i in range(len(term)):
        for op in _FIELD_OPERATORS:
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
    return None


def escape_field_value(value: str) -> str:
    """``fields.EscapeValue``: make an arbitrary string safe as a field selector value."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_field_value(value: str) -> str:
    """``fields.UnescapeValue``: ``\\\\``, ``\\,`` and ``\\=`` only; bare ``,`` ``=`` are errors."""
    out, escaped = [], False
    for char in value:
        if escaped:
            if char not in "\\,=":
                raise errors.BadRequest(
                    f"invalid field selector: invalid escape sequence: \\{char}")
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",=":
            # Kubernetes prints the rune with %v, that is as its number ("61" for "=").
            raise errors.BadRequest(
                f"invalid field selector: unescaped character in value: {ord(char)}")
        else:
            out.append(char)
    if escaped:
        raise errors.BadRequest("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


@dataclass(frozen=True)
class FieldSelector:
    """An AND of ``field=value`` / ``field!=value`` terms, in the order Kubernetes sorts them."""

    terms: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> FieldSelector:
        """``"metadata.name=x,spec.nodeName!=,status.phase==Running"``; ``""`` selects all."""
        terms = []
        for part in sorted(_split_terms(text)):
            if not part:
                continue
            split = _split_term(part)
            if split is None:
                raise errors.BadRequest(f"invalid selector: '{text}'; can't understand '{part}'")
            field, op, raw = split
            terms.append((field, "!=" if op == "!=" else "=", unescape_field_value(raw)))
        return cls(tuple(terms))

    def requirements(self) -> list[tuple[str, str, str]]:
        """``(field, operator, value)`` with operator ``=`` (also for ``==``) or ``!=``."""
        return list(self.terms)

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all((fields.get(f, "") == v) == (op == "=") for f, op, v in self.terms)

    def empty(self) -> bool:
        return not self.terms

    def requires_exact_match(self, field: str) -> str | None:
        """The value ``field`` must equal, if a ``field=value`` term says so."""
        return next((v for f, op, v in self.terms if f == field and op == "="), None)

    def __str__(self) -> str:
        return ",".join(f"{f}{op}{escape_field_value(v)}" for f, op, v in self.terms)


# --- selectable fields per kind ----------------------------------------------------------------


def _get(obj: Mapping[str, Any] | None, path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _count(value: Any) -> str:
    """An int32 field as ``strconv.Itoa`` prints it; unset is ``"0"``."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "0"


def _strings(obj: Mapping[str, Any], paths: Mapping[str, str]) -> dict[str, str]:
    return {label: _text(_get(obj, path)) for label, path in paths.items()}


def _pod_fields(pod: Mapping[str, Any]) -> dict[str, str]:
    fields = _strings(pod, {
        "spec.nodeName": "spec.nodeName",
        "spec.restartPolicy": "spec.restartPolicy",
        "spec.schedulerName": "spec.schedulerName",
        "spec.serviceAccountName": "spec.serviceAccountName",
        "status.phase": "status.phase",
        "status.nominatedNodeName": "status.nominatedNodeName",
    })
    fields["spec.hostNetwork"] = "true" if _get(pod, "spec.hostNetwork") is True else "false"
    pod_ips = _get(pod, "status.podIPs")
    first = pod_ips[0] if isinstance(pod_ips, list) and pod_ips else None
    fields["status.podIP"] = _text(_get(first, "ip") if first else _get(pod, "status.podIP"))
    fields["spec.host"] = fields["spec.nodeName"]  # legacy spelling v1 still accepts
    return fields


_INVOLVED_OBJECT = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion",
                    "fieldPath")


def _event_fields(event: Mapping[str, Any]) -> dict[str, str]:
    fields = {f"involvedObject.{f}": _text(_get(event, f"involvedObject.{f}"))
              for f in _INVOLVED_OBJECT}
    reporting = _text(event.get("reportingComponent"))
    fields.update(_strings(event, {"reason": "reason", "type": "type"}))
    fields["reportingComponent"] = reporting
    fields["source"] = _text(_get(event, "source.component")) or reporting
    return fields


def _events_k8s_io_fields(event: Mapping[str, Any]) -> dict[str, str]:
    """events.k8s.io/v1 names the same selectable fields ``regarding.*``,
    ``reportingController``; a core-shaped object is read as well."""
    regarding = event.get("regarding") or event.get("involvedObject")
    fields = {f"regarding.{f}": _text(_get(regarding, f)) for f in _INVOLVED_OBJECT}
    reporting = _text(event.get("reportingController") or event.get("reportingComponent"))
    source = _get(event, "deprecatedSource.component") or _get(event, "source.component")
    fields.update(_strings(event, {"reason": "reason", "type": "type"}))
    fields["reportingController"] = reporting
    fields["source"] = _text(source) or reporting
    return fields


@dataclass(frozen=True)
class _KindFields:
    """What one kind accepts in a field selector, and how its objects expose fields."""

    accepted: frozenset[str]
    namespaced: bool = True
    extract: Callable[[Mapping[str, Any]], dict[str, str]] = lambda _obj: {}
    not_supported: Callable[[str], str] = lambda field: f"field label not supported: {field}"


_META = frozenset({"metadata.name", "metadata.namespace"})


def _accepts(*fields: str, namespaced: bool = True) -> frozenset[str]:
    return frozenset(fields) | (_META if namespaced else {"metadata.name"})


# Accepted: pkg/apis/<group>/<version>/conversion.go; exposed: pkg/registry/.../strategy.go.
_KINDS: dict[tuple[str, str], _KindFields] = {
    ("", "Pod"): _KindFields(
        _accepts("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                 "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
                 "status.podIPs", "status.nominatedNodeName", "spec.host"),
        extract=_pod_fields),
    ("", "Node"): _KindFields(
        _accepts("spec.unschedulable", namespaced=False), namespaced=False,
        extract=lambda o: {"spec.unschedulable": _text(_get(o, "spec.unschedulable") is True)}),
    ("", "Namespace"): _KindFields(
        _accepts("status.phase", namespaced=False), namespaced=False,
        extract=lambda o: _strings(o, {"status.phase": "status.phase"})),
    ("", "ReplicationController"): _KindFields(
        _accepts("status.replicas"),
        extract=lambda o: {"status.replicas": _count(_get(o, "status.replicas"))}),
    ("", "Secret"): _KindFields(_accepts("type"), extract=lambda o: _strings(o, {"type": "type"})),
    ("", "Service"): _KindFields(
        _accepts("spec.clusterIP", "spec.type"),
        extract=lambda o: _strings(o, {"spec.clusterIP": "spec.clusterIP",
                                       "spec.type": "spec.type"})),
    ("", "Event"): _KindFields(
        _accepts(*(f"involvedObject.{f}" for f in _INVOLVED_OBJECT), "reason",
                 "reportingComponent", "source", "type"),
        extract=_event_fields),
    ("events.k8s.io", "Event"): _KindFields(
        _accepts(*(f"regarding.{f}" for f in _INVOLVED_OBJECT), "reason",
                 "reportingController", "source", "type"),
        extract=_events_k8s_io_fields),
    # apps/v1 registers no conversion function: status.replicas is exposed, not accepted.
    ("apps", "ReplicaSet"): _KindFields(
        _META, extract=lambda o: {"status.replicas": _count(_get(o, "status.replicas"))},
        not_supported=lambda field: (f"{_go_quote(field)} is not a known field selector: "
                                     'only "metadata.name", "metadata.namespace"')),
    ("batch", "Job"): _KindFields(
        _accepts("status.successful"),
        extract=lambda o: {"status.successful": _count(_get(o, "status.succeeded"))},
        not_supported=lambda field: (
            f"field label {_go_quote(field)} not supported for batchv1.Job")),
    ("certificates.k8s.io", "CertificateSigningRequest"): _KindFields(
        _accepts("spec.signerName", namespaced=False), namespaced=False,
        extract=lambda o: _strings(o, {"spec.signerName": "spec.signerName"})),
}

# runtime.DefaultMetaV1FieldSelectorConversion: every other kind, custom resources included.
_DEFAULT_KIND = _KindFields(
    _META,
    not_supported=lambda field: (f"{_go_quote(field)} is not a known field selector: "
                                 'only "metadata.name", "metadata.namespace"'),
)


def object_fields(group: str, kind: str, obj: Mapping[str, Any]) -> dict[str, str]:
    """The fields of ``obj`` a field selector can match (``GetAttrs``); absent ones read ``""``.

    ``metadata.namespace`` is present for namespaced objects only; a field the kind exposes but
    the object lacks is ``""`` (strings), ``"false"`` (booleans) or ``"0"`` (counts).
    """
    rules = _KINDS.get((group, kind), _DEFAULT_KIND)
    metadata = obj.get("metadata") or {}
    fields = {"metadata.name": _text(metadata.get("name"))}
    if rules.namespaced and (rules is not _DEFAULT_KIND or "namespace" in metadata):
        fields["metadata.namespace"] = _text(metadata.get("namespace"))
    fields.update(rules.extract(obj))
    return fields


def check_field_selector(group: str, kind: str, selector: FieldSelector) -> None:
    """Reject a field the kind does not accept (``Scheme.ConvertFieldLabel``), as a 400."""
    rules = _KINDS.get((group, kind), _DEFAULT_KIND)
    for field, _op, _value in selector.terms:
        if field not in rules.accepted:
            raise errors.BadRequest(rules.not_supported(field))
