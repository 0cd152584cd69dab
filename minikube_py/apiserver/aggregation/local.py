"""Local APIServices: one per group-version the apiserver serves itself, named
``<version>.<group>`` (``v1.`` for the core group), with the group and version priorities
Kubernetes' autoregister gives the built-in groups, ``Available`` because they are local.

:class:`LocalAPIServices` is a small controller in the apiserver: :meth:`sync` makes the
stored APIServices match the registry (creates what is missing, restores what differs,
deletes automanaged ones whose group-version is no longer served); :meth:`run` syncs again
whenever :meth:`notify` says the registry changed (custom resources: the registry's change
hook should call it) and every few seconds as a resync.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from minikube_py.api.errors import AlreadyExists, Conflict, NotFound, StatusError
from minikube_py.api.registry import Registry, ResourceType
from minikube_py.apiserver.options import DeleteOptions, WriteOptions
from minikube_py.apiserver.rest import RestStorage
from minikube_py.util import clock

log = logging.getLogger(__name__)

AUTOMANAGED = "kube-aggregator.kubernetes.io/automanaged"
MANAGER = "kube-apiserver"
RESYNC_INTERVAL = 5.0

# Kubernetes' autoregister priorities (group minimum, version) of built-in group-versions.
PRIORITIES: dict[tuple[str, str], tuple[int, int]] = {
    ("", "v1"): (18000, 1),
    ("apiregistration.k8s.io", "v1"): (18000, 1),
    ("apps", "v1"): (17800, 15),
    ("events.k8s.io", "v1"): (17750, 15),
    ("authentication.k8s.io", "v1"): (17700, 15),
    ("authorization.k8s.io", "v1"): (17600, 15),
    ("autoscaling", "v1"): (17500, 15),
    ("autoscaling", "v2"): (17500, 30),
    ("batch", "v1"): (17400, 15),
    ("certificates.k8s.io", "v1"): (17300, 15),
    ("networking.k8s.io", "v1"): (17200, 15),
    ("policy", "v1"): (17100, 15),
    ("rbac.authorization.k8s.io", "v1"): (17000, 15),
    ("storage.k8s.io", "v1"): (16800, 15),
    ("apiextensions.k8s.io", "v1"): (16700, 15),
    ("admissionregistration.k8s.io", "v1"): (16700, 15),
    ("scheduling.k8s.io", "v1"): (16600, 15),
    ("coordination.k8s.io", "v1"): (16500, 15),
    ("node.k8s.io", "v1"): (16300, 15),
    ("discovery.k8s.io", "v1"): (16200, 15),
    ("flowcontrol.apiserver.k8s.io", "v1"): (16100, 21),
}
# Group-versions of custom resources get what Kubernetes' CRD registration gives them.
CUSTOM_PRIORITY = (1000, 100)


def api_service_name(group: str, version: str) -> str:
    return f"{version}.{group}"


def local_api_service(group: str, version: str) -> dict[str, Any]:
    """The APIService of a group-version this apiserver serves."""
    group_min, version_priority = PRIORITIES.get((group, version), CUSTOM_PRIORITY)
    return {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
            "metadata": {"name": api_service_name(group, version),
                         "labels": {AUTOMANAGED: "onstart"}},
            "spec": {"group": group, "version": version,
                     "groupPriorityMinimum": group_min, "versionPriority": version_priority}}


def _available() -> dict[str, Any]:
    return {"type": "Available", "status": "True", "lastTransitionTime": clock.rfc3339(),
            "reason": "Local", "message": "Local APIServices are always available"}


class LocalAPIServices:
    """Keeps one Local APIService per served group-version (see the module docstring)."""

    def __init__(self, rest: RestStorage, registry: Registry) -> None:
        self.rest = rest
        self.registry = registry
        self.rt: ResourceType = registry.require("apiregistration.k8s.io", "v1", "apiservices")
        self._changed = asyncio.Event()

    def notify(self) -> None:
        """The registry changed (a group-version came or went): sync soon."""
        self._changed.set()

    def served(self) -> set[tuple[str, str]]:
        return {(g, v) for g, versions in self.registry.groups().items() for v in versions}

    async def run(self) -> None:
        """The controller's loop: sync when the registry changes (:meth:`notify`) and every
        RESYNC_INTERVAL (a sync that finds everything in place only reads memory), so a
        group-version added at runtime, or a Local APIService deleted, is back soon."""
        while True:
            self._changed.clear()
            try:
                await self.sync()
            except StatusError as exc:  # raced another writer: the next round settles it
                log.debug("local APIServices: %s", exc)
            except Exception:  # a bug in one round must not stop the next
                log.exception("local APIServices sync failed")
            try:
                async with asyncio.timeout(RESYNC_INTERVAL):
                    await self._changed.wait()
            except TimeoutError:
                pass

    async def sync(self) -> None:
        """Make the stored Local APIServices match what the registry serves."""
        served = self.served()
        # Together: the store commits concurrent writes as one batch (a fresh start writes
        # two dozen).
        await asyncio.gather(*(self._ensure(local_api_service(group, version))
                               for group, version in sorted(served)))
        for obj in self.rest.find_all(self.rt):
            spec = obj.get("spec") or {}
            labels = (obj.get("metadata") or {}).get("labels") or {}
            if spec.get("service") is None and labels.get(AUTOMANAGED) and \
                    (spec.get("group", ""), spec.get("version", "")) not in served:
                await self._delete(obj["metadata"]["name"])

    async def _ensure(self, wanted: dict[str, Any]) -> None:
        name = wanted["metadata"]["name"]
        opts = WriteOptions(dry_run=False, field_validation="Strict", field_manager=MANAGER,
                            force=None)
        current = self.rest.find(self.rt, "", name)
        try:
            if current is None:
                current = (await self.rest.create(self.rt, "", wanted, opts=opts,
                                                  manager=MANAGER)).obj
            elif current.get("spec") != wanted["spec"] and \
                    (current.get("spec") or {}).get("service") is None:
                current["spec"] = wanted["spec"]
                current = (await self.rest.update(self.rt, "", name, current, opts=opts,
                                                  manager=MANAGER)).obj
            if not _is_available(current):
                current["status"] = {"conditions": [_available()]}
                await self.rest.update(self.rt, "", name, current, opts=opts, manager=MANAGER,
                                       subresource="status")
        except (AlreadyExists, Conflict) as exc:  # someone else wrote it meanwhile
            log.debug("local APIService %s changed while syncing: %s", name, exc)
            self.notify()

    async def _delete(self, name: str) -> None:
        try:
            await self.rest.delete(self.rt, "", name, DeleteOptions())
        except NotFound:
            pass


def _is_available(obj: dict[str, Any]) -> bool:
    return any(c.get("type") == "Available" and c.get("status") == "True"
               for c in (obj.get("status") or {}).get("conditions") or [])
