"""Admission webhooks called by the in-process apiserver: a real HTTPS webhook server with
its own CA, reached by URL and through a Service's Endpoints."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from minikube_py.api.registry import REGISTRY
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.server import ApiServer
from minikube_py.apiserver.storedobjects import StoredObjects
from tests.apiserver.test_verbs import call
from tests.helpers.webhook_server import WebhookServer

AR = "/apis/admissionregistration.k8s.io/v1"
CM = "/api/v1/namespaces/default/configmaps"


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookServer]:
    server = WebhookServer(tmp_path_factory.mktemp("webhook")).start()
    yield server
    server.stop()


def hook_config(name: str, client: dict[str, Any], *, mutating: bool = False,
                **extra: Any) -> dict[str, Any]:
    webhook = {"name": f"{name}.example.com", "clientConfig": client, "sideEffects": "None",
               "admissionReviewVersions": ["v1"],
               "rules": [{"operations": ["CREATE", "UPDATE"], "apiGroups": [""],
                          "apiVersions": ["v1"], "resources": ["configmaps"]}], **extra}
    return {"metadata": {"name": name}, "webhooks": [webhook]}


def path(mutating: bool) -> str:
    return f"{AR}/{'mutating' if mutating else 'validating'}webhookconfigurations"


async def configure(server: ApiServer, name: str, client: dict[str, Any], *,
                    mutating: bool = False, **extra: Any) -> None:
    code, body = await call(server, "POST", path(mutating),
                            hook_config(name, client, mutating=mutating, **extra))
    assert code == 201, body


async def test_mutating_webhook_labels_created_objects(apiserver: ApiServer,
                                                       hooks: WebhookServer) -> None:
    """A mutating webhook's JSONPatch is applied to the created object; its warning is sent;
    the AdmissionReview it got names the request."""
    await configure(apiserver, "labeller", {"url": hooks.url("/label"),
                                            "caBundle": hooks.ca_bundle}, mutating=True)
    resp = await apiserver.handle(_post(CM, {"metadata": {"name": "m1"}}))
    assert resp.status == 201, resp.body
    assert resp.body["metadata"]["labels"] == {"webhook": "seen"}
    assert resp.warnings == ["labelled by the test webhook"]
    hook, review = hooks.requests[-1]
    request = review["request"]
    assert hook == "label" and request["operation"] == "CREATE"
    assert request["resource"] == {"group": "", "version": "v1", "resource": "configmaps"}
    assert request["namespace"] == "default" and request["name"] == "m1"
    assert request["userInfo"]["username"] == "system:admin"
    code, stored = await call(apiserver, "GET", f"{CM}/m1")
    assert stored["metadata"]["labels"] == {"webhook": "seen"}
    code, secret = await call(apiserver, "POST", "/api/v1/namespaces/default/secrets",
                              {"metadata": {"name": "s1"}})
    assert code == 201 and "labels" not in secret["metadata"], "rules select configmaps only"


async def test_validating_webhook_denies(apiserver: ApiServer, hooks: WebhookServer) -> None:
    """A refusal is the webhook's Status, its message prefixed with the webhook's name."""
    await configure(apiserver, "denier", {"url": hooks.url("/deny"),
                                          "caBundle": hooks.ca_bundle})
    code, status = await call(apiserver, "POST", CM, {"metadata": {"name": "deny-me"}})
    assert code == 403, status
    assert status["message"] == ('admission webhook "denier.example.com" denied the request: '
                                 'no objects named deny-me')
    code, _ = await call(apiserver, "POST", CM, {"metadata": {"name": "fine"}})
    assert code == 201
    code, _ = await call(apiserver, "GET", f"{CM}/deny-me")
    assert code == 404, "nothing was written"


async def test_failure_policy_on_unreachable_webhook(apiserver: ApiServer,
                                                     hooks: WebhookServer) -> None:
    """An unreachable webhook refuses the request under Fail (500) and is skipped under
    Ignore; a wrong CA is a failure too."""
    unreachable = {"url": "https://127.0.0.1:9/x", "caBundle": hooks.ca_bundle}
    await configure(apiserver, "ignored", unreachable, failurePolicy="Ignore",
                    objectSelector={"matchLabels": {"policy": "ignore"}})
    await configure(apiserver, "failing", unreachable, failurePolicy="Fail",
                    objectSelector={"matchLabels": {"policy": "fail"}})
    code, _ = await call(apiserver, "POST", CM, {"metadata": {"name": "ig",
                                                              "labels": {"policy": "ignore"}}})
    assert code == 201
    code, status = await call(apiserver, "POST", CM, {"metadata": {"name": "fa",
                                                                   "labels": {"policy": "fail"}}})
    assert code == 500, status
    assert status["message"].startswith('Internal error occurred: failed calling webhook '
                                        '"failing.example.com": failed to call webhook: Post '
                                        '"https://127.0.0.1:9/x?timeout=10s"')
    await configure(apiserver, "wrongca", {"url": hooks.url("/allow")},
                    objectSelector={"matchLabels": {"policy": "wrongca"}})
    code, status = await call(apiserver, "POST", CM, {
        "metadata": {"name": "ca", "labels": {"policy": "wrongca"}}})
    assert code == 500 and "certificate" in status["message"], status


async def test_timeout_is_honoured(apiserver: ApiServer, hooks: WebhookServer) -> None:
    """A webhook slower than its timeoutSeconds fails the call after that time."""
    await configure(apiserver, "slow", {"url": hooks.url("/slow"), "caBundle": hooks.ca_bundle},
                    timeoutSeconds=1, objectSelector={"matchLabels": {"policy": "slow"}})
    started = time.monotonic()
    code, status = await call(apiserver, "POST", CM, {"metadata": {"name": "sl",
                                                                   "labels": {"policy": "slow"}}})
    assert code == 500 and "context deadline exceeded" in status["message"], status
    assert time.monotonic() - started < 4


async def test_service_reference_through_endpoints(apiserver: ApiServer,
                                                   hooks: WebhookServer) -> None:
    """clientConfig.service reaches the webhook through the Service's Endpoints, verifying
    the certificate for <name>.<namespace>.svc."""
    code, _ = await call(apiserver, "POST", "/api/v1/namespaces/default/services", {
        "metadata": {"name": "hook"}, "spec": {"ports": [{"name": "https", "port": 443}]}})
    assert code == 201
    code, body = await call(apiserver, "POST", "/api/v1/namespaces/default/endpoints", {
        "metadata": {"name": "hook"}, "subsets": [{"addresses": [{"ip": "127.0.0.1"}],
                                                   "ports": [{"name": "https",
                                                              "port": hooks.port}]}]})
    assert code == 201, body
    await configure(apiserver, "bysvc", {"service": {"namespace": "default", "name": "hook",
                                                     "path": "/label"},
                                         "caBundle": hooks.ca_bundle}, mutating=True,
                    objectSelector={"matchLabels": {"via": "service"}})
    code, obj = await call(apiserver, "POST", CM, {"metadata": {"name": "sv",
                                                                "labels": {"via": "service"}}})
    assert code == 201, obj
    assert obj["metadata"]["labels"] == {"via": "service", "webhook": "seen"}


def _post(path: str, body: dict[str, Any]) -> ApiRequest:
    return ApiRequest("POST", path, body=json.dumps(body).encode(),
                      content_type="application/json", accept="application/json")


async def test_reinvocation_if_needed(apiserver: ApiServer, hooks: WebhookServer) -> None:
    """A reinvocationPolicy IfNeeded webhook is called again after a later webhook changed
    the object; both changes are kept."""
    selector = {"matchLabels": {"test": "reinvoke"}}
    await configure(apiserver, "a-first", {"url": hooks.url("/label"),
                                           "caBundle": hooks.ca_bundle}, mutating=True,
                    reinvocationPolicy="IfNeeded", objectSelector=selector)
    await configure(apiserver, "b-second", {"url": hooks.url("/annotate"),
                                            "caBundle": hooks.ca_bundle}, mutating=True,
                    objectSelector=selector)
    code, obj = await call(apiserver, "POST", CM, {"metadata": {"name": "re",
                                                                "labels": {"test": "reinvoke"}}})
    assert code == 201, obj
    assert obj["metadata"]["labels"]["webhook"] == "seen"
    assert obj["metadata"]["annotations"] == {"annotated": "yes"}
    calls = [h for h, r in hooks.requests if r["request"]["name"] == "re"]
    assert calls == ["label", "annotate", "label"]


async def test_namespace_selector_and_delete(apiserver: ApiServer,
                                             hooks: WebhookServer) -> None:
    """namespaceSelector matches the labels of the object's namespace; a DELETE rule sends
    the old object and a refusal keeps the object."""
    await call(apiserver, "POST", "/api/v1/namespaces",
               {"metadata": {"name": "guarded", "labels": {"guard": "on"}}})
    await call(apiserver, "POST", "/api/v1/namespaces", {"metadata": {"name": "open"}})
    rule = {"operations": ["DELETE"], "apiGroups": [""], "apiVersions": ["v1"],
            "resources": ["configmaps"]}
    await configure(apiserver, "delete-guard", {"url": hooks.url("/deny"),
                                                "caBundle": hooks.ca_bundle},
                    rules=[rule], namespaceSelector={"matchLabels": {"guard": "on"}})
    for ns in ("guarded", "open"):
        code, _ = await call(apiserver, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                             {"metadata": {"name": "deny-me"}})
        assert code == 201
    code, status = await call(apiserver, "DELETE",
                              "/api/v1/namespaces/guarded/configmaps/deny-me")
    assert code == 403 and "delete-guard.example.com" in status["message"]
    _, review = hooks.requests[-1]
    assert review["request"]["operation"] == "DELETE" and review["request"]["object"] is None
    assert review["request"]["oldObject"]["metadata"]["name"] == "deny-me"
    code, _ = await call(apiserver, "DELETE", "/api/v1/namespaces/open/configmaps/deny-me")
    assert code == 200, "the open namespace is not selected"
    code, _ = await call(apiserver, "GET", "/api/v1/namespaces/guarded/configmaps/deny-me")
    assert code == 200


async def test_equivalent_version_is_sent_as_the_webhook_asked(
        apiserver: ApiServer, hooks: WebhookServer) -> None:
    """A webhook for core/v1 events is called (matchPolicy Equivalent) for an Event created
    through events.k8s.io/v1, with the object in core/v1; its patch reaches the object."""
    rule = {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
            "resources": ["events"]}
    await configure(apiserver, "events", {"url": hooks.url("/label"),
                                          "caBundle": hooks.ca_bundle}, mutating=True,
                    rules=[rule])
    new_events = "/apis/events.k8s.io/v1/namespaces/default/events"
    code, created = await call(apiserver, "POST", new_events, {
        "metadata": {"name": "eq"}, "eventTime": "2026-12-04T10:00:00.000000Z",
        "reportingController": "example.com/c", "reportingInstance": "c-1", "action": "Act",
        "reason": "Why", "type": "Normal", "note": "hello",
        "regarding": {"kind": "Pod", "name": "p", "namespace": "default"}})
    assert code == 201, created
    assert created["metadata"]["labels"] == {"webhook": "seen"} and created["note"] == "hello"
    _, review = hooks.requests[-1]
    request = review["request"]
    assert request["kind"] == {"group": "", "version": "v1", "kind": "Event"}
    assert request["requestKind"] == {"group": "events.k8s.io", "version": "v1",
                                      "kind": "Event"}
    assert request["object"]["apiVersion"] == "v1" and request["object"]["message"] == "hello"


@pytest.mark.parametrize(("change", "expected"), [
    pytest.param({"name": "short.name"}, {"webhooks[0].name"}, id="name-two-segments"),
    pytest.param({"clientConfig": {"url": "http://example.com/x"}},
                 {"webhooks[0].clientConfig.url"}, id="http-url"),
    pytest.param({"clientConfig": {}}, {"webhooks[0].clientConfig"}, id="no-url-or-service"),
    pytest.param({"clientConfig": {"service": {"namespace": "default", "name": "h",
                                               "path": "nope"}}},
                 {"webhooks[0].clientConfig.service.path"}, id="relative-service-path"),
    pytest.param({"sideEffects": "Some"}, {"webhooks[0].sideEffects"}, id="side-effects"),
    pytest.param({"timeoutSeconds": 31}, {"webhooks[0].timeoutSeconds"}, id="timeout"),
    pytest.param({"admissionReviewVersions": ["v2"]}, {"webhooks[0].admissionReviewVersions"},
                 id="review-versions"),
    pytest.param({"failurePolicy": "Maybe"}, {"webhooks[0].failurePolicy"}, id="policy"),
    pytest.param({"rules": [{"operations": ["CREATE", "*"], "apiGroups": ["*"],
                             "apiVersions": ["*"], "resources": ["*/*", "pods"],
                             "scope": "Everywhere"}]},
                 {"webhooks[0].rules[0].operations", "webhooks[0].rules[0].resources",
                  "webhooks[0].rules[0].scope"}, id="rules"),
])
async def test_invalid_webhook_configuration(apiserver: ApiServer, change: dict[str, Any],
                                             expected: set[str]) -> None:
    """Kubernetes' webhook configuration validation: 422 naming each bad field."""
    body = hook_config("bad", {"url": "https://example.com/x"})
    body["webhooks"][0].update(change)
    code, status = await call(apiserver, "POST", path(mutating=False), body)
    assert code == 422, status
    assert {c["field"] for c in status["details"]["causes"]} == expected, status


