"""The registry of served kinds: one registration line per kind.

Everything that needs to know what is served reads :data:`REGISTRY`: the apiserver's routing
and discovery, OpenAPI, the CLI's name resolution and every client. Each kind is one module
of ``api/kinds`` (its resource type and its strategy); see docs/ARCHITECTURE.md for the recipe.
Custom resources are not registered here: an apiserver serves them from a copy of this
registry (``Registry.copy``), adding and removing their types as CRDs come and go.
"""

from __future__ import annotations

from minikube_py.api.kinds.admissionregistration import (
    mutatingwebhookconfiguration,
    validatingwebhookconfiguration,
)
from minikube_py.api.kinds.apiextensions import customresourcedefinition
from minikube_py.api.kinds.apiregistration import apiservice
from minikube_py.api.kinds.apps import (
    controllerrevision,
    daemonset,
    deployment,
    replicaset,
    statefulset,
)
from minikube_py.api.kinds.authentication import selfsubjectreview, tokenreview
from minikube_py.api.kinds.authorization import (
    localsubjectaccessreview,
    selfsubjectaccessreview,
    selfsubjectrulesreview,
    subjectaccessreview,
)
from minikube_py.api.kinds.autoscaling import horizontalpodautoscaler, horizontalpodautoscaler_v1
from minikube_py.api.kinds.batch import cronjob, job
from minikube_py.api.kinds.certificates import certificatesigningrequest
from minikube_py.api.kinds.coordination import lease
from minikube_py.api.kinds.core import (
    configmap,
    endpoints,
    event,
    limitrange,
    namespace,
    node,
    persistentvolume,
    persistentvolumeclaim,
    pod,
    replicationcontroller,
    resourcequota,
    secret,
    service,
    serviceaccount,
)
from minikube_py.api.kinds.discovery import endpointslice
from minikube_py.api.kinds.events import event as events_event
from minikube_py.api.kinds.metrics import nodemetrics, podmetrics
from minikube_py.api.kinds.networking import ingress, ingressclass, networkpolicy
from minikube_py.api.kinds.node import runtimeclass
from minikube_py.api.kinds.policy import poddisruptionbudget
from minikube_py.api.kinds.rbac import clusterrole, clusterrolebinding, role, rolebinding
from minikube_py.api.kinds.scheduling import priorityclass
from minikube_py.api.kinds.storage import storageclass
from minikube_py.api.resource import (
    ALL_VERBS,
    SUBRESOURCE_KINDS,
    SUBRESOURCE_VERBS,
    Registry,
    ResourceType,
)

__all__ = ["ALL_VERBS", "REGISTRY", "SUBRESOURCE_KINDS", "SUBRESOURCE_VERBS", "Registry",
           "ResourceType"]

REGISTRY = Registry()
REGISTRY.add(namespace.RESOURCE)
REGISTRY.add(pod.RESOURCE)
REGISTRY.add(service.RESOURCE)
REGISTRY.add(endpoints.RESOURCE)
REGISTRY.add(endpointslice.RESOURCE)
REGISTRY.add(node.RESOURCE)
REGISTRY.add(configmap.RESOURCE)
REGISTRY.add(secret.RESOURCE)
REGISTRY.add(event.RESOURCE)
REGISTRY.add(events_event.RESOURCE)
REGISTRY.add(serviceaccount.RESOURCE)
REGISTRY.add(resourcequota.RESOURCE)
REGISTRY.add(limitrange.RESOURCE)
REGISTRY.add(persistentvolume.RESOURCE)
REGISTRY.add(persistentvolumeclaim.RESOURCE)
REGISTRY.add(replicationcontroller.RESOURCE)
REGISTRY.add(deployment.RESOURCE)
REGISTRY.add(replicaset.RESOURCE)
REGISTRY.add(statefulset.RESOURCE)
REGISTRY.add(daemonset.RESOURCE)
REGISTRY.add(controllerrevision.RESOURCE)
REGISTRY.add(job.RESOURCE)
REGISTRY.add(cronjob.RESOURCE)
REGISTRY.add(horizontalpodautoscaler.RESOURCE)
REGISTRY.add(horizontalpodautoscaler_v1.RESOURCE)
REGISTRY.add(lease.RESOURCE)
REGISTRY.add(priorityclass.RESOURCE)
REGISTRY.add(customresourcedefinition.RESOURCE)
REGISTRY.add(certificatesigningrequest.RESOURCE)
REGISTRY.add(role.RESOURCE)
REGISTRY.add(clusterrole.RESOURCE)
REGISTRY.add(rolebinding.RESOURCE)
REGISTRY.add(clusterrolebinding.RESOURCE)
REGISTRY.add(selfsubjectaccessreview.RESOURCE)
REGISTRY.add(subjectaccessreview.RESOURCE)
REGISTRY.add(localsubjectaccessreview.RESOURCE)
REGISTRY.add(selfsubjectrulesreview.RESOURCE)
REGISTRY.add(selfsubjectreview.RESOURCE)
REGISTRY.add(tokenreview.RESOURCE)
REGISTRY.add(ingress.RESOURCE)
REGISTRY.add(ingressclass.RESOURCE)
REGISTRY.add(networkpolicy.RESOURCE)
REGISTRY.add(runtimeclass.RESOURCE)
REGISTRY.add(poddisruptionbudget.RESOURCE)
REGISTRY.add(storageclass.RESOURCE)
REGISTRY.add(validatingwebhookconfiguration.RESOURCE)
REGISTRY.add(mutatingwebhookconfiguration.RESOURCE)
REGISTRY.add(apiservice.RESOURCE)
# Last: a plain "pods" or "nodes" means the core kinds, as in kubectl's group priority.
REGISTRY.add(podmetrics.RESOURCE)
REGISTRY.add(nodemetrics.RESOURCE)
