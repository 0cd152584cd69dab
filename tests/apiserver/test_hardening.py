"""Regressions of the hardening issue, in process: request shapes that deleted data, wrong verbs
that were routed, options that fell through to a write, hostile bodies, values Kubernetes
refuses, and the list/watch/apply semantics clients rely on. Each test failed before its fix.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from minikube_py.api.wire import ApiRequest
from minikube_py.apiserver.server import ApiServer
from tests.apiserver.test_verbs import CM, DEPLOY, call, configmap, deployment, lines

ALL_CM = "/api/v1/configmaps"
KS_CM = "/api/v1/namespaces/kube-system/configmaps"
EVENTS = "/api/v1/namespaces/default/events"
PODS = "/api/v1/namespaces/default/pods"
JOBS = "/apis/batch/v1/namespaces/default/jobs"
LEASES = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"


async def names(server: ApiServer, path: str) -> set[str]:
    code, listing = await call(server, "GET", path)
    assert code == 200
    return {i["metadata"]["name"] for i in listing["items"]}


# -- data loss ---------------------------------------------------------------------------------

@pytest.mark.parametrize("method, body", [
    pytest.param("DELETE", None, id="deletecollection"),
    pytest.param("POST", configmap("x"), id="create"),
    pytest.param("PUT", configmap("x"), id="update"),
    pytest.param("PATCH", {"data": {}}, id="patch"),
])
async def test_all_namespaces_path_serves_only_list_and_watch(
        apiserver: ApiServer, method: str, body: Any) -> None:
    """Every write on /api/v1/configmaps is 405 and leaves every namespace as it was."""
    await call(apiserver, "POST", CM, configmap("mine"))
    await call(apiserver, "POST", KS_CM, configmap("system"))
    code, status = await call(apiserver, method, ALL_CM, body,
                              ctype=MERGE if method == "PATCH" else "application/json")
    assert code == 405 and status["reason"] == "MethodNotAllowed"
    assert await names(apiserver, CM) == {"mine"}
    assert await names(apiserver, KS_CM) == {"system"}


@pytest.mark.parametrize("body, query", [
    pytest.param({"dryRun": ["Bogus"]}, {"dryRun": "All"}, id="bogus-in-body-all-in-query"),
    pytest.param({"dryRun": ["Bogus"]}, {}, id="bogus-in-body"),
    pytest.param(None, {"dryRun": "Bogus"}, id="bogus-in-query"),
    pytest.param({"propagationPolicy": "Sideways"}, {}, id="bogus-propagation"),
    pytest.param({"propagationPolicy": "Orphan", "orphanDependents": False}, {},
                 id="orphan-and-policy"),
])
async def test_invalid_delete_options_delete_nothing(apiserver: ApiServer, body: Any,
                                                     query: dict[str, str]) -> None:
    """Invalid DeleteOptions are 422 (kind DeleteOptions) and the object stays, for a delete
    and a deletecollection alike."""
    await call(apiserver, "POST", CM, configmap("keep"))
    for path in (f"{CM}/keep", CM):
        code, status = await call(apiserver, "DELETE", path, body, **query)
        assert code == 422, status
        assert status["details"]["kind"] == "DeleteOptions"
        assert status["details"]["group"] == "meta.k8s.io"
    assert await names(apiserver, CM) == {"keep"}


async def test_dry_run_message_names_the_value(apiserver: ApiServer) -> None:
    """The refusal says what Kubernetes says: the value and the supported ones."""
    await call(apiserver, "POST", CM, configmap("keep"))
    code, status = await call(apiserver, "DELETE", f"{CM}/keep", {"dryRun": ["Bogus"]})
    assert code == 422
    assert status["message"] == ('DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported '
                                 'value: []string{"Bogus"}: supported values: "All"')


@pytest.mark.parametrize("body", [
    pytest.param({"gracePeriodSeconds": "soon"}, id="grace-wrong-type"),
    pytest.param({"preconditions": {"uid": 5}}, id="precondition-wrong-type"),
    pytest.param({"kind": "Pod"}, id="wrong-kind"),
    pytest.param([1], id="not-an-object"),
])
async def test_undecodable_delete_options_are_400(apiserver: ApiServer, body: Any) -> None:
    """DeleteOptions that do not decode are 400, and nothing is deleted."""
    await call(apiserver, "POST", CM, configmap("keep"))
    code, _ = await call(apiserver, "DELETE", f"{CM}/keep", body)
    assert code == 400
    assert await names(apiserver, CM) == {"keep"}


# -- wrong verbs -------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, ctype", [
    pytest.param("POST", f"{CM}/urlname", "application/json", id="post-on-item"),
    pytest.param("PUT", CM, "application/json", id="put-on-collection"),
    pytest.param("PATCH", CM, MERGE, id="patch-on-collection"),
    pytest.param("OPTIONS", CM, "application/json", id="options"),
])
async def test_wrong_verbs_are_405(apiserver: ApiServer, method: str, path: str,
                                   ctype: str) -> None:
    """A method the path does not serve is 405 and writes nothing (a POST on an item path
    used to create the body's name)."""
    rev = apiserver.store.revision
    code, status = await call(apiserver, method, path, configmap("bodyname"), ctype=ctype)
    assert code == 405 and status["reason"] == "MethodNotAllowed"
    assert status["message"] == "the server does not allow this method on the requested resource"
    assert apiserver.store.revision == rev


# -- options -----------------------------------------------------------------------------------

@pytest.mark.parametrize("query, code", [
    pytest.param({"resourceVersion": "abc"}, 400, id="rv-not-a-number"),
    pytest.param({"resourceVersion": "1", "resourceVersionMatch": "Bogus"}, 422, id="rvm-bogus"),
    pytest.param({"resourceVersionMatch": "Exact"}, 422, id="rvm-without-rv"),
    pytest.param({"resourceVersion": "0", "resourceVersionMatch": "Exact"}, 422,
                 id="exact-zero"),
    pytest.param({"timeoutSeconds": str(2**64)}, 400, id="timeout-beyond-int64"),
    pytest.param({"limit": "many"}, 400, id="limit-not-a-number"),
    pytest.param({"sendInitialEvents": "true"}, 422, id="initial-events-on-list"),
])
async def test_bad_list_options(apiserver: ApiServer, query: dict[str, str], code: int) -> None:
    """List options that do not decode are 400; ones that break a rule are 422 ListOptions."""
    got, status = await call(apiserver, "GET", CM, **query)
    assert got == code, status
    if code == 422:
        assert status["details"]["kind"] == "ListOptions"


@pytest.mark.parametrize("query", [
    pytest.param({"sendInitialEvents": "true", "allowWatchBookmarks": "true"},
                 id="initial-events-without-rvm"),
    pytest.param({"resourceVersionMatch": "NotOlderThan", "resourceVersion": "1"},
                 id="rvm-without-initial-events"),
    pytest.param({"resourceVersionMatch": "Exact", "sendInitialEvents": "true",
                  "allowWatchBookmarks": "true"}, id="rvm-exact"),
])
async def test_bad_watch_options_are_422(apiserver: ApiServer, query: dict[str, str]) -> None:
    """sendInitialEvents and resourceVersionMatch go together on a watch, or not at all."""
    code, status = await call(apiserver, "GET", CM, watch="true", **query)
    assert code == 422 and status["details"]["kind"] == "ListOptions", status


@pytest.mark.parametrize("query", [
    pytest.param({"dryRun": "Bogus"}, id="dry-run"),
    pytest.param({"fieldValidation": "Loose"}, id="field-validation"),
    pytest.param({"fieldManager": "a\nb"}, id="field-manager-control-char"),
    pytest.param({"fieldManager": "m" * 129}, id="field-manager-too-long"),
])
async def test_bad_create_options_are_422_and_create_nothing(
        apiserver: ApiServer, query: dict[str, str]) -> None:
    """CreateOptions are validated before the body is read: 422, nothing stored."""
    code, status = await call(apiserver, "POST", CM, configmap("new"), **query)
    assert code == 422 and status["details"]["kind"] == "CreateOptions", status
    assert await names(apiserver, CM) == set()


async def test_force_is_only_for_apply(apiserver: ApiServer) -> None:
    """force on a merge patch is 422 PatchOptions; apply without a manager too."""
    await call(apiserver, "POST", CM, configmap("p"))
    code, status = await call(apiserver, "PATCH", f"{CM}/p", {"data": {"a": "1"}}, ctype=MERGE,
                              force="true")
    assert code == 422 and "force" in status["message"]
    code, status = await call(apiserver, "PATCH", f"{CM}/p", configmap("p"), ctype=APPLY)
    assert code == 422 and "fieldManager: Required value" in status["message"]
    code, status = await call(apiserver, "PATCH", f"{CM}/p", {}, ctype=MERGE, force="maybe")
    assert code == 400


# -- hostile bodies ----------------------------------------------------------------------------

def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("method, path, ctype, raw", [
    pytest.param("POST", CM, "application/json",
                 f'{{"kind":"ConfigMap","metadata":{{"name":"d"}},"x":{_nested(1000)}}}',
                 id="json-create"),
    pytest.param("POST", CM, "application/yaml",
                 "kind: ConfigMap\nmetadata: {name: d}\nx: " + "[" * 1000 + "]" * 1000,
                 id="yaml-create"),
    pytest.param("PATCH", f"{CM}/base", MERGE, f'{{"x":{_nested(1000)}}}', id="merge-patch"),
    pytest.param("PATCH", f"{CM}/base", STRATEGIC, f'{{"x":{_nested(1000)}}}', id="strategic"),
    pytest.param("PATCH", f"{CM}/base", JSON_PATCH,
                 f'[{{"op":"add","path":"/x","value":{_nested(1000)}}}]', id="json-patch"),
    pytest.param("PATCH", f"{CM}/base", APPLY,
                 f'{{"kind":"ConfigMap","apiVersion":"v1","x":{_nested(1000)}}}', id="apply"),
])
async def test_deep_nesting_is_400(apiserver: ApiServer, method: str, path: str, ctype: str,
                                   raw: str) -> None:
    """Bodies nested 1,000 deep are refused with 400 before anything recurses into them."""
    await call(apiserver, "POST", CM, configmap("base"))
    rev = apiserver.store.revision
    code, status = await call(apiserver, method, path, raw.encode(), ctype=ctype,
                              fieldManager="m")
    assert code == 400, status
    assert apiserver.store.revision == rev


@pytest.mark.parametrize("ctype, raw", [
    pytest.param("application/json", b'{"metadata":{"name":"s"},"data":{"k":"\\udfff"}}',
                 id="json-lone-surrogate"),
    pytest.param("application/yaml", b'metadata: {name: s}\ndata: {k: "\\udfff"}',
                 id="yaml-lone-surrogate"),
    pytest.param("application/json", b'{"metadata":{"name":"s\xff"}}', id="json-invalid-utf8"),
    pytest.param("application/yaml", b"metadata: {name: s}\ndata: {k: \xff}",
                 id="yaml-invalid-utf8"),
    pytest.param("application/yaml", b"metadata: {name: s}\ndata: {k: .nan}",
                 id="yaml-nan"),
    pytest.param("application/yaml", b"metadata: {name: s}\nbinaryData: {k: !!binary aGk=}",
                 id="yaml-binary"),
    pytest.param("application/json", b'{"metadata":{"name":"s"},"x":NaN}', id="json-nan"),
])
async def test_bodies_that_are_not_clean_json_are_400(apiserver: ApiServer, ctype: str,
                                                      raw: bytes) -> None:
    """Lone surrogates, invalid UTF-8, NaN and binary YAML values are 400 with a Status."""
    code, status = await call(apiserver, "POST", CM, raw, ctype=ctype)
    assert code == 400 and status["kind"] == "Status", status
    assert await names(apiserver, CM) == set()


async def test_yaml_timestamps_stay_strings(apiserver: ApiServer) -> None:
    """A YAML date is a string, as Kubernetes' YAML-to-JSON keeps it, not a 400 or a date."""
    code, obj = await call(apiserver, "POST", CM,
                           b"metadata: {name: when}\ndata: {day: 2024-01-02}",
                           ctype="application/yaml")
    assert code == 201 and obj["data"] == {"day": "2024-01-02"}


# -- values the store must not take ------------------------------------------------------------

@pytest.mark.parametrize("path, body, where", [
    pytest.param(DEPLOY, dict(deployment(), spec={**deployment()["spec"], "replicas": 2**64}),
                 "spec.replicas", id="int32-2^64"),
    pytest.param(DEPLOY, dict(deployment(), spec={**deployment()["spec"], "replicas": 2**31}),
                 "spec.replicas", id="int32-2^31"),
    pytest.param(DEPLOY, dict(deployment(), spec={**deployment()["spec"], "replicas": 1e308}),
                 "spec.replicas", id="float-in-int"),
    pytest.param(DEPLOY, dict(deployment(), spec={**deployment()["spec"], "replicas": 3.0}),
                 "spec.replicas", id="integral-float-in-int"),
    pytest.param(LEASES, {"kind": "Lease", "metadata": {"name": "l"},
                          "spec": {"leaseDurationSeconds": 2**63}},
                 "spec.leaseDurationSeconds", id="lease-2^63"),
    pytest.param(JOBS, {"kind": "Job", "metadata": {"name": "j"},
                        "spec": {"backoffLimit": 1e308, "template": {
                            "spec": {"restartPolicy": "Never",
                                     "containers": [{"name": "c", "image": "i"}]}}}},
                 "spec.backoffLimit", id="job-backoff-1e308"),
    pytest.param(PODS, {"kind": "Pod", "metadata": {"name": "p"},
                        "spec": {"terminationGracePeriodSeconds": 2**63,
                                 "containers": [{"name": "c", "image": "i"}]}},
                 "spec.terminationGracePeriodSeconds", id="int64-2^63"),
])
async def test_integers_outside_their_format_are_400(apiserver: ApiServer, path: str,
                                                     body: dict[str, Any], where: str) -> None:
    """int32 and int64 fields refuse values Go cannot hold, and floats; nothing is stored."""
    rev = apiserver.store.revision
    code, status = await call(apiserver, "POST", path, body)
    assert code == 400 and where in status["message"], status
    assert apiserver.store.revision == rev


async def test_null_label_values_are_stored_as_empty_strings(apiserver: ApiServer) -> None:
    """``labels: {a: null}`` decodes to ``a: ""`` (Go's zero value), never a stored null."""
    body = configmap("n")
    body["metadata"]["labels"] = {"a": None}
    body["data"] = {"k": None}
    code, obj = await call(apiserver, "POST", CM, body)
    assert code == 201
    assert obj["metadata"]["labels"] == {"a": ""} and obj["data"] == {"k": ""}


async def test_objects_over_the_store_limit_are_413(apiserver: ApiServer) -> None:
    """A 2.1 MB Event (under the 3 MiB body limit) is refused with 413; so is a patch that
    grows an object past 1.5 MiB; a 1 MB object is fine."""
    event = {"kind": "Event", "metadata": {"name": "big"}, "message": "x" * 2_100_000,
             "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"}}
    code, status = await call(apiserver, "POST", EVENTS, event)
    assert code == 413 and status["reason"] == "RequestEntityTooLarge", status
    event.update(metadata={"name": "mb"}, message="x" * 1_000_000)
    code, _ = await call(apiserver, "POST", EVENTS, event)
    assert code == 201
    grow = {"message": "y" * 1_700_000}
    code, status = await call(apiserver, "PATCH", f"{EVENTS}/mb", grow, ctype=MERGE)
    assert code == 413, status
    code, status = await call(apiserver, "PATCH", f"{EVENTS}/mb", grow, ctype=MERGE,
                              dryRun="All")
    assert code == 413, status