async def test_webhook_configuration_defaults(apiserver: ApiServer) -> None:
    """Defaults as Kubernetes': Fail, Equivalent, 10 s, empty selectors, scope *, port 443,
    reinvocationPolicy Never; duplicate webhook names are refused."""
    body = hook_config("d", {"service": {"namespace": "default", "name": "h"}}, mutating=True)
    code, obj = await call(apiserver, "POST", path(mutating=True), body)
    assert code == 201, obj
    hook = obj["webhooks"][0]
    assert (hook["failurePolicy"], hook["matchPolicy"], hook["timeoutSeconds"],
            hook["reinvocationPolicy"]) == ("Fail", "Equivalent", 10, "Never")
    assert hook["namespaceSelector"] == {} and hook["objectSelector"] == {}
    assert hook["rules"][0]["scope"] == "*" and hook["clientConfig"]["service"]["port"] == 443
    twice = hook_config("twice", {"url": "https://example.com/x"})
    twice["webhooks"].append(dict(twice["webhooks"][0]))
    code, status = await call(apiserver, "POST", path(mutating=False), twice)
    assert code == 422 and status["details"]["causes"][0]["field"] == "webhooks[1].name"


async def test_match_conditions(apiserver: ApiServer, hooks: WebhookServer) -> None:
    """matchConditions (CEL on object, oldObject, request): the webhook is called only when
    all hold; an expression that fails to evaluate follows failurePolicy; one that does not
    compile is refused at create."""
    await configure(apiserver, "cel", {"url": hooks.url("/label"), "caBundle": hooks.ca_bundle},
                    mutating=True, matchConditions=[
                        {"name": "named-x", "expression": "object.metadata.name.startsWith('x')"},
                        {"name": "creating", "expression": "request.operation == 'CREATE'"}])
    code, obj = await call(apiserver, "POST", CM, {"metadata": {"name": "x-1"}})
    assert code == 201 and obj["metadata"]["labels"] == {"webhook": "seen"}
    code, obj = await call(apiserver, "POST", CM, {"metadata": {"name": "y-1"}})
    assert code == 201 and "labels" not in obj["metadata"]
    await configure(apiserver, "broken", {"url": hooks.url("/allow"),
                                          "caBundle": hooks.ca_bundle},
                    matchConditions=[{"name": "c", "expression": "object.data.missing == 'v'"}],
                    objectSelector={"matchLabels": {"cel": "broken"}})
    code, status = await call(apiserver, "POST", CM, {"metadata": {"name": "z",
                                                                   "labels": {"cel": "broken"}}})
    assert code == 500 and "failed evaluating match conditions" in status["message"], status
    bad = hook_config("nocompile", {"url": "https://example.com/x"},
                      matchConditions=[{"name": "c", "expression": "object.metadata.name =="}])
    code, status = await call(apiserver, "POST", path(mutating=False), bad)
    assert code == 422
    assert status["details"]["causes"][0]["field"] == "webhooks[0].matchConditions[0].expression"


