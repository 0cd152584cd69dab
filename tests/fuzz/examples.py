"""A small valid object of every served kind: where every mutation of the fuzz suite starts.

``example(rt, name, namespace)`` returns a fresh dict the apiserver accepts on create; a test
in ``test_regressions.py`` checks that each one is accepted, so a strategy never starts from
an object that is refused for its own sake. The names of the keys are those of
``REGISTRY`` (``group/Kind``).
"""

from __future__ import annotations

import copy
from typing import Any

from minikube_py.api.registry import REGISTRY, ResourceType
from tests.helpers.certs import csr_b64

_CONTAINER = {"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"],
              "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
              "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
              "env": [{"name": "A", "value": "1"}]}


def _template(labels: dict[str, str], restart: str = "Always") -> dict[str, Any]:
    return {"metadata": {"labels": dict(labels)},
            "spec": {"restartPolicy": restart, "containers": [copy.deepcopy(_CONTAINER)]}}


_SEL = {"app": "fuzz"}

_BODIES: dict[str, dict[str, Any]] = {
    "/Namespace": {"metadata": {"labels": {"fuzz": "true"}}},
    "/Pod": {"spec": {"containers": [copy.deepcopy(_CONTAINER)], "restartPolicy": "Always"}},
    "/Service": {"spec": {"selector": dict(_SEL), "ports": [
        {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}},
    "/Endpoints": {"subsets": [{"addresses": [{"ip": "10.0.0.1"}],
                                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]},
    "/Node": {"spec": {"podCIDR": "10.244.9.0/24"},
              "metadata": {"labels": {"kubernetes.io/hostname": "fuzz"}}},
    "/ConfigMap": {"data": {"key": "value", "other.txt": "line\n"}},
    "/Secret": {"type": "Opaque", "data": {"key": "dmFsdWU="}, "stringData": {"s": "t"}},
    "/Event": {"involvedObject": {"kind": "Pod", "name": "p", "apiVersion": "v1"},
               "reason": "Fuzz", "message": "a fuzz event", "type": "Normal", "count": 1,
               "source": {"component": "fuzz"}},
    "/ServiceAccount": {"automountServiceAccountToken": False},
    "/ResourceQuota": {"spec": {"hard": {"pods": "10", "requests.cpu": "1"}}},
    "/LimitRange": {"spec": {"limits": [{"type": "Container", "default": {"cpu": "200m"},
                                         "defaultRequest": {"cpu": "100m"}}]}},
    "/PersistentVolume": {"spec": {"capacity": {"storage": "1Gi"},
                                   "accessModes": ["ReadWriteOnce"],
                                   "hostPath": {"path": "/tmp/fuzz"},
                                   "persistentVolumeReclaimPolicy": "Retain"}},
    "/PersistentVolumeClaim": {"spec": {"accessModes": ["ReadWriteOnce"],
                                        "resources": {"requests": {"storage": "1Gi"}}}},
    "/ReplicationController": {"spec": {"replicas": 1, "selector": dict(_SEL),
                                        "template": _template(_SEL)}},
    "apps/Deployment": {"spec": {"replicas": 1, "selector": {"matchLabels": dict(_SEL)},
                                 "template": _template(_SEL),
                                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {
                                     "maxSurge": "25%", "maxUnavailable": 1}}}},
    "apps/ReplicaSet": {"spec": {"replicas": 1, "selector": {"matchLabels": dict(_SEL)},
                                 "template": _template(_SEL)}},
    "apps/StatefulSet": {"spec": {"replicas": 1, "serviceName": "fuzz",
                                  "selector": {"matchLabels": dict(_SEL)},
                                  "template": _template(_SEL)}},
    "apps/DaemonSet": {"spec": {"selector": {"matchLabels": dict(_SEL)},
                                "template": _template(_SEL)}},
    "apps/ControllerRevision": {"revision": 1, "data": {"spec": {"a": 1}}},
    "batch/Job": {"spec": {"backoffLimit": 2, "template": _template({}, restart="Never")}},
    "batch/CronJob": {"spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {
        "template": _template({}, restart="OnFailure")}}}},
    "autoscaling/HorizontalPodAutoscaler": {"spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1, "maxReplicas": 3, "metrics": [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]}},
    "discovery.k8s.io/EndpointSlice": {"addressType": "IPv4",
                                       "ports": [{"name": "http", "port": 80}],
                                       "endpoints": [{"addresses": ["10.0.0.1"],
                                                      "conditions": {"ready": True}}]},
    "coordination.k8s.io/Lease": {"spec": {"holderIdentity": "fuzz", "leaseDurationSeconds": 15,
                                           "leaseTransitions": 0}},
    "certificates.k8s.io/CertificateSigningRequest": {"spec": {
        "request": csr_b64(), "signerName": "kubernetes.io/kube-apiserver-client",
        "usages": ["client auth"]}},
    "policy/PodDisruptionBudget": {"spec": {"minAvailable": 1, "selector": {
        "matchLabels": {"app": "fuzz"}}}},
    "scheduling.k8s.io/PriorityClass": {"value": 1000, "description": "fuzz",
                                        "preemptionPolicy": "PreemptLowerPriority"},
    "events.k8s.io/Event": {"eventTime": "2026-01-01T00:00:00.000000Z",
                            "reportingController": "example.com/fuzz",
                            "reportingInstance": "fuzz-1", "action": "Fuzz", "reason": "Fuzz",
                            "note": "a fuzz event", "type": "Normal",
                            "regarding": {"kind": "Pod", "name": "p", "apiVersion": "v1"}},
    "networking.k8s.io/Ingress": {"spec": {"rules": [{"host": "fuzz.example.com", "http": {
        "paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {
            "name": "web", "port": {"number": 80}}}}]}}]}},
    "networking.k8s.io/IngressClass": {"spec": {"controller": "example.com/fuzz"}},
    "networking.k8s.io/NetworkPolicy": {"spec": {"podSelector": {"matchLabels": dict(_SEL)},
                                                 "ingress": [{"ports": [{"port": 80}]}]}},
    "node.k8s.io/RuntimeClass": {"handler": "runc",
                                 "overhead": {"podFixed": {"cpu": "10m"}}},
    "storage.k8s.io/StorageClass": {"provisioner": "example.com/fuzz",
                                    "volumeBindingMode": "WaitForFirstConsumer"},
    "rbac.authorization.k8s.io/Role": {"rules": [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]},
    "rbac.authorization.k8s.io/ClusterRole": {"rules": [
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]},
        {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]},
    "rbac.authorization.k8s.io/RoleBinding": {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "view"},
        "subjects": [{"kind": "User", "name": "fuzz", "apiGroup": "rbac.authorization.k8s.io"}]},
    "rbac.authorization.k8s.io/ClusterRoleBinding": {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "view"},
        "subjects": [{"kind": "ServiceAccount", "name": "fuzz", "namespace": "default"}]},
    "authorization.k8s.io/SelfSubjectAccessReview": {"spec": {"resourceAttributes": {
        "verb": "get", "resource": "pods", "namespace": "default"}}},
    "authorization.k8s.io/SubjectAccessReview": {"spec": {"user": "fuzz", "resourceAttributes": {
        "verb": "get", "resource": "pods"}}},
    "authorization.k8s.io/LocalSubjectAccessReview": {"spec": {"user": "fuzz",
                                                               "resourceAttributes": {
                                                                   "verb": "get",
                                                                   "resource": "pods"}}},
    "authorization.k8s.io/SelfSubjectRulesReview": {"spec": {"namespace": "default"}},
    "authentication.k8s.io/SelfSubjectReview": {},
    "authentication.k8s.io/TokenReview": {"spec": {"token": "not-a-token"}},
}