async def test_duplicate_keys_by_field_validation(apiserver: ApiServer) -> None:
    """A key given twice is 400 under Strict and a warning under Warn, as Kubernetes."""
    raw = b'{"kind":"ConfigMap","metadata":{"name":"a","name":"b"},"data":{"k":"1"}}'
    code, status = await call(apiserver, "POST", CM, raw, fieldValidation="Strict")
    assert code == 400 and 'duplicate field "metadata.name"' in status["message"], status
    resp = await apiserver.handle(ApiRequest("POST", CM, query={"fieldValidation": "Warn"},
                                             body=raw, content_type="application/json"))
    assert resp.status == 201 and 'duplicate field "metadata.name"' in resp.warnings


async def test_unknown_field_names_are_quoted_in_warnings(apiserver: ApiServer) -> None:
    """An unknown field whose name holds control characters is named Go-quoted, so the
    warning can go out in a header after the commit."""
    body = configmap("w")
    body["a\nb"] = 1
    body["\r\n"] = 2
    resp = await apiserver.handle(ApiRequest("POST", CM, body=json.dumps(body).encode(),
                                             content_type="application/json"))
    assert resp.status == 201
    assert 'unknown field "a\\nb"' in resp.warnings
    assert 'unknown field "\\r\\n"' in resp.warnings
    assert all("\n" not in w and "\r" not in w for w in resp.warnings)


