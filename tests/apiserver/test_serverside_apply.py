"""Server-side apply and field ownership: the behaviour the Kubernetes documentation describes.

Cases follow "Server-Side Apply" (kubernetes.io/docs/reference/using-api/server-side-apply/):
ownership from apply and from updates, conflicts and ``--force-conflicts``, shared ownership,
removal of fields an applier stops applying, keyed/atomic/set lists, and the migration from
client-side ``kubectl apply``. The schema is a small Deployment written with the schema DSL.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from minikube_py.api.errors import BadRequest
from minikube_py.api.machinery.apply import (
    LAST_APPLIED_ANNOTATION,
    ApplyConflict,
    record_update,
    server_side_apply,
)
from minikube_py.api.machinery.fieldpath import (
    fields_from_v1,
    fields_to_v1,
    iter_paths,
    path_string,
)
from minikube_py.api.schema import Schema, array, integer, map_of, obj, string, string_map

# --- schema ---------------------------------------------------------------------------------------

PORT = obj("ContainerPort", {"containerPort": integer(), "name": string(),
                             "protocol": string()})
ENV = obj("EnvVar", {"name": string(), "value": string()})
CONTAINER = obj("Container", {
    "name": string(),
    "image": string(),
    "imagePullPolicy": string(),
    "args": array(string()),
    "ports": array(PORT, merge_key="containerPort"),
    "env": array(ENV, merge_key="name"),
    "resources": obj("ResourceRequirements", {"limits": map_of(string())}),
})
METADATA = obj("ObjectMeta", {
    "name": string(), "namespace": string(), "uid": string(), "resourceVersion": string(),
    "generation": integer(), "creationTimestamp": string(),
    "labels": string_map(), "annotations": string_map(),
    "finalizers": array(string(), strategy="merge", list_type="set"),
    "managedFields": array(obj(None, {})),
})
SELECTOR = obj("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
               {"matchLabels": string_map()})
DEPLOYMENT: Schema = obj("Deployment", {
    "apiVersion": string(),
    "kind": string(),
    "metadata": METADATA,
    "spec": obj("DeploymentSpec", {
        "replicas": integer(),
        "paused": obj(None, {}),
        "selector": SELECTOR,
        "template": obj("PodTemplateSpec", {
            "metadata": METADATA,
            "spec": obj("PodSpec", {"containers": array(CONTAINER, merge_key="name"),
                                    "nodeSelector": string_map()}),
        }),
    }),
    "status": obj("DeploymentStatus", {"replicas": integer()}),
})

T0, T1, T2, T3 = (f"2024-05-01T10:00:0{i}Z" for i in range(4))


def deployment(replicas: int | None = 2, *, labels: dict[str, str] | None = None,
               containers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An applied configuration of Deployment default/web."""
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
            "containers": containers if containers is not None
            else [{"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}],
        }},
    }
    if replicas is not None:
        spec = {"replicas": replicas, **spec}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default",
                         "labels": labels if labels is not None else {"app": "web"}},
            "spec": spec}


def apply(live: dict | None, config: dict, manager: str = "kubectl", *, force: bool = False,
          now: str = T1) -> dict:
    return server_side_apply(live, config, manager=manager, force=force, schema=DEPLOYMENT,
                             now=now)


def stored(obj: dict) -> dict:
    """``obj`` as the apiserver would store it: identity, a defaulted field, a status."""
    out = copy.deepcopy(obj)
    out["metadata"].update(uid="u-1", resourceVersion="7", generation=1,
                           creationTimestamp=T0)
    for container in out["spec"]["template"]["spec"]["containers"]:
        container.setdefault("imagePullPolicy", "IfNotPresent")
    out["status"] = {"replicas": 2}
    return out


def created(manager: str = "kubectl", config: dict | None = None) -> dict:
    return stored(apply(None, config or deployment(), manager, now=T0))