# Kinds the fuzz leaves alone, and why: their writes change how the apiserver treats every
# other request, so a mutation the apiserver rightly accepts would fail unrelated checks.
NOT_FUZZED = {
    "admissionregistration.k8s.io/ValidatingWebhookConfiguration":
        "a valid mutation may send every request to an unreachable webhook",
    "admissionregistration.k8s.io/MutatingWebhookConfiguration":
        "a valid mutation may send every request to an unreachable webhook",
    "apiregistration.k8s.io/APIService":
        "its name must be version.group, which no seed name is; a valid one reroutes a group",
    # Fuzzed by tests/api/test_crd_robustness.py instead.
    "apiextensions.k8s.io/CustomResourceDefinition":
        "its name must be <plural>.<group> (no random names), and each one accepted adds an "
        "API to the daemon the whole fuzz run shares",
}


def kind_key(rt: ResourceType) -> str:
    return f"{rt.group}/{rt.kind}"


def example(rt: ResourceType, name: str, namespace: str | None = None) -> dict[str, Any]:
    """A fresh valid ``rt`` object named ``name`` (in ``namespace`` if the kind has one)."""
    body = copy.deepcopy(_BODIES[kind_key(rt)])
    meta = body.setdefault("metadata", {})
    meta["name"] = name
    if rt.namespaced and namespace:
        meta["namespace"] = namespace
        for reference in ("involvedObject", "regarding"):  # an Event's object
            if reference in body:
                body[reference]["namespace"] = namespace
        if rt.kind == "LocalSubjectAccessReview":  # must be about its own namespace
            body["spec"]["resourceAttributes"]["namespace"] = namespace
    return {"apiVersion": rt.api_version, "kind": rt.kind, **body}




def served_kinds() -> list[ResourceType]:
    """Every stored kind the registry serves but :data:`NOT_FUZZED` (all have an example);
    kinds a provider answers (metrics.k8s.io) take no writes and are left out."""
    kinds = [rt for rt in REGISTRY
             if kind_key(rt) not in NOT_FUZZED and rt.strategy.provider is None]
    missing = [kind_key(rt) for rt in kinds if kind_key(rt) not in _BODIES]
    assert not missing, f"kinds without a fuzz example: {missing}"
    return kinds
