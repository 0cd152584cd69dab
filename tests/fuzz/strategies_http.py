"""Strategies "urls" and "headers": hostile request lines, query strings and headers.

"urls": every method (HEAD, OPTIONS and made-up ones too) on collection, item,
all-namespaces, subresource, ``/watch/`` and non-resource paths; names and namespaces with
%-encoded NUL, invalid UTF-8, surrogates, ``..``, encoded slashes, 10,000 characters; query
strings with the list, watch, write and delete options set to junk, repeated, or malformed.

"headers": ``Accept`` (``text/html``, ``as=Table;v=v2``, protobuf, junk), ``Content-Type``,
``Content-Encoding`` (gzip, deflate, br, bogus; valid, corrupt and truncated bodies, a small
gzip bomb), ``Authorization`` (missing, wrong scheme, 10,000-character token), impersonation
and ``Expect`` headers, odd ``User-Agent`` (the default field manager), and HEAD requests.

Writes go only to ``fuzz-a`` (or to names that cannot exist); a write on an all-namespaces
path is left to the attack strategy. A 2xx is wrong when a write option has a value
Kubernetes refuses (``dryRun``, ``fieldValidation``, ``propagationPolicy``,
``gracePeriodSeconds``, ``force`` on a non-apply patch, an invalid ``fieldManager``).
"""

from __future__ import annotations

import base64
import gzip
import json
import urllib.parse
import zlib
from typing import Any

from hypothesis import strategies as st

from minikube_py.api.registry import ResourceType
from tests.fuzz.examples import example, served_kinds
from tests.fuzz.harness import FUZZ_NS, Plan, seed_name, seed_path
from tests.fuzz.wire import DEFAULT_AUTH, TOKEN_MARK, Request

METHODS = ["GET"] * 9 + ["HEAD"] * 6 + ["POST", "PUT", "PATCH", "DELETE"] * 3 + [
    "OPTIONS", "TRACE", "PROPFIND", "get", "FOO"]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ODD_NAMES = [b"%00", b"%ff", b"%ed%a0%80", b"%c0%af", b"..", b".", b"%2e%2e", b"%2F",
             b"a%2Fb", b"x" * 300, b"x" * 10000, b"%e2%98%83", b"a%20b", b";", b"@", b":",
             b"~", b"%25", b"*", b"seed%00", b"seed%0a", b"SEED", b"seed.", b"%u0041", b"%",
             b"%zz", b"seed;x=1", b"%ef%bb%bf", b"%f4%90%80%80", b"%f8%88%80%80%80",
             b"%c3%28", b"%e0%80%af", b"%2e", b"seed%2F..", b"fuzz-%0d%0aX:%20y"]
NON_RESOURCE = [b"/", b"/api", b"/apis", b"/apis/apps", b"/apis/apps/v1", b"/api/v1",
                b"/apis/bogus/v1", b"/apis/apps/v9", b"/api/v2", b"/openapi/v3",
                b"/openapi/v3/api/v1", b"/openapi/v3/apis/apps/v1?hash=x", b"/openapi/v2",
                b"/openapi/v3/apis/%ff/v1", b"/version", b"/version/", b"/healthz",
                b"/healthz/ping", b"/readyz?verbose", b"/livez?verbose=1&exclude=x",
                b"/healthz/bogus", b"/metrics", b"/.well-known/openid-configuration",
                b"/logs", b"/debug/pprof", b"//api//v1", b"/api/v1/", b"/apis//v1",
                b"/api/v1/namespaces//configmaps", b"/api/v1/watch", b"/api/v1/watch/",
                b"/api/v1/proxy/namespaces/fuzz-a/pods/x", b"/%ff", b"/" + b"a" * 9000]

_CONTINUE = [base64.urlsafe_b64encode(json.dumps(v).encode()).decode() for v in (
    {"v": "meta.k8s.io/v1", "rv": 1, "start": "\x00"}, {"rv": "x"}, {"rv": -1, "start": 5},
    {"rv": 1e308, "start": ""}, [1, 2], {"v": "meta.k8s.io/v1", "rv": 1,
                                        "start": "/registry/secrets/sentinel/"},
    {"rv": 2**70, "start": "a"})] + ["not base64!!", "====", "e30", ""]
