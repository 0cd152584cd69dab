"""A fake clientset for controller unit tests (client-go's ``fake.Clientset`` with its object
tracker): a Transport that serves get/list/create/update/patch/delete from an in-memory
store, records every request as an :class:`Action`, and can be told to refuse some.

Controllers are built on a :class:`SharedInformerFactory` whose informers are never
started: tests seed their caches (:meth:`FakeCluster.seed`), run ``reconcile`` once and
assert the actions; :meth:`FakeCluster.sync_caches` then plays the informers catching up
with what the fake store holds, for tests that step a rollout.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from minikube_py.api.errors import AlreadyExists, Conflict, NotFound, StatusError
from minikube_py.api.machinery.patch import merge_patch
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory

Object = dict[str, Any]


@dataclass
class Action:
    verb: str  # create, update, patch, delete, get, list
    resource: str  # plural
    namespace: str
    name: str
    subresource: str = ""
    body: Any = None

    def __repr__(self) -> str:
        sub = f"/{self.subresource}" if self.subresource else ""
        return f"<{self.verb} {self.resource}{sub} {self.namespace}/{self.name}>"


def _parse(path: str) -> tuple[str, str, str, str]:
    """(plural, namespace, name, subresource) of a REST path."""
    parts = [p for p in path.split("/") if p]
    parts = parts[2:] if parts[0] == "api" else parts[3:]
    namespace = ""
    if parts and parts[0] == "namespaces" and len(parts) > 2:
        namespace, parts = parts[1], parts[2:]
    plural = parts[0]
    name = parts[1] if len(parts) > 1 else ""
    sub = parts[2] if len(parts) > 2 else ""
    return plural, namespace, name, sub


@dataclass
class FakeCluster:
    """The fake API: objects by (plural, namespace, name), and what was asked of it."""

    objects: dict[tuple[str, str, str], Object] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    refuse: dict[tuple[str, str], StatusError] = field(default_factory=dict)  # (verb, plural)
    clock: str = "2026-01-01T00:00:00Z"
    _rv: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.client = Client(self)
        self.informers = SharedInformerFactory(self.client)

    # -- the Transport ---------------------------------------------------------------------

    async def send(self, req: ApiRequest) -> ApiResponse:
        plural, namespace, name, sub = _parse(req.path)
        body = json.loads(req.body) if req.body else None
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete",
                "GET": "get" if name else "list"}[req.method]
        self.actions.append(Action(verb, plural, namespace,
                                   name or ((body or {}).get("metadata") or {}).get("name", ""),
                                   sub, body))
        refused = self.refuse.get((verb, plural))
        try:
            if refused is not None:
                raise refused
            return ApiResponse(200, self._serve(verb, plural, namespace, name, body))
        except StatusError as err:
            return ApiResponse(err.code, err.to_status())

    async def close(self) -> None:
        return None

    def _serve(self, verb: str, plural: str, namespace: str, name: str, body: Any) -> Any:
        key = (plural, namespace, name)
        if verb == "list":
            return {"metadata": {"resourceVersion": "1"}, "items": [
                copy.deepcopy(o) for (p, ns, _), o in sorted(self.objects.items())
                if p == plural and ns == namespace]}
        if verb == "create":
            return self.put(plural, body, namespace=namespace, create=True)
        if key not in self.objects:
            raise NotFound(f'{plural} "{name}" not found')
        if verb == "get":
            return copy.deepcopy(self.objects[key])
        if verb == "delete":
            del self.objects[key]
            return {"kind": "Status", "status": "Success"}
        if verb == "patch":
            body = merge_patch(copy.deepcopy(self.objects[key]), body)
        return self.put(plural, body, namespace=namespace)

    def put(self, plural: str, obj: Object, *, namespace: str = "",
            create: bool = False) -> Object:
        """Store ``obj`` as the apiserver would (names, uid, resourceVersion, generation)."""
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        rt = REGISTRY.resolve(plural)
        meta.setdefault("namespace", "" if rt is not None and not rt.namespaced
                        else namespace or "default")
        if not meta.get("name"):
            meta["name"] = f"{meta.get('generateName', 'x-')}{next(self._names):05d}"
        key = (plural, meta["namespace"], meta["name"])
        if create and key in self.objects:
            raise AlreadyExists(f'{plural} "{meta["name"]}" already exists')
        old = self.objects.get(key)
        sent_rv = meta.get("resourceVersion")
        if old is not None and sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
            raise Conflict(f'Operation cannot be fulfilled on {plural} "{meta["name"]}": the '
                           "object has been modified; please apply your changes to the "
                           "latest version and try again")
        if old is not None:
            meta["uid"] = old["metadata"]["uid"]
        meta.setdefault("uid", f"uid-{meta['name']}")
        meta.setdefault("creationTimestamp", self.clock)
        if old is None:
            meta.setdefault("generation", 1)
        elif old.get("spec") != obj.get("spec"):
            meta["generation"] = int(old["metadata"].get("generation") or 1) + 1
        meta["resourceVersion"] = str(next(self._rv))
        self.objects[key] = obj
        return copy.deepcopy(obj)

    # -- test helpers ----------------------------------------------------------------------

    def seed(self, rt: ResourceType, *objs: Object) -> list[Object]:
        """Put objects in the store and in the informer's cache."""
        stored = [self.put(rt.plural, o) for o in objs]
        indexer = self.informers.informer_for(rt).indexer
        for obj in stored:
            indexer.add(obj)
        return stored

    def sync_caches(self) -> None:
        """Make every informer's cache what the store holds now."""
        for rt_key in {p for p, _, _ in self.objects} | {"pods", "replicasets", "deployments"}:
            rt = REGISTRY.resolve(rt_key)
            if rt is None:
                continue
            indexer = self.informers.informer_for(rt).indexer
            items = [copy.deepcopy(o) for (p, _, _), o in self.objects.items() if p == rt_key]
            indexer.replace(items, "1")

    def get(self, plural: str, name: str, namespace: str = "default") -> Object:
        return self.objects[(plural, namespace, name)]

    def of(self, plural: str) -> list[Object]:
        return [o for (p, _, _), o in sorted(self.objects.items()) if p == plural]

    def writes(self, *, resource: str | None = None) -> list[Action]:
        """The actions that changed something, in order."""
        return [a for a in self.actions if a.verb in ("create", "update", "patch", "delete")
                and (resource is None or a.resource == resource)]

    def clear(self) -> None:
        self.actions.clear()
