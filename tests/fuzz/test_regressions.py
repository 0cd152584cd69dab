"""One deterministic test per defect the fuzz suite found: the minimal request, replayed.

Each test sends the smallest request that showed its defect (from the long run recorded in
``docs/FUZZING.md``) through the same harness and oracle as the fuzz tests, against the
module's real daemon, and fails with the broken properties. No Hypothesis here: a fix can be
checked one defect at a time (``pytest tests/fuzz/test_regressions.py -k <name>``).
"""

from __future__ import annotations

import gzip
import json

import pytest

from minikube_py.api.registry import ResourceType
from tests.fuzz.harness import FUZZ_NS, SENTINEL_NS, Fuzzer, Plan, kind, seed_path
from tests.fuzz.report import render
from tests.fuzz.wire import TOKEN_MARK, Request

pytestmark = pytest.mark.fuzz

CM = kind("", "ConfigMap")
NS = kind("", "Namespace")
NODE = kind("", "Node")
DEPLOY = kind("apps", "Deployment")
REVISION = kind("apps", "ControllerRevision")
JSON = ((b"Content-Type", b"application/json"),)
MERGE = ((b"Content-Type", b"application/merge-patch+json"),)
SENTINEL_CM = f"/api/v1/namespaces/{SENTINEL_NS}/configmaps/sentinel-configmap".encode()
FUZZ_CMS = f"/api/v1/namespaces/{FUZZ_NS}/configmaps".encode()


def replay(fuzzer: Fuzzer, plan: Plan) -> None:
    """Run ``plan`` once; fail with every property it breaks."""
    found = fuzzer.run(plan)
    signatures = sorted({v.signature for v in found})
    assert not found, render([fuzzer.stats.failures[s] for s in signatures])


def create(body: object, *, query: bytes = b"", ctype: bytes = b"application/json",
           rt: ResourceType = CM, raw: bytes | None = None, refuse: str = "") -> Plan:
    """A POST of ``body`` (or the bytes ``raw``) to the fuzz namespace's ``rt`` collection."""
    ns = FUZZ_NS if rt.namespaced else None
    data = raw if raw is not None else json.dumps(body).encode()
    return Plan("regression", Request("POST", rt.path(ns).encode() + query,
                                      ((b"Content-Type", ctype),), data),
                rt=rt, collection_ns=ns, must_refuse=refuse)


def cm(**meta: object) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"generateName": "fuzz-", **meta}, "data": {"k": "v"}}


# -- deletes that must not delete ------------------------------------------------------------

def test_delete_on_all_namespaces_path_is_not_a_deletecollection(fuzzer: Fuzzer) -> None:
    """DELETE /api/v1/configmaps is refused (405): Kubernetes serves only list/watch there."""
    replay(fuzzer, Plan("regression", Request(
        "DELETE", b"/api/v1/configmaps?labelSelector=fuzz-sentinel%3Dtrue"), rt=CM,
        attack="all-namespaces", must_refuse="all-namespaces"))


def test_namespaces_have_no_deletecollection(fuzzer: Fuzzer) -> None:
    """DELETE /api/v1/namespaces is refused (405), as Kubernetes does not serve it."""
    replay(fuzzer, Plan("regression", Request(
        "DELETE", b"/api/v1/namespaces?labelSelector=fuzz-sentinel%3Dtrue"), rt=NS,
        attack="namespace-sweep", must_refuse="namespace-deletecollection"))


def test_delete_with_bogus_dry_run_in_body_is_refused(fuzzer: Fuzzer) -> None:
    """A DeleteOptions body with dryRun ["Bogus"] is a 400, not a real delete."""
    replay(fuzzer, Plan("regression", Request("DELETE", SENTINEL_CM, JSON,
                                              b'{"dryRun":["Bogus"]}'),
                        rt=CM, attack="bad-dry-run", must_refuse="dryRun-invalid-body"))


