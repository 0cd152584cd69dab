"""Strategy "attacks": writes aimed at objects the fuzzer must never change (the sentinels).

Every attack is either refused by Kubernetes or a valid dry run, so afterwards the sentinels
(namespace ``sentinel`` and its objects, ConfigMap ``kube-system/fuzz-sentinel``, Node
``fuzz-sentinel-node``) must be exactly as before, whatever the answer was:

- any write on an all-namespaces path (``DELETE /api/v1/configmaps`` is no deletecollection:
  Kubernetes serves only list and watch there), and on ``/api/v1/<plural>/<name>``;
- deletecollection of namespaces (Kubernetes does not serve it);
- a delete, update or patch of a sentinel with ``dryRun`` other than ``All`` (in the query or
  the DeleteOptions body), a bogus ``fieldValidation``, ``propagationPolicy`` or
  ``gracePeriodSeconds``, a failed precondition, a stale ``resourceVersion``, a body for
  another namespace or name, ``force`` on a merge patch, or a malformed DeleteOptions body;
- the same with ``dryRun=All`` (valid: answered 2xx, but nothing is written);
- paths that climb out of ``fuzz-a`` with encoded slashes.

Collection attacks carry ``labelSelector=fuzz-sentinel=true`` so that a server that wrongly
obeys them deletes only sentinels (which the harness puts back), not the cluster.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from minikube_py.api.registry import ResourceType
from tests.fuzz.examples import example
from tests.fuzz.harness import FUZZ_NS, SENTINEL_NS, Plan, kind
from tests.fuzz.wire import Request

SELECTOR = b"labelSelector=fuzz-sentinel%3Dtrue"
BAD_DRY_QUERY = [b"dryRun=Bogus", b"dryRun=all", b"dryRun=true", b"dryRun=1",
                 b"dryRun=All%2CBogus", b"dryRun=All&dryRun=Bogus", b"dryRun=Bogus&dryRun=All",
                 b"dryRun=%00"]
BAD_DRY_BODY: list[Any] = [["Bogus"], ["All", "Bogus"], ["all"], "All", "Bogus", [None], [1],
                           {"All": True}, ["Bogus", "All"]]
# Options Kubernetes refuses, by the method that reads them (a delete ignores the others).
BAD_WRITE_QUERY = [b"fieldValidation=Bogus", b"fieldValidation=ignore",
                   b"fieldManager=" + b"m" * 200, b"fieldManager=a%01b"]
BAD_DELETE_QUERY = [b"propagationPolicy=Bogus", b"gracePeriodSeconds=x",
                    b"gracePeriodSeconds=1.5", b"propagationPolicy=orphan"]
BAD_DELETE_BODY: list[Any] = [{"gracePeriodSeconds": "x"}, {"preconditions": {"uid": "bogus"}},
                              {"preconditions": {"resourceVersion": "1"}},
                              {"propagationPolicy": "Bogus"}, {"orphanDependents": "yes"},
                              {"preconditions": "x"}, [], "x", {"apiVersion": "v1",
                                                                "kind": "DeleteOptions",
                                                                "dryRun": ["Bogus"]}]


def _sentinel_kinds() -> list[ResourceType]:
    return [kind(g, k) for g, k in (("", "ConfigMap"), ("", "Secret"), ("", "Service"),
                                    ("", "Pod"), ("apps", "Deployment"),
                                    ("coordination.k8s.io", "Lease"))]


def _name(rt: ResourceType) -> str:
    return f"sentinel-{rt.kind.lower()}"


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


@st.composite
def _target(draw: st.DrawFn) -> tuple[ResourceType, str, str]:
    """A sentinel: (kind, namespace, name); the kube-system ConfigMap now and then."""
    if draw(st.integers(0, 5)) == 0:
        return kind("", "ConfigMap"), "kube-system", "fuzz-sentinel"
    rt = draw(st.sampled_from(_sentinel_kinds()))
    return rt, SENTINEL_NS, _name(rt)


def _write_body(rt: ResourceType, method: str, ns: str, name: str) -> tuple[bytes, bytes]:
    if method == "PATCH":
        return b'{"metadata":{"labels":{"attacked":"yes"}}}', b"application/merge-patch+json"
    obj = example(rt, name, ns)
    obj["metadata"]["labels"] = {"fuzz-sentinel": "true", "attacked": "yes"}
    return _json(obj), b"application/json"


@st.composite
def attack_plans(draw: st.DrawFn) -> Plan:
    """One attack on the sentinels; see the module docstring for the kinds of attack."""
    what = draw(st.sampled_from(["all-namespaces", "all-namespaces", "namespace-sweep",
                                 "bad-dry-run", "bad-dry-run", "bad-option", "dry-run",
                                 "precondition", "wrong-body", "traversal", "bad-delete-body"]))
    rt, ns, name = draw(_target())
    item = rt.path(ns, name).encode()
    method = draw(st.sampled_from(["DELETE", "DELETE", "PUT", "PATCH", "POST"]))
    refuse, dry, body, ctype, query = what, False, b"", b"", b""
    if what == "all-namespaces":
        path = rt.path().encode() + (b"/" + name.encode() if draw(st.booleans()) else b"")
        query = SELECTOR if method == "DELETE" else b""
        if method != "DELETE":
            body, ctype = _write_body(rt, method, ns, name)
    elif what == "namespace-sweep":
        method = "DELETE"
        nodes = draw(st.booleans())
        path = b"/api/v1/nodes" if nodes else b"/api/v1/namespaces"
        query = SELECTOR + (b"&" + draw(st.sampled_from(BAD_DRY_QUERY)) if nodes else b"")
        rt = kind("", "Node" if nodes else "Namespace")
        refuse = "dryRun-invalid" if nodes else "namespace-deletecollection"
    elif what == "traversal":
        hop = draw(st.sampled_from([
            b"/..%2F..%2F" + ns.encode() + b"%2F" + rt.plural.encode() + b"%2F" + name.encode(),
            b"%2F..%2F..%2F..%2F" + ns.encode() + b"%2F" + rt.plural.encode() + b"%2F"
            + name.encode()]))
        path = rt.path(FUZZ_NS).encode() + hop
        body, ctype = _write_body(rt, method, FUZZ_NS, name) if method != "DELETE" \
            else (b"", b"")
    else:
        path, refuse, dry, body, ctype, query = _item_attack(draw, what, rt, ns, name, method)
    if method == "DELETE" and what in ("bad-dry-run", "bad-option", "dry-run") \
            and draw(st.integers(0, 3)) == 0:
        path = rt.path(ns).encode()  # the same on the collection, selected to the sentinels
        query = SELECTOR + (b"&" + query if query else b"")
    target = path + (b"?" + query if query else b"")
    headers = ((b"Content-Type", ctype),) if ctype else ()
    return Plan("attacks", Request(method, target, headers, body), rt=rt, attack=what,
                must_refuse=refuse, dry_run=dry, note=item.decode())


def _item_attack(draw: st.DrawFn, what: str, rt: ResourceType, ns: str, name: str,
                 method: str) -> tuple[bytes, str, bool, bytes, bytes, bytes]:
    """(path, must_refuse, dry_run, body, content type, query) of an attack on one item."""
    path = rt.path(ns, name).encode()
    body, ctype = (b"", b"") if method == "DELETE" else _write_body(rt, method, ns, name)
    if method == "POST":
        path = rt.path(ns).encode()
    query = b""
    refuse = what
    dry = False
    if what == "bad-dry-run":
        if method == "DELETE" and draw(st.booleans()):
            body, ctype = _json({"dryRun": draw(st.sampled_from(BAD_DRY_BODY))}), \
                b"application/json"
            refuse = "dryRun-invalid-body"
        else:
            query = draw(st.sampled_from(BAD_DRY_QUERY))
            refuse = "dryRun-invalid"
    elif what == "bad-option":
        query = draw(st.sampled_from(BAD_DELETE_QUERY if method == "DELETE"
                                     else BAD_WRITE_QUERY))
        refuse = query.split(b"=")[0].decode() + "-invalid"
        if method == "PATCH" and draw(st.booleans()):
            query, refuse = b"force=true", "force-on-non-apply-patch"
    elif what == "dry-run":
        refuse, dry = "", True
        if method == "DELETE" and draw(st.booleans()):
            body, ctype = _json({"dryRun": ["All"], "gracePeriodSeconds": 0}), \
                b"application/json"
        else:
            query = b"dryRun=All"
    elif what == "precondition":
        if method == "DELETE":
            body, ctype = _json({"preconditions": draw(st.sampled_from(
                [{"uid": "bogus"}, {"resourceVersion": "1"}]))}), b"application/json"
        else:
            obj = json.loads(body)
            obj["metadata"]["resourceVersion"] = "1"
            body = _json(obj)
        refuse = "precondition-failed"
    elif what == "wrong-body":
        if method == "DELETE":
            method_body: Any = draw(st.sampled_from(BAD_DELETE_BODY))
            body, ctype = _json(method_body), b"application/json"
            refuse = "delete-options-invalid"
        else:
            obj = json.loads(body)
            meta = obj.setdefault("metadata", {})
            if draw(st.booleans()) and method in ("PUT", "POST"):
                meta["namespace"] = FUZZ_NS if ns != FUZZ_NS else SENTINEL_NS
                path = rt.path(FUZZ_NS).encode() if method == "POST" else path
                if method == "POST":
                    meta["namespace"] = SENTINEL_NS  # posted to fuzz-a, aimed at sentinel
            else:
                meta["name"] = "other" if method != "POST" else name
            body = _json(obj)
            refuse = "body-mismatch"
    else:  # bad-delete-body: not an object at all (or, for a delete, a YAML bogus dryRun)
        bodies = [b"{", b"\xff", b"[1]", b"[" * 3000]
        body = draw(st.sampled_from(bodies + ([b"dryRun: [Bogus]"] if method == "DELETE"
                                              else [])))
        ctype = draw(st.sampled_from([b"application/json", b"application/yaml"]))
        refuse = "malformed-body"
    return path, refuse, dry, body, ctype, query