async def test_mutations_are_validated_and_dry_runs_told(apiserver: ApiServer,
                                                         hooks: WebhookServer) -> None:
    """What a mutating webhook makes is validated (422, nothing stored); a dry run is sent
    with dryRun true to a webhook without side effects, and stores nothing."""
    await configure(apiserver, "breaker", {"url": hooks.url("/break"),
                                           "caBundle": hooks.ca_bundle}, mutating=True,
                    objectSelector={"matchLabels": {"test": "break"}})
    code, status = await call(apiserver, "POST", CM, {"metadata": {
        "name": "broken", "labels": {"test": "break"}}})
    assert code == 422 and status["details"]["causes"][0]["field"] == "metadata.labels", status
    code, _ = await call(apiserver, "GET", f"{CM}/broken")
    assert code == 404
    await configure(apiserver, "dry", {"url": hooks.url("/label"), "caBundle": hooks.ca_bundle},
                    mutating=True, sideEffects="NoneOnDryRun",
                    objectSelector={"matchLabels": {"test": "dry"}})
    code, obj = await call(apiserver, "POST", CM, {"metadata": {
        "name": "dry", "labels": {"test": "dry"}}}, dryRun="All")
    assert code == 201 and obj["metadata"]["labels"]["webhook"] == "seen"
    _, review = hooks.requests[-1]
    assert review["request"]["dryRun"] is True
    code, _ = await call(apiserver, "GET", f"{CM}/dry")
    assert code == 404


