"""Every kind's strategy, table-driven: what a create, an update and a ``/status`` update do
to an object (the generic ``apiserver/lifecycle.py`` steps around the kind's own hooks), and
what the kind's validation accepts and refuses.

One valid sample per registered kind; a kind added without a sample fails
``test_every_kind_has_a_sample``, so the recipe in docs/ARCHITECTURE.md cannot skip this table.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.apiserver import lifecycle
from tests.helpers.certs import csr_b64

Object = dict[str, Any]


def rt_of(kind: str) -> ResourceType:
    return next(rt for rt in REGISTRY if rt.kind == kind)


def template(**spec: Any) -> Object:
    spec.setdefault("containers", [{"name": "c", "image": "nginx:1.25"}])
    return {"metadata": {"labels": {"app": "x"}}, "spec": spec}


SELECTOR = {"matchLabels": {"app": "x"}}
POD_SPEC = {"containers": [{"name": "c", "image": "nginx:1.25"}]}

#: One valid object per kind (body without apiVersion/kind/metadata.name).
SAMPLES: dict[str, Object] = {
    "Namespace": {},
    "Pod": {"spec": POD_SPEC},
    "Service": {"spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}},
    "Endpoints": {"subsets": [{"addresses": [{"ip": "10.1.0.5"}], "ports": [{"port": 80}]}]},
    "EndpointSlice": {"addressType": "IPv4", "ports": [{"name": "http", "port": 80}],
                      "endpoints": [{"addresses": ["10.1.0.5"], "conditions": {"ready": True}}]},
    "Node": {"spec": {}},
    "ConfigMap": {"data": {"k": "v"}},
    "Secret": {"data": {"k": "dg=="}},
    "Event": {"involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
              "reason": "Started", "message": "m", "type": "Normal"},
    "ServiceAccount": {},
    "ResourceQuota": {"spec": {"hard": {"pods": "10"}}},
    "LimitRange": {"spec": {"limits": [{"type": "Container",
                                        "default": {"cpu": "100m"}}]}},
    "PersistentVolume": {"spec": {"capacity": {"storage": "1Gi"},
                                  "accessModes": ["ReadWriteOnce"],
                                  "hostPath": {"path": "/tmp/pv"}}},
    "PersistentVolumeClaim": {"spec": {"accessModes": ["ReadWriteOnce"],
                                       "resources": {"requests": {"storage": "1Gi"}}}},
    "ReplicationController": {"spec": {"replicas": 1, "selector": {"app": "x"},
                                       "template": template()}},
    "Deployment": {"spec": {"replicas": 1, "selector": SELECTOR, "template": template()}},
    "ReplicaSet": {"spec": {"replicas": 1, "selector": SELECTOR, "template": template()}},
    "StatefulSet": {"spec": {"replicas": 1, "selector": SELECTOR, "serviceName": "x",
                             "template": template()}},
    "DaemonSet": {"spec": {"selector": SELECTOR, "template": template()}},
    "ControllerRevision": {"revision": 1, "data": {}},
    "Job": {"spec": {"template": template(restartPolicy="Never")}},
    "CronJob": {"spec": {"schedule": "*/5 * * * *", "jobTemplate": {
        "spec": {"template": template(restartPolicy="OnFailure")}}}},
    "HorizontalPodAutoscaler": {"spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"},
        "minReplicas": 1, "maxReplicas": 3}},
    "autoscaling/v1 HorizontalPodAutoscaler": {"spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"},
        "maxReplicas": 3, "targetCPUUtilizationPercentage": 50}},
    "Lease": {"spec": {"holderIdentity": "me", "leaseDurationSeconds": 15}},
    "PriorityClass": {"value": 1000},
    "PodDisruptionBudget": {"spec": {"minAvailable": 1,
                                     "selector": {"matchLabels": {"app": "web"}}}},
    "CertificateSigningRequest": {"spec": {
        "request": csr_b64(), "signerName": "kubernetes.io/kube-apiserver-client-kubelet",
        "usages": ["digital signature", "client auth"]}},
    "CustomResourceDefinition": {"spec": {
        "group": "example.com", "scope": "Namespaced",
        "names": {"plural": "widgets", "kind": "Widget"},
        "versions": [{"name": "v1", "served": True, "storage": True,
                      "schema": {"openAPIV3Schema": {"type": "object"}}}]}},
    "Role": {"rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]},
    "ClusterRole": {"rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
                    "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}},
    "RoleBinding": {"roleRef": {"kind": "Role", "name": "r"},
                    "subjects": [{"kind": "User", "name": "jane"},
                                 {"kind": "ServiceAccount", "name": "sa"}]},
    "ClusterRoleBinding": {"roleRef": {"kind": "ClusterRole", "name": "view"},
                           "subjects": [{"kind": "Group", "name": "devs"},
                                        {"kind": "ServiceAccount", "name": "sa",
                                         "namespace": "ns"}]},
    "SelfSubjectAccessReview": {"spec": {"resourceAttributes": {"verb": "get",
                                                                "resource": "pods"}}},
    "SubjectAccessReview": {"spec": {"user": "jane", "nonResourceAttributes": {
        "verb": "get", "path": "/healthz"}}},
    "LocalSubjectAccessReview": {"spec": {"user": "jane", "resourceAttributes": {
        "namespace": "default", "verb": "get", "resource": "pods"}}},
    "SelfSubjectRulesReview": {"spec": {"namespace": "default"}},
    "SelfSubjectReview": {},
    "TokenReview": {"spec": {"token": "t"}},
    "events.k8s.io/v1 Event": {
        "eventTime": "2026-01-01T00:00:00.000000Z", "reportingController": "example.com/c",
        "reportingInstance": "c-1", "action": "Act", "reason": "Why", "type": "Normal",
        "regarding": {"kind": "Pod", "name": "p", "namespace": "default"}},
    "Ingress": {"spec": {"defaultBackend": {"service": {"name": "web",
                                                        "port": {"number": 80}}}}},
    "IngressClass": {"spec": {"controller": "example.com/ingress"}},
    "NetworkPolicy": {"spec": {"podSelector": {}}},
    "RuntimeClass": {"handler": "runc"},
    "StorageClass": {"provisioner": "example.com/disk", "reclaimPolicy": "Delete",
                     "volumeBindingMode": "Immediate"},
    "ValidatingWebhookConfiguration": {"webhooks": [{
        "name": "v.example.com", "clientConfig": {"url": "https://example.com/v"},
        "sideEffects": "None", "admissionReviewVersions": ["v1"],
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                   "resources": ["pods", "pods/status"]}]}]},
    "MutatingWebhookConfiguration": {"webhooks": [{
        "name": "m.example.com", "sideEffects": "NoneOnDryRun",
        "clientConfig": {"service": {"namespace": "default", "name": "hook"}},
        "admissionReviewVersions": ["v1"],
        "rules": [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"],
                   "resources": ["*/*"]}]}]},
    "APIService": {"metadata": {"name": "v1.example.com"},
                   "spec": {"group": "example.com", "version": "v1",
                            "groupPriorityMinimum": 1000, "versionPriority": 15}},
}
#: Kinds whose names must say more than "x" (a CRD is named <plural>.<group>).
NAMES = {"CustomResourceDefinition": "widgets.example.com"}


def key(rt: ResourceType) -> str:
    """A kind's SAMPLES key: its name, or ``apiVersion kind`` where a name has two kinds."""
    versioned = f"{rt.api_version} {rt.kind}"
    return versioned if versioned in SAMPLES else rt.kind

