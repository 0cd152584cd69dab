"""networking.k8s.io/v1 and node.k8s.io/v1 kinds: stored, defaulted, and refused with
Kubernetes' field paths when invalid (in process, through the whole request pipeline)."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.apiserver.server import ApiServer
from tests.apiserver.test_verbs import call

NET = "/apis/networking.k8s.io/v1"
ING = f"{NET}/namespaces/default/ingresses"
NETPOL = f"{NET}/namespaces/default/networkpolicies"
RC = "/apis/node.k8s.io/v1/runtimeclasses"
BACKEND = {"service": {"name": "w", "port": {"number": 1}}}


def ingress(name: str, **spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"rules": [{"host": "*.example.com", "http": {"paths": [
        {"path": "/api", "pathType": "Prefix",
         "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name},
            "spec": {**base, **spec}}


def fields(status: dict[str, Any]) -> set[str]:
    return {c["field"] for c in status["details"]["causes"]}


async def test_ingress_created_with_empty_status(apiserver: ApiServer) -> None:
    """A valid Ingress (wildcard host) is stored with status.loadBalancer empty."""
    code, obj = await call(apiserver, "POST", ING, ingress("ok", tls=[
        {"hosts": ["*.example.com"], "secretName": "tls"}]))
    assert code == 201, obj
    assert obj["status"] == {"loadBalancer": {}} and obj["metadata"]["generation"] == 1


@pytest.mark.parametrize(("spec", "expected"), [
    pytest.param({"rules": []}, {"spec"}, id="no-rules-no-default-backend"),
    pytest.param({"rules": [{"host": "1.2.3.4"}]}, {"spec.rules[0].host"}, id="ip-host"),
    pytest.param({"rules": [{"host": "*"}]}, {"spec.rules[0].host"}, id="bare-wildcard"),
    pytest.param({"rules": [{"http": {"paths": [{"path": "api", "pathType": "Exact",
                                                 "backend": BACKEND}]}}]},
                 {"spec.rules[0].http.paths[0].path"}, id="relative-path"),
    pytest.param({"rules": [{"http": {"paths": [{"path": "/", "pathType": "Odd",
                                                 "backend": {}}]}}]},
                 {"spec.rules[0].http.paths[0].pathType",
                  "spec.rules[0].http.paths[0].backend"}, id="bad-path-type-no-backend"),
    pytest.param({"defaultBackend": {"service": {"name": "Web", "port": {}}}, "rules": []},
                 {"spec.defaultBackend.service.name", "spec.defaultBackend"},
                 id="bad-service-name-no-port"),
    pytest.param({"tls": [{"hosts": ["bad_host"]}]}, {"spec.tls[0].hosts[0]"}, id="tls-host"),
])
async def test_ingress_invalid(apiserver: ApiServer, spec: dict[str, Any],
                               expected: set[str]) -> None:
    """Kubernetes' Ingress validation answers 422 naming each bad field."""
    code, status = await call(apiserver, "POST", ING, ingress("bad", **spec))
    assert code == 422, status
    assert fields(status) == expected, status["details"]["causes"]


async def test_ingress_class_cluster_scoped_and_immutable_controller(apiserver: ApiServer) -> None:
    """IngressClass: parameters scope defaults to Cluster; the controller cannot change."""
    body = {"metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx",
                                                    "parameters": {"kind": "Cfg", "name": "c"}}}
    code, obj = await call(apiserver, "POST", f"{NET}/ingressclasses", body)
    assert code == 201 and obj["spec"]["parameters"]["scope"] == "Cluster"
    code, status = await call(apiserver, "PATCH", f"{NET}/ingressclasses/nginx",
                              {"spec": {"controller": "example.com/other"}},
                              ctype="application/merge-patch+json")
    assert code == 422 and fields(status) == {"spec.controller"}
    code, status = await call(apiserver, "POST", f"{NET}/ingressclasses",
                              {"metadata": {"name": "x"}, "spec": {"controller": "nodomain"}})
    assert code == 422 and fields(status) == {"spec.controller"}


