"""The controller manager: one component that runs the controllers on shared informers
(kube-controller-manager's role).

In the daemon it runs on the in-process client; ``minikube-py controller-manager --kubeconfig
FILE`` runs it alone against a cluster over HTTPS. With leader election several of them may
run: only the holder of the Lease ``kube-system/kube-controller-manager`` runs controllers; the
others wait and take over within the lease duration when it stops or dies. The new leader
records a ``LeaderElection`` event on the Lease, as Kubernetes' does.

The controllers are built from :data:`CONTROLLERS` (name -> constructor), so adding one is a
module and a line there.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from minikube_py import __version__
from minikube_py.client.base import Client
from minikube_py.client.customresources import ServedTypes
from minikube_py.client.events import EventRecorder
from minikube_py.client.informer import SharedInformerFactory, strip_managed_fields
from minikube_py.client.leaderelection import Campaign
from minikube_py.controllers.base import Controller
from minikube_py.controllers.certificates import (
    ClusterSigning,
    CSRApprovingController,
    CSRSigningController,
)
from minikube_py.controllers.clusterroleaggregation import ClusterRoleAggregationController
from minikube_py.controllers.cronjob import CronJobController
from minikube_py.controllers.daemonset import DaemonSetController
from minikube_py.controllers.deployment import DeploymentController
from minikube_py.controllers.disruption import DisruptionController
from minikube_py.controllers.endpoints import EndpointsController
from minikube_py.controllers.endpointslice import EndpointSliceController
from minikube_py.controllers.garbagecollector import GarbageCollector
from minikube_py.controllers.horizontalpodautoscaler import HorizontalPodAutoscalerController
from minikube_py.controllers.hostpath import HostPathProvisioner
from minikube_py.controllers.job import JobController
from minikube_py.controllers.namespace import NamespaceController
from minikube_py.controllers.nodelifecycle import DEFAULT_GRACE_PERIOD, NodeLifecycleController
from minikube_py.controllers.persistentvolume import PersistentVolumeController
from minikube_py.controllers.pvcprotection import PVCProtectionController
from minikube_py.controllers.replicaset import REPLICATION_CONTROLLERS, ReplicaSetController
from minikube_py.controllers.resourcequota import ResourceQuotaController
from minikube_py.controllers.rootcacertpublisher import RootCACertPublisher
from minikube_py.controllers.serviceaccounts import ServiceAccountsController
from minikube_py.controllers.statefulset import StatefulSetController
from minikube_py.controllers.ttlafterfinished import TTLAfterFinishedController
from minikube_py.util.tasks import TaskGroup

log = logging.getLogger(__name__)

COMPONENT = "controller-manager"
LEASE_NAMESPACE, LEASE_NAME = "kube-system", "kube-controller-manager"

def source(events: EventRecorder, component: str) -> EventRecorder:
    """A recorder of its own for a controller whose events Kubernetes signs with its name
    (``From: deployment-controller`` in ``kubectl describe``)."""
    return EventRecorder(events.client, component, events.host)


Factory = Callable[[Client, SharedInformerFactory, EventRecorder], Controller]
CONTROLLERS: dict[str, Factory] = {
    "namespace": lambda client, informers, _events: NamespaceController(
        client, informers, registry=ServedTypes(informers).registry),
    "garbagecollector": lambda client, informers, _events: GarbageCollector(
        client, registry=ServedTypes(informers).registry),
    "replicaset": lambda client, informers, events: ReplicaSetController(
        client, informers, recorder=source(events, "replicaset-controller"),
        owns_recorder=True),
    "replicationcontroller": lambda client, informers, events: ReplicaSetController(
        client, informers, resource=REPLICATION_CONTROLLERS,
        recorder=source(events, "replication-controller"), owns_recorder=True),
    "deployment": lambda client, informers, events: DeploymentController(
        client, informers, recorder=source(events, "deployment-controller"),
        owns_recorder=True),
    "daemonset": lambda client, informers, events: DaemonSetController(
        client, informers, recorder=source(events, "daemonset-controller"), owns_recorder=True),
    "statefulset": lambda client, informers, events: StatefulSetController(
        client, informers, recorder=source(events, "statefulset-controller"), owns_recorder=True),
    "disruption": lambda client, informers, events: DisruptionController(
        client, informers, recorder=source(events, "controllermanager"), owns_recorder=True),
    "job": lambda client, informers, events: JobController(
        client, informers, recorder=source(events, "job-controller"), owns_recorder=True),
    "cronjob": lambda client, informers, events: CronJobController(
        client, informers, recorder=source(events, "cronjob-controller"), owns_recorder=True),
    "ttl-after-finished": lambda client, informers, _events: TTLAfterFinishedController(
        client, informers),
    "pvc-protection": lambda client, informers, _events: PVCProtectionController(
        client, informers),
    "endpoint": lambda client, informers, _events: EndpointsController(client, informers),
    "endpointslice": lambda client, informers, _events: EndpointSliceController(
        client, informers),
    "csrapproving": lambda client, informers, _events: CSRApprovingController(client, informers),
    "clusterrole-aggregation": lambda client, informers, _events:
        ClusterRoleAggregationController(client, informers),
    "serviceaccount": lambda client, informers, _events: ServiceAccountsController(
        client, informers),
    "resourcequota": lambda client, informers, _events: ResourceQuotaController(client, informers),
    "root-ca-cert-publisher": lambda client, informers, _events: RootCACertPublisher(
        client, informers, root_ca=client.root_ca.decode()),
    "horizontalpodautoscaling": lambda client, informers, events:
        HorizontalPodAutoscalerController(
            client, informers, registry=ServedTypes(informers).registry,
            recorder=source(events, "horizontal-pod-autoscaler"), owns_recorder=True),
    "nodelifecycle": lambda client, informers, events: NodeLifecycleController(
        client, informers, recorder=source(events, "node-controller"), owns_recorder=True),
}
# Controllers that need the manager's own settings (built in _start_controllers).
CSR_SIGNING = "csrsigning"
PV_BINDER = "persistentvolume-binder"  # provisions host-path volumes under volumes_dir


def user_agent(component: str) -> str:
    """``minikube-py/<version> (<component>)``: how our components name themselves."""
    return f"minikube-py/{__version__} ({component})"


def default_identity() -> str:
    return f"{socket.gethostname()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


class ControllerManager:
    """A :class:`~minikube_py.util.component.Component` running the controllers."""

    name = COMPONENT

    def __init__(self, client: Client, *, controllers: Iterable[str] = ("*",),
                 leader_elect: bool = False, identity: str = "",
                 lease_duration: float = 15.0, renew_deadline: float = 10.0,
                 retry_period: float = 2.0,
                 cluster_signing: ClusterSigning | None = None,
                 volumes_dir: Path | None = None,
                 node_monitor_grace_period: float = DEFAULT_GRACE_PERIOD) -> None:
        self.client = client.with_user_agent(user_agent(COMPONENT))
        wanted = list(controllers)
        self.enabled = [n for n in CONTROLLERS if "*" in wanted or n in wanted]
        # csrsigning runs where the cluster CA's files are (--cluster-signing-*-file).
        self.cluster_signing = cluster_signing
        if cluster_signing is not None and ("*" in wanted or CSR_SIGNING in wanted):
            self.enabled.append(CSR_SIGNING)
        # The binder runs anywhere; it provisions only where the volumes' directory is.
        self.volumes_dir = volumes_dir
        if "*" in wanted or PV_BINDER in wanted:
            self.enabled.append(PV_BINDER)
        self.node_monitor_grace_period = node_monitor_grace_period
        self.leader_elect = leader_elect
        self.identity = identity or default_identity()
        self.events = EventRecorder(self.client, COMPONENT, self.identity)
        self.running: list[Controller] = []
        self._informers: SharedInformerFactory | None = None
        self._tasks = TaskGroup(COMPONENT)
        self._campaign = Campaign(
            self.client, namespace=LEASE_NAMESPACE, name=LEASE_NAME, identity=self.identity,
            events=self.events, start=self._start_controllers, stop=self._stop_controllers,
            lease_duration=lease_duration, renew_deadline=renew_deadline,
            retry_period=retry_period) if leader_elect else None

    async def start(self) -> None:
        if self._campaign is not None:
            self._tasks.spawn(self._campaign.run(), name="leader-election")
        else:
            await self._start_controllers()

    async def _start_controllers(self) -> None:
        informers = SharedInformerFactory(self.client, transform=strip_managed_fields,
                                          name=f"{COMPONENT}/informers")
        self._informers = informers
        self.running = [CONTROLLERS[n](self.client, informers, self.events)
                        for n in self.enabled if n in CONTROLLERS]
        for controller in self.running:  # --node-monitor-grace-period
            if isinstance(controller, NodeLifecycleController):
                controller.grace_period = self.node_monitor_grace_period
        if CSR_SIGNING in self.enabled and self.cluster_signing is not None:
            self.running.append(CSRSigningController(self.client, informers,
                                                     self.cluster_signing))
        if PV_BINDER in self.enabled:
            self.running.append(PersistentVolumeController(
                self.client, informers, recorder=source(self.events, "persistentvolume-controller"),
                owns_recorder=True, provisioner=HostPathProvisioner(self.volumes_dir)
                if self.volumes_dir is not None else None))
        informers.start()
        for controller in self.running:
            await controller.start()
        log.info("%s: running %s", self.identity, ", ".join(self.enabled))

    async def _stop_controllers(self) -> None:
        for controller in reversed(self.running):
            await controller.stop()
        self.running = []
        if self._informers is not None:
            await self._informers.shutdown()
            self._informers = None

    async def stop(self) -> None:
        if self._campaign is not None:
            self._campaign.stop()
        await self._tasks.stop()
        await self._stop_controllers()
        await self.events.shutdown()

    def health(self) -> str | None:
        problems = [f"{name}: {exc!r}" for name, exc in self._tasks.failed]
        problems += [f"{c.name}: {why}" for c in self.running if (why := c.health())]
        return "; ".join(problems) or None

    def metrics(self) -> list[str]:
        """Prometheus lines: reconciles and queue depth per running controller (the names of
        controller-runtime's and client-go's workqueue metrics)."""
        lines = ["# HELP controller_runtime_reconcile_total Reconciles per controller.",
                 "# TYPE controller_runtime_reconcile_total counter"]
        lines += [f'controller_runtime_reconcile_total{{controller="{c.name}"}} {c.reconciles}'
                  for c in self.running]
        lines += ["# HELP workqueue_depth Keys waiting in each controller's queue.",
                  "# TYPE workqueue_depth gauge"]
        lines += [f'workqueue_depth{{name="{c.name}"}} {len(c.queue)}' for c in self.running]
        return lines

    @property
    def is_leader(self) -> bool:
        return self._campaign is None or self._campaign.is_leader
