"""Defaulting of the built-in kinds: the fields Kubernetes fills, and only those."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minikube_py.api.defaults.core import default_pod_spec, image_pull_policy
from minikube_py.api.registry import REGISTRY, ResourceType


def rt_of(kind: str) -> ResourceType:
    return next(rt for rt in REGISTRY if rt.kind == kind)


def defaulted(kind: str, body: dict[str, Any], **meta: Any) -> dict[str, Any]:
    obj = {"apiVersion": rt_of(kind).api_version, "kind": kind,
           "metadata": {"name": "x", **meta}, **copy.deepcopy(body)}
    rt_of(kind).strategy.default(obj)
    return obj


def template(**spec: Any) -> dict[str, Any]:
    spec.setdefault("containers", [{"name": "c", "image": "nginx"}])
    return {"metadata": {"labels": {"app": "x"}}, "spec": spec}


@pytest.mark.parametrize(("image", "policy"), [
    pytest.param("nginx", "Always", id="no-tag"),
    pytest.param("nginx:1.25", "IfNotPresent", id="tag"),
    pytest.param("nginx:latest", "Always", id="latest"),
    pytest.param("x@sha256:" + "a" * 64, "IfNotPresent", id="digest"),
    pytest.param("registry.local:5000/team/app", "Always", id="registry-port-no-tag"),
    pytest.param("registry.local:5000/team/app:v2", "IfNotPresent", id="registry-port-tag"),
    pytest.param("nginx:latest@sha256:" + "a" * 64, "Always", id="latest-and-digest"),
])
def test_image_pull_policy(image: str, policy: str) -> None:
    """The pull policy follows the image's tag, as Kubernetes' container defaulting does."""
    assert image_pull_policy(image) == policy
    pod = defaulted("Pod", {"spec": {"containers": [{"name": "c", "image": image}]}})
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_pod_spec_defaults() -> None:
    """A bare pod gets the PodSpec and container defaults a real apiserver shows."""
    pod = defaulted("Pod", {"spec": {"containers": [
        {"name": "c", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]}})
    spec = pod["spec"]
    assert {k: spec[k] for k in ("restartPolicy", "dnsPolicy", "schedulerName",
                                 "terminationGracePeriodSeconds", "securityContext",
                                 "enableServiceLinks")} == {
        "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler", "terminationGracePeriodSeconds": 30,
        "securityContext": {}, "enableServiceLinks": True}
    container = spec["containers"][0]
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["terminationMessagePolicy"] == "File"
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert container["resources"] == {}


def test_user_values_are_kept() -> None:
    """Defaulting never overwrites what the client set."""
    pod = defaulted("Pod", {"spec": {
        "restartPolicy": "Never", "dnsPolicy": "Default", "terminationGracePeriodSeconds": 0,
        "enableServiceLinks": False, "securityContext": {"runAsUser": 1000},
        "containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "Never",
                        "ports": [{"containerPort": 53, "protocol": "UDP"}],
                        "livenessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 3}}]}})
    spec = pod["spec"]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["terminationGracePeriodSeconds"],
            spec["enableServiceLinks"], spec["securityContext"]) == (
        "Never", "Default", 0, False, {"runAsUser": 1000})
    container = spec["containers"][0]
    assert container["imagePullPolicy"] == "Never"
    assert container["ports"][0]["protocol"] == "UDP"
    assert container["livenessProbe"]["periodSeconds"] == 3


def test_probe_defaults() -> None:
    """Probes get timeouts, periods and thresholds; httpGet a path and scheme."""
    probe = {"httpGet": {"port": 80}}
    pod = defaulted("Pod", {"spec": {"containers": [
        {"name": "c", "image": "nginx", "readinessProbe": probe}]}})
    assert pod["spec"]["containers"][0]["readinessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1,
        "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}


def test_requests_default_to_limits_on_pods_only() -> None:
    """A limit without a request sets the request on a Pod, not on a pod template."""
    resources = {"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": "100m"}}
    pod = defaulted("Pod", {"spec": {"containers": [
        {"name": "c", "image": "nginx", "resources": resources}]}})
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "100m",
                                                                     "memory": "1Gi"}
    spec = {"containers": [{"name": "c", "image": "nginx",
                            "resources": {"limits": {"cpu": "1"}}}]}
    default_pod_spec(spec)
    assert "requests" not in spec["containers"][0]["resources"]


def test_volume_defaults() -> None:
    """Projected-file volumes get mode 420; a volume without a source is an emptyDir."""
    pod = defaulted("Pod", {"spec": {"containers": [{"name": "c", "image": "nginx"}], "volumes": [
        {"name": "cm", "configMap": {"name": "cm"}},
        {"name": "s", "secret": {"secretName": "s", "defaultMode": 256}},
        {"name": "scratch"},
        {"name": "host", "hostPath": {"path": "/tmp"}}]}})
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["cm"]["configMap"]["defaultMode"] == 420
    assert volumes["s"]["secret"]["defaultMode"] == 256
    assert volumes["scratch"] == {"name": "scratch", "emptyDir": {}}
    assert volumes["host"]["hostPath"] == {"path": "/tmp", "type": ""}


def test_env_field_ref_api_version() -> None:
    """A downward-API env var's fieldRef gets apiVersion v1."""
    pod = defaulted("Pod", {"spec": {"containers": [{"name": "c", "image": "nginx", "env": [
        {"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}]}})
    ref = pod["spec"]["containers"][0]["env"][0]["valueFrom"]["fieldRef"]
    assert ref == {"fieldPath": "metadata.name", "apiVersion": "v1"}


@pytest.mark.parametrize(("spec", "expected"), [
    pytest.param({"ports": [{"port": 80}], "selector": {"app": "x"}}, {
        "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
        "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"],
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}]}, id="cluster-ip"),
    pytest.param({"type": "NodePort", "ports": [{"port": 80, "targetPort": "http"}]}, {
        "externalTrafficPolicy": "Cluster",
        "ports": [{"port": 80, "targetPort": "http", "protocol": "TCP"}]}, id="node-port"),
    pytest.param({"clusterIP": "None", "ports": [{"port": 80}]}, {
        "clusterIPs": ["None"], "ipFamilyPolicy": "RequireDualStack"},
        id="headless-selectorless"),
    pytest.param({"type": "ClusterIP", "ports": [{"port": 80, "nodePort": 30080}],
                  "externalTrafficPolicy": "Cluster"},
                 {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}]},
                 id="type-change-drops-node-port"),
    pytest.param({"type": "LoadBalancer", "ports": [{"port": 80}]},
                 {"allocateLoadBalancerNodePorts": True, "externalTrafficPolicy": "Cluster"},
                 id="load-balancer"),
    pytest.param({"sessionAffinity": "ClientIP", "ports": [{"port": 80}]},
                 {"sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}}},
                 id="client-ip-affinity"),
])
def test_service_defaults(spec: dict[str, Any], expected: dict[str, Any]) -> None:
    """Services get Kubernetes' type, affinity, port and IP-family defaults."""
    got = defaulted("Service", {"spec": spec})["spec"]
    assert {k: got.get(k) for k in expected} == expected
    if spec.get("type") == "ClusterIP" and "externalTrafficPolicy" in spec:
        assert "externalTrafficPolicy" not in got


def test_external_name_service_has_no_cluster_fields() -> None:
    """An ExternalName Service gets no IP families or traffic policy."""
    got = defaulted("Service", {"spec": {"type": "ExternalName", "externalName": "a.example"}})
    assert not {"ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"} & set(got["spec"])


def test_namespace_defaults() -> None:
    """A new namespace gets the kubernetes finalizer, phase Active and its name label."""
    ns = defaulted("Namespace", {}, name="team-a", labels={"kubernetes.io/metadata.name": "x"})
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["status"] == {"phase": "Active"}
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}
    finalized = defaulted("Namespace", {"spec": {}}, name="team-a", resourceVersion="7",
                          deletionTimestamp="2024-01-01T00:00:00Z")
    assert finalized["spec"] == {}
    assert finalized["status"] == {"phase": "Terminating"}


def test_secret_defaults() -> None:
    """Secrets are Opaque unless typed; their data is left alone."""
    secret = defaulted("Secret", {"data": {"a": "YQ=="}})
    assert secret["type"] == "Opaque"
    assert secret["data"] == {"a": "YQ=="}
    typed = defaulted("Secret", {"type": "kubernetes.io/tls"})
    assert typed["type"] == "kubernetes.io/tls"


def test_storage_defaults() -> None:
    """Claims and volumes are Filesystem; volumes Retain; both start Pending."""
    pvc = defaulted("PersistentVolumeClaim", {"spec": {"accessModes": ["ReadWriteOnce"]}})
    assert (pvc["spec"]["volumeMode"], pvc["status"]["phase"]) == ("Filesystem", "Pending")
    pv = defaulted("PersistentVolume", {"spec": {"hostPath": {"path": "/d"},
                                                 "persistentVolumeReclaimPolicy": "Delete"}})
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    assert pv["spec"]["volumeMode"] == "Filesystem"
    assert pv["spec"]["hostPath"]["type"] == ""
    assert defaulted("PersistentVolume", {"spec": {}})["spec"][
        "persistentVolumeReclaimPolicy"] == "Retain"


def test_replication_controller_defaults() -> None:
    """An RC's selector and labels come from its template; one replica."""
    rc = defaulted("ReplicationController", {"spec": {"template": template()}})
    assert rc["spec"]["replicas"] == 1
    assert rc["spec"]["selector"] == {"app": "x"}
    assert rc["metadata"]["labels"] == {"app": "x"}
    assert rc["spec"]["template"]["spec"]["restartPolicy"] == "Always"


def test_endpoints_and_nodes() -> None:
    """Endpoint ports are TCP; a node's allocatable defaults to its capacity."""
    ep = defaulted("Endpoints", {"subsets": [{"addresses": [{"ip": "10.0.0.1"}],
                                              "ports": [{"port": 80}]}]})
    assert ep["subsets"][0]["ports"] == [{"port": 80, "protocol": "TCP"}]
    node = defaulted("Node", {"status": {"capacity": {"cpu": "4"}}})
    assert node["status"]["allocatable"] == {"cpu": "4"}


def test_limit_range_defaults() -> None:
    """A Container limit's default comes from max, its default request from the default."""
    lr = defaulted("LimitRange", {"spec": {"limits": [
        {"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"}}]}})
    item = lr["spec"]["limits"][0]
    assert item["default"] == {"cpu": "2"}
    assert item["defaultRequest"] == {"cpu": "2", "memory": "64Mi"}


def test_deployment_defaults() -> None:
    """Deployments: one replica, 25%/25% rolling update, history 10, deadline 600."""
    spec = defaulted("Deployment", {"spec": {"template": template()}})["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": "25%", "maxSurge": "25%"}}
    assert (spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (10, 600)
    assert "minReadySeconds" not in spec
    container = spec["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "Always"
    recreate = defaulted("Deployment", {"spec": {"strategy": {"type": "Recreate"},
                                                 "replicas": 0}})["spec"]
    assert recreate["strategy"] == {"type": "Recreate"}
    assert recreate["replicas"] == 0


def test_replica_set_defaults() -> None:
    """ReplicaSets default to one replica."""
    assert defaulted("ReplicaSet", {"spec": {"template": template()}})["spec"]["replicas"] == 1


def test_stateful_set_defaults() -> None:
    """StatefulSets: OrderedReady, rolling update from partition 0, Retain claims."""
    spec = defaulted("StatefulSet", {"spec": {"template": template(), "volumeClaimTemplates": [
        {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]}})["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain",
                                                            "whenScaled": "Retain"}
    assert (spec["replicas"], spec["revisionHistoryLimit"]) == (1, 10)
    claim = spec["volumeClaimTemplates"][0]
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["status"] == {"phase": "Pending"}
    on_delete = defaulted("StatefulSet", {"spec": {"updateStrategy": {"type": "OnDelete"}}})
    assert on_delete["spec"]["updateStrategy"] == {"type": "OnDelete"}


def test_daemon_set_defaults() -> None:
    """DaemonSets roll one pod at a time, without surge."""
    spec = defaulted("DaemonSet", {"spec": {"template": template()}})["spec"]
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": 1, "maxSurge": 0}}
    assert spec["revisionHistoryLimit"] == 10


@pytest.mark.parametrize(("spec", "completions", "parallelism"), [
    pytest.param({}, 1, 1, id="neither"),
    pytest.param({"parallelism": 3}, None, 3, id="work-queue"),
    pytest.param({"completions": 5}, 5, 1, id="fixed-completions"),
])
def test_job_completions_and_parallelism(spec: dict[str, Any], completions: int | None,
                                         parallelism: int) -> None:
    """Both unset means one pod to one completion; parallelism alone leaves completions."""
    got = defaulted("Job", {"spec": {**spec, "template": template(restartPolicy="Never")}})
    assert got["spec"].get("completions") == completions
    assert got["spec"]["parallelism"] == parallelism


def test_job_defaults() -> None:
    """Jobs get backoff 6, NonIndexed, not suspended, and a selector from their uid."""
    job = defaulted("Job", {"spec": {"template": template(restartPolicy="Never")}}, uid="u-1")
    spec = job["spec"]
    assert (spec["backoffLimit"], spec["completionMode"], spec["suspend"],
            spec["podReplacementPolicy"]) == (6, "NonIndexed", False, "TerminatingOrFailed")
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}}
    labels = spec["template"]["metadata"]["labels"]
    assert labels["batch.kubernetes.io/job-name"] == "x"
    assert labels["controller-uid"] == "u-1"
    assert job["metadata"]["labels"] == labels
    manual = defaulted("Job", {"spec": {"manualSelector": True, "template": template()}},
                       uid="u-1")
    assert "selector" not in manual["spec"]


def test_cron_job_defaults() -> None:
    """CronJobs: Allow, not suspended, keep 3 successful and 1 failed Job."""
    spec = defaulted("CronJob", {"spec": {"schedule": "@hourly", "jobTemplate": {
        "spec": {"template": template(restartPolicy="OnFailure")}}}})["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"], spec["successfulJobsHistoryLimit"],
            spec["failedJobsHistoryLimit"]) == ("Allow", False, 3, 1)
    pod_spec = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod_spec["dnsPolicy"] == "ClusterFirst"
    assert "backoffLimit" not in spec["jobTemplate"]["spec"]