async def test_network_policy_defaults_and_validation(apiserver: ApiServer) -> None:
    """NetworkPolicy: TCP and policyTypes defaulted; CIDRs, ports and peers checked."""
    good = {"metadata": {"name": "np"}, "spec": {"podSelector": {"matchLabels": {"app": "a"}},
            "egress": [{"ports": [{"port": 53}], "to": [{"ipBlock": {
                "cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}]}}
    code, obj = await call(apiserver, "POST", NETPOL, good)
    assert code == 201, obj
    assert obj["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert obj["spec"]["egress"][0]["ports"][0]["protocol"] == "TCP"
    bad = {"metadata": {"name": "np2"}, "spec": {"podSelector": {}, "ingress": [{
        "ports": [{"port": "http", "endPort": 90}, {"port": 70000}],
        "from": [{}, {"ipBlock": {"cidr": "10.0.0.0/33"}},
                 {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["11.0.0.0/24"]},
                  "podSelector": {}}]}], "policyTypes": ["Sideways"]}}
    code, status = await call(apiserver, "POST", NETPOL, bad)
    assert code == 422
    assert fields(status) == {
        "spec.ingress[0].ports[0].endPort", "spec.ingress[0].ports[1].port",
        "spec.ingress[0].from[0]", "spec.ingress[0].from[1].ipBlock.cidr",
        "spec.ingress[0].from[2].ipBlock.except[0]", "spec.ingress[0].from[2]",
        "spec.policyTypes[0]"}, status["details"]["causes"]


async def test_runtime_class(apiserver: ApiServer) -> None:
    """RuntimeClass: handler a DNS label, immutable; overhead and scheduling validated."""
    body = {"metadata": {"name": "gvisor"}, "handler": "runsc",
            "overhead": {"podFixed": {"cpu": "250m", "memory": "64Mi"}},
            "scheduling": {"nodeSelector": {"sandbox": "true"},
                           "tolerations": [{"key": "sandbox", "operator": "Exists"}]}}
    code, obj = await call(apiserver, "POST", RC, body)
    assert code == 201, obj
    code, status = await call(apiserver, "PATCH", f"{RC}/gvisor", {"handler": "kata"},
                              ctype="application/merge-patch+json")
    assert code == 422 and fields(status) == {"handler"}
    code, status = await call(apiserver, "POST", RC, {
        "metadata": {"name": "bad"}, "handler": "Run_SC",
        "overhead": {"podFixed": {"cpu": "-1"}},
        "scheduling": {"nodeSelector": {"bad key!": "v"}}})
    assert code == 422
    assert fields(status) == {"handler", "overhead.limits[cpu]", "scheduling.nodeSelector"}
    code, status = await call(apiserver, "POST", RC, {"metadata": {"name": "nohandler"}})
    assert code == 422 and fields(status) == {"handler"}


async def test_default_ingress_class(apiserver: ApiServer) -> None:
    """An Ingress without a class gets the IngressClass marked default; one with a class
    or the legacy annotation keeps what it says."""
    await call(apiserver, "POST", f"{NET}/ingressclasses", {
        "metadata": {"name": "main", "annotations": {
            "ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "example.com/ingress"}})
    code, obj = await call(apiserver, "POST", ING, ingress("defaulted"))
    assert code == 201 and obj["spec"]["ingressClassName"] == "main"
    code, obj = await call(apiserver, "POST", ING, ingress("named", ingressClassName="other"))
    assert obj["spec"]["ingressClassName"] == "other"
    legacy = ingress("legacy")
    legacy["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "nginx"}
    code, obj = await call(apiserver, "POST", ING, legacy)
    assert code == 201 and "ingressClassName" not in obj["spec"]


async def test_runtime_class_admission(apiserver: ApiServer) -> None:
    """A pod naming a RuntimeClass gets its overhead, node selector and tolerations; an
    unknown class or a conflicting node selector is refused."""
    await call(apiserver, "POST", RC, {
        "metadata": {"name": "sandboxed"}, "handler": "runsc",
        "overhead": {"podFixed": {"cpu": "250m"}},
        "scheduling": {"nodeSelector": {"sandbox": "yes"},
                       "tolerations": [{"key": "sandbox", "operator": "Exists"}]}})
    pods = "/api/v1/namespaces/default/pods"

    def pod(name: str, **spec: Any) -> dict[str, Any]:
        return {"metadata": {"name": name}, "spec": {
            "containers": [{"name": "c", "image": "busybox"}], **spec}}

    code, obj = await call(apiserver, "POST", pods, pod("p1", runtimeClassName="sandboxed"))
    assert code == 201, obj
    assert obj["spec"]["overhead"] == {"cpu": "250m"}
    assert obj["spec"]["nodeSelector"] == {"sandbox": "yes"}
    assert {"key": "sandbox", "operator": "Exists"} in obj["spec"]["tolerations"]
    code, status = await call(apiserver, "POST", pods, pod("p2", runtimeClassName="nope"))
    assert code == 403 and 'RuntimeClass "nope" not found' in status["message"]
    code, status = await call(apiserver, "POST", pods, pod(
        "p3", runtimeClassName="sandboxed", nodeSelector={"sandbox": "no"}))
    assert code == 403 and "conflict" in status["message"]