async def test_scale_subresource_is_admitted_as_a_scale(apiserver: ApiServer,
                                                        hooks: WebhookServer) -> None:
    """A webhook for deployments/scale gets an autoscaling/v1 Scale (object and
    oldObject) with subResource scale; a plain update of the deployment is not sent."""
    rule = {"operations": ["UPDATE"], "apiGroups": ["apps"], "apiVersions": ["v1"],
            "resources": ["deployments/scale"]}
    await configure(apiserver, "scale", {"url": hooks.url("/allow"),
                                         "caBundle": hooks.ca_bundle}, rules=[rule])
    deploy = "/apis/apps/v1/namespaces/default/deployments"
    code, _ = await call(apiserver, "POST", deploy, {
        "metadata": {"name": "web"}, "spec": {"replicas": 1, "selector": {"matchLabels": {
            "app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                "containers": [{"name": "c", "image": "nginx"}]}}}})
    assert code == 201
    before = len(hooks.requests)
    code, _ = await call(apiserver, "PATCH", f"{deploy}/web/scale", {"spec": {"replicas": 3}},
                         ctype="application/merge-patch+json")
    assert code == 200
    _, review = hooks.requests[-1]
    request = review["request"]
    assert len(hooks.requests) == before + 1 and request["subResource"] == "scale"
    assert request["kind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    assert request["object"]["spec"]["replicas"] == 3
    assert request["oldObject"]["spec"]["replicas"] == 1
    code, _ = await call(apiserver, "PATCH", f"{deploy}/web", {"spec": {"replicas": 4}},
                         ctype="application/merge-patch+json")
    assert code == 200 and len(hooks.requests) == before + 1


async def test_configuration_cache_follows_the_store(apiserver: ApiServer) -> None:
    """The cache lists once (one watch however many readers ask at once) and then sees
    every acknowledged write and delete without listing again."""
    configs = StoredObjects(apiserver.store, REGISTRY.require(
        "admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations"))
    watchers = apiserver.store.broadcaster.watchers
    first = await asyncio.gather(*(configs.objects() for _ in range(5)))
    assert all(f == [] for f in first)
    assert apiserver.store.broadcaster.watchers == watchers + 1
    await configure(apiserver, "cached", {"url": "https://example.com/x"})
    assert [c["metadata"]["name"] for c in await configs.objects()] == ["cached"]
    await call(apiserver, "DELETE", f"{path(mutating=False)}/cached")
    assert await configs.objects() == []
    assert apiserver.store.broadcaster.watchers == watchers + 1
    configs.close()


async def test_connect_requests_are_admitted_before_the_stream(apiserver: ApiServer,
                                                               hooks: WebhookServer) -> None:
    """A webhook whose rules name CONNECT on pods/exec is asked, with the PodExecOptions of
    the query, before the component serving exec is; its refusal is the answer. Port-forward
    is not under that rule, and neither is a write to the pod."""
    served: list[str] = []

    async def kubelet_exec(server: ApiServer, req: ApiRequest, info: Any, rt: Any) -> Any:
        served.append(info.name)
        return ApiResponse(200, body={"kind": "Status", "status": "Success"})

    apiserver.subresource_handlers["exec"] = kubelet_exec
    apiserver.subresource_handlers["portforward"] = kubelet_exec
    await configure(apiserver, "no-exec", {"url": hooks.url("/deny"),
                                           "caBundle": hooks.ca_bundle},
                    rules=[{"operations": ["CONNECT"], "apiGroups": [""], "apiVersions": ["v1"],
                            "resources": ["pods/exec"]}])
    pods = "/api/v1/namespaces/default/pods"
    exec_req = ApiRequest("POST", f"{pods}/deny-me/exec", query={"container": "c",
                                                                "stdout": "true"},
                          query_all={"command": ["sh", "-c", "id"]})
    resp = await apiserver.handle(exec_req)
    assert resp.status == 403, resp.body
    assert resp.body["message"] == ('admission webhook "no-exec.example.com" denied the '
                                    "request: no objects named deny-me")
    assert served == []
    hook, review = hooks.requests[-1]
    request = review["request"]
    assert (hook, request["operation"], request["subResource"]) == ("deny", "CONNECT", "exec")
    assert request["kind"] == {"group": "", "version": "v1", "kind": "PodExecOptions"}
    assert request["object"] == {"kind": "PodExecOptions", "apiVersion": "v1",
                                 "stdout": True, "container": "c",
                                 "command": ["sh", "-c", "id"]}
    assert request["options"] is None
    fine = ApiRequest("POST", f"{pods}/fine/exec", query_all={"command": ["true"]})
    assert (await apiserver.handle(fine)).status == 200
    forward = ApiRequest("GET", f"{pods}/deny-me/portforward", query_all={"ports": ["80"]})
    assert (await apiserver.handle(forward)).status == 200
    assert served == ["fine", "deny-me"]
