"""Strategic merge patch: ``application/strategic-merge-patch+json`` applied to plain dicts.

The apiserver's PATCH handler calls :func:`strategic_merge_patch` with the stored object, the
request body and the kind's :class:`~minikube_py.api.schema.Schema`; ``kubectl patch`` (default
type) and ``kubectl apply`` (client-side) send this format. The semantics are those of
Kubernetes' ``apimachinery/pkg/util/strategicpatch`` on the server side
(``StrategicMergeMapPatch``):

- maps merge recursively and ``null`` deletes a key;
- a list whose field has ``patch_strategy`` ``merge`` merges: lists of maps element-wise by
  ``patch_merge_key`` (a patched element merges into the live one, a new one is added), lists of
  primitives as a set union (e.g. ``metadata.finalizers``); every other list is replaced;
- directives: ``$patch: replace|delete|merge`` on a map or as a list element,
  ``$setElementOrder/<field>``, ``$deleteFromPrimitiveList/<field>`` and ``$retainKeys`` (the
  patch of a field whose strategy includes ``retainKeys``, e.g. ``Deployment.spec.strategy`` or
  each of ``PodSpec.volumes``). No directive is left in the result.

Where the schema is missing or does not know a field the patch behaves as a JSON merge patch
(maps merge, lists are replaced), as Kubernetes does for types without patch metadata.

Order of a merged list, as Kubernetes computes it: ``$setElementOrder`` first, then the order
of the patch list, then the order of the live list. Patch elements unknown to the live list
come *before* the live-only elements that follow them (so a container added with
``kubectl patch`` is listed first, exactly as in the Kubernetes documentation).

Malformed directives raise :class:`~minikube_py.api.errors.BadRequest` with Kubernetes' own
words (``invalid patch format of retainKeys``...), lists of lists raise
:class:`~minikube_py.api.errors.Invalid`. Two deliberate differences: ``$patch: merge`` on a map
is accepted as the (default) merge where Kubernetes rejects it, and ``$patch: delete`` on a map
removes the key where Kubernetes leaves an empty map that its typed decoder then drops.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from minikube_py.api.errors import BadRequest, InternalError, Invalid
from minikube_py.api.schema import Schema
from minikube_py.util import jsonutil

Obj = dict[str, Any]  # a JSON object

DIRECTIVE_MARKER = "$patch"
REPLACE = "replace"
DELETE = "delete"
MERGE = "merge"
RETAIN_KEYS_STRATEGY = "retainKeys"
RETAIN_KEYS_DIRECTIVE = "$retainKeys"
SET_ELEMENT_ORDER_PREFIX = "$setElementOrder"
DELETE_FROM_PRIMITIVE_LIST_PREFIX = "$deleteFromPrimitiveList"

# The messages of Kubernetes' mergepatch errors, so clients see the words they know.
ERR_BAD_JSON_DOC = "invalid JSON document"
ERR_NO_LIST_OF_LISTS = "lists of lists are not supported"
ERR_PRIMITIVE_LIST = "invalid patch format of primitive list"
ERR_RETAIN_KEYS = "invalid patch format of retainKeys"
ERR_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"

_ABSENT = object()


def strategic_merge_patch(original: Obj, patch: Obj, schema: Schema | None) -> Obj:
    """``original`` with the strategic merge ``patch`` applied; neither input is changed."""
    if not isinstance(patch, dict):
        raise BadRequest(ERR_BAD_JSON_DOC)
    merged = _merge_map(copy.deepcopy(original or {}), copy.deepcopy(patch), schema)
    return {} if merged is None else merged


# --- patch metadata of a field ----------------------------------------------------------------


@dataclass(frozen=True)
class _PatchMeta:
    """What the schema says about patching one field (Kubernetes' ``PatchMeta``)."""

    schema: Schema | None
    strategy: str  # "merge", "replace" or "" (maps merge, lists are replaced)
    merge_key: str | None

    @property
    def items(self) -> Schema | None:
        return self.schema.items if self.schema is not None else None


def _patch_meta(parent: Schema | None, key: str) -> _PatchMeta:
    node = parent.field(key) if parent is not None else None
    if node is None:
        return _PatchMeta(None, "", None)
    strategy = _strategy_without_retain_keys(node.patch_strategy)
    return _PatchMeta(node, strategy, node.patch_merge_key)


def _strategy_without_retain_keys(strategy: str | None) -> str:
    """``merge,retainKeys`` -> ``merge``: retainKeys only tells clients to send ``$retainKeys``."""
    parts = [part.strip() for part in strategy.split(",")] if strategy else []
    others = [part for part in parts if part != RETAIN_KEYS_STRATEGY]
    if len(parts) > 2 or len(others) > 1:
        raise InternalError(f"unexpected patch strategy: {strategy}")
    return others[0] if others else ""


# --- maps -------------------------------------------------------------------------------------


def _merge_map(original: Obj, patch: Obj, schema: Schema | None) -> Obj | None:
    """Merge ``patch`` into ``original`` in place; None when the patch deletes the whole map."""
    if DIRECTIVE_MARKER in patch:
        directive = patch[DIRECTIVE_MARKER]
        if directive not in (REPLACE, DELETE, MERGE) or isinstance(directive, bool):
            raise BadRequest(_unknown_patch_type(directive, patch))
        del patch[DIRECTIVE_MARKER]
        if directive == DELETE:
            return None
        if directive == REPLACE:
            return _merge_map({}, patch, schema)
    _apply_retain_keys(original, patch)
    _apply_set_element_orders(original, patch, schema)
    deletions: list[tuple[str, Any]] = []
    for key, value in patch.items():
        if key.startswith(DELETE_FROM_PRIMITIVE_LIST_PREFIX):
            field = _directive_field(key, DELETE_FROM_PRIMITIVE_LIST_PREFIX, ERR_PRIMITIVE_LIST)
            deletions.append((field, value))
        else:
            _merge_field(original, key, value, schema)
    for key, values in deletions:
        _delete_from_primitive_list(original, key, values)
    return original


def _merge_field(original: Obj, key: str, value: Any, schema: Schema | None) -> None:
    if value is None:
        original.pop(key, None)
        return
    meta = _patch_meta(schema, key)
    current = original.get(key)
    merged: Any
    if isinstance(current, dict) and isinstance(value, dict):
        base = {} if meta.strategy == REPLACE else current
        merged = _merge_map(base, value, meta.schema)
    elif isinstance(current, list) and isinstance(value, list):
        merged = _merge_list_field(current, value, meta)
    else:  # absent, or of another type: the patch value wins
        merged = _fresh(value, meta)
    if merged is None:
        original.pop(key, None)
    else:
        original[key] = merged


def _fresh(value: Any, meta: _PatchMeta) -> Any:
    """A patch value taken whole: nulls and directives in it are resolved against nothing."""
    if isinstance(value, dict):
        return _merge_map({}, value, meta.schema)
    if isinstance(value, list):
        return _merge_list_field([], value, meta)
    return value


def _apply_retain_keys(original: Obj, patch: Obj) -> None:
    """``$retainKeys``: keys of ``original`` not listed are cleared (e.g. a union's old member)."""
    if RETAIN_KEYS_DIRECTIVE not in patch:
        return
    retain = patch.pop(RETAIN_KEYS_DIRECTIVE)
    if not isinstance(retain, list):
        raise BadRequest(ERR_RETAIN_KEYS)
    kept = {key for key in retain if isinstance(key, str)}
    for key, value in patch.items():
        if value is None or key.startswith((DELETE_FROM_PRIMITIVE_LIST_PREFIX,
                                            SET_ELEMENT_ORDER_PREFIX)):
            continue
        if key not in kept:  # the patch sets a field it asks to drop
            raise BadRequest(ERR_RETAIN_KEYS)
    for key in [key for key in original if key not in kept]:
        del original[key]


def _directive_field(key: str, prefix: str, error: str) -> str:
    """``$setElementOrder/containers`` -> ``containers``."""
    head, _, field = key.partition("/")
    if head != prefix or not field:
        raise BadRequest(error)
    return field


# --- lists ------------------------------------------------------------------------------------


def _merge_list_field(current: list[Any], patch: list[Any], meta: _PatchMeta) -> list[Any]:
    if meta.strategy == MERGE:
        return _merge_list(current, patch, meta)
    return _replacement_list(patch, meta.items)


def _replacement_list(patch: list[Any], items: Schema | None) -> list[Any]:
    """A list that replaces the live one; bare ``{"$patch": ...}`` markers are dropped."""
    result = []
    for element in patch:
        if isinstance(element, dict):
            if set(element) == {DIRECTIVE_MARKER}:
                _check_list_directive(element)
                continue
            element = _merge_map({}, element, items)
            if element is None:
                continue
        result.append(element)
    return result


def _merge_list(original: list[Any], patch: list[Any], meta: _PatchMeta) -> list[Any]:
    """A list with strategy ``merge``: by merge key for maps, as a set for primitives."""
    if not original and not patch:
        return []
    if _element_kind(original, patch) != "map":
        merged = _dedupe(original + patch)
        return _normalize_order(merged, patch, original, None)
    if not meta.merge_key:
        raise BadRequest("cannot merge lists without merge key for "
                         f"{(meta.schema and meta.schema.name) or 'a list of maps'}")
    base, additions = _apply_list_directives(original, patch, meta)
    merged = list(base)
    for element in additions:
        value = _merge_key_value(element, meta.merge_key)
        index = _find_by_key(merged, meta.merge_key, value)
        if index is None:
            merged.append(_merge_map({}, element, meta.items))
        else:
            merged[index] = _merge_map(merged[index], element, meta.items)
    return _normalize_order(merged, additions, base, meta.merge_key)


def _apply_list_directives(original: list[Any], patch: list[Any],
                           meta: _PatchMeta) -> tuple[list[Any], list[Any]]:
    """Apply the ``$patch`` elements of a merge-keyed patch list: (base list, elements to merge)."""
    key = meta.merge_key or ""
    base, additions, replace = list(original), [], False
    for element in patch:
        if DIRECTIVE_MARKER not in element:
            additions.append(element)
            continue
        directive = _check_list_directive(element)
        if directive == DELETE:
            value = _merge_key_value(element, key)
            base = [item for item in base
                    if not (key in item and _same_value(item[key], value))]
        elif directive == REPLACE:
            replace = True  # keep going: the other markers of this list are dropped too
        else:
            raise BadRequest("merging lists cannot yet be specified in the patch")
    if replace:
        cleaned = (_merge_map({}, element, meta.items) for element in additions)
        return [element for element in cleaned if element is not None], []
    return base, additions


def _check_list_directive(element: Obj) -> str:
    directive = element[DIRECTIVE_MARKER]
    if directive not in (REPLACE, DELETE, MERGE) or isinstance(directive, bool):
        raise BadRequest(_unknown_patch_type(directive, element))
    return str(directive)


def _delete_from_primitive_list(original: Obj, key: str, values: Any) -> None:
    """``$deleteFromPrimitiveList/<key>``: drop every occurrence of the values (absent is fine)."""
    if not isinstance(values, list) or any(isinstance(v, dict | list) for v in values):
        raise BadRequest(ERR_PRIMITIVE_LIST)
    current = original.get(key)
    if isinstance(current, list):
        original[key] = [item for item in current
                         if not any(_same_value(item, value) for value in values)]


def _apply_set_element_orders(original: Obj, patch: Obj, schema: Schema | None) -> None:
    """Merge each list named by a ``$setElementOrder/<field>`` and put it in that order."""
    for directive_key in [key for key in patch if key.startswith(SET_ELEMENT_ORDER_PREFIX)]:
        order = patch.pop(directive_key)
        key = _directive_field(directive_key, SET_ELEMENT_ORDER_PREFIX, ERR_SET_ELEMENT_ORDER)
        if not isinstance(order, list):
            raise BadRequest(ERR_SET_ELEMENT_ORDER)
        meta = _patch_meta(schema, key)
        patch_list = patch.get(key, _ABSENT)
        unusable = patch_list is not _ABSENT and not isinstance(patch_list, list)
        if meta.strategy != MERGE or unusable:
            continue  # a replaced list comes in patch order; a null patch deletes the list
        current = original.get(key)
        live = current if isinstance(current, list) else []
        _validate_order([] if patch_list is _ABSENT else patch_list, order, meta.merge_key)
        if patch_list is not _ABSENT:
            merged = _merge_list(live, patch.pop(key), meta)
            live = _live_order_after_merge(live, patch_list, meta.merge_key)
        elif isinstance(current, list):
            merged = current
        else:
            continue
        original[key] = _normalize_order(merged, order, live, meta.merge_key)


def _live_order_after_merge(live: list[Any], patch_list: list[Any],
                            merge_key: str | None) -> list[Any]:
    """The live list as Kubernetes' in-place merge leaves it, to order server-only elements.

    Kubernetes deletes elements of the live list in place and appends new ones to it, so the
    live order it then consults has the deleted elements gone and, in their freed slots, as many
    of the new elements as were deleted. Its own tests pin the orders that follow from this
    ("add map and delete map from merging list"), so we reproduce it.
    """
    if not merge_key or any(isinstance(e, dict) and e.get(DIRECTIVE_MARKER) == REPLACE
                            for e in patch_list):
        return live
    deleted = [e[merge_key] for e in patch_list if _is_delete(e, merge_key) and merge_key in e]
    kept = [item for item in live
            if not any(_same_value(item.get(merge_key), value) for value in deleted)]
    names = [item.get(merge_key) for item in kept]
    added = []
    for element in patch_list:
        if isinstance(element, dict) and DIRECTIVE_MARKER not in element:
            value = element.get(merge_key)
            if _index(names, value) < 0:
                names.append(value)
                added.append(element)
    return kept + added[:len(live) - len(kept)]


def _validate_order(patch_list: list[Any], order: list[Any], merge_key: str | None) -> None:
    """The patch list must follow the ``$setElementOrder`` list (deletions aside)."""
    if not patch_list or not order:
        return
    elements = [element for element in patch_list if not _is_delete(element, merge_key)]
    p = o = 0
    while p < len(elements) and o < len(order):
        if isinstance(elements[p], dict) and DIRECTIVE_MARKER in elements[p]:
            p += 1
            continue
        if _merge_key_equal(elements[p], order[o], merge_key):
            p += 1
        o += 1
    if p < len(elements):
        raise BadRequest(f"The order in patch list:\n{_go(patch_list)}\n doesn't match "
                         f"{SET_ELEMENT_ORDER_PREFIX} list:\n{_go(order)}\n")


def _is_delete(element: Any, merge_key: str | None) -> bool:
    return bool(merge_key) and isinstance(element, dict) and element.get(
        DIRECTIVE_MARKER) == DELETE


# --- order of a merged list -------------------------------------------------------------------


def _normalize_order(merged: list[Any], patch_order: list[Any], server_order: list[Any],
                     merge_key: str | None) -> list[Any]:
    """Kubernetes' ``normalizeElementOrder``.

    Elements named in ``patch_order`` are sorted by it, the others ("server-only") by
    ``server_order``; the two runs are then interleaved: a server-only element goes first only
    when it precedes the next patch element in ``server_order``.
    """
    ident = _identity(merge_key)
    wanted = _Positions(ident(element) for element in patch_order)
    patch_items = [item for item in merged if wanted.index(ident(item)) >= 0]
    server_only = [item for item in merged if wanted.index(ident(item)) < 0]
    live = _Positions(ident(element) for element in server_order)
    patch_items = _sorted_by(patch_items, wanted, ident)
    server_only = _sorted_by(server_only, live, ident)
    result, i, j = [], 0, 0
    while i < len(server_only) and j < len(patch_items):
        left, right = live.index(ident(server_only[i])), live.index(ident(patch_items[j]))
        if 0 <= left < right:
            result.append(server_only[i])
            i += 1
        else:
            result.append(patch_items[j])
            j += 1
    return result + server_only[i:] + patch_items[j:]


def _identity(merge_key: str | None) -> Callable[[Any], Any]:
    """What names an element: its merge key value, or the element itself for primitives."""
    if not merge_key:
        return lambda element: element
    return lambda element: _merge_key_value(element, merge_key)


def _sorted_by(items: list[Any], order: _Positions, ident: Callable[[Any], Any]) -> list[Any]:
    def position(item: Any) -> int:
        index = order.index(ident(item))
        return index if index >= 0 else len(order)
    return sorted(items, key=position)


class _Positions:
    """The first index of each value of a list, looked up in O(1) with JSON equality (so a
    list of thousands of elements orders in linear time, not quadratic)."""

    def __init__(self, values: Iterable[Any]) -> None:
        self._first: dict[tuple[str, Any], int] = {}
        self._count = 0
        for value in values:
            self._first.setdefault(_hash_key(value), self._count)
            self._count += 1

    def index(self, value: Any) -> int:
        return self._first.get(_hash_key(value), -1)

    def __len__(self) -> int:
        return self._count


def _hash_key(value: Any) -> tuple[str, Any]:
    kind = _kind(value)
    if kind in ("map", "list"):
        return kind, jsonutil.dumps_sorted_text(value)
    return kind, value


def _index(values: list[Any], value: Any) -> int:
    for index, candidate in enumerate(values):
        if _same_value(candidate, value):
            return index
    return -1


# --- element helpers --------------------------------------------------------------------------


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null" if value is None else type(value).__name__


def _element_kind(*lists: list[Any]) -> str:
    """The one kind of element of the lists; lists of lists and mixed lists are refused."""
    kinds = {_kind(element) for elements in lists for element in elements}
    if "list" in kinds:
        raise Invalid(ERR_NO_LIST_OF_LISTS)
    if len(kinds) > 1:
        raise BadRequest(f"list element types are not identical: {_go(list(lists))}")
    return kinds.pop()


def _same_value(left: Any, right: Any) -> bool:
    """JSON equality: ``1`` is not ``true`` and ``"80"`` is not ``80``."""
    return _kind(left) == _kind(right) and left == right


def _dedupe(values: list[Any]) -> list[Any]:
    seen: set[tuple[str, Any]] = set()
    result: list[Any] = []
    for value in values:
        key = _hash_key(value)
        if key not in seen:
            seen.add(key)
            result.append(value)
    return result


def _merge_key_value(element: Any, merge_key: str) -> Any:
    if not isinstance(element, dict):
        raise BadRequest(f"expected a map, but received a {_kind(element)}: {_go(element)}")
    if merge_key not in element:
        raise BadRequest(f"map: {_go(element)} does not contain declared merge key: {merge_key}")
    return element[merge_key]


def _merge_key_equal(left: Any, right: Any, merge_key: str | None) -> bool:
    if not merge_key:
        return _same_value(left, right)
    return _same_value(_merge_key_value(left, merge_key), _merge_key_value(right, merge_key))


def _find_by_key(elements: list[Any], merge_key: str, value: Any) -> int | None:
    for index, element in enumerate(elements):
        if merge_key in element and _same_value(element[merge_key], value):
            return index
    return None


def _unknown_patch_type(directive: Any, element: Obj) -> str:
    return f"unknown patch type: {_go(directive)} in map: {_go(element)}"


def _go(value: Any) -> str:
    """``value`` as Go's ``%v`` prints it, so messages read as Kubernetes' do."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go(item) for item in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