KINDS = [pytest.param(rt, id=key(rt)) for rt in REGISTRY if rt.strategy.provider is None]


def sample(rt: ResourceType, **meta: Any) -> Object:
    """The kind's sample as a create would see it after defaulting."""
    metadata: Object = {"name": NAMES.get(rt.kind, "x"), "uid": "u-1", **meta}
    if rt.namespaced:
        metadata["namespace"] = "default"
    body = copy.deepcopy(SAMPLES[key(rt)])
    metadata.update(body.pop("metadata", {}))  # a kind whose names have a form of their own
    obj = {"apiVersion": rt.api_version, "kind": rt.kind, "metadata": metadata, **body}
    rt.strategy.default(obj)
    return obj


def created(rt: ResourceType) -> Object:
    """The sample after a create's preparation, with a status as the system would set."""
    obj = sample(rt)
    lifecycle.prepare_for_create(rt, obj)
    obj["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"
    if rt.has_status:
        obj["status"] = {"observedGeneration": 1, "by": "the system"}
    return obj


def test_every_kind_has_a_sample() -> None:
    """Every stored kind (those a provider serves, like metrics.k8s.io, have no writes)."""
    assert sorted(key(rt) for rt in REGISTRY if rt.strategy.provider is None) == \
        sorted(SAMPLES)


@pytest.mark.parametrize("rt", KINDS)
def test_sample_is_valid(rt: ResourceType) -> None:
    """The sample passes the kind's validation: the rows below change one thing each."""
    assert rt.strategy.validate(sample(rt)) == []


@pytest.mark.parametrize("rt", KINDS)
def test_create_sets_status_and_generation(rt: ResourceType) -> None:
    """A create keeps no client-set status (unless the kind reports its own) and starts
    ``generation`` at 1 only for kinds that keep one."""
    obj = sample(rt, generation=7)
    if rt.has_status:
        obj["status"] = {"client": "set"}
    lifecycle.prepare_for_create(rt, obj)
    status = obj.get("status") or {}
    assert ("client" in status) == (rt.has_status and rt.strategy.status_on_create)
    assert obj["metadata"].get("generation") == (1 if rt.strategy.generation else None)


@pytest.mark.parametrize("rt", KINDS)
def test_update_keeps_stored_status_and_system_metadata(rt: ResourceType) -> None:
    """An update of the object itself cannot change status, creationTimestamp or uid."""
    old = created(rt)
    new = copy.deepcopy(old)
    new["metadata"].update(creationTimestamp="1999-01-01T00:00:00Z", uid="")
    if rt.has_status:
        new["status"] = {"by": "a client"}
    lifecycle.prepare_for_update(rt, new, old)
    assert new.get("status") == old.get("status")
    assert new["metadata"]["creationTimestamp"] == "2026-01-01T00:00:00Z"
    assert new["metadata"]["uid"] == "u-1"


def change_spec(obj: Object) -> None:
    obj.setdefault("spec", {})["paused" if obj["kind"] == "Deployment" else "_touched"] = True


@pytest.mark.parametrize("rt", [p for p in KINDS if "spec" in p.values[0].strategy.generation])
def test_spec_change_bumps_generation_label_change_does_not(rt: ResourceType) -> None:
    old = created(rt)
    relabelled = copy.deepcopy(old)
    relabelled["metadata"]["labels"] = {"new": "label"}
    lifecycle.prepare_for_update(rt, relabelled, old)
    assert relabelled["metadata"]["generation"] == 1
    respecced = copy.deepcopy(old)
    respecced["spec"]["replicas" if "replicas" in respecced["spec"] else "_touched"] = 5
    lifecycle.prepare_for_update(rt, respecced, old)
    assert respecced["metadata"]["generation"] == 2


def test_deployment_annotation_change_bumps_generation() -> None:
    """Deployments copy annotations to their ReplicaSets: a change is a new generation."""
    rt = rt_of("Deployment")
    old = created(rt)
    new = copy.deepcopy(old)
    new["metadata"]["annotations"] = {"a": "b"}
    lifecycle.prepare_for_update(rt, new, old)
    assert new["metadata"]["generation"] == 2


@pytest.mark.parametrize("rt", [p for p in KINDS if p.values[0].has_status])
def test_status_update_changes_only_status(rt: ResourceType) -> None:
    """Through ``/status`` only status changes: spec, labels and generation come from the
    stored object."""
    old = created(rt)
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"sneaked": "in"}
    new["metadata"]["generation"] = 99
    new["spec"] = {"sneaked": "in"}
    new["status"] = {"by": "the controller"}
    result = lifecycle.prepare_for_status_update(rt, new, old)
    assert result["status"] == {"by": "the controller"}
    assert result.get("spec") == old.get("spec")
    assert result["metadata"] == old["metadata"]


