"""The patch types the apiserver accepts, by Content-Type.

- ``application/merge-patch+json``: RFC 7386 JSON merge patch (:func:`merge_patch`);
- ``application/json-patch+json``: RFC 6902 JSON patch, through the ``jsonpatch`` library;
- ``application/strategic-merge-patch+json``: Kubernetes' strategic merge (``strategicmerge``);
- ``application/apply-patch+yaml``: server-side apply, handled by the apiserver.
"""

from __future__ import annotations

from typing import Any

import jsonpatch

from minikube_py.api.errors import BadRequest, Invalid, UnsupportedMediaType
from minikube_py.api.schema import Schema
from minikube_py.api.strategicmerge import strategic_merge_patch
from minikube_py.util import jsonutil

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE, STRATEGIC, APPLY)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return jsonutil.copy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def apply_patch(content_type: str, current: dict[str, Any], body: bytes,
                schema: Schema | None) -> dict[str, Any]:
    """Apply a patch body of ``content_type`` to ``current`` and return the new object."""
    try:
        patch = jsonutil.loads(body)
    except ValueError as exc:
        raise BadRequest(f"error decoding patch: {exc}") from exc
    if content_type == MERGE:
        if not isinstance(patch, dict):
            raise BadRequest("error decoding patch: a merge patch must be a JSON object")
        return merge_patch(current, patch)  # type: ignore[no-any-return]
    if content_type == JSON_PATCH:
        if not isinstance(patch, list):
            raise BadRequest("error decoding patch: a JSON patch must be a JSON array")
        try:
            result = jsonpatch.JsonPatch(patch).apply(jsonutil.copy(current))
        except jsonpatch.JsonPatchTestFailed as exc:
            raise Invalid(f"the server rejected our request due to an error in our request: "
                          f"{exc}") from exc
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, KeyError,
                IndexError, TypeError) as exc:
            raise BadRequest(f"the server rejected our request due to an error in our request:"
                             f" {exc}") from exc
        if not isinstance(result, dict):
            raise BadRequest("a JSON patch must leave an object")
        return result
    if content_type == STRATEGIC:
        if not isinstance(patch, dict):
            raise BadRequest("error decoding patch: a strategic merge patch must be an object")
        return strategic_merge_patch(current, patch, schema)
    raise UnsupportedMediaType(
        f"the body of the request was in an unknown format - accepted media types include: "
        f"{', '.join(PATCH_TYPES)}")