# -- negotiation and errors --------------------------------------------------------------------

@pytest.mark.parametrize("accept", [
    pytest.param("text/html", id="html"),
    pytest.param("application/json;as=Table;v=v2;g=meta.k8s.io", id="table-v2"),
    pytest.param("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io",
                 id="protobuf-table"),
])
async def test_unacceptable_accept_is_406_before_a_write(apiserver: ApiServer,
                                                         accept: str) -> None:
    """Nothing acceptable is 406, decided before the create happens."""
    code, status = await call(apiserver, "POST", CM, configmap("never"), accept=accept)
    assert code == 406 and status["reason"] == "NotAcceptable"
    assert await names(apiserver, CM) == set()


async def test_yaml_is_answered_when_asked(apiserver: ApiServer) -> None:
    """Accept: application/yaml gets YAML, for an object and for a list."""
    await call(apiserver, "POST", CM, configmap("y", k="v"))
    resp = await apiserver.handle(ApiRequest("GET", f"{CM}/y", accept="application/yaml"))
    assert resp.content_type == "application/yaml" and b"name: y" in (resp.raw or b"")
    resp = await apiserver.handle(ApiRequest("GET", CM, accept="application/yaml"))
    assert b"kind: ConfigMapList" in (resp.raw or b"")


@pytest.mark.parametrize("patch, message", [
    pytest.param([{"op": "test", "path": "/data/k", "value": "5"}],
                 "testing value /data/k failed: test failed", id="test-failed"),
    pytest.param([{"op": "replace", "path": "/data/nope", "value": "5"}],
                 "replace operation does not apply: doc is missing key: /data/nope: "
                 "missing value", id="replace-missing"),
    pytest.param([{"op": "remove", "path": "/spec/x"}],
                 'remove operation does not apply: doc is missing path: "/spec/x": '
                 "missing value", id="remove-missing-parent"),
    pytest.param([{"op": "jump", "path": "/data"}], "Unexpected kind: jump", id="bad-op"),
])
async def test_json_patch_errors_are_422_in_kubernetes_words(apiserver: ApiServer,
                                                             patch: Any, message: str) -> None:
    """A JSON patch that does not apply is 422 with evanphx/json-patch's words."""
    await call(apiserver, "POST", CM, configmap("jp", k="1"))
    code, status = await call(apiserver, "PATCH", f"{CM}/jp", patch, ctype=JSON_PATCH)
    assert code == 422 and status["reason"] == "Invalid"
    assert status["details"]["causes"][0]["message"] == message
    assert "<class" not in json.dumps(status)