# --- what particular kinds do on top -----------------------------------------------------

def after_create(kind: str, **body: Any) -> Object:
    rt = rt_of(kind)
    obj = sample(rt)
    obj.update(copy.deepcopy(body))
    lifecycle.prepare_for_create(rt, obj)
    return obj


def after_update(kind: str, mutate: Callable[[Object], None]) -> tuple[Object, Object]:
    rt = rt_of(kind)
    old = created(rt)
    new = copy.deepcopy(old)
    mutate(new)
    rt.strategy.default(new)
    lifecycle.prepare_for_update(rt, new, old)
    return new, old


def test_namespace_create() -> None:
    """A new namespace is Active, carries the kubernetes finalizer and its name label."""
    ns = after_create("Namespace")
    assert ns["status"] == {"phase": "Active"}
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == "x"


def test_namespace_update_keeps_spec_finalizers() -> None:
    """spec.finalizers change only through /finalize; the name label cannot be taken off."""
    def mutate(ns: Object) -> None:
        ns["spec"]["finalizers"] = []
        ns["metadata"]["labels"] = {}
    new, _ = after_update("Namespace", mutate)
    assert new["spec"]["finalizers"] == ["kubernetes"]
    assert new["metadata"]["labels"] == {"kubernetes.io/metadata.name": "x"}


