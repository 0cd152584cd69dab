"""Schemas of the apps/v1 kinds: Deployment, ReplicaSet, StatefulSet, DaemonSet and
ControllerRevision, read by the API server and by their controllers."""

from __future__ import annotations

from dataclasses import replace

from minikube_py.api.schema import (
    any_,
    array,
    boolean,
    int64,
    int_or_string,
    integer,
    obj,
    string,
    timestamp,
)
from minikube_py.api.schemas.core import PERSISTENT_VOLUME_CLAIM
from minikube_py.api.schemas.core_pod import POD_TEMPLATE_SPEC
from minikube_py.api.schemas.meta import LABEL_SELECTOR, kind

ROLLING_UPDATE_DEPLOYMENT = obj(
    "io.k8s.api.apps.v1.RollingUpdateDeployment",
    {
        "maxUnavailable": int_or_string(
            "Most pods that may be unavailable, as a number or percentage."
        ),
        "maxSurge": int_or_string("Most extra pods above replicas, as a number or percentage."),
    },
    description="Pace of a rolling update.",
)

DEPLOYMENT_STRATEGY = obj(
    "io.k8s.api.apps.v1.DeploymentStrategy",
    {
        "type": string(
            "Recreate or RollingUpdate (the default).", enum=("Recreate", "RollingUpdate")
        ),
        "rollingUpdate": ROLLING_UPDATE_DEPLOYMENT.describe("Settings of RollingUpdate."),
    },
    description="How a Deployment replaces pods.",
)

DEPLOYMENT_SPEC = obj(
    "io.k8s.api.apps.v1.DeploymentSpec",
    {
        "replicas": integer("Number of pods wanted; defaults to 1."),
        "selector": LABEL_SELECTOR.describe(
            "Labels of the pods the Deployment owns; must match the template."
        ),
        "template": POD_TEMPLATE_SPEC.describe("Template of the pods to create."),
        "strategy": replace(
            DEPLOYMENT_STRATEGY,
            description="How old pods are replaced by new ones.",
            patch_strategy="retainKeys",
        ),
        "minReadySeconds": integer(
            "Seconds a new pod must be ready before it counts as available."
        ),
        "revisionHistoryLimit": integer(
            "How many old ReplicaSets to keep for rollback; defaults to 10."
        ),
        "paused": boolean("Stop rolling out changes of the template."),
        "progressDeadlineSeconds": integer(
            "Seconds without progress before the rollout is reported failed."
        ),
    },
    required=("selector", "template"),
    description="Desired state of a Deployment.",
)