# -- semantics ---------------------------------------------------------------------------------

async def test_paged_list_is_a_snapshot(apiserver: ApiServer) -> None:
    """Later pages show the collection as the first page saw it: no objects created since, the
    ones deleted since, their old data, and the first page's resourceVersion."""
    for i in range(6):
        await call(apiserver, "POST", CM, configmap(f"c{i}", v="old"))
    code, first = await call(apiserver, "GET", CM, limit="2")
    rev = first["metadata"]["resourceVersion"]
    assert [i["metadata"]["name"] for i in first["items"]] == ["c0", "c1"]
    assert first["metadata"]["remainingItemCount"] == 4
    await call(apiserver, "POST", CM, configmap("c2a"))
    await call(apiserver, "DELETE", f"{CM}/c3")
    await call(apiserver, "PATCH", f"{CM}/c4", {"data": {"v": "new"}}, ctype=MERGE)
    seen, token = [], first["metadata"]["continue"]
    while token:
        code, page = await call(apiserver, "GET", CM, limit="2", **{"continue": token})
        assert code == 200 and page["metadata"]["resourceVersion"] == rev
        seen += page["items"]
        token = page["metadata"].get("continue")
    assert [i["metadata"]["name"] for i in seen] == ["c2", "c3", "c4", "c5"]
    assert all(i["data"]["v"] == "old" for i in seen)