@pytest.mark.parametrize(("resources", "qos"), [
    pytest.param({}, "BestEffort", id="best-effort"),
    pytest.param({"requests": {"cpu": "100m"}}, "Burstable", id="burstable"),
    pytest.param({"limits": {"cpu": "1", "memory": "1Gi"}}, "Guaranteed", id="guaranteed"),
])
def test_pod_create_is_pending_with_its_qos_class(resources: Object, qos: str) -> None:
    pod = after_create("Pod", spec={"containers": [{"name": "c", "image": "nginx:1.25",
                                                    "resources": resources}]})
    assert pod["status"] == {"phase": "Pending", "qosClass": qos}


def test_secret_string_data_is_folded_into_data() -> None:
    secret = after_create("Secret", stringData={"k": "v", "other": "x"})
    assert "stringData" not in secret
    assert secret["data"] == {"k": "dg==", "other": "eA=="}


def test_service_update_without_cluster_ip_keeps_the_allocated_one() -> None:
    """``kubectl apply`` of a manifest without clusterIP must not lose the allocation."""
    rt = rt_of("Service")
    old = created(rt)
    old["spec"].update(clusterIP="10.96.0.10", clusterIPs=["10.96.0.10"])
    new = copy.deepcopy(old)
    del new["spec"]["clusterIP"], new["spec"]["clusterIPs"]
    lifecycle.prepare_for_update(rt, new, old)
    assert (new["spec"]["clusterIP"], new["spec"]["clusterIPs"]) == (
        "10.96.0.10", ["10.96.0.10"])


# --- validation: one change each, the field it is reported on --------------------------

def with_(kind: str, path: str, value: Any) -> Object:
    rt = rt_of(kind)
    obj = sample(rt)
    *parents, last = path.split(".")
    node = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return obj


