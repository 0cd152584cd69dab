"""Claiming children by selector (Kubernetes' ``ControllerRefManager`` in
``pkg/controller/controller_ref_manager.go``): a ReplicaSet claims pods, a Deployment claims
ReplicaSets.

Of the objects in the owner's namespace, the owner keeps those it controls that still match
its selector, releases those it controls that no longer match (removes its ownerReference),
and adopts orphans that match (adds a controller ownerReference). It never adopts while it is
being deleted, and before the first adoption it reads itself afresh from the API (the cache
may be behind a deletion, or the name may now belong to a new object with another uid).
Objects controlled by someone else are left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from minikube_py.api.errors import Conflict, Invalid, NotFound, StatusError
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.registry import ResourceType
from minikube_py.client.base import Client
from minikube_py.controllers.controller_utils import controller_ref, new_controller_ref

log = logging.getLogger(__name__)

Object = dict[str, Any]


class AdoptionRefused(Conflict):
    """The owner cannot adopt: it is gone, replaced, or being deleted."""


class ControllerRefManager:
    """Claims the children of one owner (for one reconcile)."""

    def __init__(self, client: Client, *, owner: Object, owner_rt: ResourceType,
                 child_rt: ResourceType, selector: LabelSelector) -> None:
        self.client = client
        self.owner = owner
        self.owner_rt = owner_rt
        self.child_rt = child_rt
        self.selector = selector
        self._checked: StatusError | bool | None = False  # False: not checked yet

    @property
    def uid(self) -> str:
        return str(self.owner["metadata"]["uid"])

    def _deleting(self) -> bool:
        return bool(self.owner["metadata"].get("deletionTimestamp"))

    async def claim(self, children: list[Object]) -> list[Object]:
        """The children this owner controls after adopting and releasing."""
        claimed: list[Object] = []
        for child in children:
            kept = await self._claim_one(child)
            if kept is not None:
                claimed.append(kept)
        return claimed

    async def _claim_one(self, child: Object) -> Object | None:
        """The child as this owner now controls it (adopted: as the patch left it)."""
        labels = (child.get("metadata") or {}).get("labels")
        ref = controller_ref(child)
        if ref is not None:
            if ref.get("uid") != self.uid:
                return None  # someone else's
            if self.selector.matches(labels):
                return child
            if not self._deleting():
                await self._release(child)
            return None
        if self._deleting() or not self.selector.matches(labels):
            return None
        if child["metadata"].get("deletionTimestamp"):
            return None  # never adopt what is going away
        return await self._adopt(child)

    async def _can_adopt(self) -> None:
        """Recheck the owner with a fresh GET, once (``RecheckDeletionTimestamp``)."""
        if self._checked is False:
            meta = self.owner["metadata"]
            try:
                fresh = await self.client.get(self.owner_rt, meta["name"], meta.get("namespace"))
            except NotFound as err:
                self._checked = AdoptionRefused(f"original {meta.get('namespace')}/"
                                                f"{meta['name']} is gone: {err.message}")
            else:
                fmeta = fresh["metadata"]
                if fmeta.get("uid") != meta["uid"]:
                    self._checked = AdoptionRefused(
                        f"original {meta.get('namespace')}/{meta['name']} is gone: got uid "
                        f"{fmeta.get('uid')}, wanted {meta['uid']}")
                elif fmeta.get("deletionTimestamp"):
                    self._checked = AdoptionRefused(
                        f"{meta.get('namespace')}/{meta['name']} has just been deleted at "
                        f"{fmeta['deletionTimestamp']}")
                else:
                    self._checked = None
        if isinstance(self._checked, StatusError):
            raise self._checked

    async def _adopt(self, child: Object) -> Object | None:
        try:
            await self._can_adopt()
        except AdoptionRefused as err:
            log.info("%s: not adopting %s: %s", self.owner["metadata"]["name"],
                     child["metadata"]["name"], err.message)
            return None
        meta = child["metadata"]
        refs = list(meta.get("ownerReferences") or [])
        refs.append(new_controller_ref(self.owner, self.owner_rt))
        try:
            return await self.client.patch(self.child_rt, meta["name"], {"metadata": {
                "ownerReferences": refs, "resourceVersion": meta.get("resourceVersion")}},
                meta.get("namespace"))
        except NotFound:
            return None  # gone meanwhile: nothing to adopt

    async def _release(self, child: Object) -> None:
        meta = child["metadata"]
        refs = [r for r in meta.get("ownerReferences") or [] if r.get("uid") != self.uid]
        try:
            await self.client.patch(self.child_rt, meta["name"], {"metadata": {
                "ownerReferences": refs or None, "resourceVersion": meta.get("resourceVersion")}},
                meta.get("namespace"))
        except (NotFound, Invalid):
            return  # gone, or being deleted: nothing to release
