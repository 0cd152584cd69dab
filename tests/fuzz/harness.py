"""The fuzz harness: runs one :class:`Plan` against the daemon and checks every property.

A strategy (``strategies_*.py``) draws a plan: one hostile request plus what the harness
needs to judge it (the kind and item it addresses, whether a 2xx would be wrong, whether it is
an attack on the sentinels). :meth:`Fuzzer.run` then

1. makes sure the seed objects the request addresses exist (``seed`` in ``fuzz-a``, built
   from ``examples.py``) and notes their resourceVersions;
2. sends the request on the hostile connection and checks the answer (an answer within 10 s,
   5 s for a small request; no 5xx; errors are ``metav1.Status``; HEAD has no body; watch
   streams are JSON events; no 2xx for what Kubernetes refuses);
3. sends ``GET /version`` on the same connection (keep-alive still usable), and names a
   failure of the daemon by the traceback it left in the daemon's log;
4. reads back what a 2xx write stored and validates it as the apiserver would; checks that a
   refused or dry-run write changed nothing;
5. for attacks (and every 200 examples), compares the sentinel objects (namespace
   ``sentinel`` and objects in it, a ConfigMap in ``kube-system``, a Node), which the fuzzer
   never writes on purpose, with their baseline.

Harness requests go on a second connection so that a broken hostile connection never hides
what the store holds. The fuzzer writes only to namespaces and cluster objects named
``fuzz-*``; everything else it sends is an attack whose refusal the sentinel check covers.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minikube_py.api.registry import REGISTRY, ResourceType
from tests.conftest import RunningDaemon
from tests.fuzz import oracle
from tests.fuzz.examples import example
from tests.fuzz.oracle import Violation, violation
from tests.fuzz.report import Stats
from tests.fuzz.wire import Connection, Request, Response, WireError

FUZZ_NS = "fuzz-a"
SENTINEL_NS = "sentinel"
SENTINEL_LABEL = "fuzz-sentinel"
SEED = "seed"
JSON = ((b"Content-Type", b"application/json"),)
MERGE = ((b"Content-Type", b"application/merge-patch+json"),)
WRITES = ("POST", "PUT", "PATCH", "DELETE")
RECOVERY = 120.0  # seconds the harness waits for a stalled server before giving up
SLOW = 5.0  # seconds: an answer slower than this to a request under 1 MiB is a stall


def seed_name(rt: ResourceType) -> str:
    """The fuzz seed of a kind: ``seed`` in ``fuzz-a``, or ``fuzz-seed`` when cluster-wide."""
    return SEED if rt.namespaced else "fuzz-seed"


def seed_path(rt: ResourceType, subresource: str = "") -> str:
    return rt.path(FUZZ_NS if rt.namespaced else None, seed_name(rt), subresource or None)


def kind(group: str, kind_name: str) -> ResourceType:
    for rt in REGISTRY:
        if rt.group == group and rt.kind == kind_name:
            return rt
    raise KeyError(kind_name)


@dataclass(frozen=True, repr=False)
class Plan:
    """One hostile request and how to judge it.

    ``item_path`` is the raw path of the object the request addresses (without its
    subresource), ``collection_ns`` the namespace of a collection request (``None`` for a
    cluster-wide one). ``must_refuse`` says why a 2xx would be wrong; ``attack`` why the
    sentinels must not change; ``dry_run`` that the store must not change at all.
    """

    strategy: str
    request: Request
    rt: ResourceType | None = None
    item_path: bytes = b""
    collection_ns: str | None = None
    seeds: tuple[ResourceType, ...] = ()
    must_refuse: str = ""
    attack: str = ""
    dry_run: bool = False
    note: str = ""

    def __repr__(self) -> str:
        flags = [f"{k}={v!r}" for k, v in (("must_refuse", self.must_refuse),
                                            ("attack", self.attack), ("note", self.note)) if v]
        return f"Plan({self.strategy!r}, {self.request.literal()[:3000]}, {', '.join(flags)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How Hypothesis prints a falsifying example: the request, not every field."""
        printer.text(repr(self))


@dataclass(frozen=True)
class Sentinel:
    rt: ResourceType
    namespace: str | None
    name: str

    @property
    def path(self) -> str:
        return self.rt.path(self.namespace, self.name)