def entry(obj: dict, manager: str, operation: str = "Apply") -> dict[str, Any]:
    matches = [e for e in obj["metadata"].get("managedFields", [])
               if e["manager"] == manager and e["operation"] == operation]
    assert len(matches) == 1, obj["metadata"].get("managedFields")
    return matches[0]


def owned(obj: dict, manager: str, operation: str = "Apply") -> list[str]:
    """The paths ``manager`` owns, as Kubernetes prints them."""
    return list(iter_paths(entry(obj, manager, operation)["fieldsV1"]))


def managers(obj: dict) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in obj["metadata"].get("managedFields", [])]


def containers(obj: dict) -> list[dict[str, Any]]:
    return obj["spec"]["template"]["spec"]["containers"]


# --- apply: creating and re-applying --------------------------------------------------------------


def test_create_via_apply_records_one_apply_entry() -> None:
    """Creating by apply gives the applier one Apply entry whose fieldsV1 is its configuration."""
    result = apply(None, deployment(), now=T0)

    assert result["metadata"]["managedFields"] == [{
        "manager": "kubectl",
        "operation": "Apply",
        "apiVersion": "apps/v1",
        "time": T0,
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:selector": {},
                "f:template": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:containers": {'k:{"name":"web"}': {
                        ".": {},
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {'k:{"containerPort":80}': {
                            ".": {}, "f:containerPort": {},
                        }},
                    }}},
                },
            },
        },
    }]
    assert result["spec"] == deployment()["spec"]
    assert result["metadata"]["name"] == "web"
    assert "status" not in result


def test_reapply_unchanged_returns_live_object() -> None:
    """Applying the same configuration again changes nothing, not even the entry's time."""
    live = created()

    assert apply(live, deployment(), now=T2) == live


def test_status_is_not_touched_by_apply() -> None:
    """An applied status is ignored and the live status kept (status is its own subresource)."""
    live = created()
    config = deployment(3)
    config["status"] = {"replicas": 99}

    result = apply(live, config)

    assert result["status"] == {"replicas": 2}
    assert not any(path.startswith(".status") for path in owned(result, "kubectl"))


def test_server_metadata_is_kept_and_never_owned() -> None:
    """uid, resourceVersion, generation and creationTimestamp stay as stored and unowned."""
    live = created()
    config = deployment(3)
    config["metadata"].update(uid="forged", generation=42)

    result = apply(live, config)

    assert {k: result["metadata"][k] for k in ("uid", "resourceVersion", "generation")} == {
        "uid": "u-1", "resourceVersion": "7", "generation": 1}
    assert not any(path.startswith(".metadata.uid") for path in owned(result, "kubectl"))


def test_inputs_are_not_changed() -> None:
    """Neither the live object nor the configuration is modified by an apply."""
    live = created()
    config = deployment(3, containers=[{"name": "web", "image": "nginx:1.26"}])
    live_before, config_before = copy.deepcopy(live), copy.deepcopy(config)

    result = apply(live, config, "other", force=True)

    assert (live, config) == (live_before, config_before)
    assert result["spec"]["replicas"] == 3


def test_corrupt_managed_fields_entry_is_dropped() -> None:
    """A stored entry whose fieldsV1 cannot be read is dropped instead of failing the write."""
    live = created()
    live["metadata"]["managedFields"].append({
        "manager": "broken", "operation": "Update", "apiVersion": "apps/v1",
        "fieldsType": "FieldsV1", "fieldsV1": {"k:{not json": {}}})

    result = apply(live, deployment(3))

    assert managers(result) == [("kubectl", "Apply")]


# --- apply: removing what the applier no longer applies -------------------------------------------


