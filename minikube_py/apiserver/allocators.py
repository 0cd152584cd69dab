"""Cluster-wide allocations the apiserver makes on create and update (Kubernetes keeps these
in its service REST storage): a kind's strategy names them in ``allocations``, and the REST
layer enters ``allocator.allocate(obj, old)`` around the write (``old`` is None on create).

``cluster-ip``: a Service gets a free address from 10.96.0.0/16 (unless headless or
ExternalName); a requested address must be in range and free.
``node-port``: every port of a NodePort or LoadBalancer Service gets a free port of
30000-32767; a requested one must be free (422, ``spec.ports[i].nodePort``: "provided port is
already allocated"), and an update keeps the ports it had where the new spec leaves them
empty (Kubernetes' patchAllocatedValues).

Allocations are kept in the store, so apiservers sharing one (etcd) never hand out a value
twice: each value taken is a claim object ``/registry/ranges/serviceips/<ip>`` or
``/registry/ranges/servicenodeports/<port>`` (Kubernetes' per-address IPAddress objects),
made by create-if-absent, naming its Service (store key and uid). A claim is released
implicitly: it is taken over (compare-and-swap) once it is stale: its Service is gone (a
delete this apiserver saw), replaced (another uid), or was written after the claim without
the value (an update or type change dropped it); or, for claims whose write never came (a
refused write is released at once; a crashed apiserver's is not), after ``CLAIM_GRACE``. A
claim in use and a value a stored Service holds are never handed out. Within one apiserver a
value is also reserved while it is being claimed, so concurrent writes rarely collide.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from minikube_py.api.errors import Invalid
from minikube_py.api.validation.base import invalid
from minikube_py.store.errors import StoreError
from minikube_py.store.interface import Decision, Entry, Keep, Remove, Storage, Write
from minikube_py.store.watch import DELETED, Event

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/16")
FIRST_OFFSET = 10  # 10.96.0.1..9 are kept for the system (the kubernetes Service is .1)

NODE_PORT_RANGE = (30000, 32767)
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")

IP_CLAIMS = "/registry/ranges/serviceips/"
PORT_CLAIMS = "/registry/ranges/servicenodeports/"
CLAIM_GRACE = 60.0  # seconds after which a claim its Service does not hold is free
RECENT_DELETES = 10_000  # uids of deleted Services remembered (their claims are free)

Lister = Callable[[], list[dict[str, Any]]]


class _Taken(Exception):
    """The value is claimed by a live Service."""


class Claims:
    """The claim objects of one range in the store (see the module docstring)."""

    def __init__(self, store: Storage, prefix: str, services_prefix: str,
                 holds: Callable[[dict[str, Any], str], bool]) -> None:
        self.store = store
        self.prefix = prefix
        self.services_prefix = services_prefix
        self.holds = holds
        self.deleted: deque[str] = deque(maxlen=RECENT_DELETES)
        self._deleted_set: set[str] = set()
        store.on_commit.append(self._observe)

    def _observe(self, events: list[Event]) -> None:
        """Remember the uids of deleted Services (from every apiserver's writes)."""
        for event in events:
            if event.type == DELETED and event.key.startswith(self.services_prefix):
                uid = str((event.object.get("metadata") or {}).get("uid") or "")
                if len(self.deleted) == self.deleted.maxlen:
                    self._deleted_set.discard(self.deleted[0])
                self.deleted.append(uid)
                self._deleted_set.add(uid)

    def owner_key(self, obj: dict[str, Any]) -> str:
        namespace, name = _key(obj)
        return f"{self.services_prefix}{namespace}/{name}"

    def _stale(self, claim: dict[str, Any], entry: Entry, value: str) -> bool:
        age = time.time() - float(claim.get("claimedAt") or 0)
        owner = self.store.get(str(claim.get("owner") or ""))
        if owner is None:
            return claim.get("uid") in self._deleted_set or age > CLAIM_GRACE
        obj = owner.decode()
        if (obj.get("metadata") or {}).get("uid") != claim.get("uid"):
            return True  # replaced by another Service of that name
        if self.holds(obj, value):
            return False
        return owner.mod_rev > entry.mod_rev or age > CLAIM_GRACE

    async def claim(self, value: str, obj: dict[str, Any], *, dry_run: bool = False) -> bool:
        """Claim ``value`` for ``obj`` (True), or False when a live Service holds it. A dry
        run only looks."""
        uid = str((obj.get("metadata") or {}).get("uid") or "")
        body = {"owner": self.owner_key(obj), "uid": uid, "value": value,
                "claimedAt": time.time()}

        async def decide(entry: Entry | None) -> Decision:
            if entry is None:
                return Keep(body) if dry_run else Write(body)
            claim = entry.decode()
            if claim.get("uid") == uid:
                return Keep(claim)  # ours already (an update keeping its value)
            if not self._stale(claim, entry, value):
                raise _Taken(value)
            return Keep(body) if dry_run else Write(body)

        try:
            await self.store.guaranteed_update(self.prefix + value, decide, create=True)
        except _Taken:
            return False
        return True

    async def release(self, value: str, obj: dict[str, Any]) -> None:
        """Drop our claim of ``value`` (its write was refused); best effort."""
        uid = (obj.get("metadata") or {}).get("uid")

        async def decide(entry: Entry | None) -> Decision:
            if entry is not None and entry.decode().get("uid") == uid:
                return Remove()
            return Keep({})

        with contextlib.suppress(StoreError):
            await self.store.guaranteed_update(self.prefix + value, decide, create=True)


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _holds_ip(service: dict[str, Any], value: str) -> bool:
    spec = service.get("spec") or {}
    return spec.get("clusterIP") == value or value in (spec.get("clusterIPs") or [])


def _holds_port(service: dict[str, Any], value: str) -> bool:
    return int(value) in node_ports(service)


class ClusterIPAllocator:
    """Allocates Service cluster IPs; ``existing`` lists the stored Services."""

    def __init__(self, existing: Lister, store: Storage, services_prefix: str) -> None:
        self._existing = existing
        self._reserved: set[str] = set()
        self.claims = Claims(store, IP_CLAIMS, services_prefix, _holds_ip)

    @contextlib.asynccontextmanager
    async def allocate(self, obj: dict[str, Any], old: dict[str, Any] | None = None, *,
                       dry_run: bool = False) -> AsyncIterator[None]:
        """Give ``obj`` its cluster IP for the duration of its write (an update only when
        it had none, e.g. from ExternalName); a write that fails releases it."""
        if old is not None and ((old.get("spec") or {}).get("clusterIP") or
                                (obj.get("spec") or {}).get("type") == "ExternalName"):
            yield
            return
        claimed = await self._assign(obj, dry_run)
        try:
            yield
        except BaseException:
            if claimed and not dry_run:
                await self.claims.release(claimed, obj)
            raise

    async def _assign(self, obj: dict[str, Any], dry_run: bool) -> str | None:
        spec = obj.setdefault("spec", {})
        if spec.get("type") == "ExternalName":
            return None
        requested = spec.get("clusterIP")
        if requested == "None":
            spec["clusterIPs"] = ["None"]
            return None
        taken = {(s.get("spec") or {}).get("clusterIP") for s in self._existing()}
        taken |= self._reserved
        name = obj["metadata"]["name"]
        if requested:
            self._check_requested(name, requested, taken)
            if not await self.claims.claim(str(requested), obj, dry_run=dry_run):
                self._check_requested(name, requested, {requested})
            spec["clusterIPs"] = [requested]
            return str(requested)
        first, size = FIRST_OFFSET, SERVICE_CIDR.num_addresses - 1 - FIRST_OFFSET
        start = random.randrange(size)  # random, as Kubernetes: apiservers rarely collide
        for step in range(size):
            candidate = str(SERVICE_CIDR.network_address + first + (start + step) % size)
            if candidate in taken or candidate in self._reserved:
                continue
            self._reserved.add(candidate)
            try:
                won = await self.claims.claim(candidate, obj, dry_run=dry_run)
            finally:
                self._reserved.discard(candidate)
            if won:
                spec["clusterIP"] = candidate
                spec["clusterIPs"] = [candidate]
                return candidate
        raise Invalid.of("", "Service", name, [invalid(
            "spec.clusterIPs", [], "failed to allocate a serviceIP: range is full")])

    @staticmethod
    def _check_requested(name: str, requested: Any, taken: set[Any]) -> None:
        try:
            ip = ipaddress.ip_address(requested)
        except ValueError:
            ip = None
        if ip is None or ip not in SERVICE_CIDR:
            raise Invalid.of("", "Service", name, [invalid(
                "spec.clusterIPs", [requested],
                f"failed to allocate IP {requested}: the provided IP ({requested}) is not in "
                f"the valid range. The range of valid IPs is {SERVICE_CIDR}")])
        if requested in taken:
            raise Invalid.of("", "Service", name, [invalid(
                "spec.clusterIPs", [requested],
                f"failed to allocate IP {requested}: provided IP is already allocated")])


class NodePortAllocator:
    """Allocates Service node ports; ``existing`` lists the stored Services."""

    def __init__(self, existing: Lister, store: Storage, services_prefix: str) -> None:
        self._existing = existing
        self._reserved: set[int] = set()
        self.claims = Claims(store, PORT_CLAIMS, services_prefix, _holds_port)

    @contextlib.asynccontextmanager
    async def allocate(self, obj: dict[str, Any], old: dict[str, Any] | None = None, *,
                       dry_run: bool = False) -> AsyncIterator[None]:
        """Give every port of ``obj`` its node port for the duration of its write."""
        claimed = await self._assign(obj, old, dry_run)
        try:
            yield
        except BaseException:
            if not dry_run:
                for port in claimed:
                    await self.claims.release(str(port), obj)
            raise

    def _taken(self, key: tuple[str, str]) -> set[int]:
        taken = set(self._reserved)
        for service in self._existing():
            if _key(service) != key:
                taken |= node_ports(service)
        return taken

    async def _assign(self, obj: dict[str, Any], old: dict[str, Any] | None,
                      dry_run: bool) -> set[int]:
        spec = obj.get("spec") or {}
        if spec.get("type") not in NODE_PORT_TYPES:
            return set()
        ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
        if old is not None and (old.get("spec") or {}).get("type") in NODE_PORT_TYPES:
            had = {(p.get("protocol") or "TCP", p.get("port")): p.get("nodePort")
                   for p in (old.get("spec") or {}).get("ports") or [] if isinstance(p, dict)}
            for port in ports:
                if not port.get("nodePort"):
                    kept = had.get((port.get("protocol") or "TCP", port.get("port")))
                    if kept:
                        port["nodePort"] = kept
        own = node_ports(old) if old is not None else set()
        taken = self._taken(_key(obj))
        name = _key(obj)[1]
        chosen: set[int] = set()
        claimed: set[int] = set()
        try:
            for i, port in enumerate(ports):
                requested = port.get("nodePort")
                if requested:
                    if requested in taken or requested in chosen or not \
                            await self.claims.claim(str(requested), obj, dry_run=dry_run):
                        raise Invalid.of("", "Service", name, [invalid(
                            f"spec.ports[{i}].nodePort", requested,
                            "provided port is already allocated")])
                    chosen.add(requested)
                    claimed.add(requested)
            for port in ports:
                if not port.get("nodePort"):
                    port["nodePort"] = await self._free(taken | chosen, name, obj, dry_run)
                    chosen.add(port["nodePort"])
                    claimed.add(port["nodePort"])
        except BaseException:
            if not dry_run:
                for value in claimed - own:
                    await self.claims.release(str(value), obj)
            raise
        return claimed - own

    async def _free(self, taken: set[int], name: str, obj: dict[str, Any],
                    dry_run: bool) -> int:
        low, high = NODE_PORT_RANGE
        size = high - low + 1
        start = random.randrange(size)
        for step in range(size):
            candidate = low + (start + step) % size
            if candidate in taken or candidate in self._reserved:
                continue
            self._reserved.add(candidate)
            try:
                won = await self.claims.claim(str(candidate), obj, dry_run=dry_run)
            finally:
                self._reserved.discard(candidate)
            if won:
                return candidate
        raise Invalid.of("", "Service", name, [invalid(
            "spec.ports[0].nodePort", 0, "failed to allocate a nodePort: range is full")])


def node_ports(service: dict[str, Any] | None) -> set[int]:
    """The node ports a stored Service holds."""
    spec = (service or {}).get("spec") or {}
    return {int(p["nodePort"]) for p in spec.get("ports") or []
            if isinstance(p, dict) and isinstance(p.get("nodePort"), int) and p["nodePort"]}
