"""The groups users' manifests contain, against a started daemon with the official client and
the real kubectl: events.k8s.io/v1 (the same Events as core/v1), networking.k8s.io/v1,
node.k8s.io/v1, apiregistration.k8s.io/v1 (one Local APIService per served group-version,
``create_from_yaml``) and admissionregistration.k8s.io/v1 webhooks that are called (a real
HTTPS webhook server in this process, with its own CA in ``caBundle``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config, utils
from kubernetes.client.rest import ApiException

from tests.conftest import RunningDaemon, start_daemon
from tests.e2e.test_kubectl import kubectl, ok, table
from tests.helpers.webhook_server import WebhookServer

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    running = start_daemon(tmp_path_factory.mktemp("groups"), extra=("--without", "proxy"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(daemon: RunningDaemon) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(daemon.kubeconfig))
    yield api_client
    api_client.close()


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookServer]:
    server = WebhookServer(tmp_path_factory.mktemp("hooks")).start()
    yield server
    server.stop()


def _causes(err: ApiException) -> set[str]:
    return {c["field"] for c in json.loads(err.body)["details"]["causes"]}


def test_networking_and_node_kinds(api: client.ApiClient, daemon: RunningDaemon) -> None:
    """Ingress, IngressClass, NetworkPolicy and RuntimeClass are created, listed, printed by
    kubectl, and refused with field paths when invalid."""
    net, node = client.NetworkingV1Api(api), client.NodeV1Api(api)
    ingress = net.create_namespaced_ingress("default", {
        "metadata": {"name": "web"}, "spec": {"ingressClassName": "nginx", "rules": [{
            "host": "*.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})
    assert ingress.status.load_balancer is not None
    net.create_ingress_class({"metadata": {"name": "nginx"},
                              "spec": {"controller": "k8s.io/ingress-nginx"}})
    policy = net.create_namespaced_network_policy("default", {
        "metadata": {"name": "deny-all"}, "spec": {"podSelector": {}}})
    assert policy.spec.policy_types == ["Ingress"]
    node.create_runtime_class({"metadata": {"name": "gvisor"}, "handler": "runsc"})
    assert [i.metadata.name for i in net.list_namespaced_ingress("default").items] == ["web"]
    rows = table(ok(daemon, "get", "ingress", "web"))
    assert rows[0] == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    assert rows[1][:3] == ["web", "nginx", "*.example.com"]
    assert table(ok(daemon, "get", "runtimeclass"))[1][:2] == ["gvisor", "runsc"]
    assert table(ok(daemon, "get", "networkpolicy"))[1][:2] == ["deny-all", "<none>"]
    with pytest.raises(ApiException) as err:
        net.create_namespaced_ingress("default", {"metadata": {"name": "bad"}, "spec": {
            "rules": [{"host": "1.2.3.4", "http": {"paths": [{"path": "/", "pathType": "Exact",
                       "backend": {"service": {"name": "web", "port": {"name": "http"}}}}]}}]}})
    assert err.value.status == 422 and _causes(err.value) == {"spec.rules[0].host"}
    with pytest.raises(ApiException) as err:
        net.create_namespaced_network_policy("default", {"metadata": {"name": "bad"}, "spec": {
            "podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/40"}}]}]}})
    assert err.value.status == 422
    assert _causes(err.value) == {"spec.ingress[0].from[0].ipBlock.cidr"}
    with pytest.raises(ApiException) as err:
        node.create_runtime_class({"metadata": {"name": "bad"}, "handler": "Not_A_Label"})
    assert err.value.status == 422 and _causes(err.value) == {"handler"}


def test_events_in_both_versions(api: client.ApiClient, daemon: RunningDaemon) -> None:
    """An Event created through events.k8s.io/v1 is listed through core/v1 converted, and
    kubectl shows the same events through both versions."""
    client.EventsV1Api(api).create_namespaced_event("default", {
        "metadata": {"name": "scaled"}, "eventTime": "2026-12-04T10:00:00.000000Z",
        "reportingController": "example.com/scaler", "reportingInstance": "scaler-1",
        "action": "Scale", "reason": "Scaled", "note": "scaled web to 3", "type": "Normal",
        "regarding": {"kind": "Deployment", "name": "web", "namespace": "default"}})
    # (A new-style event: the official client cannot read an events.k8s.io Event whose
    # eventTime is null, as a legacy one's is, on any cluster.)
    client.CoreV1Api(api).create_namespaced_event("default", {
        "metadata": {"name": "started"}, "reason": "Started", "message": "started",
        "eventTime": "2026-12-04T10:00:01.000000Z", "reportingComponent": "kubelet",
        "reportingInstance": "node-1", "action": "Start", "type": "Normal",
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"}})
    core = {e.metadata.name: e for e in client.CoreV1Api(api).list_namespaced_event(
        "default").items}
    assert core["scaled"].message == "scaled web to 3"
    assert core["scaled"].involved_object.kind == "Deployment"
    assert core["scaled"].reporting_component == "example.com/scaler"
    new = {e.metadata.name: e for e in client.EventsV1Api(api).list_namespaced_event(
        "default").items}
    assert new["started"].note == "started" and new["started"].regarding.name == "p"
    names = "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}"
    through_core = ok(daemon, "get", "events", "-o", names).split()
    through_new = ok(daemon, "get", "events.v1.events.k8s.io", "-o", names).split()
    assert sorted(through_core) == sorted(through_new)
    assert {"scaled", "started"} <= set(through_new)
    rows = table(ok(daemon, "get", "events.v1.events.k8s.io"))
    assert rows[0][:5] == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert any(r[2:5] == ["Scaled", "deployment/web", "scaled web to 3"] for r in rows[1:])


def test_apiservices_one_per_group_version(daemon: RunningDaemon) -> None:
    """`kubectl get apiservices` lists one Local, Available APIService per group-version
    that `kubectl api-versions` shows."""
    versions = ok(daemon, "api-versions").split()
    rows = table(ok(daemon, "get", "apiservices"))
    assert rows[0] == ["NAME", "SERVICE", "AVAILABLE", "AGE"]
    by_name = {r[0]: r for r in rows[1:]}
    # "apps/v1" -> "v1.apps", "v1" -> "v1."
    wanted = {".".join(reversed(gv.split("/"))) if "/" in gv else f"{gv}." for gv in versions}
    assert set(by_name) == wanted
    assert by_name["v1."][1:3] == ["Local", "True"]
    assert by_name["v1.apps"][1:3] == ["Local", "True"]


def test_create_from_yaml_apiservice(api: client.ApiClient, tmp_path: Path) -> None:
    """The official client's create_from_yaml creates an APIService from a manifest."""
    manifest = tmp_path / "apiservice.yaml"
    manifest.write_text(yaml.safe_dump({
        "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
        "metadata": {"name": "v1alpha1.wardle.example.com"},
        "spec": {"group": "wardle.example.com", "version": "v1alpha1",
                 "groupPriorityMinimum": 1000, "versionPriority": 15,
                 "insecureSkipTLSVerify": True,
                 "service": {"name": "api", "namespace": "wardle"}}}))
    created = utils.create_from_yaml(api, str(manifest))
    assert created[0][0].metadata.name == "v1alpha1.wardle.example.com"
    got = client.ApiregistrationV1Api(api).read_api_service("v1alpha1.wardle.example.com")
    assert got.spec.service.port == 443