def _sentinels() -> list[Sentinel]:
    ns = kind("", "Namespace")
    return [Sentinel(ns, None, SENTINEL_NS),
            *(Sentinel(kind(g, k), SENTINEL_NS, f"sentinel-{k.lower()}") for g, k in (
                ("", "ConfigMap"), ("", "Secret"), ("", "Service"), ("", "Pod"),
                ("apps", "Deployment"), ("coordination.k8s.io", "Lease"))),
            Sentinel(kind("", "ConfigMap"), "kube-system", "fuzz-sentinel"),
            Sentinel(kind("", "Node"), None, "fuzz-sentinel-node")]


_FRAME = re.compile(r'File "(?P<file>[^"]+)", line \d+, in (?P<func>\S+)')
# Failures whose cause lives in the daemon (its log says where), not in the request alone.
# Methods aiohttp's (llhttp's) parser knows; any other token ends the connection after its 405.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
                           "TRACE", "CONNECT"})
_BLAMED = ("5xx:", "wire:", "keepalive:", "not-status:", "unanswered-")


class DaemonLog:
    """The daemon's log from where we last looked: the traceback a failure left behind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size

    def since(self) -> str:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            data = f.read(1 << 20)
        self.offset += len(data)
        return data.decode("utf-8", "replace")


def blame(log: str) -> str:
    """``RecursionError@apiserver.rest:compose_node``: the first traceback in ``log``, by its
    exception and the deepest frame of our own code in it (``@aiohttp`` if there is none)."""
    start = log.find("Traceback (most recent call last):")
    if start < 0:
        return ""
    block = log[start:].split("\n\n", 1)[0].splitlines()[1:]
    frames = [m for m in (_FRAME.search(line) for line in block) if m]
    ours = [m for m in frames if "/minikube_py/" in m["file"]]
    exc = next((ln for ln in block if ln and not ln.startswith(" ")), "")
    name = exc.split(":", 1)[0].rsplit(".", 1)[-1] or "?"
    if name in ("TypeError", "ValueError"):  # generic: their words tell causes apart
        words = re.findall(r"[A-Za-z]+", exc.partition(":")[2])[:4]
        name += f"({' '.join(words)})"
    if not ours:
        return f"{name}@aiohttp"
    where = ours[-1]["file"].split("/minikube_py/", 1)[1].removesuffix(".py").replace("/", ".")
    return f"{name}@{where}:{ours[-1]['func']}"


@dataclass
class Fuzzer:
    """Runs plans against one daemon; ``collect`` keeps going after a violation."""

    daemon: RunningDaemon
    collect: bool = False
    stats: Stats = field(default_factory=Stats)
    sentinels: list[Sentinel] = field(default_factory=_sentinels)

    def __post_init__(self) -> None:
        cafile = str(self.daemon.data_dir / "ca.crt")
        self.hostile = Connection(self.daemon.port, self.daemon.token, cafile)
        self.admin = Connection(self.daemon.port, self.daemon.token, cafile)
        self.baseline: dict[str, tuple[str, str] | None] = {}
        self.log = DaemonLog(self.daemon.data_dir / "test-daemon.log")
        self.examples_run = 0
        self.seen_strategies: set[str] = set()

    # -- harness requests --------------------------------------------------------------------

    def call(self, method: str, path: str, body: Any = None, *,
             headers: tuple[tuple[bytes, bytes], ...] = JSON) -> tuple[int, Any]:
        """A well-formed request on the admin connection; the body is JSON if it is one."""
        self.stats.harness += 1
        data = body if isinstance(body, bytes) else (
            json.dumps(body).encode() if body is not None else b"")
        target = path.encode() if isinstance(path, str) else path
        response = self._admin_send(Request(method, target, headers if data else (), data))
        try:
            return response.status, response.json()
        except ValueError:
            return response.status, response.body

    def _admin_send(self, request: Request) -> Response:
        """Send a harness request, waiting out a server that is busy (up to two minutes)."""
        deadline = time.monotonic() + RECOVERY
        while True:
            try:
                return self.admin.send(request)
            except WireError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def await_server(self) -> float:
        """Seconds until ``GET /version`` answers again (after a request that stalled it)."""
        start = time.monotonic()
        self._admin_send(Request("GET", b"/version"))
        return time.monotonic() - start

    def setup(self) -> None:
        """Namespaces, seeds and sentinels; the sentinel baseline."""
        self.ensure_namespace(FUZZ_NS)
        self.ensure_namespace(SENTINEL_NS, labels={SENTINEL_LABEL: "true"})
        for s in self.sentinels:
            self._create_sentinel(s)
        self.baseline = self.snapshot(self.sentinels)

    def ensure_namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        status, body = self.call("GET", f"/api/v1/namespaces/{name}")
        if status == 200 and not body["metadata"].get("deletionTimestamp"):
            return
        self._wait_gone(f"/api/v1/namespaces/{name}")
        status, body = self.call("POST", "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": labels or {"fuzz": "true"}}})
        assert status in (201, 409), f"cannot create namespace {name}: {status} {body}"
        # The daemon under fuzzing has no controller manager: the ServiceAccount admission
        # needs the account the ServiceAccount controller would have made.
        status, body = self.call("POST", f"/api/v1/namespaces/{name}/serviceaccounts", {
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}})
        assert status in (201, 409), f"cannot create the default account: {status} {body}"

    def _wait_gone(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.call("GET", path)
            if status == 404:
                return
            if status == 200 and body["metadata"].get("finalizers"):
                self.call("PATCH", path, {"metadata": {"finalizers": None}}, headers=MERGE)
            if status == 200 and not body["metadata"].get("deletionTimestamp"):
                self.call("DELETE", path + "?gracePeriodSeconds=0")
            time.sleep(0.1)
        raise AssertionError(f"{path} did not go away in {timeout} s")

    def ensure_seed(self, rt: ResourceType) -> str | None:
        """Make the seed of ``rt`` exist (not being deleted); returns its resourceVersion."""
        path = seed_path(rt)
        status, body = self.call("GET", path)
        if status == 200 and not body["metadata"].get("deletionTimestamp") \
                and not oracle.stored_problems(rt, body):
            return str(body["metadata"].get("resourceVersion"))
        if status == 200:  # being deleted, or left invalid (already reported): start afresh
            self._remove(path)
            self._wait_gone(path)
        obj = example(rt, seed_name(rt), FUZZ_NS)
        status, body = self.call("POST", rt.path(FUZZ_NS if rt.namespaced else None), obj)
        if status == 404 and rt.namespaced:  # the fuzz namespace itself was deleted
            self.ensure_namespace(FUZZ_NS)
            status, body = self.call("POST", rt.path(FUZZ_NS), obj)
        if status != 201:
            return None  # a broken server cannot take its own example: the checks will say
        return str(body["metadata"].get("resourceVersion"))

    def _create_sentinel(self, s: Sentinel) -> None:
        obj = example(s.rt, s.name, s.namespace)
        obj["metadata"].setdefault("labels", {})[SENTINEL_LABEL] = "true"
        status, body = self.call("GET", s.path)
        if status == 200 and not body["metadata"].get("deletionTimestamp"):
            return
        if status == 200:
            self._wait_gone(s.path)
        if s.rt.kind == "Namespace":
            self.ensure_namespace(s.name, labels={SENTINEL_LABEL: "true"})
            return
        self.call("POST", s.rt.path(s.namespace), obj)

    def snapshot(self, which: Iterable[Sentinel]) -> dict[str, tuple[str, str] | None]:
        """Path -> (uid, resourceVersion) of each sentinel, None if it is gone."""
        state: dict[str, tuple[str, str] | None] = {}
        for s in which:
            status, body = self.call("GET", s.path)
            if status != 200:
                state[s.path] = None
                continue
            meta = body["metadata"]
            rv = str(meta.get("resourceVersion"))
            state[s.path] = (str(meta.get("uid")), "terminating" if meta.get(
                "deletionTimestamp") else rv)
        return state

    # -- one plan ----------------------------------------------------------------------------

    def run(self, plan: Plan) -> list[Violation]:
        """Send the plan's request and check every property; raise unless collecting."""
        if plan.strategy not in self.seen_strategies:
            self.seen_strategies.add(plan.strategy)
            self.stats.durations.setdefault(plan.strategy, 0.0)
        start = time.monotonic()
        found: list[Violation] = []
        try:
            self._run(plan, found)
        finally:
            self.stats.durations[plan.strategy] += time.monotonic() - start
        for v in found:
            self.stats.record(plan.strategy, v)
        if found and not self.collect:
            raise found[0]
        return found

    def _run(self, plan: Plan, found: list[Violation]) -> None:
        self.examples_run += 1
        before = {rt.kind: self.ensure_seed(rt) for rt in plan.seeds}
        listed = self._names(plan) if plan.request.method == "POST" else None
        request = plan.request
        response: Response | None = None
        self.log.mark()
        try:
            response = self.hostile.send(request)
        except WireError as exc:
            kind_of = _wire_kind(exc)
            detail = str(exc)
            if kind_of == "timeout":
                detail += f"; the server answered again {self.await_server():.1f} s later"
            found.append(violation(f"wire:{kind_of}", "the server answers in HTTP", request,
                                   None, detail))
        if response is not None and response.elapsed > SLOW and len(request.body) < 1 << 20:
            ctype = (request.header(b"content-type") or b"").decode("latin-1")
            found.append(violation(f"slow:{request.method}:{ctype}",
                                   "no small request stalls the apiserver", request, response,
                                   f"answered after {response.elapsed:.1f} s"))
        status = "wire" if response is None else f"{response.status // 100}xx"
        self.stats.count(plan.strategy, status)
        if response is not None:
            _check(found, oracle.check_status_code, request, response)
            _check(found, oracle.check_error_body, request, response)
            _check(found, oracle.check_stream, request, response)
            self._check_connection(plan, response, found)
        self._blame(found)
        if response is not None:
            if 200 <= response.status < 300 and plan.must_refuse:
                found.append(violation(f"accepted:{plan.must_refuse}:{request.method}",
                                       "a request Kubernetes refuses is refused", request,
                                       response, f"answered {response.status}"))
        self._check_store(plan, response, before, listed, found)
        if plan.attack or self.examples_run % 200 == 0:
            self._check_sentinels(plan, response, found)

    def _blame(self, found: list[Violation]) -> None:
        """Name the daemon's own failures by where they happened (from its log)."""
        log = self.log.since()
        # aiohttp's own plain-text refusals say what they are; anything else has a traceback.
        cause = _plain_text(found) or blame(log)
        if not cause:
            return
        for i, v in enumerate(found):
            if v.signature.startswith(_BLAMED):
                tail = log[log.find("Traceback"):][-1200:]
                found[i] = violation(f"{v.signature}:{cause}", v.prop, v.request, v.response,
                                     f"{v.detail}\n  daemon log: ...{tail.strip()}")

    def _check_connection(self, plan: Plan, response: Response,
                          found: list[Violation]) -> None:
        request = plan.request
        if request.method == "HEAD":
            stray = self.hostile.read_stray()
            if stray:
                found.append(violation("head-body", "no body for HEAD", request, response,
                                       f"{len(stray)}+ bytes after the headers: "
                                       f"{stray[:120]!r}"))
                self.hostile.close()
                return
        if response.streamed:
            return  # we hung up on a watch: nothing to reuse
        if response.closed and response.status == 405 and request.method not in KNOWN_METHODS:
            return  # aiohttp's HTTP parser refuses methods it does not know: a 405, then close
        if response.closed:
            found.append(violation(f"keepalive:closed:{response.status}",
                                   "the keep-alive connection is still usable", request,
                                   response, "the server closed the connection"))
            return
        try:
            probe = self.hostile.send(Request("GET", b"/version"), timeout=5.0)
            ok = probe.status == 200 and b"gitVersion" in probe.body
            detail = probe.summary()
        except WireError as exc:
            ok, detail = False, str(exc)
        self.stats.harness += 1
        if not ok:
            found.append(violation(f"keepalive:probe:{response.status}",
                                   "the keep-alive connection is still usable", request,
                                   response, f"GET /version afterwards: {detail}"))
            self.hostile.close()

    # -- the store afterwards ----------------------------------------------------------------

    def _names(self, plan: Plan) -> set[str] | None:
        """Names in the collection a POST addresses (to see what a refused create left)."""
        if plan.rt is None or (plan.collection_ns is None and plan.rt.namespaced):
            return None
        status, body = self.call("GET", plan.rt.path(plan.collection_ns))
        if status != 200:
            return None
        return {o["metadata"]["name"] for o in body.get("items", [])}

    def _check_store(self, plan: Plan, response: Response | None,
                     before: dict[str, str | None], listed: set[str] | None,
                     found: list[Violation]) -> None:
        rt, request = plan.rt, plan.request
        if rt is None or request.method not in WRITES:
            return
        ok = response is not None and 200 <= response.status < 300
        if request.method == "POST":
            self._check_created(plan, response, listed, ok, found)
            if not plan.item_path:
                return
        if plan.item_path:
            code, obj = self.call("GET", plan.item_path)
            rv = obj["metadata"].get("resourceVersion") if code == 200 and isinstance(
                obj, dict) and isinstance(obj.get("metadata"), dict) else None
            seeded = plan.item_path.decode("latin-1") == seed_path(rt) and rt.kind in before
            if seeded and (not ok or plan.dry_run) and str(rv) != str(before[rt.kind]) \
                    and not (code == 404 and before[rt.kind] is None):
                what = "dry-run" if ok else ("refused" if response else "unanswered")
                found.append(violation(
                    f"{what}-but-written:{rt.group}/{rt.kind}:{request.method}",
                    "a refused or dry-run write changes nothing", request, response,
                    f"seed resourceVersion {before[rt.kind]} -> {rv} (GET {code})"))
            if ok and code == 200 and isinstance(obj, dict) and obj.get("kind") == rt.kind:
                _check(found, oracle.check_stored, rt, obj, request, response,
                       plan.item_path.decode("latin-1"))
                if seeded and any(v.signature.startswith("stored-invalid") for v in found):
                    self._remove(seed_path(rt))  # so that no later request is blamed for it
            return
        if ok and request.method == "DELETE" and plan.collection_ns is not None:
            code, body = self.call("GET", rt.path(plan.collection_ns))
            # What this deletecollection left being deleted (not what others wrote before).
            for item in (body.get("items", []) if code == 200 else []):
                if not (item.get("metadata") or {}).get("deletionTimestamp"):
                    continue
                _check(found, oracle.check_stored, rt, item, request, response,
                       f"{rt.path(plan.collection_ns)} item")

    def _check_created(self, plan: Plan, response: Response | None, listed: set[str] | None,
                       ok: bool, found: list[Violation]) -> None:
        rt = plan.rt
        assert rt is not None
        names: set[str] = set()
        if ok and response is not None:
            try:
                meta = response.json()["metadata"]
                names.add(meta["name"])
            except (ValueError, KeyError, TypeError):
                pass
        if listed is not None:
            after = self._names(plan) or set()
            new = after - listed - names
            if new and ok and not names:  # a 2xx in another shape (a Table): it made them
                names |= new
            elif new:
                what = "dry-run" if ok else ("refused" if response else "unanswered")
                found.append(violation(f"{what}-but-written:{rt.group}/{rt.kind}:POST",
                                       "a refused or dry-run write changes nothing",
                                       plan.request, response, f"new objects {sorted(new)}"))
                names |= new
        for name in sorted(names):
            path = rt.path(plan.collection_ns, urllib.parse.quote(name, safe=""))
            code, obj = self.call("GET", path)
            if code == 200:
                if plan.dry_run:
                    found.append(violation(f"dry-run-but-written:{rt.group}/{rt.kind}:POST",
                                           "a dry-run write changes nothing", plan.request,
                                           response, f"{name} exists after a dry-run create"))
                _check(found, oracle.check_stored, rt, obj, plan.request, response, path)
                self._remove(path)

    def _remove(self, path: str) -> None:
        """Delete a fuzz object now, finalizers or not."""
        status, body = self.call("DELETE", path + "?gracePeriodSeconds=0")
        if status == 200 and isinstance(body, dict) and (body.get("metadata") or {}).get(
                "finalizers"):
            self.call("PATCH", path, {"metadata": {"finalizers": None}}, headers=MERGE)

    def _check_sentinels(self, plan: Plan, response: Response | None,
                         found: list[Violation]) -> None:
        scope = self.sentinels if not plan.attack else [
            s for s in self.sentinels if plan.rt is None or s.rt.kind in (
                plan.rt.kind, "Namespace") or s.namespace == "kube-system"]
        now = self.snapshot(scope)
        changed = {p: (self.baseline.get(p), v) for p, v in now.items()
                   if v != self.baseline.get(p)}
        if not changed:
            return
        for path, (old, new) in sorted(changed.items()):
            change = "gone" if new is None else ("terminating" if new[1] == "terminating"
                                                 else "modified")
            why = plan.attack or "not-an-attack"
            found.append(violation(f"sentinel:{why}:{change}",
                                   "a refused request changes nothing (sentinels)",
                                   plan.request, response, f"{path}: {old} -> {new}"))
        for s in self.sentinels:  # all of them: a namespace takes its objects along
            self._create_sentinel(s)
        self.baseline = self.snapshot(self.sentinels)


def _plain_text(found: list[Violation]) -> str:
    """``text:Invalid method encountered``: aiohttp's own plain-text answer, when it logged
    nothing (its words name the failure)."""
    for v in found:
        if v.response is not None and 400 <= v.response.status < 500 and v.response.body \
                and not v.response.body.startswith(b"{"):
            first = v.response.body.split(b"\n", 1)[0].decode("latin-1")
            words = re.sub(r"[^A-Za-z ]", " ", first).split()[:5]
            return "text:" + " ".join(words)
    return ""


def _check(found: list[Violation], fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except Violation as v:
        found.append(v)


def _wire_kind(exc: WireError) -> str:
    text = str(exc)
    if "timed out" in text or "Timeout" in text:
        return "timeout"
    if "closed" in text or "Reset" in text or "EOF" in text:
        return "closed"
    return "malformed"
