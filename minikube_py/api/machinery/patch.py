"""The patch types the apiserver accepts, by Content-Type.

- ``application/merge-patch+json``: RFC 7386 JSON merge patch (:func:`merge_patch`);
- ``application/json-patch+json``: RFC 6902 JSON patch, through the ``jsonpatch`` library;
- ``application/strategic-merge-patch+json``: Kubernetes' strategic merge (``strategicmerge``);
- ``application/apply-patch+yaml``: server-side apply, handled by the apiserver.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.codecs.body import decode_json
from minikube_py.api.errors import BadRequest, UnsupportedMediaType
from minikube_py.api.machinery.jsonpatch import apply_json_patch
from minikube_py.api.machinery.strategicmerge import strategic_merge_patch
from minikube_py.api.schema import Schema

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE, STRATEGIC, APPLY)


def check_patch_type(content_type: str, *, strategic: bool = True) -> None:
    """415 for a PATCH whose Content-Type names no patch type we apply (``strategic=False``:
    a kind without strategic merge, i.e. custom resources, as Kubernetes serves them)."""
    accepted = PATCH_TYPES if strategic else tuple(t for t in PATCH_TYPES if t != STRATEGIC)
    if content_type not in accepted:
        raise UnsupportedMediaType(
            f"the body of the request was in an unknown format - accepted media types "
            f"include: {', '.join(accepted)}")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def apply_patch(content_type: str, current: dict[str, Any], body: bytes,
                schema: Schema | None) -> tuple[dict[str, Any], list[str]]:
    """Apply a patch body of ``content_type`` to ``current``; the new object, and the paths
    of keys the patch gave twice (for fieldValidation). ``current`` is not changed."""
    check_patch_type(content_type)
    if not body:
        raise BadRequest("error decoding patch: the patch is empty")
    decoded = decode_json(body)
    patch = decoded.value
    if content_type == MERGE:
        if not isinstance(patch, dict):
            raise BadRequest("error decoding patch: a merge patch must be a JSON object")
        return merge_patch(current, patch), decoded.duplicates
    if content_type == JSON_PATCH:
        result = apply_json_patch(current, patch)
        if not isinstance(result, dict):
            raise BadRequest("a JSON patch must leave an object")
        return result, decoded.duplicates
    if content_type == STRATEGIC:
        if not isinstance(patch, dict):
            raise BadRequest("error decoding patch: a strategic merge patch must be an object")
        return strategic_merge_patch(current, patch, schema), decoded.duplicates
    raise UnsupportedMediaType(f"{content_type} is applied by server-side apply, not here")