@pytest.mark.parametrize(
    ("config", "gone"),
    [
        pytest.param(deployment(None), lambda o: "replicas" not in o["spec"], id="scalar"),
        pytest.param(deployment(labels={}), lambda o: "labels" not in o["metadata"],
                     id="map-entry"),
        pytest.param(
            deployment(containers=[{"name": "web", "image": "nginx:1.25"}]),
            lambda o: "ports" not in containers(o)[0], id="keyed-list-item",
        ),
        pytest.param(
            deployment(containers=[{"name": "web", "image": "nginx:1.25",
                                    "ports": [{"containerPort": 80}]}]),
            lambda o: [c["name"] for c in containers(o)] == ["web"], id="whole-container",
        ),
    ],
)
def test_apply_removing_an_owned_field_removes_it(config: dict, gone: Any) -> None:
    """A field the applier applied before and omits now leaves the object."""
    first = deployment(labels={"app": "web"}, containers=[
        {"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}]},
        {"name": "sidecar", "image": "envoy"},
    ])
    live = stored(apply(None, first, now=T0))

    result = apply(live, config)

    assert gone(result)
    assert result["spec"]["selector"] == {"matchLabels": {"app": "web"}}


def test_removed_container_takes_its_defaulted_fields_along() -> None:
    """Dropping a container removes the whole item, including fields nobody owns."""
    live = created(config=deployment(containers=[
        {"name": "web", "image": "nginx"}, {"name": "sidecar", "image": "envoy"}]))
    assert containers(live)[1]["imagePullPolicy"] == "IfNotPresent"

    result = apply(live, deployment(containers=[{"name": "web", "image": "nginx"}]))

    assert containers(result) == [
        {"name": "web", "image": "nginx", "imagePullPolicy": "IfNotPresent"}]
    assert '.spec.template.spec.containers[name="sidecar"]' not in owned(result, "kubectl")


def test_field_another_manager_owns_survives_its_removal_from_config() -> None:
    """Omitting a shared field only gives up the applier's share; the value stays."""
    live = created()
    live = stored(apply(live, deployment(labels={"app": "web", "team": "a"}), "kubectl"))
    live = apply(live, {"apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": "web", "labels": {"team": "a"}}}, "ci")

    result = apply(live, deployment(labels={"app": "web"}), "kubectl", now=T2)

    assert result["metadata"]["labels"] == {"app": "web", "team": "a"}
    assert ".metadata.labels.team" not in owned(result, "kubectl")
    assert owned(result, "ci") == [".metadata.labels.team"]


def test_unowned_fields_are_not_pruned() -> None:
    """Fields set by nobody the applier knows (defaults) stay when the applier drops others."""
    live = created()

    result = apply(live, deployment(None))

    assert containers(result)[0]["imagePullPolicy"] == "IfNotPresent"
    assert "replicas" not in result["spec"]


# --- apply: conflicts and shared ownership --------------------------------------------------------


def test_two_appliers_with_different_replicas_conflict() -> None:
    """A second applier setting another value on an owned field gets a 409 naming the owner."""
    live = created("kubectl")

    with pytest.raises(ApplyConflict) as caught:
        apply(live, deployment(5), "autoscaler")

    assert caught.value.conflicts == [("kubectl", ".spec.replicas")]
    assert caught.value.message == (
        'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas')
    status = caught.value.to_status()
    assert (status["code"], status["reason"]) == (409, "Conflict")
    assert status["details"]["causes"] == [{
        "reason": "FieldManagerConflict", "message": 'conflict with "kubectl"',
        "field": ".spec.replicas"}]


def test_several_conflicts_are_listed_per_manager() -> None:
    """Conflicts with several fields and managers are grouped as Kubernetes prints them."""
    live = created("kubectl")
    live = stored(apply(live, {"apiVersion": "apps/v1", "kind": "Deployment",
                               "metadata": {"name": "web", "labels": {"team": "a"}}}, "ci"))

    with pytest.raises(ApplyConflict) as caught:
        apply(live, deployment(5, labels={"team": "b"}, containers=[
            {"name": "web", "image": "nginx:1.26"}]), "other")

    assert caught.value.conflicts == [
        ("ci", ".metadata.labels.team"),
        ("kubectl", ".spec.replicas"),
        ("kubectl", '.spec.template.spec.containers[name="web"].image'),
    ]
    assert caught.value.message == (
        'Apply failed with 3 conflicts: conflicts with "ci":\n- .metadata.labels.team\n'
        'conflicts with "kubectl":\n- .spec.replicas\n'
        '- .spec.template.spec.containers[name="web"].image')


