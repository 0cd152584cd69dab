"""Strategic merge patch: the cases Kubernetes documents, each directive, and malformed patches.

Expected results (including the order of merged lists) are those of Kubernetes'
``apimachinery/pkg/util/strategicpatch`` and of the examples ("docs-...") in "Update API Objects
in Place Using kubectl patch" (kubernetes.io/docs/tasks/manage-kubernetes-objects/).
The schemas are small Pod/Deployment-like trees written here with the schema DSL.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from minikube_py.api.errors import BadRequest, Invalid, StatusError
from minikube_py.api.machinery.strategicmerge import strategic_merge_patch
from minikube_py.api.schema import (
    Schema,
    array,
    int_or_string,
    integer,
    obj,
    string,
    string_map,
)

# --- schemas ----------------------------------------------------------------------------------

PORT = obj("ContainerPort", {"containerPort": integer(), "name": string(), "protocol": string()})
ENV = obj("EnvVar", {"name": string(), "value": string()})
CONTAINER = obj("Container", {
    "name": string(),
    "image": string(),
    "args": array(string()),
    "ports": array(PORT, merge_key="containerPort"),
    "env": array(ENV, merge_key="name"),
})
VOLUME = obj("Volume", {
    "name": string(),
    "emptyDir": obj("EmptyDirVolumeSource", {"medium": string()}),
    "hostPath": obj("HostPathVolumeSource", {"path": string(), "type": string()}),
    "configMap": obj("ConfigMapVolumeSource", {"name": string()}),
})
TOLERATION = obj("Toleration", {"key": string(), "operator": string(), "value": string(),
                                "effect": string()})
POD_SPEC = obj("PodSpec", {
    "containers": array(CONTAINER, merge_key="name"),
    "volumes": array(VOLUME, merge_key="name", strategy="merge,retainKeys"),
    "tolerations": array(TOLERATION),
    "nodeSelector": string_map(),
    "restartPolicy": string(),
})
METADATA = obj("ObjectMeta", {
    "name": string(),
    "labels": string_map(),
    "annotations": string_map(),
    "finalizers": array(string(), strategy="merge"),
})
POD = obj("Pod", {"apiVersion": string(), "kind": string(), "metadata": METADATA,
                  "spec": POD_SPEC})
STRATEGY = replace(obj("DeploymentStrategy", {
    "type": string(),
    "rollingUpdate": obj("RollingUpdateDeployment", {"maxSurge": int_or_string(),
                                                     "maxUnavailable": int_or_string()}),
}), patch_strategy="retainKeys")
SELECTOR = replace(obj("LabelSelector", {"matchLabels": string_map()}), patch_strategy="replace")
DEPLOYMENT = obj("Deployment", {
    "metadata": METADATA,
    "spec": obj("DeploymentSpec", {
        "replicas": integer(),
        "selector": SELECTOR,
        "strategy": STRATEGY,
        "template": obj("PodTemplateSpec", {"metadata": METADATA, "spec": POD_SPEC}),
    }),
})


# --- object builders --------------------------------------------------------------------------


def pod(*, spec: dict | None = None, **metadata: Any) -> dict:
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": "web", **metadata}}
    if spec is not None:
        out["spec"] = spec
    return out


def containers(*items: dict) -> dict:
    return {"spec": {"containers": list(items)}}


def deployment(**spec: Any) -> dict:
    return {"metadata": {"name": "patch-demo"}, "spec": {"replicas": 2, **spec}}


def template(pod_spec: dict) -> dict:
    return {"metadata": {"labels": {"app": "nginx"}}, "spec": pod_spec}


NGINX = {"name": "patch-demo-ctr", "image": "nginx"}
ROLLING = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
WEB = {"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}],
       "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
SIDECAR = {"name": "sidecar", "image": "busybox"}
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


# --- successful patches -----------------------------------------------------------------------

CASES = [
    # maps
    pytest.param(
        pod(labels={"app": "web"}), {"metadata": {"labels": {"tier": "front"}}}, POD,
        pod(labels={"app": "web", "tier": "front"}),
        id="map-merges-recursively"),
    pytest.param(
        pod(labels={"app": "web", "tier": "front"}), {"metadata": {"labels": {"tier": None}}},
        POD, pod(labels={"app": "web"}),
        id="null-deletes-key"),
    pytest.param(
        pod(labels={"app": "web"}), {"metadata": {"labels": {"gone": None}}}, POD,
        pod(labels={"app": "web"}),
        id="null-for-absent-key-is-ignored"),
    pytest.param(
        pod(), {"metadata": {"annotations": {"a": "1", "b": None}}}, POD,
        pod(annotations={"a": "1"}),
        id="new-map-drops-its-nulls"),
    pytest.param(
        pod(labels={"app": "web"}), {"metadata": {"labels": "oops"}}, POD,
        pod(labels="oops"),
        id="value-of-another-type-replaces"),
    pytest.param(
        deployment(selector={"matchLabels": {"app": "a", "tier": "b"}}),
        {"spec": {"selector": {"matchLabels": {"app": "c"}}}}, DEPLOYMENT,
        deployment(selector={"matchLabels": {"app": "c"}}),
        id="map-with-replace-strategy-is-replaced"),
    # lists
    pytest.param(
        deployment(template=template({"containers": [NGINX]})),
        {"spec": {"template": {"spec": {"containers": [
            {"name": "patch-demo-ctr-2", "image": "redis"}]}}}},
        DEPLOYMENT,
        deployment(template=template({"containers": [
            {"name": "patch-demo-ctr-2", "image": "redis"}, NGINX]})),
        id="docs-containers-merged-by-name"),
    pytest.param(
        pod(spec={"containers": [WEB, SIDECAR]}),
        containers({"name": "web", "image": "nginx:1.27"}), POD,
        pod(spec={"containers": [{**WEB, "image": "nginx:1.27"}, SIDECAR]}),
        id="container-merged-into-live-one"),
    pytest.param(
        pod(spec={"containers": [WEB]}),
        containers({"name": "web", "ports": [{"containerPort": 80, "name": "http"},
                                             {"containerPort": 443}]}), POD,
        pod(spec={"containers": [{**WEB, "ports": [{"containerPort": 80, "name": "http"},
                                                   {"containerPort": 443}]}]}),
        id="nested-ports-merged-by-container-port"),
    pytest.param(
        pod(spec={"containers": [WEB]}),
        containers({"name": "web", "env": [{"name": "B", "value": "two"}]}), POD,
        pod(spec={"containers": [{**WEB, "env": [{"name": "A", "value": "1"},
                                                 {"name": "B", "value": "two"}]}]}),
        id="nested-env-merged-by-name"),
    pytest.param(
        deployment(template=template({"containers": [NGINX], "tolerations": [
            {"effect": "NoSchedule", "key": "dedicated", "value": "test-team"}]})),
        {"spec": {"template": {"spec": {"tolerations": [
            {"effect": "NoSchedule", "key": "disktype", "value": "ssd"}]}}}},
        DEPLOYMENT,
        deployment(template=template({"containers": [NGINX], "tolerations": [
            {"effect": "NoSchedule", "key": "disktype", "value": "ssd"}]})),
        id="docs-tolerations-replaced"),
    pytest.param(
        pod(spec={"containers": [{"name": "web", "args": ["-a", "-b"]}]}),
        containers({"name": "web", "args": ["-c"]}), POD,
        pod(spec={"containers": [{"name": "web", "args": ["-c"]}]}),
        id="list-without-strategy-replaced"),
    pytest.param(
        pod(finalizers=["a", "b"]), {"metadata": {"finalizers": ["b", "c"]}}, POD,
        pod(finalizers=["a", "b", "c"]),
        id="primitive-merge-list-is-set-union"),
    pytest.param(
        pod(finalizers=["a"]), {"metadata": {"finalizers": ["x"]}}, POD,
        pod(finalizers=["x", "a"]),
        id="primitive-merge-list-new-values-come-first"),
    pytest.param(
        pod(), {"metadata": {"finalizers": ["x", "x"]}}, POD,
        pod(finalizers=["x"]),
        id="primitive-merge-list-added-deduplicated"),
    # $patch
    pytest.param(
        pod(labels={"app": "web", "tier": "front"}),
        {"metadata": {"labels": {"$patch": "replace", "app": "api"}}}, POD,
        pod(labels={"app": "api"}),
        id="patch-replace-on-map"),
    pytest.param(
        pod(labels={"app": "web"}, spec={"containers": [WEB]}),
        {"$patch": "replace", "kind": "Pod", "metadata": {"name": "new"}}, POD,
        {"kind": "Pod", "metadata": {"name": "new"}},
        id="patch-replace-on-whole-object"),
    pytest.param(
        pod(spec={"containers": [WEB, SIDECAR]}),
        containers({"name": "only", "image": "alpine"}, {"$patch": "replace"}), POD,
        pod(spec={"containers": [{"name": "only", "image": "alpine"}]}),
        id="patch-replace-in-list"),
    pytest.param(
        pod(spec={"containers": [WEB, SIDECAR]}),
        containers({"name": "sidecar", "$patch": "delete"}), POD,
        pod(spec={"containers": [WEB]}),
        id="patch-delete-list-element"),
    pytest.param(
        pod(spec={"containers": [WEB]}),
        containers({"name": "absent", "$patch": "delete"}), POD,
        pod(spec={"containers": [WEB]}),
        id="patch-delete-of-absent-element-is-noop"),
    pytest.param(
        deployment(strategy=ROLLING),
        {"spec": {"strategy": {"rollingUpdate": {"$patch": "delete"}}}}, DEPLOYMENT,
        deployment(strategy={"type": "RollingUpdate"}),
        id="patch-delete-on-map"),
    pytest.param(
        pod(labels={"app": "web"}),
        {"metadata": {"labels": {"$patch": "merge", "tier": "front"}}}, POD,
        pod(labels={"app": "web", "tier": "front"}),
        id="patch-merge-on-map"),
    pytest.param(
        pod(labels={"app": "web"}), {"$patch": "delete"}, POD, {},
        id="patch-delete-on-whole-object"),
    # $setElementOrder
    pytest.param(
        pod(spec={"containers": [WEB, SIDECAR]}),
        {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}]}}, POD,
        pod(spec={"containers": [SIDECAR, WEB]}),
        id="set-element-order-reorders-merge-keyed-list"),
    pytest.param(
        pod(finalizers=["a", "b", "c"]),
        {"metadata": {"$setElementOrder/finalizers": ["c", "a", "b"]}}, POD,
        pod(finalizers=["c", "a", "b"]),
        id="set-element-order-reorders-primitive-list"),
    pytest.param(
        pod(spec={"containers": [WEB, SIDECAR]}),
        {"spec": {"$setElementOrder/containers": [{"name": "web"}, {"name": "metrics"},
                                                  {"name": "sidecar"}],
                  "containers": [{"name": "metrics", "image": "prom"}]}}, POD,
        pod(spec={"containers": [WEB, {"name": "metrics", "image": "prom"}, SIDECAR]}),
        id="set-element-order-places-added-element"),
    pytest.param(
        pod(spec={"containers": [WEB, SIDECAR]}),
        {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}]}}, POD,
        pod(spec={"containers": [WEB, SIDECAR]}),
        id="set-element-order-keeps-server-only-elements"),
    # what kubectl apply sends
    pytest.param(
        deployment(template=template({"containers": [WEB, SIDECAR]})),
        {"metadata": {"annotations": {LAST_APPLIED: "{...}"}},
         "spec": {"template": {"spec": {
             "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
             "containers": [{"image": "nginx:1.27", "name": "web"}]}}}},
        DEPLOYMENT,
        {"metadata": {"name": "patch-demo", "annotations": {LAST_APPLIED: "{...}"}},
         "spec": {"replicas": 2, "template": template(
             {"containers": [{**WEB, "image": "nginx:1.27"}, SIDECAR]})}},
        id="kubectl-apply-changes-image"),
    pytest.param(
        deployment(template=template({"containers": [WEB, SIDECAR]})),
        {"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "web"}],
            "containers": [{"$patch": "delete", "name": "sidecar"}]}}}},
        DEPLOYMENT,
        deployment(template=template({"containers": [WEB]})),
        id="kubectl-apply-removes-container"),
    pytest.param(
        pod(spec={"containers": [WEB]}),
        {"spec": {"$setElementOrder/containers": [{"name": "web"}],
                  "containers": [{"$setElementOrder/env": [{"name": "A"}],
                                  "env": [{"$patch": "delete", "name": "B"}],
                                  "name": "web"}]}}, POD,
        pod(spec={"containers": [{**WEB, "env": [{"name": "A", "value": "1"}]}]}),
        id="kubectl-apply-removes-env-var"),
    pytest.param(
        pod(finalizers=["a", "b", "c"]),
        {"metadata": {"$setElementOrder/finalizers": ["a", "c"],
                      "$deleteFromPrimitiveList/finalizers": ["b"]}}, POD,
        pod(finalizers=["a", "c"]),
        id="kubectl-apply-removes-finalizer"),
    pytest.param(
        {"mergingList": [{"name": 1}, {"name": 2, "other": "b"}, {"name": 4, "other": "c"}]},
        {"$setElementOrder/mergingList": [{"name": 2}, {"name": 3}],
         "mergingList": [{"name": 3}, {"name": 1, "$patch": "delete"}]},
        obj("mergeItem", {"mergingList": array(obj(None, {}), merge_key="name")}),
        {"mergingList": [{"name": 2, "other": "b"}, {"name": 4, "other": "c"}, {"name": 3}]},
        id="kubernetes-order-when-adding-and-deleting"),
    # $deleteFromPrimitiveList
    pytest.param(
        pod(finalizers=["a", "b", "c", "b"]),
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}, POD,
        pod(finalizers=["a", "c"]),
        id="delete-from-primitive-list"),
    pytest.param(
        pod(), {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}, POD, pod(),
        id="delete-from-absent-primitive-list-adds-nothing"),
    # $retainKeys
    pytest.param(
        deployment(strategy=ROLLING),
        {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}, DEPLOYMENT,
        deployment(strategy={"type": "Recreate"}),
        id="docs-retain-keys-rolling-update-to-recreate"),
    pytest.param(
        deployment(strategy=ROLLING),
        {"spec": {"strategy": {"type": "Recreate"}}}, DEPLOYMENT,
        deployment(strategy={**ROLLING, "type": "Recreate"}),
        id="docs-without-retain-keys-rolling-update-stays"),
    pytest.param(
        pod(spec={"volumes": [{"name": "data", "hostPath": {"path": "/srv"}},
                              {"name": "cfg", "configMap": {"name": "cfg"}}]}),
        {"spec": {"volumes": [{"$retainKeys": ["emptyDir", "name"], "emptyDir": {},
                               "name": "data"}]}}, POD,
        pod(spec={"volumes": [{"name": "data", "emptyDir": {}},
                              {"name": "cfg", "configMap": {"name": "cfg"}}]}),
        id="volumes-merge-retain-keys-switches-source"),
    pytest.param(
        pod(spec={"volumes": [{"name": "data", "hostPath": {"path": "/srv"}}]}),
        {"spec": {"volumes": [{"emptyDir": {}, "name": "data"}]}}, POD,
        pod(spec={"volumes": [{"name": "data", "hostPath": {"path": "/srv"}, "emptyDir": {}}]}),
        id="volumes-merge-without-retain-keys-keeps-both"),
    pytest.param(
        pod(spec={"containers": [WEB]}),
        {"spec": {"volumes": [{"$retainKeys": ["emptyDir", "name"], "emptyDir": {},
                               "name": "data"}, {"$patch": "delete", "name": "old"}],
                  "$setElementOrder/volumes": [{"name": "data"}]}}, POD,
        pod(spec={"containers": [WEB], "volumes": [{"emptyDir": {}, "name": "data"}]}),
        id="directives-resolved-in-new-list"),
    # no schema, or fields the schema does not know: JSON merge patch
    pytest.param(
        {"spec": {"items": [1, 2], "m": {"a": 1, "b": 2}}},
        {"spec": {"items": [3], "m": {"b": None, "c": 3}}}, None,
        {"spec": {"items": [3], "m": {"a": 1, "c": 3}}},
        id="no-schema-is-json-merge-patch"),
    pytest.param(
        pod(spec={"containers": [WEB], "extra": [{"name": "x", "v": 1}]}),
        {"spec": {"extra": [{"name": "y"}], "more": {"k": "v"}}}, POD,
        pod(spec={"containers": [WEB], "extra": [{"name": "y"}], "more": {"k": "v"}}),
        id="unknown-field-list-replaced"),
]


def _directive_keys(value: Any) -> list[str]:
    """Every ``$``-key left anywhere in ``value``."""
    if isinstance(value, dict):
        own = [key for key in value if key.startswith("$")]
        return own + [k for v in value.values() for k in _directive_keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in _directive_keys(v)]
    return []


@pytest.mark.parametrize(("original", "patch", "schema", "expected"), CASES)
def test_strategic_merge_patch(original: dict, patch: dict, schema: Schema | None,
                               expected: dict) -> None:
    """The patched object is Kubernetes' result, in Kubernetes' order, with no directive left."""
    result = strategic_merge_patch(original, patch, schema)
    assert result == expected
    assert _directive_keys(result) == []


def test_inputs_are_not_mutated() -> None:
    """Neither the live object nor the patch is changed by applying the patch."""
    original = deployment(strategy=ROLLING, template=template({"containers": [WEB, SIDECAR]}))
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                      "template": {"spec": {
                          "$setElementOrder/containers": [{"name": "web"}],
                          "containers": [{"$patch": "delete", "name": "sidecar"},
                                         {"name": "web", "env": [{"name": "A", "value": None}]}],
                      }}}}
    original_before, patch_before = copy.deepcopy(original), copy.deepcopy(patch)
    result = strategic_merge_patch(original, patch, DEPLOYMENT)
    assert original == original_before
    assert patch == patch_before
    result["spec"]["template"]["spec"]["containers"][0]["image"] = "changed"
    assert original == original_before


# --- malformed patches ------------------------------------------------------------------------

MALFORMED = [
    pytest.param(
        {"metadata": {"labels": {"$patch": "foo"}}}, BadRequest,
        "unknown patch type: foo in map: map[$patch:foo]",
        id="unknown-patch-type-on-map"),
    pytest.param(
        containers({"name": "web", "$patch": "foo"}), BadRequest, "unknown patch type: foo",
        id="unknown-patch-type-in-list"),
    pytest.param(
        containers({"name": "web", "$patch": "merge"}), BadRequest,
        "merging lists cannot yet be specified in the patch",
        id="patch-merge-in-list"),
    pytest.param(
        containers({"image": "x"}), BadRequest,
        "map: map[image:x] does not contain declared merge key: name",
        id="merge-keyed-element-without-merge-key"),
    pytest.param(
        containers({"$patch": "delete", "image": "x"}), BadRequest,
        "does not contain declared merge key: name",
        id="delete-directive-without-merge-key"),
    pytest.param(
        {"spec": {"$setElementOrder/containers": "web"}}, BadRequest,
        "invalid patch format of setElementOrder list",
        id="set-element-order-not-a-list"),
    pytest.param(
        {"spec": {"$setElementOrder": [{"name": "web"}]}}, BadRequest,
        "invalid patch format of setElementOrder list",
        id="set-element-order-without-field"),
    pytest.param(
        {"spec": {"$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
                  "containers": [{"name": "sidecar"}, {"name": "web"}]}}, BadRequest,
        "doesn't match $setElementOrder list",
        id="set-element-order-contradicts-patch-list"),
    pytest.param(
        {"spec": {"$setElementOrder/containers": [{"image": "x"}]}}, BadRequest,
        "does not contain declared merge key: name",
        id="set-element-order-item-without-merge-key"),
    pytest.param(
        {"spec": {"$retainKeys": "type"}}, BadRequest, "invalid patch format of retainKeys",
        id="retain-keys-not-a-list"),
    pytest.param(
        {"spec": {"$retainKeys": ["containers"], "restartPolicy": "Never"}}, BadRequest,
        "invalid patch format of retainKeys",
        id="retain-keys-omits-a-patched-field"),
    pytest.param(
        {"metadata": {"$deleteFromPrimitiveList/finalizers": "b"}}, BadRequest,
        "invalid patch format of primitive list",
        id="delete-from-primitive-list-not-a-list"),
    pytest.param(
        {"metadata": {"$deleteFromPrimitiveList": ["b"]}}, BadRequest,
        "invalid patch format of primitive list",
        id="delete-from-primitive-list-without-field"),
    pytest.param(
        {"metadata": {"finalizers": [["a"]]}}, Invalid, "lists of lists are not supported",
        id="list-of-lists"),
    pytest.param(
        {"metadata": {"finalizers": ["a", {"b": 1}]}}, BadRequest,
        "list element types are not identical",
        id="mixed-element-types"),
]


@pytest.mark.parametrize(("patch", "error", "message"), MALFORMED)
def test_malformed_patch_is_refused(patch: dict, error: type[StatusError], message: str) -> None:
    """A malformed directive is refused with Kubernetes' status and words."""
    original = pod(finalizers=["a"], spec={"containers": [WEB, SIDECAR]})
    with pytest.raises(error) as caught:
        strategic_merge_patch(original, patch, POD)
    assert message in caught.value.message


def test_patch_that_is_not_an_object_is_refused() -> None:
    """A JSON array is not a strategic merge patch: 400 invalid JSON document."""
    with pytest.raises(BadRequest, match="invalid JSON document"):
        strategic_merge_patch(pod(), [{"op": "add"}], POD)  # type: ignore[arg-type]