def _webhook(name: str, url: str, ca: str, *, labels: dict[str, str],
             **extra: Any) -> dict[str, Any]:
    return {"name": f"{name}.example.com", "clientConfig": {"url": url, "caBundle": ca},
            "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "objectSelector": {"matchLabels": labels},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                       "resources": ["configmaps"], "scope": "Namespaced"}], **extra}


def test_webhooks_are_called(api: client.ApiClient, hooks: WebhookServer,
                             daemon: RunningDaemon) -> None:
    """A mutating webhook labels created objects, a validating one denies, an unreachable
    one fails the request under Fail and not under Ignore."""
    admission = client.AdmissionregistrationV1Api(api)
    admission.create_mutating_webhook_configuration({
        "metadata": {"name": "labeller"},
        "webhooks": [_webhook("labeller", hooks.url("/label"), hooks.ca_bundle,
                              labels={"hook": "label"})]})
    admission.create_validating_webhook_configuration({
        "metadata": {"name": "guards"},
        "webhooks": [_webhook("denier", hooks.url("/deny"), hooks.ca_bundle,
                              labels={"hook": "deny"}),
                     _webhook("ignored", "https://127.0.0.1:9/", hooks.ca_bundle,
                              labels={"hook": "ignore"}, failurePolicy="Ignore"),
                     _webhook("failing", "https://127.0.0.1:9/", hooks.ca_bundle,
                              labels={"hook": "fail"}, failurePolicy="Fail")]})
    core = client.CoreV1Api(api)

    def cm(name: str, hook: str) -> dict[str, Any]:
        return {"metadata": {"name": name, "labels": {"hook": hook}}, "data": {"k": "v"}}

    created = core.create_namespaced_config_map("default", cm("mutated", "label"))
    assert created.metadata.labels == {"hook": "label", "webhook": "seen"}
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("default", cm("deny-me", "deny"))
    assert err.value.status == 403
    assert json.loads(err.value.body)["message"] == (
        'admission webhook "denier.example.com" denied the request: no objects named deny-me')
    assert core.create_namespaced_config_map("default", cm("ignored", "ignore"))
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("default", cm("failed", "fail"))
    assert err.value.status == 500 and "failed calling webhook" in err.value.body
    printed = table(ok(daemon, "get", "validatingwebhookconfigurations"))
    assert printed[0] == ["NAME", "WEBHOOKS", "AGE"] and printed[1][:2] == ["guards", "3"]
    manifest = yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "applied", "namespace": "default", "labels": {"hook": "label"}}})
    ok(daemon, "apply", "-f", "-", input=manifest)
    assert ok(daemon, "get", "configmap", "applied", "-o",
              "jsonpath={.metadata.labels.webhook}") == "seen"