def test_force_moves_ownership_to_the_applier() -> None:
    """With force the value changes and the field leaves the previous owner's set."""
    live = created("kubectl")

    result = apply(live, {"apiVersion": "apps/v1", "kind": "Deployment",
                          "metadata": {"name": "web"}, "spec": {"replicas": 5}},
                   "autoscaler", force=True)

    assert result["spec"]["replicas"] == 5
    assert ".spec.replicas" not in owned(result, "kubectl")
    assert owned(result, "autoscaler") == [".spec.replicas"]
    assert entry(result, "kubectl")["time"] == T0


def test_same_value_is_shared_without_conflict() -> None:
    """Two appliers setting the same value share the field; neither loses it."""
    live = created("kubectl")

    result = apply(live, {"apiVersion": "apps/v1", "kind": "Deployment",
                          "metadata": {"name": "web"}, "spec": {"replicas": 2}}, "autoscaler")

    assert ".spec.replicas" in owned(result, "kubectl")
    assert owned(result, "autoscaler") == [".spec.replicas"]
    assert managers(result) == [("kubectl", "Apply"), ("autoscaler", "Apply")]


def test_shared_field_changed_by_one_owner_conflicts() -> None:
    """Once shared, changing the field conflicts with the other owner."""
    live = created("kubectl")
    live = stored(apply(live, {"apiVersion": "apps/v1", "kind": "Deployment",
                               "metadata": {"name": "web"}, "spec": {"replicas": 2}}, "hpa"))

    with pytest.raises(ApplyConflict) as caught:
        apply(live, deployment(4), "kubectl", now=T2)

    assert caught.value.conflicts == [("hpa", ".spec.replicas")]


def test_containers_merge_by_name_keeping_another_managers_container() -> None:
    """Keyed lists merge per item: each applier's container survives the other's applies."""
    live = created("kubectl")
    sidecar = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"template": {"spec": {"containers": [
                   {"name": "proxy", "image": "envoy:1"}]}}}}
    live = stored(apply(live, sidecar, "mesh"))

    result = apply(live, deployment(3), "kubectl", now=T2)

    assert [c["name"] for c in containers(result)] == ["web", "proxy"]
    assert containers(result)[1]["image"] == "envoy:1"
    assert owned(result, "mesh") == [
        '.spec.template.spec.containers[name="proxy"]',
        '.spec.template.spec.containers[name="proxy"].image',
        '.spec.template.spec.containers[name="proxy"].name',
    ]


def test_new_keyed_item_goes_where_the_configuration_puts_it() -> None:
    """An item the configuration adds before an existing one is stored before it."""
    live = created(config=deployment(containers=[{"name": "web", "image": "nginx"}]))
    config = deployment(containers=[{"name": "init", "image": "busybox"},
                                    {"name": "web", "image": "nginx"}])

    result = apply(live, config)

    assert [c["name"] for c in containers(result)] == ["init", "web"]


# --- apply: list and map kinds --------------------------------------------------------------------


def test_atomic_list_is_replaced_whole_and_owned_whole() -> None:
    """A list without merge key is atomic: replaced by the applied one, owned as one field."""
    live = created(config=deployment(containers=[{"name": "web", "image": "nginx",
                                                  "args": ["-a", "-b"]}]))

    result = apply(live, deployment(containers=[{"name": "web", "image": "nginx",
                                                 "args": ["-c"]}]))

    assert containers(result)[0]["args"] == ["-c"]
    assert '.spec.template.spec.containers[name="web"].args' in owned(result, "kubectl")