def test_delete_with_bogus_dry_run_in_query_is_refused(fuzzer: Fuzzer) -> None:
    """DELETE ...?dryRun=true (or any value but All) is a 400, not a real delete."""
    replay(fuzzer, Plan("regression", Request("DELETE", SENTINEL_CM + b"?dryRun=true"), rt=CM,
                        attack="bad-dry-run", must_refuse="dryRun-invalid"))


def test_repeated_dry_run_with_a_bogus_value_is_refused(fuzzer: Fuzzer) -> None:
    """dryRun=All&dryRun=Bogus is a 400: every value counts, not only the first."""
    replay(fuzzer, Plan("regression", Request(
        "PATCH", SENTINEL_CM + b"?dryRun=All&dryRun=Bogus", MERGE,
        b'{"metadata":{"labels":{"attacked":"yes"}}}'), rt=CM, attack="bad-dry-run",
        must_refuse="dryRun-invalid"))


def test_post_on_an_item_path_creates_nothing(fuzzer: Fuzzer) -> None:
    """POST .../configmaps/seed is refused (405): it must not create an object elsewhere."""
    path = seed_path(CM).encode()
    replay(fuzzer, Plan("regression", Request("POST", path, JSON, json.dumps(cm()).encode()),
                        rt=CM, item_path=path, collection_ns=FUZZ_NS, seeds=(CM,),
                        must_refuse="post-on-item"))


# -- writes whose options Kubernetes refuses -------------------------------------------------

def test_invalid_field_manager_is_refused(fuzzer: Fuzzer) -> None:
    """A fieldManager of more than 128 bytes (or with a control character) is a 422."""
    replay(fuzzer, Plan("regression", Request(
        "PATCH", seed_path(CM).encode() + b"?fieldManager=" + b"m" * 129, MERGE,
        b'{"data":{"k":"v"}}'), rt=CM, item_path=seed_path(CM).encode(), seeds=(CM,),
        must_refuse="fieldManager-invalid"))


def test_force_on_a_non_apply_patch_is_refused(fuzzer: Fuzzer) -> None:
    """force=true on a merge patch is a 422 (force is for server-side apply only)."""
    replay(fuzzer, Plan("regression", Request(
        "PATCH", seed_path(CM).encode() + b"?force=true", MERGE, b'{"data":{"k":"v"}}'),
        rt=CM, item_path=seed_path(CM).encode(), seeds=(CM,),
        must_refuse="force-on-non-apply-patch"))


def test_duplicate_json_keys_are_refused_under_strict(fuzzer: Fuzzer) -> None:
    """A repeated key in the JSON body is a 400 under fieldValidation=Strict."""
    replay(fuzzer, create(None, query=b"?fieldValidation=Strict", refuse="duplicate-key-strict",
                          raw=b'{"apiVersion":"v1","kind":"ConfigMap","metadata":'
                              b'{"generateName":"fuzz-"},"data":{"k":"a","k":"b"}}'))


def test_unknown_field_with_null_value_is_refused_under_strict(fuzzer: Fuzzer) -> None:
    """An unknown field is an error under Strict even when its value is null."""
    replay(fuzzer, create(None, query=b"?fieldValidation=Strict", refuse="unknown-field-strict",
                          raw=b'{"apiVersion":"v1","kind":"ConfigMap","metadata":'
                              b'{"generateName":"fuzz-"},"bogus":null}'))


# -- values that must not be stored ----------------------------------------------------------

@pytest.mark.parametrize("replicas", [
    pytest.param(b"2147483648", id="int32-plus-one"),
    pytest.param(b"18446744073709551616", id="2-to-the-64-parsed-as-float"),
    pytest.param(b"3.0", id="integral-float"),
])
def test_integer_fields_refuse_what_their_format_cannot_hold(fuzzer: Fuzzer,
                                                             replicas: bytes) -> None:
    """spec.replicas (int32) of 2^31, 2^64 or 3.0 is refused, never stored."""
    path = seed_path(DEPLOY).encode()
    replay(fuzzer, Plan("regression", Request(
        "PATCH", path, MERGE, b'{"spec":{"replicas":' + replicas + b"}}"), rt=DEPLOY,
        item_path=path, seeds=(DEPLOY,), must_refuse="typed-decode"))