def test_aggregated_api_through_kubectl(api: client.ApiClient, hooks: WebhookServer,
                                        daemon: RunningDaemon) -> None:
    """An APIService backed by a Service (Endpoints at the test server) becomes Available,
    and kubectl discovers and lists its resource through the apiserver."""
    core = client.CoreV1Api(api)
    core.create_namespaced_service("default", {"metadata": {"name": "wardle"},
                                               "spec": {"ports": [{"port": 443}]}})
    core.create_namespaced_endpoints("default", {
        "metadata": {"name": "wardle"},
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": hooks.port}]}]})
    registration = client.ApiregistrationV1Api(api)
    registration.create_api_service({
        "metadata": {"name": "v1.wardle.example.com"},
        "spec": {"group": "wardle.example.com", "version": "v1", "groupPriorityMinimum": 1000,
                 "versionPriority": 15, "caBundle": hooks.ca_bundle,
                 "service": {"namespace": "default", "name": "wardle"}}})
    deadline = time.monotonic() + 10
    while True:
        got = registration.read_api_service("v1.wardle.example.com")
        conditions = got.status.conditions if got.status else None
        if conditions and conditions[0].status == "True":
            break
        assert time.monotonic() < deadline, conditions
        time.sleep(0.2)
    rows = table(ok(daemon, "get", "apiservices", "v1.wardle.example.com"))
    assert rows[1][:3] == ["v1.wardle.example.com", "default/wardle", "True"]
    listed = ok(daemon, "get", "flunders", "-n", "default", "-o", "name")
    assert listed.startswith("flunder.wardle.example.com/for-"), listed
    explained = ok(daemon, "explain", "flunders.spec")
    assert "Its wishes." in explained and "reference" in explained, explained
    # kubectl 1.27 knows aggregated discovery only as v2beta1
    old = kubectl(daemon, "get", "flunders", "-n", "default", "-o", "name",
                  binary="/usr/lib/google-cloud-sdk/bin/kubectl.1.27")
    assert old.returncode == 0 and old.stdout == listed, old.stderr


def test_invalid_registration_objects(api: client.ApiClient) -> None:
    """Webhook configurations, APIServices and events.k8s.io Events are refused with 422
    and Kubernetes' field paths through the official client."""
    with pytest.raises(ApiException) as err:
        client.AdmissionregistrationV1Api(api).create_validating_webhook_configuration({
            "metadata": {"name": "bad"}, "webhooks": [{
                "name": "bad", "clientConfig": {"url": "http://example.com/"},
                "sideEffects": "None", "admissionReviewVersions": ["v1"],
                "timeoutSeconds": 60}]})
    assert err.value.status == 422
    assert _causes(err.value) == {"webhooks[0].name", "webhooks[0].clientConfig.url",
                                  "webhooks[0].timeoutSeconds"}
    with pytest.raises(ApiException) as err:
        client.ApiregistrationV1Api(api).create_api_service({
            "metadata": {"name": "v1.other.example.com"},
            "spec": {"group": "example.com", "version": "v1", "groupPriorityMinimum": 100,
                     "versionPriority": 2000}})
    assert err.value.status == 422
    assert _causes(err.value) == {"metadata.name", "spec.versionPriority"}
    with pytest.raises(ApiException) as err:
        client.EventsV1Api(api).create_namespaced_event("default", {
            "metadata": {"name": "bad"}, "eventTime": "2026-12-04T10:00:00.000000Z",
            "reason": "R", "type": "Sideways",
            "regarding": {"kind": "Pod", "name": "p", "namespace": "default"}})
    assert err.value.status == 422
    assert _causes(err.value) == {"reportingController", "reportingInstance", "action", "type"}