def test_atomic_struct_is_replaced_whole() -> None:
    """LabelSelector is atomic (structType=atomic): owned as ``f:selector`` and replaced."""
    live = created()
    config = deployment()
    config["spec"]["selector"] = {"matchLabels": {"tier": "web"}}

    result = apply(live, config)

    assert result["spec"]["selector"] == {"matchLabels": {"tier": "web"}}
    assert ".spec.selector" in owned(result, "kubectl")
    assert ".spec.selector.matchLabels.tier" not in owned(result, "kubectl")


def test_set_list_items_are_owned_by_value() -> None:
    """A set list (finalizers) unites the appliers' values, each owned as ``v:"..."``."""
    config = deployment()
    config["metadata"]["finalizers"] = ["a.example/x"]
    live = created(config=config)
    other = {"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "web", "finalizers": ["b.example/y"]}}

    result = apply(live, other, "cleaner")

    assert result["metadata"]["finalizers"] == ["a.example/x", "b.example/y"]
    assert owned(result, "cleaner") == ['.metadata.finalizers[="b.example/y"]']
    assert entry(result, "cleaner")["fieldsV1"] == {
        "f:metadata": {"f:finalizers": {'v:"b.example/y"': {}}}}


def test_applied_null_is_owned_but_stored_absent() -> None:
    """``null`` in the configuration claims the field and leaves it unset."""
    live = created()
    config = deployment()
    config["spec"]["template"]["metadata"]["creationTimestamp"] = None

    result = apply(live, config)

    assert "creationTimestamp" not in result["spec"]["template"]["metadata"]
    assert ".spec.template.metadata.creationTimestamp" in owned(result, "kubectl")


def test_without_schema_maps_merge_and_lists_are_atomic() -> None:
    """With no schema every map merges and every list is atomic."""
    live = {"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w", "uid": "u"},
            "spec": {"sizes": [1, 2], "color": "red"}}
    config = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
              "spec": {"sizes": [3], "shape": "round"}}

    result = server_side_apply(live, config, manager="m", force=False, schema=None, now=T1)

    assert result["spec"] == {"sizes": [3], "color": "red", "shape": "round"}
    assert owned(result, "m") == [".spec.shape", ".spec.sizes"]


@pytest.mark.parametrize(
    ("containers_config", "message"),
    [
        pytest.param([{"image": "nginx"}],
                     'failed to create typed patch object (default/web; apps/v1, '
                     'Kind=Deployment): .spec.template.spec.containers: element 0: associative '
                     'list with keys has an element that omits key field "name" (and doesn\'t '
                     'have default value)', id="missing-merge-key"),
        pytest.param([{"name": "a", "image": "x"}, {"name": "a", "image": "y"}],
                     'failed to create typed patch object (default/web; apps/v1, '
                     'Kind=Deployment): .spec.template.spec.containers: duplicate entries for '
                     'key [name="a"]', id="duplicate-key"),
    ],
)
def test_malformed_keyed_list_is_rejected(containers_config: list, message: str) -> None:
    """A keyed list item without its key, or a repeated key, cannot be applied."""
    with pytest.raises(BadRequest) as caught:
        apply(None, deployment(containers=containers_config))

    assert caught.value.message == message


def test_applied_managed_fields_are_rejected() -> None:
    """The configuration may not carry managedFields."""
    config = deployment()
    config["metadata"]["managedFields"] = [{"manager": "x"}]

    with pytest.raises(BadRequest) as caught:
        apply(None, config)

    assert caught.value.message == "metadata.managedFields must be nil"


# --- updates (create, update, patch) --------------------------------------------------------------


def test_record_update_on_create_owns_every_field() -> None:
    """A create records an Update entry owning what it set, new maps and items with ``.``."""
    new = stored(deployment())
    del new["status"]

    record_update(None, new, manager="kubectl-create", schema=DEPLOYMENT, now=T0)

    assert new["metadata"]["managedFields"][0]["fieldsV1"]["f:metadata"] == {
        "f:labels": {".": {}, "f:app": {}}}
    assert managers(new) == [("kubectl-create", "Update")]
    assert '.spec.template.spec.containers[name="web"].imagePullPolicy' in owned(
        new, "kubectl-create", "Update")