def test_int64_field_refuses_values_past_its_range(fuzzer: Fuzzer) -> None:
    """ControllerRevision.revision (int64) of -10^30 is refused, not stored as a float."""
    replay(fuzzer, create(None, rt=REVISION, refuse="typed-decode:int64", raw=(
        b'{"apiVersion":"apps/v1","kind":"ControllerRevision","revision":'
        b'-1000000000000000000000000000000,"data":{},"metadata":{"generateName":"fuzz-"}}')))


@pytest.mark.parametrize("number", [b"18446744073709551616", b"-9223372036854775809",
                                    b"1" + b"0" * 40])
def test_integer_past_64_bits_in_free_form_data_is_a_float(fuzzer: Fuzzer,
                                                           number: bytes) -> None:
    """A PUT of a ControllerRevision whose free-form ``data`` holds an integer no 64-bit type
    can hold is stored as the nearest float, as Kubernetes' decoder reads one (it was a 500
    from the store's encoder); what the reply shows is what a read shows."""
    path = seed_path(REVISION).encode()
    replay(fuzzer, Plan("regression", Request("PUT", path + b"?fieldValidation=Strict", JSON, (
        b'{"apiVersion":"apps/v1","kind":"ControllerRevision","revision":1,'
        b'"data":{"spec":{"a":1,"single":' + number + b'}},'
        b'"metadata":{"name":"seed","namespace":"fuzz-a"}}')), rt=REVISION, item_path=path,
        seeds=(REVISION,)))


def test_metadata_of_the_wrong_type_is_refused(fuzzer: Fuzzer) -> None:
    """"metadata": 0 in a PUT body is a 400, not silently replaced by the URL's metadata."""
    path = seed_path(CM).encode()
    replay(fuzzer, Plan("regression", Request(
        "PUT", path, JSON, b'{"apiVersion":"v1","kind":"ConfigMap","metadata":0}'), rt=CM,
        item_path=path, seeds=(CM,), must_refuse="typed-decode:type"))


def test_null_label_value_is_not_stored(fuzzer: Fuzzer) -> None:
    """A label whose value is null is refused (or stored as ""), never stored as null."""
    replay(fuzzer, create(cm(labels={"a": None})))


def test_apply_cannot_drop_a_required_field(fuzzer: Fuzzer) -> None:
    """Re-applying a ControllerRevision without ``revision`` does not store it without one."""
    path = REVISION.path(FUZZ_NS, "fuzz-apply-revision").encode()
    apply = ((b"Content-Type", b"application/apply-patch+yaml"),)
    for body in (b'{"apiVersion":"apps/v1","kind":"ControllerRevision","revision":1,"data":{}}',
                 b'{"apiVersion":"apps/v1","kind":"ControllerRevision","data":{}}'):
        replay(fuzzer, Plan("regression", Request("PATCH", path + b"?fieldManager=fuzz", apply,
                                                  body), rt=REVISION, item_path=path))


def test_scale_update_checks_its_options(fuzzer: Fuzzer) -> None:
    """PUT .../scale with fieldValidation=Bogus is a 400, as on the object itself."""
    sts = kind("apps", "StatefulSet")
    path = seed_path(sts).encode()
    replay(fuzzer, Plan("regression", Request(
        "PUT", path + b"/scale?fieldValidation=Bogus", JSON,
        b'{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"seed"},'
        b'"spec":{"replicas":1}}'), rt=sts, item_path=path, seeds=(sts,),
        must_refuse="fieldValidation-invalid"))


# -- hostile text that must get a Status, not a 500 ------------------------------------------

