"""Semantic validation of the built-in kinds: Kubernetes' field paths and messages."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.api.validation import names, validate, validate_update
from minikube_py.api.validation.batch import cron_error

SUBDOMAIN_ERROR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    r"for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def rt_of(kind: str) -> ResourceType:
    found = [rt for rt in REGISTRY if rt.kind == kind]
    assert found, kind
    return found[0]


def make(kind: str, body: dict[str, Any], *, name: str = "x", defaults: bool = True,
         **meta: Any) -> dict[str, Any]:
    rt = rt_of(kind)
    obj = {"apiVersion": rt.api_version, "kind": kind, "metadata": {"name": name, **meta}, **body}
    if rt.namespaced:
        obj["metadata"].setdefault("namespace", "default")
    if defaults:
        rt.strategy.default(obj)
    return obj


def container(**fields: Any) -> dict[str, Any]:
    return {"name": "c", "image": "nginx:1.25", **fields}


def pod(defaults: bool = True, **spec: Any) -> dict[str, Any]:
    spec.setdefault("containers", [container()])
    return make("Pod", {"spec": spec}, defaults=defaults)


def template(labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    spec.setdefault("containers", [container()])
    return {"metadata": {"labels": labels if labels is not None else {"app": "x"}},
            "spec": spec}


def workload(kind: str, **spec: Any) -> dict[str, Any]:
    spec.setdefault("selector", {"matchLabels": {"app": "x"}})
    spec.setdefault("template", template())
    return make(kind, {"spec": spec})


def errors(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c.field, c.message) for c in validate(rt_of(obj["kind"]), obj)]


def update_errors(new: dict[str, Any], old: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c.field, c.message) for c in validate_update(rt_of(new["kind"]), new, old)]


def assert_one(found: list[tuple[str, str]], field: str, start: str) -> None:
    matching = [m for f, m in found if f == field and m.startswith(start)]
    assert matching, f"no {field}: {start}... in {found}"


# --- names -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("check", "value", "expected"), [
    pytest.param(names.is_dns1123_label, "my-name", [], id="label-ok"),
    pytest.param(names.is_dns1123_label, "a.b", ["must not contain dots"], id="label-dots"),
    pytest.param(names.is_dns1123_label, "a" * 64, ["must be no more than 63 characters"],
                 id="label-too-long"),
    pytest.param(names.is_dns1123_subdomain, "Foo_Bar", [SUBDOMAIN_ERROR], id="subdomain-bad"),
    pytest.param(names.is_dns1035_label, "1web", [
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
        "with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  "
        "or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"],
        id="dns1035-digit-first"),
    pytest.param(names.is_qualified_name, "example.com/app", [], id="qualified-prefixed"),
    pytest.param(names.is_qualified_name, "/app", ["prefix part must be non-empty"],
                 id="qualified-empty-prefix"),
    pytest.param(names.is_label_value, "", [], id="label-value-empty-ok"),
    pytest.param(names.is_c_identifier, "MY_VAR", [], id="c-identifier-ok"),
    pytest.param(names.is_env_var_name, "..x", ["must not start with '..'"],
                 id="env-var-dotdot"),
    pytest.param(names.is_config_map_key, "a/b", [
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')"], id="config-key-slash"),
    pytest.param(names.is_valid_port_name, "HTTP", [
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "must contain at least one letter (a-z)"], id="port-name-upper"),
])
def test_name_formats(check: Any, value: str, expected: list[str]) -> None:
    """Format checks return apimachinery's messages, one per problem."""
    assert check(value) == expected


@pytest.mark.parametrize(("text", "value"), [
    pytest.param("500m", 0.5, id="milli"), pytest.param("1Gi", 2**30, id="binary"),
    pytest.param("2k", 2000, id="decimal"), pytest.param("1e3", 1000, id="exponent"),
    pytest.param("x", None, id="garbage"),
])
def test_parse_quantity(text: str, value: float | None) -> None:
    """Quantities parse to exact numbers in their suffix's unit."""
    parsed = names.parse_quantity(text)
    assert (None if parsed is None else float(parsed)) == value


# --- metadata --------------------------------------------------------------------------------

