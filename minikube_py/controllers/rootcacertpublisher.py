"""The root CA publisher: the ConfigMap ``kube-root-ca.crt`` with the cluster's CA under
``ca.crt`` in every namespace (Kubernetes' ``pkg/controller/certificates/rootcacertpublisher``),
which every pod's token volume projects (``/var/run/secrets/kubernetes.io/serviceaccount/
ca.crt``) so that clients in pods can verify the apiserver.

The CA is the controller manager's root CA: that of its client (the kubeconfig's
``certificate-authority-data``, or the daemon's ``ca.crt`` in process), as
kube-controller-manager falls back to its kubeconfig's CA without ``--root-ca-file``.
Namespace events and any change or deletion of a ``kube-root-ca.crt`` reconcile its
namespace: the map is created, or its data and description put back.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from minikube_py.api.errors import AlreadyExists, Forbidden, NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client
from minikube_py.client.informer import SharedInformerFactory
from minikube_py.controllers.base import Controller

NAMESPACES = REGISTRY.require("", "v1", "namespaces")
CONFIG_MAPS = REGISTRY.require("", "v1", "configmaps")
CONFIGMAP_NAME = "kube-root-ca.crt"
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using "
               "internal endpoints such as the internal service IP or kubernetes.default.svc. "
               "No other usage is guaranteed across distributions of Kubernetes clusters.")


class RootCACertPublisher(Controller):
    name = "root-ca-cert-publisher"

    def __init__(self, client: Client, informers: SharedInformerFactory, *,
                 root_ca: str) -> None:
        super().__init__(client, informers)
        self.root_ca = root_ca
        self.namespaces = self.watch(NAMESPACES, keys=lambda ns: [ns["metadata"]["name"]]).lister
        maps = self.informer(CONFIG_MAPS, field_selector=f"metadata.name={CONFIGMAP_NAME}")
        maps.add_event_handler(on_update=lambda _old, new: self._map_changed(new),
                               on_delete=self._map_changed)
        self.maps = maps.lister

    def _map_changed(self, obj: Any) -> None:
        last = getattr(obj, "obj", obj)
        meta = (last.get("metadata") or {}) if isinstance(last, dict) else {}
        if meta.get("name") == CONFIGMAP_NAME and meta.get("namespace"):
            self.enqueue(str(meta["namespace"]))

    async def reconcile(self, key: str) -> None:
        ns = self.namespaces.get(key)
        if not self.root_ca or ns is None or (ns.get("metadata") or {}).get("deletionTimestamp"):
            return  # without a CA (a client that has none) there is nothing to publish
        data = {"ca.crt": self.root_ca}
        current = self.maps.get(CONFIGMAP_NAME, key)
        if current is None:
            # A namespace gone or terminating (403) is not worth a retry.
            with contextlib.suppress(AlreadyExists, NotFound, Forbidden):
                await self.client.create(CONFIG_MAPS, {
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": CONFIGMAP_NAME, "namespace": key,
                                 "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION}},
                    "data": data})
            return
        annotations = (current.get("metadata") or {}).get("annotations") or {}
        if current.get("data") == data and annotations.get(DESCRIPTION_ANNOTATION):
            return
        fixed = copy.deepcopy(current)
        fixed["data"] = data
        fixed["metadata"].setdefault("annotations", {})[DESCRIPTION_ANNOTATION] = DESCRIPTION
        await self.client.update(CONFIG_MAPS, fixed)