async def test_remaining_item_count_only_without_selector(apiserver: ApiServer) -> None:
    """remainingItemCount is left out when a selector filters the list."""
    for i in range(4):
        await call(apiserver, "POST", CM, configmap(f"s{i}", {"app": "x"}))
    _, page = await call(apiserver, "GET", CM, limit="1", labelSelector="app=x")
    assert page["metadata"]["continue"] and "remainingItemCount" not in page["metadata"]


async def test_expired_continue_token_is_410_with_a_fresh_token(apiserver: ApiServer) -> None:
    """A token whose revision is compacted is 410 Expired, with Kubernetes' message and a
    token in the Status metadata that continues (inconsistently) from the same key."""
    for i in range(4):
        await call(apiserver, "POST", CM, configmap(f"e{i}"))
    _, first = await call(apiserver, "GET", CM, limit="2")
    await call(apiserver, "POST", CM, configmap("later"))
    await apiserver.store.compact(apiserver.store.revision)
    code, status = await call(apiserver, "GET", CM, limit="2",
                              **{"continue": first["metadata"]["continue"]})
    assert code == 410 and status["reason"] == "Expired"
    assert status["message"].startswith("The provided continue parameter is too old")
    fresh = status["metadata"]["continue"]
    code, rest = await call(apiserver, "GET", CM, **{"continue": fresh})
    assert code == 200
    assert [i["metadata"]["name"] for i in rest["items"]] == ["e2", "e3", "later"]