META_CASES = [
    pytest.param(make("ConfigMap", {}, name="Foo_Bar"), "metadata.name",
                 f'Invalid value: "Foo_Bar": {SUBDOMAIN_ERROR}', id="name-not-subdomain"),
    pytest.param(make("ConfigMap", {}, name=""), "metadata.name",
                 "Required value: name or generateName is required", id="name-required"),
    pytest.param(make("Namespace", {}, name="a.b"), "metadata.name",
                 'Invalid value: "a.b": must not contain dots', id="namespace-name-is-label"),
    pytest.param(make("Service", {"spec": {"ports": [{"port": 80}]}}, name="1web"),
                 "metadata.name", 'Invalid value: "1web": a DNS-1035 label',
                 id="service-name-dns1035"),
    pytest.param(make("ConfigMap", {}, namespace=""), "metadata.namespace", "Required value",
                 id="namespace-required"),
    pytest.param(make("Node", {}, namespace="default"), "metadata.namespace",
                 "Forbidden: not allowed on this type", id="namespace-on-cluster-kind"),
    pytest.param(make("ConfigMap", {}, labels={"bad key": "v"}), "metadata.labels",
                 'Invalid value: "bad key": name part must consist of alphanumeric',
                 id="label-key"),
    pytest.param(make("ConfigMap", {}, labels={"k": "v" * 64}), "metadata.labels",
                 "Invalid value: \"" + "v" * 64 + '": must be no more than 63 characters',
                 id="label-value-too-long"),
    pytest.param(make("ConfigMap", {}, annotations={"a": "x" * (256 * 1024)}),
                 "metadata.annotations", "Too long: may not be more than 262144 bytes",
                 id="annotations-too-big"),
    pytest.param(make("ConfigMap", {}, ownerReferences=[
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs"}]),
        "metadata.ownerReferences[0].uid", "Required value: must not be empty",
        id="owner-uid-required"),
    pytest.param(make("ConfigMap", {}, ownerReferences=[
        {"apiVersion": "a/b/c", "kind": "K", "name": "n", "uid": "u"}]),
        "metadata.ownerReferences[0].apiVersion", "Invalid value: \"a/b/c\": must be "
        "<group>/<version> or <version>", id="owner-api-version"),
    pytest.param(make("ConfigMap", {}, ownerReferences=[
        {"apiVersion": "v1", "kind": "A", "name": "a", "uid": "1", "controller": True},
        {"apiVersion": "v1", "kind": "B", "name": "b", "uid": "2", "controller": True}]),
        "metadata.ownerReferences", "Invalid value: ", id="two-controllers"),
    pytest.param(make("ConfigMap", {}, finalizers=["cleanup"]), "metadata.finalizers[0]",
                 'Invalid value: "cleanup": name is neither a standard finalizer name nor is it '
                 "fully qualified", id="finalizer-unqualified"),
]


@pytest.mark.parametrize(("obj", "field", "start"), META_CASES)
def test_object_meta(obj: dict[str, Any], field: str, start: str) -> None:
    """Metadata errors carry Kubernetes' path and wording."""
    assert_one(errors(obj), field, start)


def test_two_controllers_message() -> None:
    """Only one owner may be the controller; the message names both."""
    obj = make("ConfigMap", {}, ownerReferences=[
        {"apiVersion": "v1", "kind": "A", "name": "a", "uid": "1", "controller": True},
        {"apiVersion": "v1", "kind": "B", "name": "b", "uid": "2", "controller": True}])
    messages = [m for f, m in errors(obj) if f == "metadata.ownerReferences"]
    assert len(messages) == 1
    assert messages[0].endswith('Found "true" in references for A/a and B/b')


@pytest.mark.parametrize(("change", "field", "start"), [
    pytest.param({"name": "other"}, "metadata.name", 'Invalid value: "other": field is immutable',
                 id="name"),
    pytest.param({"namespace": "other"}, "metadata.namespace", "Invalid value: \"other\": field "
                 "is immutable", id="namespace"),
    pytest.param({"uid": "u2"}, "metadata.uid", 'Invalid value: "u2": field is immutable',
                 id="uid"),
    pytest.param({"creationTimestamp": "2030-01-01T00:00:00Z"}, "metadata.creationTimestamp",
                 "Invalid value: \"2030-01-01T00:00:00Z\": field is immutable",
                 id="creation-timestamp"),
])
def test_object_meta_immutable(change: dict[str, Any], field: str, start: str) -> None:
    """Identity fields of metadata never change."""
    old = make("ConfigMap", {}, uid="u1", creationTimestamp="2024-01-01T00:00:00Z")
    new = copy.deepcopy(old)
    new["metadata"].update(change)
    assert_one(update_errors(new, old), field, start)


def test_object_meta_update_tolerates_omitted_uid() -> None:
    """A client that leaves uid out (the apiserver fills it) is not changing it."""
    old = make("ConfigMap", {}, uid="u1")
    new = make("ConfigMap", {})
    assert update_errors(new, old) == []


def test_no_new_finalizers_while_deleting() -> None:
    """Once an object is being deleted, finalizers may only be removed."""
    old = make("ConfigMap", {}, deletionTimestamp="2024-01-01T00:00:00Z", finalizers=["a.io/x"])
    new = copy.deepcopy(old)
    new["metadata"]["finalizers"] = ["a.io/x", "a.io/y"]
    assert_one(update_errors(new, old), "metadata.finalizers",
               'Forbidden: no new finalizers can be added if the object is being deleted, found '
               'new finalizers []string{"a.io/y"}')


# --- pods ------------------------------------------------------------------------------------

POD_CASES = [
    pytest.param(pod(containers=[]), "spec.containers", "Required value", id="containers"),
    pytest.param(pod(containers=[container(image="")]), "spec.containers[0].image",
                 "Required value", id="image"),
    pytest.param(pod(containers=[container(name="Web")]), "spec.containers[0].name",
                 'Invalid value: "Web": a lowercase RFC 1123 label', id="container-name"),
    pytest.param(pod(initContainers=[container()]), "spec.initContainers[0].name",
                 'Duplicate value: "c"', id="name-shared-with-init"),
    pytest.param(pod(containers=[container(), container()]), "spec.containers[1].name",
                 'Duplicate value: "c"', id="duplicate-container"),
    pytest.param(pod(containers=[container(ports=[{"containerPort": 70000}])]),
                 "spec.containers[0].ports[0].containerPort",
                 "Invalid value: 70000: must be between 1 and 65535, inclusive", id="port-range"),
    pytest.param(pod(containers=[container(ports=[{"containerPort": 80, "protocol": "HTTP"}])]),
                 "spec.containers[0].ports[0].protocol",
                 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
                 id="port-protocol"),
    pytest.param(pod(containers=[container(ports=[{"containerPort": 80, "hostPort": 8080},
                                                  {"containerPort": 81, "hostPort": 8080}])]),
                 "spec.containers[0].ports[1].hostPort", 'Duplicate value: "TCP//8080"',
                 id="host-port-conflict"),
    pytest.param(pod(containers=[container(env=[{"name": "1BAD", "value": "x"}])]),
                 "spec.containers[0].env[0].name",
                 'Invalid value: "1BAD": a valid environment variable name', id="env-name"),
    pytest.param(pod(containers=[container(env=[{"name": "A", "value": "x", "valueFrom": {
        "secretKeyRef": {"name": "s", "key": "k"}}}])]),
        "spec.containers[0].env[0].valueFrom",
        'Invalid value: "": may not be specified when `value` is not empty', id="env-both"),
    pytest.param(pod(containers=[container(env=[{"name": "A", "valueFrom": {
        "fieldRef": {"fieldPath": "spec.bogus"}}}])]),
        "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
        'Unsupported value: "spec.bogus"', id="env-field-path"),
    pytest.param(pod(volumes=[{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}]),
                 "spec.volumes[1].name", 'Duplicate value: "v"', id="volume-duplicate"),
    pytest.param(pod(volumes=[{"name": "v", "emptyDir": {}, "configMap": {"name": "c"}}]),
                 "spec.volumes[0].configMap",
                 "Forbidden: may not specify more than 1 volume type", id="volume-two-sources"),
    pytest.param(pod(defaults=False, volumes=[{"name": "v"}]), "spec.volumes[0]",
                 "Required value: must specify a volume type", id="volume-no-source"),
    pytest.param(pod(volumes=[{"name": "v", "secret": {}}]), "spec.volumes[0].secret.secretName",
                 "Required value", id="secret-name"),
    pytest.param(pod(containers=[container(volumeMounts=[{"name": "data", "mountPath": "/d"}])]),
                 "spec.containers[0].volumeMounts[0].name", 'Not found: "data"',
                 id="mount-not-found"),
    pytest.param(pod(restartPolicy="Sometimes"), "spec.restartPolicy",
                 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", '
                 '"Never"', id="restart-policy"),
    pytest.param(pod(dnsPolicy="Google"), "spec.dnsPolicy", 'Unsupported value: "Google"',
                 id="dns-policy"),
    pytest.param(pod(containers=[container(resources={"limits": {"cpu": "1"},
                                                      "requests": {"cpu": "2"}})]),
                 "spec.containers[0].resources.requests",
                 'Invalid value: "2": must be less than or equal to cpu limit of 1',
                 id="requests-over-limits"),
    pytest.param(pod(containers=[container(resources={"requests": {"nvidia.com/gpu": "1"}})]),
                 "spec.containers[0].resources.limits",
                 "Required value: Limit must be set for non overcommitable resources",
                 id="extended-resource-needs-limit"),
    pytest.param(pod(containers=[container(resources={"limits": {"cpus": "1"}})]),
                 "spec.containers[0].resources.limits[cpus]",
                 'Invalid value: "cpus": must be a standard resource', id="resource-name"),
    pytest.param(pod(containers=[container(livenessProbe={"periodSeconds": 5})]),
                 "spec.containers[0].livenessProbe",
                 "Required value: must specify a handler type", id="probe-no-handler"),
    pytest.param(pod(containers=[container(readinessProbe={
        "exec": {"command": ["true"]}, "tcpSocket": {"port": 80}})]),
        "spec.containers[0].readinessProbe.tcpSocket",
        "Forbidden: may not specify more than 1 handler type", id="probe-two-handlers"),
    pytest.param(pod(containers=[container(livenessProbe={
        "tcpSocket": {"port": 80}, "successThreshold": 2})]),
        "spec.containers[0].livenessProbe.successThreshold", "Invalid value: 2: must be 1",
        id="liveness-success-threshold"),
    pytest.param(pod(containers=[container(readinessProbe={
        "tcpSocket": {"port": 80}, "failureThreshold": -1})]),
        "spec.containers[0].readinessProbe.failureThreshold",
        "Invalid value: -1: must be greater than or equal to 0", id="probe-threshold"),
    pytest.param(pod(initContainers=[container(name="init", readinessProbe={
        "exec": {"command": ["true"]}})]), "spec.initContainers[0].readinessProbe",
        "Forbidden: may not be set for init containers without restartPolicy=Always",
        id="init-probe"),
    pytest.param(pod(terminationGracePeriodSeconds=-5), "spec.terminationGracePeriodSeconds",
                 "Invalid value: -5: must be greater than or equal to 0", id="grace-negative"),
    pytest.param(pod(tolerations=[{"key": "k", "operator": "Exists", "value": "v"}]),
                 "spec.tolerations[0].operator",
                 "Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
                 id="toleration"),
    pytest.param(pod(nodeSelector={"disk": "ssd!"}), "spec.nodeSelector",
                 'Invalid value: "ssd!": a valid label must be', id="node-selector"),
    pytest.param(pod(affinity={"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {}}]}}),
        "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
        ".topologyKey", "Required value: can not be empty", id="anti-affinity-topology"),
    pytest.param(pod(containers=[container(image=" nginx")]), "spec.containers[0].image",
                 "Invalid value: \" nginx\": must not have leading or trailing whitespace",
                 id="image-whitespace"),
]


@pytest.mark.parametrize(("obj", "field", "start"), POD_CASES)
def test_pod(obj: dict[str, Any], field: str, start: str) -> None:
    """Pod spec errors carry Kubernetes' path and wording."""
    assert_one(errors(obj), field, start)


def test_valid_pod_has_no_errors() -> None:
    """A usual defaulted pod with probes, env, volumes and resources is valid."""
    obj = pod(containers=[container(
        ports=[{"name": "http", "containerPort": 80}],
        env=[{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
        resources={"limits": {"cpu": "500m", "memory": "64Mi", "nvidia.com/gpu": "1"}},
        readinessProbe={"httpGet": {"port": "http"}},
        volumeMounts=[{"name": "cfg", "mountPath": "/cfg"}])],
        volumes=[{"name": "cfg", "configMap": {"name": "cfg"}}])
    assert errors(obj) == []


POD_UPDATE_PREFIX = ("Forbidden: pod updates may not change fields other than "
                     "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                     "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
                     "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
                     "set to 1 if it was previously negative)")


def test_pod_update_allows_image_and_tolerations() -> None:
    """Images may change and tolerations may be added."""
    old = pod(tolerations=[{"key": "a", "operator": "Exists"}])
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.26"
    new["spec"]["tolerations"].append({"key": "b", "operator": "Exists"})
    new["metadata"]["labels"] = {"any": "change"}
    assert update_errors(new, old) == []


@pytest.mark.parametrize(("mutate", "field", "start"), [
    pytest.param(lambda s: s["containers"][0].update(ports=[{"containerPort": 81}]), "spec",
                 POD_UPDATE_PREFIX, id="other-field"),
    pytest.param(lambda s: s["containers"].append(container(name="d")), "spec.containers",
                 "Forbidden: pod updates may not add or remove containers", id="add-container"),
    pytest.param(lambda s: s.update(activeDeadlineSeconds=100), "spec.activeDeadlineSeconds",
                 "Invalid value: 100: must be less than or equal to previous value",
                 id="deadline-up"),
    pytest.param(lambda s: s.update(schedulingGates=[{"name": "wait"}]),
                 "spec.schedulingGates[0].name", "Forbidden: only deletion is allowed, but found "
                 "new scheduling gate 'wait'", id="gate-added"),
    pytest.param(lambda s: s.update(tolerations=[]), "spec.tolerations",
                 "Forbidden: existing toleration can not be modified except its "
                 "tolerationSeconds", id="toleration-removed"),
])
def test_pod_update_forbidden(mutate: Any, field: str, start: str) -> None:
    """Everything else in a pod's spec is immutable."""
    old = pod(activeDeadlineSeconds=50, tolerations=[{"key": "a", "operator": "Exists"}])
    new = copy.deepcopy(old)
    mutate(new["spec"])
    assert_one(update_errors(new, old), field, start)


# --- services --------------------------------------------------------------------------------

def service(defaults: bool = True, **spec: Any) -> dict[str, Any]:
    return make("Service", {"spec": spec}, name="web", defaults=defaults)


@pytest.mark.parametrize(("obj", "field", "start"), [
    pytest.param(service(selector={"app": "x"}), "spec.ports", "Required value", id="ports"),
    pytest.param(service(ports=[{"port": 80}, {"port": 81}]), "spec.ports[0].name",
                 "Required value", id="names-when-several"),
    pytest.param(service(ports=[{"name": "a", "port": 80}, {"name": "a", "port": 81}]),
                 "spec.ports[1].name", 'Duplicate value: "a"', id="duplicate-name"),
    pytest.param(service(ports=[{"port": 0}]), "spec.ports[0].port",
                 "Invalid value: 0: must be between 1 and 65535, inclusive", id="port-range"),
    pytest.param(service(ports=[{"port": 80, "targetPort": "HTTP"}]), "spec.ports[0].targetPort",
                 'Invalid value: "HTTP": must contain only alpha-numeric', id="target-port-name"),
    pytest.param(service(type="NodePort", ports=[{"port": 80, "nodePort": 80}]),
                 "spec.ports[0].nodePort", "Invalid value: 80: provided port is not in the valid "
                 "range. The range of valid ports is 30000-32767", id="node-port-range"),
    pytest.param(service(defaults=False, type="ClusterIP", ports=[{"port": 80,
                                                                  "nodePort": 30001}]),
                 "spec.ports[0].nodePort", "Forbidden: may not be used when `type` is "
                 "'ClusterIP'", id="node-port-on-cluster-ip"),
    pytest.param(service(type="Balanced", ports=[{"port": 80}]), "spec.type",
                 'Unsupported value: "Balanced": supported values: "ClusterIP", "ExternalName", '
                 '"LoadBalancer", "NodePort"', id="type"),
    pytest.param(service(ports=[{"port": 80}], selector={"app": "a b"}), "spec.selector",
                 'Invalid value: "a b"', id="selector"),
    pytest.param(service(type="ExternalName"), "spec.externalName", "Required value",
                 id="external-name"),
    pytest.param(service(ports=[{"port": 80}], sessionAffinity="Sticky"),
                 "spec.sessionAffinity", 'Unsupported value: "Sticky"', id="session-affinity"),
    pytest.param(service(type="NodePort", clusterIP="None", ports=[{"port": 80}]),
                 "spec.clusterIPs[0]",
                 "Invalid value: \"None\": may not be set to 'None' for NodePort services",
                 id="headless-node-port"),
])
def test_service(obj: dict[str, Any], field: str, start: str) -> None:
    """Service errors carry Kubernetes' path and wording."""
    assert_one(errors(obj), field, start)


def test_headless_service_needs_no_ports() -> None:
    """A headless Service may have no ports."""
    assert errors(service(clusterIP="None", selector={"app": "db"})) == []


def test_service_cluster_ip_immutable() -> None:
    """A cluster IP never changes once set, but may be left out by the client."""
    old = service(ports=[{"port": 80}], clusterIP="10.96.0.10")
    moved = service(ports=[{"port": 80}], clusterIP="10.96.0.11")
    assert_one(update_errors(moved, old), "spec.clusterIPs[0]",
               'Invalid value: ["10.96.0.11"]: may not change once set')
    assert update_errors(service(ports=[{"port": 80}]), old) == []
    external = service(type="ExternalName", externalName="example.com")
    assert update_errors(external, old) == []


# --- config, identity, nodes -----------------------------------------------------------------

@pytest.mark.parametrize(("obj", "field", "start"), [
    pytest.param(make("ConfigMap", {"data": {"bad/key": "v"}}), "data[bad/key]",
                 'Invalid value: "bad/key": a valid config key', id="configmap-key"),
    pytest.param(make("ConfigMap", {"data": {"k": "x" * (1024 * 1024 + 1)}}), "",
                 "Too long: may not be more than 1048576 bytes", id="configmap-size"),
    pytest.param(make("Secret", {"data": {"..k": "eA=="}}), "data[..k]",
                 "Invalid value: \"..k\": must not start with '..'", id="secret-key"),
    pytest.param(make("Secret", {"type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}}),
                 "data[tls.key]", "Required value", id="tls-secret"),
    pytest.param(make("Namespace", {"spec": {"finalizers": ["custom"]}}), "spec.finalizers",
                 'Invalid value: "custom": name is neither a standard finalizer name',
                 id="namespace-finalizer"),
    pytest.param(make("Node", {"spec": {"taints": [{"key": "k", "effect": "Sometimes"}]}}),
                 "metadata.taints[0].effect", 'Unsupported value: "Sometimes"', id="taint"),
    pytest.param(make("Endpoints", {"subsets": [{"addresses": [{"ip": "1.2.3"}]}]}),
                 "subsets[0].addresses[0].ip", 'Invalid value: "1.2.3": must be a valid IP',
                 id="endpoints-ip"),
    pytest.param(make("Endpoints", {"subsets": [{"ports": [{"port": 80}]}]}), "subsets[0]",
                 "Required value: must specify `addresses` or `notReadyAddresses`",
                 id="endpoints-addresses"),
    pytest.param(make("Event", {"involvedObject": {"kind": "Pod", "name": "p",
                                                   "namespace": "other"}}),
                 "involvedObject.namespace", 'Invalid value: "other": does not match '
                 "event.namespace", id="event-namespace"),
    pytest.param(make("Event", {"involvedObject": {"kind": "Node", "name": "n1"}},
                      namespace="team-a"), "involvedObject.namespace",
                 'Invalid value: "": does not match event.namespace',
                 id="event-cluster-object-outside-default"),
    pytest.param(make("ResourceQuota", {"spec": {"hard": {"pods": "1.5"}}}), "spec.hard[pods]",
                 'Invalid value: "1.5": must be an integer', id="quota-integer"),
    pytest.param(make("ResourceQuota", {"spec": {"hard": {"widgets": "1"}}}),
                 "spec.hard[widgets]", 'Invalid value: "widgets": must be a standard resource '
                 "for quota", id="quota-resource"),
    pytest.param(make("LimitRange", {"spec": {"limits": [
        {"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}}]}}),
        "spec.limits[0].min[cpu]", 'Invalid value: "2": min value 2 is greater than max value 1',
        id="limit-range-min-max"),
    pytest.param(make("PersistentVolumeClaim", {"spec": {"accessModes": ["ReadWriteOnce"]}}),
                 "spec.resources[storage]", "Required value", id="pvc-storage"),
    pytest.param(make("PersistentVolumeClaim", {"spec": {
        "resources": {"requests": {"storage": "1Gi"}}}}), "spec.accessModes",
        "Required value: at least 1 access mode is required", id="pvc-access-modes"),
    pytest.param(make("PersistentVolume", {"spec": {"capacity": {"storage": "1Gi"},
                                                    "accessModes": ["ReadWriteOnce"]}}),
                 "spec", "Required value: must specify a volume type", id="pv-source"),
    pytest.param(make("Lease", {"spec": {"leaseDurationSeconds": 0}}),
                 "spec.leaseDurationSeconds", "Invalid value: 0: must be greater than 0",
                 id="lease-duration"),
])
def test_core_kinds(obj: dict[str, Any], field: str, start: str) -> None:
    """Errors of the other core kinds carry Kubernetes' path and wording."""
    assert_one(errors(obj), field, start)


@pytest.mark.parametrize(("kind", "old_body", "new_body", "field", "start"), [
    pytest.param("ConfigMap", {"immutable": True, "data": {"a": "1"}},
                 {"immutable": True, "data": {"a": "2"}}, "data",
                 "Forbidden: field is immutable when `immutable` is set", id="configmap-data"),
    pytest.param("Secret", {"immutable": True}, {}, "immutable",
                 "Forbidden: field is immutable when `immutable` is set", id="secret-immutable"),
    pytest.param("Secret", {"type": "Opaque"}, {"type": "kubernetes.io/basic-auth",
                                                "data": {"username": "eA=="}}, "type",
                 'Invalid value: "kubernetes.io/basic-auth": field is immutable',
                 id="secret-type"),
    pytest.param("Node", {"spec": {"podCIDRs": ["10.0.0.0/24"]}},
                 {"spec": {"podCIDRs": ["10.0.1.0/24"]}}, "spec.podCIDRs",
                 'Forbidden: node updates may not change podCIDR except from "" to valid',
                 id="node-pod-cidr"),
    pytest.param("ResourceQuota", {"spec": {"scopes": ["BestEffort"]}},
                 {"spec": {"scopes": ["NotBestEffort"]}}, "spec.scopes",
                 'Invalid value: ["NotBestEffort"]: field is immutable', id="quota-scopes"),
    pytest.param("PersistentVolumeClaim",
                 {"spec": {"accessModes": ["ReadWriteOnce"],
                           "resources": {"requests": {"storage": "1Gi"}}}},
                 {"spec": {"accessModes": ["ReadWriteMany"],
                           "resources": {"requests": {"storage": "1Gi"}}}}, "spec",
                 "Forbidden: spec is immutable after creation", id="pvc-spec"),
    pytest.param("PersistentVolume",
                 {"spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                           "hostPath": {"path": "/a"}}},
                 {"spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                           "hostPath": {"path": "/b"}}}, "spec.persistentvolumesource",
                 "Forbidden: spec.persistentvolumesource is immutable after creation",
                 id="pv-source"),
])
def test_core_updates(kind: str, old_body: dict[str, Any], new_body: dict[str, Any],
                      field: str, start: str) -> None:
    """Update rules of the core kinds."""
    assert_one(update_errors(make(kind, new_body), make(kind, old_body)), field, start)


def test_pvc_binder_may_set_volume_name() -> None:
    """The binder may set volumeName once, and a bound claim may grow."""
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    old = make("PersistentVolumeClaim", {"spec": copy.deepcopy(spec)})
    new = copy.deepcopy(old)
    new["spec"]["volumeName"] = "pv-1"
    new["status"] = {"phase": "Bound"}
    new["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert update_errors(new, old) == []


# --- apps ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("obj", "field", "start"), [
    pytest.param(make("Deployment", {"spec": {"template": template()}}), "spec.selector",
                 "Required value", id="selector-required"),
    pytest.param(workload("Deployment", selector={}), "spec.selector",
                 "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
                 "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is "
                 "invalid for deployment", id="selector-empty"),
    pytest.param(workload("Deployment", selector={"matchLabels": {"app": "y"}}),
                 "spec.template.metadata.labels",
                 'Invalid value: map[string]string{"app":"x"}: `selector` does not match '
                 "template `labels`", id="selector-mismatch"),
    pytest.param(workload("Deployment", replicas=-1), "spec.replicas",
                 "Invalid value: -1: must be greater than or equal to 0", id="replicas"),
    pytest.param(workload("Deployment", template=template(restartPolicy="Never")),
                 "spec.template.spec.restartPolicy",
                 'Unsupported value: "Never": supported values: "Always"', id="restart-policy"),
    pytest.param(workload("Deployment", template=template(containers=[container(image="")])),
                 "spec.template.spec.containers[0].image", "Required value",
                 id="template-image"),
    pytest.param(workload("Deployment", template=template(labels={"app": "x", "bad": "a b"})),
                 "spec.template.labels", 'Invalid value: "a b"', id="template-labels"),
    pytest.param(workload("Deployment", strategy={"type": "Canary"}), "spec.strategy",
                 'Unsupported value: {"type":"Canary"}', id="strategy-type"),
    pytest.param(workload("Deployment", strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": 0, "maxUnavailable": "0%"}}), "spec.strategy.rollingUpdate.maxUnavailable",
        'Invalid value: "0%": may not be 0 when `maxSurge` is 0', id="surge-and-unavailable-0"),
    pytest.param(workload("Deployment", strategy={"rollingUpdate": {"maxSurge": "25"}}),
                 "spec.strategy.rollingUpdate.maxSurge", 'Invalid value: "25": a valid percent '
                 "string must be a numeric string followed by an ending '%'", id="percent"),
    pytest.param(workload("Deployment", strategy={"rollingUpdate": {"maxUnavailable": "150%"}}),
                 "spec.strategy.rollingUpdate.maxUnavailable",
                 'Invalid value: "150%": must not be greater than 100%', id="over-100-percent"),
    pytest.param(workload("Deployment", strategy={"type": "Recreate", "rollingUpdate": {}}),
                 "spec.strategy.rollingUpdate", "Forbidden: may not be specified when strategy "
                 "`type` is 'Recreate'", id="recreate-rolling"),
    pytest.param(workload("Deployment", revisionHistoryLimit=-1), "spec.revisionHistoryLimit",
                 "Invalid value: -1: must be greater than or equal to 0", id="history"),
    pytest.param(workload("Deployment", minReadySeconds=700), "spec.progressDeadlineSeconds",
                 "Invalid value: 600: must be greater than minReadySeconds", id="deadline"),
    pytest.param(workload("ReplicaSet", minReadySeconds=-1), "spec.minReadySeconds",
                 "Invalid value: -1: must be greater than or equal to 0", id="rs-min-ready"),
    pytest.param(workload("StatefulSet", selector={"matchLabels": {}}), "spec.selector",
                 "Invalid value: v1.LabelSelector{", id="sts-empty-selector"),
    pytest.param(workload("StatefulSet", podManagementPolicy="Random"),
                 "spec.podManagementPolicy", "Invalid value: \"Random\": must be 'OrderedReady' "
                 "or 'Parallel'", id="sts-policy"),
    pytest.param(workload("StatefulSet", volumeClaimTemplates=[{"metadata": {"name": "d"},
                                                                "spec": {}}]),
                 "spec.volumeClaimTemplates[0].spec.accessModes",
                 "Required value: at least 1 access mode is required", id="sts-claims"),
    pytest.param(workload("DaemonSet", updateStrategy={"rollingUpdate": {
        "maxSurge": 1, "maxUnavailable": 1}}), "spec.updateStrategy.rollingUpdate.maxSurge",
        "Invalid value: 1: may not be set when maxUnavailable is non-zero", id="ds-surge"),
    pytest.param(workload("DaemonSet", selector={"matchExpressions": [
        {"key": "app", "operator": "Near", "values": ["x"]}]}),
        "spec.selector.matchExpressions[0].operator",
        'Invalid value: "Near": not a valid selector operator', id="ds-operator"),
    pytest.param(make("ReplicationController", {"spec": {"selector": {"app": "y"},
                                                         "template": template()}}),
                 "spec.template.metadata.labels", 'Invalid value: map[string]string{"app":"x"}',
                 id="rc-selector"),
    pytest.param(make("ReplicationController", {"spec": {"selector": {"app": "x"}}}),
                 "spec.template", "Required value", id="rc-template"),
    pytest.param(make("ControllerRevision", {"data": {}, "revision": -1}), "revision",
                 "Invalid value: -1: must be greater than or equal to 0", id="revision"),
])
def test_apps(obj: dict[str, Any], field: str, start: str) -> None:
    """Workload errors carry Kubernetes' path and wording."""
    assert_one(errors(obj), field, start)


def test_statefulset_mounts_claim_templates() -> None:
    """A StatefulSet's containers may mount its volumeClaimTemplates."""
    obj = workload("StatefulSet", serviceName="db", template=template(containers=[container(
        volumeMounts=[{"name": "data", "mountPath": "/data"}])]), volumeClaimTemplates=[
        {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {
            "requests": {"storage": "1Gi"}}}}])
    assert errors(obj) == []


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "DaemonSet"])
def test_apps_selector_immutable(kind: str) -> None:
    """In apps/v1 a selector never changes."""
    old = workload(kind)
    new = workload(kind, selector={"matchLabels": {"app": "x", "tier": "web"}},
                   template=template(labels={"app": "x", "tier": "web"}))
    assert_one(update_errors(new, old), "spec.selector",
               'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x", '
               '"tier":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is '
               "immutable")


def test_statefulset_update_rules() -> None:
    """Replicas and template may change; serviceName may not."""
    old = workload("StatefulSet", serviceName="db")
    scaled = workload("StatefulSet", serviceName="db", replicas=3,
                      template=template(containers=[container(image="nginx:2")]))
    assert update_errors(scaled, old) == []
    renamed = workload("StatefulSet", serviceName="other")
    assert_one(update_errors(renamed, old), "spec",
               "Forbidden: updates to statefulset spec for fields other than 'replicas', "
               "'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
               "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")


def test_controller_revision_data_immutable() -> None:
    """A ControllerRevision's data never changes."""
    old = make("ControllerRevision", {"data": {"a": 1}, "revision": 1})
    new = make("ControllerRevision", {"data": {"a": 2}, "revision": 1})
    assert_one(update_errors(new, old), "data", 'Invalid value: {"a":2}: field is immutable')


# --- batch -----------------------------------------------------------------------------------

def job(**spec: Any) -> dict[str, Any]:
    spec.setdefault("template", template(restartPolicy="Never"))
    return make("Job", {"spec": spec}, uid="uid-1")


def cron_job(name: str = "x", **spec: Any) -> dict[str, Any]:
    spec.setdefault("schedule", "*/5 * * * *")
    spec.setdefault("jobTemplate", {"spec": {"template": template(restartPolicy="OnFailure")}})
    return make("CronJob", {"spec": spec}, name=name)


@pytest.mark.parametrize(("obj", "field", "start"), [
    pytest.param(make("Job", {"spec": {"template": template()}}),
                 "spec.template.spec.restartPolicy",
                 'Unsupported value: "Always": supported values: "OnFailure", "Never"',
                 id="job-restart-policy"),
    pytest.param(job(parallelism=-1), "spec.parallelism",
                 "Invalid value: -1: must be greater than or equal to 0", id="parallelism"),
    pytest.param(job(backoffLimit=-1), "spec.backoffLimit",
                 "Invalid value: -1: must be greater than or equal to 0", id="backoff"),
    pytest.param(job(completionMode="Indexed", completions=None, parallelism=2),
                 "spec.completions", "Required value: when completion mode is Indexed",
                 id="indexed-completions"),
    pytest.param(job(selector={"matchLabels": {"app": "other"}}, manualSelector=True),
                 "spec.template.metadata.labels", "Invalid value: map[string]string{",
                 id="job-selector-mismatch"),
    pytest.param(cron_job(schedule=""), "spec.schedule", "Required value", id="schedule"),
    pytest.param(cron_job(schedule="every minute"), "spec.schedule",
                 'Invalid value: "every minute": expected exactly 5 fields, found 2: '
                 "[every minute]", id="schedule-fields"),
    pytest.param(cron_job(schedule="61 * * * *"), "spec.schedule",
                 'Invalid value: "61 * * * *": end of range (61) above maximum (59): 61',
                 id="schedule-range"),
    pytest.param(cron_job(schedule="TZ=UTC 0 * * * *"), "spec.schedule",
                 "Invalid value: \"TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, "
                 "use timeZone field instead", id="schedule-tz"),
    pytest.param(cron_job(concurrencyPolicy="Sometimes"), "spec.concurrencyPolicy",
                 'Unsupported value: "Sometimes": supported values: "Allow", "Forbid", '
                 '"Replace"', id="concurrency"),
    pytest.param(cron_job(name="a" * 53), "metadata.name",
                 "Invalid value: \"" + "a" * 53 + '": must be no more than 52 characters',
                 id="cron-name-length"),
    pytest.param(cron_job(jobTemplate={"spec": {"template": template()}}),
                 "spec.jobTemplate.spec.template.spec.restartPolicy",
                 'Unsupported value: "Always"', id="cron-template"),
    pytest.param(cron_job(jobTemplate={"spec": {"selector": {"matchLabels": {"a": "b"}},
                                                "template": template(restartPolicy="Never")}}),
                 "spec.jobTemplate.spec.selector", "Invalid value: v1.LabelSelector{",
                 id="cron-selector"),
])
def test_batch(obj: dict[str, Any], field: str, start: str) -> None:
    """Job and CronJob errors carry Kubernetes' path and wording."""
    assert_one(errors(obj), field, start)


@pytest.mark.parametrize("schedule", [
    pytest.param("@hourly", id="hourly"), pytest.param("@every 90s", id="every"),
    pytest.param("0 9 * JAN-MAR MON-FRI", id="names"), pytest.param("*/15 0-6/2 1,15 * ?",
                                                                    id="steps-lists"),
])
def test_cron_schedules_accepted(schedule: str) -> None:
    """Descriptors, names, steps and lists are valid schedules."""
    assert cron_error(schedule) is None
    assert errors(cron_job(schedule=schedule)) == []


def test_job_update_rules() -> None:
    """A started Job's template and selector never change; parallelism may."""
    old = job()
    assert update_errors(job(completions=1, parallelism=3), old) == []
    new = job(template=template(restartPolicy="Never", containers=[container(image="x:2")]))
    assert_one(update_errors(new, old), "spec.template", "Invalid value: ")
    moved = copy.deepcopy(old)
    moved["spec"]["selector"] = {"matchLabels": {"other": "x"}}
    assert_one(update_errors(moved, old), "spec.selector", "Invalid value: v1.LabelSelector{")


def test_suspended_job_may_change_scheduling() -> None:
    """A suspended Job that never ran may change its pods' node selector."""
    old = job(suspend=True)
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["nodeSelector"] = {"zone": "a"}
    assert update_errors(new, old) == []


# --- robustness ------------------------------------------------------------------------------

ODD_OBJECTS = [{}, {"spec": {}}, {"metadata": {}}, {"spec": {"template": {}}},
               {"spec": {"containers": [], "ports": [], "template": {"spec": {}}}}]


KINDS = [pytest.param(rt, id=f"{rt.group or 'core'}-{rt.kind}") for rt in REGISTRY]


@pytest.mark.parametrize("rt", KINDS)
def test_validators_survive_sparse_objects(rt: ResourceType) -> None:
    """Every kind's validation answers causes, never raises, on sparse but well-typed
    objects."""
    for obj in ODD_OBJECTS:
        assert isinstance(rt.strategy.validate(copy.deepcopy(obj)), list)


@pytest.mark.parametrize("rt", KINDS)
def test_update_validators_survive_sparse_objects(rt: ResourceType) -> None:
    """Every kind's update validation answers causes, never raises, on sparse objects."""
    for obj in ODD_OBJECTS:
        assert isinstance(rt.strategy.validate_update(copy.deepcopy(obj), {}), list)
        assert isinstance(rt.strategy.validate_update({}, copy.deepcopy(obj)), list)