JUNK = ["", "0", "-1", "1", "true", "false", "True", "yes", "2147483648",
        "9223372036854775808", "1e3", "1.5", "NaN", "All", "Bogus", "Exact", "NotOlderThan",
        "x" * 1000, "\xff", "\x00", "a=b", "a!=b", "a in (b)", "!a", "a,", ",",
        "metadata.name=seed", "metadata.namespace!=x", "spec.nodeName=", "status.phase=Running",
        "bogus.field=x", "a=b=c", "(", ")", "a notin ()", "0x10", " 1", "Foreground", "Orphan",
        "Background", "Strict", "Warn", "Ignore", "\ud800"]
QUERY_KEYS = ["resourceVersion", "resourceVersionMatch", "limit", "continue",
              "timeoutSeconds", "watch", "sendInitialEvents", "allowWatchBookmarks",
              "labelSelector", "fieldSelector", "dryRun", "fieldValidation", "fieldManager",
              "force", "propagationPolicy", "gracePeriodSeconds", "orphanDependents", "pretty",
              "includeObject", "container", "follow", "tailLines", "sinceSeconds", "bogus"]
RAW_QUERIES = [b"&&=&a", b"%zz", b"a=%ff", b"watch", b"watch=1;limit=1", b"=", b"==",
               b"limit=1&limit=2&limit=x", b"labelSelector=a%3Db%2Cc%21%3Dd", b"?", b"%00=1",
               b"a" * 5000 + b"=1", b"dryRun=All&dryRun=Bogus", b"watch=true&timeoutSeconds=1"]
SINGLE_VALUED = {"fieldValidation", "propagationPolicy", "gracePeriodSeconds", "force",
                 "fieldManager"}


def quote(value: str) -> bytes:
    return urllib.parse.quote(value, safe="", errors="surrogatepass").encode()


@st.composite
def query(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, str]]]:
    """A query string (raw) and the (key, value) pairs it holds."""
    pairs: list[tuple[str, str]] = []
    for _ in range(draw(st.integers(0, 4))):
        key = draw(st.sampled_from(QUERY_KEYS))
        value = draw(st.sampled_from(JUNK) | st.sampled_from(_CONTINUE) if key == "continue"
                     else st.sampled_from(JUNK))
        pairs.append((key, value))
    if pairs and draw(st.integers(0, 3)) == 0:
        pairs.append((pairs[0][0], draw(st.sampled_from(JUNK))))  # a repeat
    raw = b"&".join(quote(k) + b"=" + quote(v) for k, v in pairs)
    if draw(st.integers(0, 6)) == 0:
        raw = (raw + b"&" if raw else b"") + draw(st.sampled_from(RAW_QUERIES))
    return raw, pairs


def refused_option(method: str, pairs: list[tuple[str, str]], ctype: bytes = b"") -> str:
    """Why Kubernetes refuses a write with these query options ("" if it does not)."""
    if method not in WRITE_METHODS:
        return ""
    first: dict[str, str] = {}
    for key, value in pairs:
        first.setdefault(key, value)
        if key == "dryRun" and value not in ("All", ""):
            return "dryRun-invalid"
    if method != "DELETE":  # DeleteOptions has neither of these: a delete ignores them
        fv = first.get("fieldValidation")
        if fv not in (None, "", "Strict", "Warn", "Ignore"):
            return "fieldValidation-invalid"
        manager = first.get("fieldManager")
        if manager and (len(manager.encode("utf-8", "surrogatepass")) > 128
                        or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in manager)):
            return "fieldManager-invalid"
    else:
        policy = first.get("propagationPolicy")
        if policy not in (None, "", "Orphan", "Background", "Foreground"):
            return "propagationPolicy-invalid"
        grace = first.get("gracePeriodSeconds")
        if grace not in (None, "") and not grace.lstrip("-").isdigit():
            return "gracePeriodSeconds-invalid"
    if method == "PATCH" and "force" in first and ctype != b"application/apply-patch+yaml":
        return "force-on-non-apply-patch"
    return ""


def _body_for(rt: ResourceType, method: str, on_item: bool) -> tuple[bytes, bytes]:
    """A plain, valid body for ``method`` (the hostility of this strategy is elsewhere)."""
    if method == "POST":
        obj = example(rt, "", FUZZ_NS)
        obj["metadata"].pop("name")
        obj["metadata"]["generateName"] = "fuzz-"
        return json.dumps(obj).encode(), b"application/json"
    if method == "PUT" and on_item:
        return json.dumps(example(rt, seed_name(rt), FUZZ_NS)).encode(), b"application/json"
    if method == "PATCH":
        return b'{"metadata":{"labels":{"fuzzed":"yes"}}}', b"application/merge-patch+json"
    return b"", b""