@pytest.mark.parametrize("token", [
    pytest.param("%%%", id="not-base64"),
    pytest.param("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiIvLi4vc2VjcmV0cyJ9",
                 id="path-traversal"),
])
async def test_bad_continue_tokens_are_400(apiserver: ApiServer, token: str) -> None:
    """A continue token that does not decode, or points outside its list, is 400."""
    code, _ = await call(apiserver, "GET", CM, **{"continue": token})
    assert code == 400


async def test_list_at_an_exact_past_revision(apiserver: ApiServer) -> None:
    """resourceVersionMatch=Exact returns the collection as it was at that revision, at that
    resourceVersion; once compacted, 410 Gone."""
    _, cm = await call(apiserver, "POST", CM, configmap("t", v="before"))
    rev = cm["metadata"]["resourceVersion"]
    await call(apiserver, "PATCH", f"{CM}/t", {"data": {"v": "after"}}, ctype=MERGE)
    await call(apiserver, "POST", CM, configmap("newer"))
    code, listing = await call(apiserver, "GET", CM, resourceVersion=rev,
                               resourceVersionMatch="Exact")
    assert code == 200 and listing["metadata"]["resourceVersion"] == rev
    assert [(i["metadata"]["name"], i["data"]["v"]) for i in listing["items"]] == [
        ("t", "before")]
    await apiserver.store.compact(apiserver.store.revision)
    code, status = await call(apiserver, "GET", CM, resourceVersion=rev,
                              resourceVersionMatch="Exact")
    assert code == 410 and status["reason"] == "Expired"