SAMPLES = {
    "Pod": {"spec": {"containers": [{"name": "c", "image": "nginx", "livenessProbe": {
        "httpGet": {"port": 80}}}], "volumes": [{"name": "v"}]}},
    "Service": {"spec": {"clusterIP": "None", "ports": [{"port": 80}]}},
    "Deployment": {"spec": {"template": template()}},
    "StatefulSet": {"spec": {"template": template(), "volumeClaimTemplates": [{"spec": {}}]}},
    "Job": {"spec": {"template": template(restartPolicy="Never")}},
    "Secret": {"data": {"a": "Yg=="}},
    "Namespace": {},
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_defaulting_is_idempotent(kind: str) -> None:
    """Defaulting an already defaulted object changes nothing (updates re-run it)."""
    once = defaulted(kind, SAMPLES[kind], uid="u-1")
    twice = copy.deepcopy(once)
    rt_of(kind).strategy.default(twice)
    assert twice == once


@pytest.mark.parametrize("rt", [pytest.param(rt, id=f"{rt.group or 'core'}-{rt.kind}")
                                for rt in REGISTRY])
def test_defaulters_survive_sparse_objects(rt: ResourceType) -> None:
    """Every kind's defaulting accepts objects with missing or empty sections."""
    for obj in ({}, {"spec": {}}, {"metadata": {}}, {"spec": {"template": {}}},
                {"spec": {"containers": [], "ports": []}, "status": {}}):
        rt.strategy.default(copy.deepcopy(obj))