def test_record_update_takes_ownership_from_an_applier() -> None:
    """An update (kubectl scale/edit) takes the field; the applier's next change conflicts."""
    live = created("kubectl")
    scaled = copy.deepcopy(live)
    scaled["spec"]["replicas"] = 5

    record_update(live, scaled, manager="kubectl-edit", schema=DEPLOYMENT, now=T2)

    assert owned(scaled, "kubectl-edit", "Update") == [".spec.replicas"]
    assert ".spec.replicas" not in owned(scaled, "kubectl")
    with pytest.raises(ApplyConflict) as caught:
        apply(scaled, deployment(2), "kubectl", now=T3)
    assert caught.value.conflicts == [("kubectl-edit", ".spec.replicas")]
    assert caught.value.message == ('Apply failed with 1 conflict: conflict with '
                                    '"kubectl-edit" using apps/v1: .spec.replicas')


def test_record_update_through_a_subresource_is_named_in_conflicts() -> None:
    """An update through /scale is its own entry, printed "with subresource"."""
    live = created("kubectl")
    scaled = copy.deepcopy(live)
    scaled["spec"]["replicas"] = 5

    record_update(live, scaled, manager="kubectl", schema=DEPLOYMENT, now=T2,
                  subresource="scale")

    assert entry(scaled, "kubectl", "Update")["subresource"] == "scale"
    with pytest.raises(ApplyConflict) as caught:
        apply(scaled, deployment(3), "kubectl", now=T3)
    assert caught.value.message == ('Apply failed with 1 conflict: conflict with "kubectl" with '
                                    'subresource "scale" using apps/v1: .spec.replicas')


def test_apply_keeping_the_updated_value_does_not_conflict() -> None:
    """The applier may re-apply the value an updater set: the field is then shared."""
    live = created("kubectl")
    scaled = copy.deepcopy(live)
    scaled["spec"]["replicas"] = 5
    record_update(live, scaled, manager="kubectl-edit", schema=DEPLOYMENT, now=T2)

    result = apply(scaled, deployment(5), "kubectl", now=T3)

    assert ".spec.replicas" in owned(result, "kubectl")
    assert owned(result, "kubectl-edit", "Update") == [".spec.replicas"]


def test_record_update_removal_leaves_every_set_and_keeps_times() -> None:
    """Removing a field strips it from all owners without touching their timestamps."""
    live = created("kubectl")
    edited = copy.deepcopy(live)
    del edited["spec"]["replicas"]

    record_update(live, edited, manager="kubectl-edit", schema=DEPLOYMENT, now=T2)

    assert ".spec.replicas" not in owned(edited, "kubectl")
    assert entry(edited, "kubectl")["time"] == T0
    assert managers(edited) == [("kubectl", "Apply")]


def test_record_update_ignores_status_on_the_main_resource() -> None:
    """Status changes are owned through the status subresource only."""
    live = created("kubectl")
    new = copy.deepcopy(live)
    new["status"]["replicas"] = 3

    record_update(live, new, manager="kube-controller-manager", schema=DEPLOYMENT, now=T2)
    assert managers(new) == [("kubectl", "Apply")]

    record_update(live, new, manager="kube-controller-manager", schema=DEPLOYMENT, now=T2,
                  subresource="status")
    assert owned(new, "kube-controller-manager", "Update") == [".status.replicas"]


def test_record_update_with_one_empty_entry_resets_managed_fields() -> None:
    """Sending ``managedFields: [{}]`` drops every entry (the documented way to reset them)."""
    live = created("kubectl")
    new = copy.deepcopy(live)
    new["metadata"]["managedFields"] = [{}]

    record_update(live, new, manager="kubectl-edit", schema=DEPLOYMENT, now=T2)

    assert "managedFields" not in new["metadata"]