@pytest.mark.parametrize("query", [
    pytest.param({"resourceVersionMatch": "NotOlderThan"}, id="not-older-than"),
    pytest.param({}, id="plain"),
    pytest.param({"resourceVersionMatch": "Exact"}, id="exact"),
])
async def test_list_at_a_future_revision_waits_then_504(apiserver: ApiServer,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        query: dict[str, str]) -> None:
    """A list at a revision the store has not reached is 504 ResourceVersionTooLarge."""
    from minikube_py.apiserver import freshness

    monkeypatch.setattr(freshness, "TOO_LARGE_WAIT", 0.05)
    future = str(apiserver.store.revision + 100)
    code, status = await call(apiserver, "GET", CM, resourceVersion=future, **query)
    assert code == 504 and status["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"


async def test_send_initial_events_false_sends_none(apiserver: ApiServer) -> None:
    """sendInitialEvents=false watches from now: no synthetic ADDED for what exists."""
    await call(apiserver, "POST", CM, configmap("old"))
    resp = await apiserver.handle(ApiRequest("GET", CM, query={
        "watch": "true", "sendInitialEvents": "false", "resourceVersionMatch": "NotOlderThan",
        "timeoutSeconds": "1"}))
    assert resp.status == 200 and resp.stream is not None
    await call(apiserver, "POST", CM, configmap("new"))
    events = await lines(resp.stream)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "new")]


async def test_send_initial_events_true_ends_with_a_bookmark(apiserver: ApiServer) -> None:
    """sendInitialEvents=true sends the current state, then the initial-events-end bookmark."""
    await call(apiserver, "POST", CM, configmap("old"))
    resp = await apiserver.handle(ApiRequest("GET", CM, query={
        "watch": "true", "sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan",
        "allowWatchBookmarks": "true", "timeoutSeconds": "1"}))
    events = await lines(resp.stream)
    assert events[0]["type"] == "ADDED" and events[0]["object"]["metadata"]["name"] == "old"
    assert events[1]["type"] == "BOOKMARK"
    assert events[1]["object"]["metadata"]["annotations"] == {
        "k8s.io/initial-events-end": "true"}


async def test_writes_record_managed_fields(apiserver: ApiServer) -> None:
    """A create records an Update entry for its manager; a later apply of the same field by
    another manager conflicts with it, as Kubernetes answers 409."""
    code, obj = await call(apiserver, "POST", CM, configmap("mf", k="created"),
                           fieldManager="kubectl-create")
    entries = obj["metadata"]["managedFields"]
    assert [(e["manager"], e["operation"]) for e in entries] == [("kubectl-create", "Update")]
    assert "f:k" in entries[0]["fieldsV1"]["f:data"]
    applied = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mf"},
               "data": {"k": "applied"}}
    code, status = await call(apiserver, "PATCH", f"{CM}/mf", applied, ctype=APPLY,
                              fieldManager="other")
    assert code == 409 and 'conflict with "kubectl-create"' in status["message"]