@pytest.mark.parametrize(("kind", "path", "value", "field"), [
    ("Pod", "spec.containers", [], "spec.containers"),
    ("Pod", "spec.containers.0.image", "", "spec.containers[0].image"),
    ("Service", "spec.ports.0.port", 70000, "spec.ports[0].port"),
    ("Deployment", "spec.replicas", -1, "spec.replicas"),
    ("Deployment", "spec.selector", {"matchLabels": {"app": "y"}}, "spec.template.metadata.labels"),
    ("ReplicaSet", "spec.template.spec.containers", [], "spec.template.spec.containers"),
    ("Job", "spec.template.spec.restartPolicy", "Always", "spec.template.spec.restartPolicy"),
    ("CronJob", "spec.schedule", "not a schedule", "spec.schedule"),
    ("ConfigMap", "data", {"bad key!": "v"}, "data[bad key!]"),
    ("Lease", "spec.leaseDurationSeconds", 0, "spec.leaseDurationSeconds"),
    ("EndpointSlice", "addressType", "IPv5", "addressType"),
    ("EndpointSlice", "endpoints", [{"addresses": []}], "endpoints[0].addresses"),
    ("EndpointSlice", "endpoints", [{"addresses": ["fe80::1"]}], "endpoints[0].addresses[0]"),
    ("EndpointSlice", "ports", [{"name": "a"}, {"name": "a"}], "ports[1].name"),
    ("HorizontalPodAutoscaler", "spec.maxReplicas", 0, "spec.maxReplicas"),
    ("HorizontalPodAutoscaler", "spec.minReplicas", 5, "spec.maxReplicas"),
    ("HorizontalPodAutoscaler", "spec.scaleTargetRef.name", "a/b", "spec.scaleTargetRef.name"),
    ("HorizontalPodAutoscaler", "spec.metrics", [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 0}}}],
     "spec.metrics[0].resource.target.averageUtilization"),
    ("HorizontalPodAutoscaler", "spec.metrics", [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "AverageValue"}}}],
     "spec.metrics[0].resource.target.averageValue"),
    ("HorizontalPodAutoscaler", "spec.metrics", [{"type": "Bogus"}], "spec.metrics[0].type"),
    ("PersistentVolumeClaim", "spec.accessModes", [], "spec.accessModes"),
    ("Role", "rules.0.verbs", [], "rules[0].verbs"),
    ("Role", "rules.0.resources", [], "rules[0].resources"),
    ("Role", "rules", [{"verbs": ["get"], "nonResourceURLs": ["/x"]}], "rules[0].nonResourceURLs"),
    ("ClusterRole", "rules.0.apiGroups", [""], "rules[0].nonResourceURLs"),
    ("ClusterRole", "aggregationRule", {"clusterRoleSelectors": []},
     "aggregationRule.clusterRoleSelectors"),
    ("RoleBinding", "roleRef.kind", "Pod", "roleRef.kind"),
    ("RoleBinding", "roleRef.apiGroup", "apps", "roleRef.apiGroup"),
    ("RoleBinding", "roleRef.name", "a/b", "roleRef.name"),
    ("RoleBinding", "subjects", [{"kind": "Robot", "name": "x"}], "subjects[0].kind"),
    ("RoleBinding", "subjects", [{"kind": "User"}], "subjects[0].name"),
    ("RoleBinding", "subjects", [{"kind": "ServiceAccount", "name": "x", "apiGroup": "rbac"}],
     "subjects[0].apiGroup"),
    ("ClusterRoleBinding", "roleRef.kind", "Role", "roleRef.kind"),
    ("ClusterRoleBinding", "subjects", [{"kind": "ServiceAccount", "name": "x"}],
     "subjects[0].namespace"),
    ("SelfSubjectAccessReview", "spec", {}, "spec.resourceAttributes"),
    ("SelfSubjectAccessReview", "spec.nonResourceAttributes", {"path": "/"},
     "spec.nonResourceAttributes"),
    ("SubjectAccessReview", "spec.user", "", "spec.user"),
    ("LocalSubjectAccessReview", "spec.resourceAttributes.namespace", "other",
     "spec.resourceAttributes.namespace"),
])
def test_validation_reports_the_field(kind: str, path: str, value: Any, field: str) -> None:
    causes = rt_of(kind).strategy.validate(with_(kind, path, value))
    assert field in [c.field for c in causes], causes


@pytest.mark.parametrize(("kind", "mutate", "field"), [
    ("Deployment", lambda o: o["spec"].update(selector={"matchLabels": {"app": "y"}}),
     "spec.selector"),
    ("Service", lambda o: o["spec"].update(clusterIP="10.96.0.99", clusterIPs=["10.96.0.99"]),
     "spec.clusterIPs[0]"),
    ("Pod", lambda o: o["spec"]["containers"].append({"name": "d", "image": "x"}),
     "spec.containers"),
    ("Job", lambda o: o["spec"]["template"]["spec"].update(restartPolicy="OnFailure"),
     "spec.template"),
    ("RoleBinding", lambda o: o["roleRef"].update(name="other"), "roleRef"),
    ("ClusterRoleBinding", lambda o: o["roleRef"].update(name="edit"), "roleRef"),
])
def test_update_validation_refuses_immutable_changes(kind: str, mutate: Callable[[Object], None],
                                                     field: str) -> None:
    rt = rt_of(kind)
    old = created(rt)
    if kind == "Service":
        old["spec"].update(clusterIP="10.96.0.10", clusterIPs=["10.96.0.10"])
    new = copy.deepcopy(old)
    mutate(new)
    causes = rt.strategy.validate_update(new, old)
    assert field in [c.field for c in causes], causes
