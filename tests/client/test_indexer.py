"""The informer cache: keys, indexes kept right through every write, listers."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.client.store import (
    NAMESPACE_INDEX,
    NODE_NAME_INDEX,
    OWNER_UID_INDEX,
    DeletedFinalStateUnknown,
    Indexer,
    Lister,
    deletion_handling_meta_namespace_key,
    label_index,
    meta_namespace_index_func,
    meta_namespace_key,
    node_name_index_func,
    owner_uid_index_func,
    split_meta_namespace_key,
)

APP = "label:app"


def obj(name: str, namespace: str | None = "default", *, app: str | None = None,
        owners: tuple[str, ...] = (), node: str | None = None, rv: str = "1") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "resourceVersion": rv}
    if namespace:
        meta["namespace"] = namespace
    if app is not None:
        meta["labels"] = {"app": app}
    if owners:
        meta["ownerReferences"] = [{"uid": uid, "kind": "ReplicaSet", "name": uid}
                                   for uid in owners]
    spec = {"nodeName": node} if node else {}
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": spec}


def indexer() -> Indexer:
    return Indexer({NAMESPACE_INDEX: meta_namespace_index_func,
                    OWNER_UID_INDEX: owner_uid_index_func,
                    NODE_NAME_INDEX: node_name_index_func,
                    APP: label_index("app")})


def names(objs: list[dict[str, Any]]) -> list[str]:
    return sorted(o["metadata"]["name"] for o in objs)


@pytest.mark.parametrize(("o", "key"), [
    pytest.param(obj("a"), "default/a", id="namespaced"),
    pytest.param(obj("node-1", None), "node-1", id="cluster-scoped"),
])
def test_meta_namespace_key(o: dict[str, Any], key: str) -> None:
    """Keys are namespace/name, or the bare name for cluster-scoped objects."""
    assert meta_namespace_key(o) == key
    assert deletion_handling_meta_namespace_key(DeletedFinalStateUnknown(key, o)) == key
    assert split_meta_namespace_key(key) == (o["metadata"].get("namespace"), o["metadata"]["name"])


def test_add_indexes_every_index() -> None:
    """An added object is found by key and under each of its index values."""
    idx = indexer()
    idx.add(obj("a", app="web", owners=("rs-1", "rs-2"), node="n1"))
    assert idx.get_by_key("default/a") is not None
    assert names(idx.by_index(APP, "web")) == ["a"]
    assert names(idx.by_index(OWNER_UID_INDEX, "rs-2")) == ["a"]
    assert names(idx.by_index(NODE_NAME_INDEX, "n1")) == ["a"]
    assert idx.index_keys(NAMESPACE_INDEX, "default") == ["default/a"]


@pytest.mark.parametrize(("before", "after", "index", "old", "new"), [
    pytest.param({"app": "web"}, {"app": "db"}, APP, "web", "db", id="label-changes"),
    pytest.param({"owners": ("rs-1",)}, {"owners": ("rs-2",)}, OWNER_UID_INDEX, "rs-1", "rs-2",
                 id="owner-changes"),
    pytest.param({}, {"node": "n1"}, NODE_NAME_INDEX, None, "n1", id="pod-gets-scheduled"),
    pytest.param({"app": "web"}, {}, APP, "web", None, id="label-removed"),
])
def test_update_moves_object_between_index_values(before: dict[str, Any],
                                                  after: dict[str, Any], index: str,
                                                  old: str | None, new: str | None) -> None:
    """An update whose indexed field changes leaves the old value and joins the new one."""
    idx = indexer()
    idx.add(obj("a", **before))
    idx.add(obj("b", app="web"))
    idx.update(obj("a", rv="2", **after))
    if old is not None:
        assert "default/a" not in idx.index_keys(index, old)
    if new is not None:
        assert idx.index_keys(index, new) == ["default/a"]
    assert idx.get_by_key("default/a")["metadata"]["resourceVersion"] == "2"  # type: ignore[index]


def test_delete_removes_from_every_index() -> None:
    """A deleted object is under no index value, and empty values disappear."""
    idx = indexer()
    idx.add(obj("a", app="web", owners=("rs-1",), node="n1"))
    idx.add(obj("b", app="web"))
    idx.delete(obj("a"))
    assert idx.list_keys() == ["default/b"]
    assert idx.index_keys(APP, "web") == ["default/b"]
    assert idx.by_index(OWNER_UID_INDEX, "rs-1") == []
    assert idx.list_index_func_values(NODE_NAME_INDEX) == []
    idx.delete(DeletedFinalStateUnknown("default/b", obj("b")))
    assert len(idx) == 0 and idx.list_index_func_values(APP) == []


def test_replace_rebuilds_indexes() -> None:
    """replace() holds exactly the new list, indexed afresh, and keeps its resourceVersion."""
    idx = indexer()
    idx.add(obj("a", app="web"))
    idx.add(obj("b", app="web"))
    idx.replace([obj("b", app="db", rv="5"), obj("c", "other", app="web")], "9")
    assert sorted(idx.list_keys()) == ["default/b", "other/c"]
    assert idx.index_keys(APP, "web") == ["other/c"]
    assert idx.index_keys(APP, "db") == ["default/b"]
    assert idx.index_keys(NAMESPACE_INDEX, "default") == ["default/b"]
    assert idx.resource_version == "9"


def test_index_survives_a_cached_object_changed_in_place() -> None:
    """Index removal uses the values computed at insert, so a reader that (wrongly) mutated
    a cached object does not leave a stale index entry behind."""
    idx = indexer()
    idx.add(obj("a", app="web"))
    cached = idx.get_by_key("default/a")
    assert cached is not None
    cached["metadata"]["labels"]["app"] = "mutated"
    idx.update(obj("a", app="db", rv="2"))
    assert idx.index_keys(APP, "web") == [] and idx.index_keys(APP, "mutated") == []
    assert idx.index_keys(APP, "db") == ["default/a"]


def test_index_finds_objects_sharing_a_value() -> None:
    """index() returns every object that shares an index value with the given one."""
    idx = indexer()
    idx.add(obj("a", owners=("rs-1",)))
    idx.add(obj("b", owners=("rs-1", "rs-2")))
    idx.add(obj("c", owners=("rs-3",)))
    assert names(idx.index(OWNER_UID_INDEX, obj("x", owners=("rs-1",)))) == ["a", "b"]


def test_indexers_added_later_index_what_is_stored() -> None:
    """add_indexers() indexes the objects already present; a different function under a
    taken name is refused."""
    idx = Indexer()
    idx.add(obj("a", app="web"))
    idx.add_indexers({APP: label_index("app")})
    assert idx.index_keys(APP, "web") == ["default/a"]
    with pytest.raises(ValueError, match="conflict"):
        idx.add_indexers({APP: label_index("tier")})


def test_unknown_index_is_an_error() -> None:
    """Asking an index that was never registered raises KeyError."""
    with pytest.raises(KeyError, match="does not exist"):
        Indexer().by_index("nope", "x")


@pytest.mark.parametrize("with_namespace_index", [
    pytest.param(True, id="namespace-index"),
    pytest.param(False, id="no-namespace-index"),
])
def test_lister_lists_by_selector_and_namespace(with_namespace_index: bool) -> None:
    """Listers filter by label selector (string or parsed) and namespace, and get by name."""
    idx = Indexer({NAMESPACE_INDEX: meta_namespace_index_func} if with_namespace_index else {})
    for o in (obj("a", app="web"), obj("b", app="db"), obj("c", "other", app="web"),
              obj("node-1", None)):
        idx.add(o)
    lister = Lister(idx)
    assert names(lister.list()) == ["a", "b", "c", "node-1"]
    assert names(lister.list("app=web")) == ["a", "c"]
    assert names(lister.list(LabelSelector.parse("app in (db)"))) == ["b"]
    assert names(lister.namespaced("default").list("app")) == ["a", "b"]
    assert names(lister.namespaced("other").list()) == ["c"]
    assert lister.namespaced("other").get("c") is not None
    assert lister.get("a", "default") is not None and lister.get("node-1") is not None
    assert lister.get("a", "other") is None