async def test_updates_through_subresources_name_them(apiserver: ApiServer) -> None:
    """Writes through /status and /scale record their subresource in managedFields."""
    await call(apiserver, "POST", DEPLOY, deployment())
    await call(apiserver, "PATCH", f"{DEPLOY}/web/status", {"status": {"replicas": 1}},
               ctype=MERGE, fieldManager="controller")
    await call(apiserver, "PATCH", f"{DEPLOY}/web/scale", {"spec": {"replicas": 3}},
               ctype=MERGE, fieldManager="scaler")
    _, obj = await call(apiserver, "GET", f"{DEPLOY}/web")
    subs = {e["manager"]: e.get("subresource", "") for e in obj["metadata"]["managedFields"]}
    assert subs["controller"] == "status" and subs["scaler"] == "scale"


@pytest.mark.parametrize("path, body", [
    pytest.param(PODS, {"kind": "Pod", "metadata": {"name": "p"},
                        "spec": {"containers": [{"name": "c", "image": "i"}]}}, id="pod"),
    pytest.param("/api/v1/namespaces/default/services",
                 {"kind": "Service", "metadata": {"name": "s"},
                  "spec": {"ports": [{"port": 80}]}}, id="service"),
    pytest.param("/api/v1/namespaces", {"kind": "Namespace", "metadata": {"name": "ns1"}},
                 id="namespace"),
])
async def test_kinds_without_generation_get_none(apiserver: ApiServer, path: str,
                                                 body: dict[str, Any]) -> None:
    """Pods, Services and Namespaces have no metadata.generation in Kubernetes 1.32."""
    code, obj = await call(apiserver, "POST", path, body)
    assert code == 201 and "generation" not in obj["metadata"]


async def test_deployment_generation_counts_annotations_and_deletion(
        apiserver: ApiServer) -> None:
    """A Deployment's generation bumps on an annotation change and when deletion starts."""
    await call(apiserver, "POST", DEPLOY, deployment())
    _, obj = await call(apiserver, "PATCH", f"{DEPLOY}/web",
                        {"metadata": {"annotations": {"note": "x"}}}, ctype=MERGE)
    assert obj["metadata"]["generation"] == 2
    _, obj = await call(apiserver, "PATCH", f"{DEPLOY}/web",
                        {"metadata": {"labels": {"l": "x"}}}, ctype=MERGE)
    assert obj["metadata"]["generation"] == 2, "labels do not count"
    _, obj = await call(apiserver, "DELETE", f"{DEPLOY}/web", {"propagationPolicy": "Foreground"})
    assert obj["metadata"]["generation"] == 3 and obj["metadata"]["deletionTimestamp"]


async def test_pod_admission_defaults(apiserver: ApiServer) -> None:
    """A new pod tolerates not-ready/unreachable for 300 s, has priority 0 and
    enableServiceLinks, as Kubernetes' default admission sets them."""
    code, pod = await call(apiserver, "POST", PODS, {
        "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "i"}]}})
    assert code == 201
    spec = pod["spec"]
    assert spec["priority"] == 0 and spec["enableServiceLinks"] is True
    assert spec["preemptionPolicy"] == "PreemptLowerPriority"
    assert {(t["key"], t["effect"], t["tolerationSeconds"]) for t in spec["tolerations"]} == {
        ("node.kubernetes.io/not-ready", "NoExecute", 300),
        ("node.kubernetes.io/unreachable", "NoExecute", 300)}
    code, status = await call(apiserver, "POST", PODS, {
        "kind": "Pod", "metadata": {"name": "q"},
        "spec": {"priority": 7, "containers": [{"name": "c", "image": "i"}]}})
    assert code == 403 and "must not be provided" in status["message"]
