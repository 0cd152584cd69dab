"""The properties every response of the fuzz suite must have, and the read-back checks.

``harness.py`` calls these after each request it sends; each broken property raises a
:class:`Violation` whose ``signature`` names the defect (``5xx:500:RecursionError``,
``stored-invalid:apps/Deployment:spec.replicas:int32``), so thousands of failing requests
fold into a short list of distinct defects. Each signature gets a class of its own
(:func:`violation`), which is how Hypothesis tells distinct bugs apart when it shrinks.

Two views of "valid" are applied to what the store holds: the project's own (the structural
decode and the per-kind validation the apiserver runs on create and update), and the wire
contract of Kubernetes' Go types that the structural decode does not yet check (int32/int64
ranges, integers that are floats, nulls in string maps, lone surrogates).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from minikube_py.api import validation
from minikube_py.api.registry import ResourceType
from minikube_py.api.schema import Schema
from minikube_py.api.validation.structural import QUANTITY, decode
from minikube_py.util import jsonutil
from tests.fuzz.wire import Request, Response

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)

# 504 Timeout with cause ResourceVersionTooLarge is what Kubernetes answers (after a wait) to
# a list or watch from a resourceVersion the store has not reached: the one 5xx by design.
ALLOWED_5XX = {(504, "Timeout")}


class Violation(AssertionError):
    """A property the server broke, with the request that shows it."""

    signature: str = ""

    def __init__(self, signature: str, prop: str, request: Request | None,
                 response: Response | None, detail: str) -> None:
        self.signature = signature
        self.prop = prop
        self.request = request
        self.response = response
        self.detail = detail
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"[{self.signature}] {self.prop}"]
        if self.request is not None:
            lines.append(f"  request:  {self.request.literal()}")
        if self.response is not None:
            lines.append(f"  response: {self.response.summary()}")
        lines.append(f"  detail:   {self.detail}")
        return "\n".join(lines)


_CLASSES: dict[str, type[Violation]] = {}


def violation(signature: str, prop: str, request: Request | None, response: Response | None,
              detail: str) -> Violation:
    """A :class:`Violation` of a class unique to ``signature`` (one Hypothesis bug each)."""
    cls = _CLASSES.get(signature)
    if cls is None:
        safe = re.sub(r"\W", "_", signature)[:80]
        cls = type(f"Violation_{safe}", (Violation,), {"signature": signature})
        _CLASSES[signature] = cls
    return cls(signature, prop, request, response, detail)


# -- every response ---------------------------------------------------------------------------

def _internal_cause(message: str) -> str:
    found = re.search(r"Internal error occurred: (\w+)", message)
    return found.group(1) if found else "?"


def check_status_code(request: Request, response: Response) -> None:
    """Never a 5xx (but for the one Kubernetes answers by design)."""
    if response.status < 500:
        return
    try:
        body = response.json()
        reason = body.get("reason", "?") if isinstance(body, dict) else "?"
        cause = _internal_cause(str(body.get("message", ""))) if isinstance(body, dict) \
            else "not-json"
    except ValueError:
        reason, cause = "not-json", "not-json"
    if (response.status, reason) in ALLOWED_5XX:
        return
    raise violation(f"5xx:{response.status}:{reason}:{cause}", "never a 5xx", request,
                    response, f"status {response.status}")


def check_error_body(request: Request, response: Response) -> None:
    """Every error is a JSON ``metav1.Status`` that agrees with the HTTP status."""
    if response.status < 400 or request.method == "HEAD":
        return
    sig = f"not-status:{response.status}"
    prop = "every error is a JSON metav1.Status"
    ctype = (response.header(b"content-type") or b"").split(b";")[0].strip().lower()
    try:
        body = response.json()
    except ValueError:
        raise violation(f"{sig}:not-json:{ctype.decode('latin-1')}", prop, request, response,
                        "the error body is not JSON") from None
    if not isinstance(body, dict):
        raise violation(f"{sig}:not-object", prop, request, response, "not a JSON object")
    wrong = []
    if body.get("kind") != "Status" or body.get("apiVersion") != "v1":
        wrong.append(f"kind/apiVersion {body.get('kind')!r}/{body.get('apiVersion')!r}")
    if body.get("status") != "Failure":
        wrong.append(f"status {body.get('status')!r}")
    code = body.get("code")
    if not isinstance(code, int) or isinstance(code, bool) or code != response.status:
        wrong.append(f"code {code!r}")
    if not isinstance(body.get("reason"), str) or not body.get("reason"):
        wrong.append(f"reason {body.get('reason')!r}")
    if ctype != b"application/json":
        wrong.append(f"Content-Type {ctype!r}")
    if wrong:
        raise violation(f"{sig}:fields", prop, request, response, "; ".join(wrong))


def check_stream(request: Request, response: Response) -> None:
    """A watch stream is newline-delimited JSON events; an ERROR event carries a Status."""
    if not response.streamed and not request.query.count(b"watch"):
        return
    ctype = (response.header(b"content-type") or b"").split(b";")[0].strip()
    if response.status != 200 or request.method == "HEAD" or ctype != b"application/json" \
            or not request.path.startswith(b"/api"):
        return
    lines = response.body.split(b"\n")
    complete = lines[:-1] if response.streamed else [ln for ln in lines if ln.strip()]
    for line in complete:
        try:
            event = json.loads(line)
        except ValueError:
            if not response.streamed and len(complete) == 1:
                return  # a plain (non-watch) JSON answer printed over several lines
            raise violation("stream:not-json", "watch events are JSON lines", request,
                            response, f"line {line[:200]!r}") from None
        if not isinstance(event, dict) or "type" not in event:
            if not response.streamed:
                return  # an ordinary object: the request was not a watch after all
            raise violation("stream:not-event", "watch events are JSON lines", request,
                            response, f"event {line[:200]!r}")
        obj = event.get("object")
        if event["type"] == "ERROR" and not (isinstance(obj, dict) and obj.get("kind")
                                             == "Status"):
            raise violation("stream:error-not-status", "watch ERROR events carry a Status",
                            request, response, f"event {line[:200]!r}")


# -- what the store holds ---------------------------------------------------------------------

@dataclass
class Found:
    path: str
    what: str  # a short tag for the signature: int32, float-int, null-map-value, ...
    detail: str


def _norm(path: str) -> str:
    """``spec.containers[0].ports[1]`` -> ``spec.containers[].ports[]`` (for signatures)."""
    return re.sub(r"\[[^\]]*\]", "[]", path)


def conformance(schema: Schema | None, value: Any, path: str = "") -> list[Found]:
    """Where ``value`` breaks the wire contract of its Go type (what ``decode`` leaves)."""
    if schema is None or schema.type == "any":
        return _surrogates(value, path)
    kind = schema.type
    if value is None:
        if schema.nullable or schema.format == "date-time":
            return []  # metav1.Time marshals its zero value as null
        return [Found(path, "null", "a null is stored")]
    if kind == "integer":
        return _integer(schema.format or "int32", value, path)
    if kind == "int-or-string":
        return [] if isinstance(value, str) and _utf8(value) else _integer("int32", value, path)
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value)
        return [] if ok else [Found(path, "number", f"{value!r} is not a finite number")]
    if kind == "quantity":
        if isinstance(value, int | float) and not isinstance(value, bool) \
                and math.isfinite(value):
            return []
        if isinstance(value, str) and QUANTITY.match(value.strip()) and _utf8(value):
            return []
        return [Found(path, "quantity", f"{value!r} is not a quantity")]
    if kind == "string":
        if not isinstance(value, str):
            return [Found(path, "type", f"{value!r} is not a string")]
        return [] if _utf8(value) else [Found(path, "surrogate", f"{value!r}")]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [Found(path, "type", f"{value!r} not bool")]
    if kind == "array":
        if not isinstance(value, list):
            return [Found(path, "type", f"{type(value).__name__} is not a list")]
        return [f for i, v in enumerate(value)
                for f in conformance(schema.items, v, f"{path}[{i}]")]
    if kind in ("object", "map"):
        return _mapping(schema, value, path)
    return []


def _mapping(schema: Schema, value: Any, path: str) -> list[Found]:
    if not isinstance(value, dict):
        return [Found(path, "type", f"{type(value).__name__} is not an object")]
    found: list[Found] = []
    for key, item in value.items():
        here = f"{path}[{key}]" if schema.type == "map" else (f"{path}.{key}" if path else key)
        if not _utf8(key):
            found.append(Found(here, "surrogate-key", f"key {key!r}"))
        child = schema.field(key)
        if child is None:
            if not schema.preserve_unknown:
                found.append(Found(here, "unknown", f"unknown field {key!r} is stored"))
            continue
        if item is None and schema.type == "map" and child.type != "any":
            found.append(Found(here, "null-map-value", f"map value of {key!r} is null"))
            continue
        found += conformance(child, item, here)
    return found


def _integer(fmt: str, value: Any, path: str) -> list[Found]:
    if isinstance(value, bool) or not isinstance(value, int):
        tag = "float-int" if isinstance(value, float) else "type"
        return [Found(path, tag, f"{value!r} is not an integer")]
    low, high = INT64 if fmt == "int64" else INT32
    if not low <= value <= high:
        return [Found(path, fmt, f"{value} is out of {fmt} range")]
    return []


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _surrogates(value: Any, path: str) -> list[Found]:
    if isinstance(value, str):
        return [] if _utf8(value) else [Found(path, "surrogate", repr(value))]
    if isinstance(value, float) and not math.isfinite(value):
        return [Found(path, "number", repr(value))]
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _surrogates(v, f"{path}[{k}]")]
    if isinstance(value, list):
        return [f for i, v in enumerate(value) for f in _surrogates(v, f"{path}[{i}]")]
    return []


def stored_problems(rt: ResourceType, obj: Any) -> list[Found]:
    """Everything wrong with a stored object: the project's own checks, then the wire's."""
    if not isinstance(obj, dict):
        return [Found("", "not-object", f"stored value is {type(obj).__name__}")]
    found = conformance(rt.schema, obj)
    try:
        copy = jsonutil.copy(obj)
    except Exception as exc:  # the stored object cannot even be re-encoded
        return [*found, Found("", "unencodable", repr(exc))]
    if rt.schema is not None:
        try:
            result = decode(rt.schema, copy)
        except Exception as exc:
            return [*found, Found("", "decode-crash", repr(exc))]
        found += [Found(_path_of(e), "decode", e) for e in result.type_errors]
        found += [Found(p, "unknown", "unknown field") for p in result.unknown]
        found += [Found(p, "required", "required field missing") for p in result.missing]
    try:
        causes = validation.validate(rt, copy)
    except Exception as exc:
        return [*found, Found("", "validate-crash", repr(exc))]
    found += [Found(c.field, c.reason, c.message) for c in causes]
    return found


def _path_of(type_error: str) -> str:
    return type_error.split(":", 1)[0]


def check_stored(rt: ResourceType, obj: Any, request: Request, response: Response,
                 where: str) -> None:
    """Nothing the store holds fails validation on read-back."""
    problems = stored_problems(rt, obj)
    if not problems:
        return
    first = problems[0]
    sig = f"stored-invalid:{rt.group}/{rt.kind}:{_norm(first.path)}:{first.what}"
    shown = "; ".join(f"{p.path}: {p.detail}" for p in problems[:5])
    raise violation(sig, "nothing stored fails validation on read-back", request, response,
                    f"read back {where}: {shown}\n  stored: {_clip(obj)}")


def _clip(obj: Any, limit: int = 1500) -> str:
    try:
        text = json.dumps(obj, ensure_ascii=True)
    except (TypeError, ValueError):
        text = repr(obj)
    return text if len(text) <= limit else text[:limit] + "..."