@st.composite
def url_plans(draw: st.DrawFn) -> Plan:
    """Any method on a hostile path and query of any served kind."""
    rt = draw(st.sampled_from(served_kinds()))
    method = draw(st.sampled_from(METHODS))
    shape = draw(st.sampled_from(["collection", "item", "item", "odd-item", "odd-ns",
                                  "all-namespaces", "subresource", "watch-prefix",
                                  "non-resource"]))
    if method in WRITE_METHODS and shape == "all-namespaces":
        shape = "collection"  # writes on all-namespaces paths are attacks (strategy "attacks")
    ns = FUZZ_NS if rt.namespaced else None
    item_path = b""
    if shape == "collection":
        path = rt.path(ns).encode()
    elif shape == "item":
        path = item_path = seed_path(rt).encode()
    elif shape == "odd-item":
        path = item_path = rt.path(ns).encode() + b"/" + draw(st.sampled_from(ODD_NAMES))
    elif shape == "odd-ns":
        odd = b"fuzz-" + draw(st.sampled_from(ODD_NAMES))
        path = rt.path("NS").encode().replace(b"/NS/", b"/" + odd + b"/")
        if not rt.namespaced:
            path = rt.path().encode() + b"/" + odd
    elif shape == "all-namespaces":
        path = rt.path().encode() + (b"/" + seed_name(rt).encode() if draw(st.booleans())
                                     else b"")
    elif shape == "subresource":
        sub = draw(st.sampled_from([*rt.subresources, "bogus", "status/x", "scale/", "",
                                    "log?follow=true"]))
        item_path = seed_path(rt).encode()
        path = item_path + b"/" + sub.encode()
    elif shape == "watch-prefix":
        base = rt.path(ns).encode()
        root = b"/api/v1" if not rt.group else f"/apis/{rt.group}/{rt.version}".encode()
        path = root + b"/watch" + base[len(root):]
        if draw(st.booleans()):
            path += b"/" + seed_name(rt).encode()
    else:
        path = draw(st.sampled_from(NON_RESOURCE))
        if method in WRITE_METHODS and not path.startswith((b"/api", b"/openapi")):
            pass  # non-resource writes cannot touch objects
    raw_query, pairs = draw(query())
    if method == "DELETE" and shape == "collection" and not rt.namespaced:
        raw_query = b"labelSelector=fuzz%3Dnever&" + raw_query  # never a real sweep
        pairs = [("labelSelector", "fuzz=never"), *pairs]
    sep = b"&" if b"?" in path else b"?"
    target = path + (sep + raw_query if raw_query else b"")
    body, ctype = _body_for(rt, method.upper(), bool(item_path)) \
        if method.upper() in WRITE_METHODS else (b"", b"")
    headers = ((b"Content-Type", ctype),) if ctype else ()
    dry = [v for k, v in pairs if k == "dryRun"]
    resource = shape != "non-resource"
    refuse = refused_option(method, pairs, ctype) if resource else ""
    if method == "POST" and shape == "item":
        refuse = "post-on-item"  # Kubernetes creates on collections only (405 here)
    return Plan("urls", Request(method, target, headers, body), rt=rt if resource else None,
                item_path=item_path if shape in ("item", "odd-item", "subresource") else b"",
                collection_ns=ns if shape in ("collection", "item", "odd-item") else None,
                seeds=(rt,) if shape in ("item", "subresource") else (),
                must_refuse=refuse, dry_run=bool(dry) and all(v == "All" for v in dry),
                note=shape)


ACCEPTS = [b"application/json", b"text/html", b"application/json;as=Table;v=v2;g=meta.k8s.io",
           b"application/json;as=Table;v=v1;g=meta.k8s.io, application/json",
           b"application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
           b"application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
           b"application/vnd.kubernetes.protobuf", b"application/yaml", b"*/*", b"",
           b"application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io",
           b"application/json;as=Table", b";;;", b"=", b"application/json;q=0",
           b"application/json;as=Table;v=v1;g=meta.k8s.io;includeObject=Object",
           b"application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io",
           b"text/html;as=Table;v=v1;g=meta.k8s.io", b"a" * 8000,
           b",".join([b"application/json;as=Table"] * 200), b"application/json\xff"]
CTYPES = [b"application/json", b"application/yaml", b"application/vnd.kubernetes.protobuf",
          b"application/merge-patch+json", b"application/json-patch+json",
          b"application/strategic-merge-patch+json", b"application/apply-patch+yaml",
          b"text/plain", b"", b"multipart/form-data; boundary=x",
          b"application/x-www-form-urlencoded", b"application/json; charset=latin1",
          b"application/json;;", b"\xff", b"application/*"]