def test_deep_yaml_is_a_400(fuzzer: Fuzzer) -> None:
    """A YAML body nested 1,000 levels deep is a 400, not a 500 RecursionError."""
    deep = b"[" * 1000 + b"]" * 1000
    replay(fuzzer, create(None, ctype=b"application/yaml", raw=(
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: fuzz-}\nx: " + deep)))


def test_deep_json_is_a_400(fuzzer: Fuzzer) -> None:
    """JSON nested 1,000 levels deep in a field is a 400, not a 500 from the store encoder."""
    path = seed_path(CM).encode()
    replay(fuzzer, Plan("regression", Request("PUT", path, JSON, (
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"seed","namespace":"fuzz-a",'
        b'"managedFields":' + b"[" * 1000 + b"]" * 1000 + b"}}")), rt=CM, item_path=path,
        seeds=(CM,)))


def test_deep_api_version_is_a_400(fuzzer: Fuzzer) -> None:
    """An apiVersion nested 1,000 lists deep is a 400, not a 500 while writing the error."""
    path = seed_path(CM).encode()
    replay(fuzzer, Plan("regression", Request("PUT", path, JSON, (
        b'{"apiVersion":' + b"[" * 1000 + b"]" * 1000 + b',"kind":"ConfigMap"}')), rt=CM,
        item_path=path, seeds=(CM,)))


def test_deep_strategic_merge_patch_is_a_400(fuzzer: Fuzzer) -> None:
    """A strategic merge patch nested 1,000 lists deep is a 400, not a 500 RecursionError."""
    path = seed_path(CM).encode()
    replay(fuzzer, Plan("regression", Request(
        "PATCH", path, ((b"Content-Type", b"application/strategic-merge-patch+json"),),
        b'{"data":{"x":' + b"[" * 1000 + b"]" * 1000 + b"}}"), rt=CM, item_path=path,
        seeds=(CM,)))


def test_deep_merge_patch_is_a_400(fuzzer: Fuzzer) -> None:
    """A merge patch nested 1,000 objects deep is a 400, not a 500 RecursionError."""
    path = seed_path(CM).encode()
    replay(fuzzer, Plan("regression", Request(
        "PATCH", path, MERGE, b'{"data":' + b'{"a":' * 1000 + b"1" + b"}" * 1000 + b"}"),
        rt=CM, item_path=path, seeds=(CM,)))


def test_deep_json_patch_value_is_a_400(fuzzer: Fuzzer) -> None:
    """A JSON patch whose value nests 1,000 lists deep is a 400, not a 500 RecursionError."""
    path = seed_path(CM).encode()
    replay(fuzzer, Plan("regression", Request(
        "PATCH", path, ((b"Content-Type", b"application/json-patch+json"),),
        b'[{"op":"add","path":"/data/x","value":' + b"[" * 1000 + b"]" * 1000 + b"}]"),
        rt=CM, item_path=path, seeds=(CM,)))


@pytest.mark.parametrize("body", [
    pytest.param(b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": '
                 b'"fuzz-"}, "data": {"k": "\\udc00"}}', id="in-a-value"),
    pytest.param(b'{"apiVersion": "v1", "kind": "\\udc00", "metadata": {"generateName": '
                 b'"fuzz-"}}', id="in-the-error-message"),
])
def test_lone_surrogate_in_yaml_is_a_400(fuzzer: Fuzzer, body: bytes) -> None:
    """A YAML "\\udc00" escape (a lone surrogate) is a 400 Status, not a 500."""
    replay(fuzzer, create(None, ctype=b"application/yaml", raw=body))


def test_long_primitive_list_in_strategic_merge_patch_does_not_stall(fuzzer: Fuzzer) -> None:
    """A 20 KB strategic merge patch of 3,000 finalizers is answered in seconds, not stalled."""
    pod = kind("", "Pod")
    path = seed_path(pod).encode()
    body = json.dumps({"metadata": {"finalizers": list(range(3000))}}).encode()
    replay(fuzzer, Plan("regression", Request(
        "PATCH", path + b"?dryRun=All",
        ((b"Content-Type", b"application/strategic-merge-patch+json"),), body), rt=pod,
        item_path=path, seeds=(pod,), dry_run=True))


def test_non_ascii_content_type_is_a_415_status(fuzzer: Fuzzer) -> None:
    """Content-Type: <byte 0xff> is a 415 Status, not a plain-text 500 from the error itself."""
    path = seed_path(CM).encode()
    replay(fuzzer, Plan("regression", Request(
        "PUT", path, ((b"Content-Type", b"\xff"),), json.dumps(cm()).encode()), rt=CM,
        item_path=path, seeds=(CM,)))


def test_unknown_field_with_control_character_keeps_its_reply(fuzzer: Fuzzer) -> None:
    """An unknown field named with ESC gets a reply (its Warning header is legal HTTP)."""
    replay(fuzzer, create(None, raw=(
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"fuzz-"},'
        b'"a\\u001b[31m":1}')))


def test_head_on_a_watch_has_no_body(fuzzer: Fuzzer) -> None:
    """HEAD on a watch URL answers headers only and keeps the connection usable."""
    replay(fuzzer, Plan("regression", Request(
        "HEAD", f"/api/v1/namespaces/{FUZZ_NS}/configmaps?watch=true".encode()), rt=CM))


def test_non_ascii_authorization_is_a_401(fuzzer: Fuzzer) -> None:
    """Authorization: Bearer <bytes 0xff 0xfe> is a 401 Status, not a plain-text 500."""
    replay(fuzzer, Plan("regression", Request("GET", FUZZ_CMS, authorization=b"Bearer \xff\xfe"),
                        rt=CM))


def test_ten_thousand_character_token_is_a_401(fuzzer: Fuzzer) -> None:
    """A 10,000-character bearer token is a 401 Status, not aiohttp's plain-text 400."""
    replay(fuzzer, Plan("regression", Request("GET", FUZZ_CMS,
                                              authorization=b"Bearer " + b"x" * 10000), rt=CM))


def test_unknown_method_is_a_405_status(fuzzer: Fuzzer) -> None:
    """An unknown method (FOO) is a 405 Status, not a plain-text 400 (aiohttp's parser then
    closes the connection: it refuses methods it does not know before we see them)."""
    replay(fuzzer, Plan("regression", Request("FOO", FUZZ_CMS), rt=CM))


def test_newline_in_path_is_a_404_status(fuzzer: Fuzzer) -> None:
    """A name holding %0A is a 404 Status, not aiohttp's plain-text 404."""
    replay(fuzzer, Plan("regression", Request("GET", FUZZ_CMS + b"/seed%0a"), rt=CM))


@pytest.mark.parametrize("encoding", [b"gzip", b"br", b"zstd"])
def test_undecodable_content_encoding_is_a_status(fuzzer: Fuzzer, encoding: bytes) -> None:
    """A body that its Content-Encoding cannot decode is a 4xx Status on a kept connection."""
    packed = gzip.compress(json.dumps(cm()).encode())
    corrupt = packed[:10] + bytes(b ^ 0x5A for b in packed[10:])
    replay(fuzzer, Plan("regression", Request("POST", FUZZ_CMS, (
        (b"Content-Type", b"application/json"), (b"Content-Encoding", encoding)), corrupt),
        rt=CM, collection_ns=FUZZ_NS))


def test_non_deflate_body_with_deflate_encoding_is_a_400_status(fuzzer: Fuzzer) -> None:
    """Content-Encoding: deflate on a plain body is a 400 Status, not a plain-text 500."""
    replay(fuzzer, Plan("regression", Request("POST", FUZZ_CMS, (
        (b"Content-Type", b"application/json"), (b"Content-Encoding", b"deflate")),
        json.dumps(cm()).encode()), rt=CM, collection_ns=FUZZ_NS))


def test_unauthorized_compressed_request_keeps_the_connection(fuzzer: Fuzzer) -> None:
    """A 401 for a request with a gzip Content-Encoding leaves the connection usable."""
    replay(fuzzer, Plan("regression", Request("PATCH", seed_path(CM).encode(), (
        (b"Content-Type", b"application/merge-patch+json"), (b"Content-Encoding", b"gzip")),
        b'{"metadata":{"labels":{"fuzzed":"yes"}}}', authorization=TOKEN_MARK), rt=CM))