DEPLOYMENT_CONDITION = obj(
    "io.k8s.api.apps.v1.DeploymentCondition",
    {
        "type": string("Kind of condition."),
        "status": string("Whether the condition holds: True, False or Unknown."),
        "lastUpdateTime": timestamp("When the condition was last written."),
        "lastTransitionTime": timestamp("When the status last changed."),
        "reason": string("One-word CamelCase cause of the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status"),
    description="One condition of a Deployment.",
)

DEPLOYMENT_STATUS = obj(
    "io.k8s.api.apps.v1.DeploymentStatus",
    {
        "observedGeneration": int64("The metadata.generation that this status was computed from."),
        "replicas": integer("Non-terminating pods the Deployment targets."),
        "updatedReplicas": integer("Non-terminating pods from the current template."),
        "readyReplicas": integer("Non-terminating pods that are ready."),
        "availableReplicas": integer("Non-terminating pods ready for at least minReadySeconds."),
        "unavailableReplicas": integer("Pods still needed for full availability."),
        "terminatingReplicas": integer("Pods being terminated."),
        "conditions": array(
            DEPLOYMENT_CONDITION,
            "Conditions of the Deployment, e.g. Available and Progressing.",
            merge_key="type",
        ),
        "collisionCount": integer("Hash collisions seen, used to name new ReplicaSets."),
    },
    description="Observed state of a Deployment.",
)

DEPLOYMENT = kind(
    "io.k8s.api.apps.v1.Deployment",
    {
        "spec": DEPLOYMENT_SPEC.describe("Desired state of the Deployment."),
        "status": DEPLOYMENT_STATUS.describe(
            "Observed state of the Deployment, written by the system."
        ),
    },
    description="Declarative updates of pods through ReplicaSets.",
)

REPLICA_SET_SPEC = obj(
    "io.k8s.api.apps.v1.ReplicaSetSpec",
    {
        "replicas": integer("Number of pods wanted; defaults to 1."),
        "minReadySeconds": integer(
            "Seconds a new pod must be ready before it counts as available."
        ),
        "selector": LABEL_SELECTOR.describe(
            "Labels of the pods to count; must match the template."
        ),
        "template": POD_TEMPLATE_SPEC.describe("Template of the pods to create."),
    },
    required=("selector",),
    description="Desired state of a ReplicaSet.",
)

REPLICA_SET_CONDITION = obj(
    "io.k8s.api.apps.v1.ReplicaSetCondition",
    {
        "type": string("Kind of condition."),
        "status": string("Whether the condition holds: True, False or Unknown."),
        "lastTransitionTime": timestamp("When the status last changed."),
        "reason": string("One-word CamelCase cause of the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status"),
    description="One condition of a ReplicaSet.",
)

REPLICA_SET_STATUS = obj(
    "io.k8s.api.apps.v1.ReplicaSetStatus",
    {
        "replicas": integer("Non-terminating pods counted."),
        "fullyLabeledReplicas": integer("Non-terminating pods whose labels match the template's."),
        "readyReplicas": integer("Non-terminating pods that are ready."),
        "availableReplicas": integer("Non-terminating pods ready for at least minReadySeconds."),
        "terminatingReplicas": integer("Pods being terminated."),
        "observedGeneration": int64("The metadata.generation that this status was computed from."),
        "conditions": array(
            REPLICA_SET_CONDITION, "Conditions of the ReplicaSet.", merge_key="type"
        ),
    },
    required=("replicas",),
    description="Observed state of a ReplicaSet.",
)

REPLICA_SET = kind(
    "io.k8s.api.apps.v1.ReplicaSet",
    {
        "spec": REPLICA_SET_SPEC.describe("Desired state of the ReplicaSet."),
        "status": REPLICA_SET_STATUS.describe(
            "Observed state of the ReplicaSet, written by the system."
        ),
    },
    description="Keeps a number of identical pods running.",
)

ROLLING_UPDATE_STATEFUL_SET_STRATEGY = obj(
    "io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy",
    {
        "partition": integer("Only pods with an ordinal at least this high are updated."),
        "maxUnavailable": int_or_string("Most pods that may be unavailable during the update."),
    },
    description="Settings of a StatefulSet rolling update.",
)

STATEFUL_SET_UPDATE_STRATEGY = obj(
    "io.k8s.api.apps.v1.StatefulSetUpdateStrategy",
    {
        "type": string(
            "RollingUpdate (the default) or OnDelete.", enum=("RollingUpdate", "OnDelete")
        ),
        "rollingUpdate": ROLLING_UPDATE_STATEFUL_SET_STRATEGY.describe(
            "Settings of RollingUpdate."
        ),
    },
    description="How a StatefulSet replaces pods.",
)

STATEFUL_SET_PVC_RETENTION_POLICY = obj(
    "io.k8s.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy",
    {
        "whenDeleted": string("Retain or Delete the claims when the set is deleted."),
        "whenScaled": string("Retain or Delete the claims of pods removed by scale-down."),
    },
    description="What happens to a StatefulSet's claims.",
)

STATEFUL_SET_ORDINALS = obj(
    "io.k8s.api.apps.v1.StatefulSetOrdinals",
    {
        "start": integer("Ordinal of the first pod; defaults to 0."),
    },
    description="Numbering of a StatefulSet's pods.",
)

STATEFUL_SET_SPEC = obj(
    "io.k8s.api.apps.v1.StatefulSetSpec",
    {
        "replicas": integer("Number of pods wanted; defaults to 1."),
        "selector": LABEL_SELECTOR.describe(
            "Labels of the pods to count; must match the template."
        ),
        "template": POD_TEMPLATE_SPEC.describe(
            "Template of the pods; each gets a stable name and identity."
        ),
        "volumeClaimTemplates": array(
            PERSISTENT_VOLUME_CLAIM, "Claims made for each pod, kept across its restarts."
        ),
        "serviceName": string("Headless Service that gives the pods their DNS names."),
        "podManagementPolicy": string(
            "OrderedReady (one at a time) or Parallel.", enum=("OrderedReady", "Parallel")
        ),
        "updateStrategy": STATEFUL_SET_UPDATE_STRATEGY.describe(
            "How pods are replaced when the template changes."
        ),
        "revisionHistoryLimit": integer("How many old revisions to keep; defaults to 10."),
        "minReadySeconds": integer(
            "Seconds a new pod must be ready before it counts as available."
        ),
        "persistentVolumeClaimRetentionPolicy": STATEFUL_SET_PVC_RETENTION_POLICY.describe(
            "Whether claims are kept when the set is deleted or scaled down."
        ),
        "ordinals": STATEFUL_SET_ORDINALS.describe("Numbering of the pods."),
    },
    required=("selector", "template"),
    description="Desired state of a StatefulSet.",
)

STATEFUL_SET_CONDITION = obj(
    "io.k8s.api.apps.v1.StatefulSetCondition",
    {
        "type": string("Kind of condition."),
        "status": string("Whether the condition holds: True, False or Unknown."),
        "lastTransitionTime": timestamp("When the status last changed."),
        "reason": string("One-word CamelCase cause of the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status"),
    description="One condition of a StatefulSet.",
)

STATEFUL_SET_STATUS = obj(
    "io.k8s.api.apps.v1.StatefulSetStatus",
    {
        "observedGeneration": int64("The metadata.generation that this status was computed from."),
        "replicas": integer("Pods created by the controller."),
        "readyReplicas": integer("Pods that are ready."),
        "currentReplicas": integer("Pods at currentRevision."),
        "updatedReplicas": integer("Pods at updateRevision."),
        "currentRevision": string("Revision of the pods being replaced."),
        "updateRevision": string("Revision of the current template."),
        "collisionCount": integer("Hash collisions seen, used to name new revisions."),
        "conditions": array(
            STATEFUL_SET_CONDITION, "Conditions of the StatefulSet.", merge_key="type"
        ),
        "availableReplicas": integer("Pods ready for at least minReadySeconds."),
    },
    required=("replicas",),
    description="Observed state of a StatefulSet.",
)

STATEFUL_SET = kind(
    "io.k8s.api.apps.v1.StatefulSet",
    {
        "spec": STATEFUL_SET_SPEC.describe("Desired state of the StatefulSet."),
        "status": STATEFUL_SET_STATUS.describe(
            "Observed state of the StatefulSet, written by the system."
        ),
    },
    description="Pods with stable names and storage, started and stopped in order.",
)

ROLLING_UPDATE_DAEMON_SET = obj(
    "io.k8s.api.apps.v1.RollingUpdateDaemonSet",
    {
        "maxUnavailable": int_or_string(
            "Most nodes whose pod may be unavailable, as a number or percentage."
        ),
        "maxSurge": int_or_string(
            "Most nodes that may run an extra new pod, as a number or percentage."
        ),
    },
    description="Pace of a DaemonSet rolling update.",
)

DAEMON_SET_UPDATE_STRATEGY = obj(
    "io.k8s.api.apps.v1.DaemonSetUpdateStrategy",
    {
        "type": string(
            "RollingUpdate (the default) or OnDelete.", enum=("RollingUpdate", "OnDelete")
        ),
        "rollingUpdate": ROLLING_UPDATE_DAEMON_SET.describe("Settings of RollingUpdate."),
    },
    description="How a DaemonSet replaces pods.",
)

DAEMON_SET_SPEC = obj(
    "io.k8s.api.apps.v1.DaemonSetSpec",
    {
        "selector": LABEL_SELECTOR.describe(
            "Labels of the pods the DaemonSet owns; must match the template."
        ),
        "template": POD_TEMPLATE_SPEC.describe("Template of the pods to run on each node."),
        "updateStrategy": DAEMON_SET_UPDATE_STRATEGY.describe(
            "How pods are replaced when the template changes."
        ),
        "minReadySeconds": integer(
            "Seconds a new pod must be ready before it counts as available."
        ),
        "revisionHistoryLimit": integer("How many old revisions to keep; defaults to 10."),
    },
    required=("selector", "template"),
    description="Desired state of a DaemonSet.",
)

DAEMON_SET_CONDITION = obj(
    "io.k8s.api.apps.v1.DaemonSetCondition",
    {
        "type": string("Kind of condition."),
        "status": string("Whether the condition holds: True, False or Unknown."),
        "lastTransitionTime": timestamp("When the status last changed."),
        "reason": string("One-word CamelCase cause of the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status"),
    description="One condition of a DaemonSet.",
)

DAEMON_SET_STATUS = obj(
    "io.k8s.api.apps.v1.DaemonSetStatus",
    {
        "currentNumberScheduled": integer("Nodes that should run the pod and do."),
        "numberMisscheduled": integer("Nodes that run the pod but should not."),
        "desiredNumberScheduled": integer("Nodes that should run the pod."),
        "numberReady": integer("Nodes whose pod is ready."),
        "observedGeneration": int64("The metadata.generation that this status was computed from."),
        "updatedNumberScheduled": integer("Nodes whose pod is from the current template."),
        "numberAvailable": integer("Nodes whose pod is available."),
        "numberUnavailable": integer("Nodes whose pod is missing or unavailable."),
        "collisionCount": integer("Hash collisions seen, used to name new revisions."),
        "conditions": array(DAEMON_SET_CONDITION, "Conditions of the DaemonSet.", merge_key="type"),
    },
    required=(
        "currentNumberScheduled",
        "numberMisscheduled",
        "desiredNumberScheduled",
        "numberReady",
    ),
    description="Observed state of a DaemonSet.",
)

DAEMON_SET = kind(
    "io.k8s.api.apps.v1.DaemonSet",
    {
        "spec": DAEMON_SET_SPEC.describe("Desired state of the DaemonSet."),
        "status": DAEMON_SET_STATUS.describe(
            "Observed state of the DaemonSet, written by the system."
        ),
    },
    description="Runs one pod on every eligible node.",
)

CONTROLLER_REVISION = kind(
    "io.k8s.api.apps.v1.ControllerRevision",
    {
        "data": any_("The serialized state."),
        "revision": int64("Revision number of the state."),
    },
    required=("revision",),
    description="An immutable snapshot of a controller's template, for rollbacks.",
)