def test_more_than_ten_updaters_merge_into_ancient_changes() -> None:
    """At most ten Update entries are kept; the oldest merge into ``ancient-changes``."""
    obj = created("kubectl")
    for i in range(11):
        new = copy.deepcopy(obj)
        new["metadata"]["labels"][f"l{i}"] = "x"
        record_update(obj, new, manager=f"tool-{i}", schema=DEPLOYMENT,
                      now=f"2024-05-01T11:00:{i:02d}Z")
        obj = new

    updaters = [m for m, op in managers(obj) if op == "Update"]
    assert len(updaters) == 10
    assert "ancient-changes" in updaters and "tool-0" not in updaters and "tool-1" not in updaters
    assert owned(obj, "ancient-changes", "Update") == [".metadata.labels.l0",
                                                      ".metadata.labels.l1"]


# --- migration from client-side apply -------------------------------------------------------------


def client_side_applied(config: dict) -> dict:
    """``config`` as client-side ``kubectl apply`` created it."""
    obj = copy.deepcopy(config)
    obj["metadata"].setdefault("annotations", {})[LAST_APPLIED_ANNOTATION] = json.dumps(config)
    record_update(None, obj, manager="kubectl-client-side-apply", schema=DEPLOYMENT, now=T0)
    return stored(obj)


def test_kubectl_server_side_apply_takes_over_client_side_fields() -> None:
    """kubectl's first server-side apply does not conflict on last-applied fields."""
    live = client_side_applied(deployment(2))

    result = apply(live, deployment(4), "kubectl")

    assert result["spec"]["replicas"] == 4
    assert ".spec.replicas" not in owned(result, "kubectl-client-side-apply", "Update")
    last_applied = json.loads(result["metadata"]["annotations"][LAST_APPLIED_ANNOTATION])
    assert last_applied["spec"]["replicas"] == 4


def test_other_appliers_still_conflict_with_client_side_apply() -> None:
    """Only the manager "kubectl" is excused; another applier conflicts as usual."""
    live = client_side_applied(deployment(2))

    with pytest.raises(ApplyConflict) as caught:
        apply(live, deployment(4), "argocd")

    assert caught.value.conflicts == [("kubectl-client-side-apply", ".spec.replicas")]


# --- fieldsV1 notation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tree", "paths"),
    [
        pytest.param({"f:spec": {"f:replicas": {}}}, [".spec.replicas"], id="field"),
        pytest.param({"f:c": {'k:{"name":"a"}': {".": {}, "f:image": {}}}},
                     ['.c[name="a"]', '.c[name="a"].image'], id="keyed-item-with-dot"),
        pytest.param({"f:f": {'v:"x"': {}, "v:3": {}}}, ['.f[=3]', '.f[="x"]'], id="set-values"),
        pytest.param({"f:p": {'k:{"containerPort":8080,"protocol":"TCP"}': {}}},
                     ['.p[containerPort=8080,protocol="TCP"]'], id="two-keys"),
    ],
)
def test_fields_v1_round_trip(tree: dict, paths: list[str]) -> None:
    """fieldsV1 decodes to the paths Kubernetes prints and encodes back unchanged."""
    decoded = fields_from_v1(tree)

    assert sorted(path_string(p) for p in decoded) == sorted(paths)
    assert fields_to_v1(decoded) == tree


def test_fields_v1_orders_keys_numerically() -> None:
    """Keyed items are ordered by key value (80 before 8080), as structured-merge-diff does."""
    tree = {"f:p": {'k:{"containerPort":8080}': {}, 'k:{"containerPort":80}': {}}}

    assert list(fields_to_v1(fields_from_v1(tree))["f:p"]) == [
        'k:{"containerPort":80}', 'k:{"containerPort":8080}']