ENCODINGS = [b"gzip", b"deflate", b"br", b"bogus", b"gzip, deflate", b"identity", b"GZIP",
             b"x-gzip", b"compress", b"zstd", b"gzip, bogus", b""]
BOMB = gzip.compress(b"0" * (8 << 20))
TOKEN = DEFAULT_AUTH


def _compressed(draw: st.DrawFn, encoding: bytes, body: bytes) -> bytes:
    how = draw(st.sampled_from(["valid", "valid", "corrupt", "truncated", "plain", "bomb"]))
    if how == "plain":
        return body
    if how == "bomb":
        return BOMB
    packed = {b"gzip": gzip.compress, b"x-gzip": gzip.compress, b"GZIP": gzip.compress,
              b"deflate": zlib.compress}.get(encoding, lambda b: b"\x1f\x8b" + b)(body)
    if how == "corrupt":
        return packed[:10] + bytes(b ^ 0x5A for b in packed[10:])
    if how == "truncated":
        return packed[: len(packed) // 2]
    return packed


AUTHS: list[Any] = [TOKEN, TOKEN, TOKEN, None, b"Bearer", b"Bearer ", b"Basic dXNlcjpwYXNz",
                    b"bearer <token>", b"Bearer  <token>", b"Bearer <token>x",
                    b"Bearer " + b"x" * 10000, b"Bearer " + b"x" * 7000, b"Negotiate x",
                    b"Bearer \xff\xfe", b"Bearer <token>\t", b"<token>"]


@st.composite
def header_plans(draw: st.DrawFn) -> Plan:
    """A request on a fuzz path whose headers are the hostile part."""
    rt = draw(st.sampled_from(served_kinds()))
    method = draw(st.sampled_from(["GET", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]))
    item = draw(st.booleans()) or method in ("PUT", "PATCH")
    path = seed_path(rt).encode() if item else rt.path(FUZZ_NS if rt.namespaced
                                                        else None).encode()
    if method == "DELETE" and not item:
        path += b"?labelSelector=fuzz%3Dnever"
    if method == "GET" and draw(st.integers(0, 4)) == 0:
        path += b"?watch=true&timeoutSeconds=1" if not item else b"?watch=1"
    body, ctype = _body_for(rt, method, item)
    headers: list[tuple[bytes, bytes]] = []
    if draw(st.booleans()):
        headers.append((b"Accept", draw(st.sampled_from(ACCEPTS))))
    if body or draw(st.integers(0, 3)) == 0:
        chosen = draw(st.sampled_from([ctype] * 4 + CTYPES)) if ctype else draw(
            st.sampled_from(CTYPES))
        if chosen:
            headers.append((b"Content-Type", chosen))
    if draw(st.integers(0, 2)) == 0:
        encoding = draw(st.sampled_from(ENCODINGS))
        headers.append((b"Content-Encoding", encoding))
        body = _compressed(draw, encoding, body or b"{}")
    # Only Accept may repeat: a second User-Agent or Content-Type is a malformed request.
    for name, value in draw(st.lists(st.sampled_from([
            (b"Impersonate-User", b"system:anonymous"), (b"Impersonate-Group", b"system:masters"),
            (b"X-Remote-User", b"admin"), (b"Expect", b"100-continue"),
            (b"X-HTTP-Method-Override", b"DELETE"), (b"User-Agent", b""),
            (b"User-Agent", b"x" * 5000), (b"User-Agent", b"\xff\xfe/1.0"),
            (b"User-Agent", b"kubectl/v1.32.0 (linux/amd64)"), (b"Accept-Encoding", b"gzip"),
            (b"X-Big", b"y" * 8100), (b"X-!#$%&'*+-.^_`|~", b"odd name"),
            (b"Accept", b"text/html")]), max_size=3)):
        if name == b"Accept" or all(name.lower() != n.lower() for n, _ in headers):
            headers.append((name, value))
    auth = draw(st.sampled_from(AUTHS))
    if isinstance(auth, bytes) and b"<token>" in auth:
        auth = auth.replace(b"<token>", TOKEN_MARK)
    plan_headers = tuple(headers)
    request = Request(method, path, plan_headers, body, authorization=auth)
    return Plan("headers", request, rt=rt, item_path=seed_path(rt).encode() if item else b"",
                collection_ns=(FUZZ_NS if rt.namespaced else None) if not item else None,
                seeds=(rt,) if item else (), note="headers")
