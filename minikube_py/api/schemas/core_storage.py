"""Schemas of core/v1 storage: PersistentVolume and PersistentVolumeClaim (the volume sources
a pod names live in ``core_volume``). Re-exported by ``core``."""

from __future__ import annotations

from minikube_py.api.schema import (
    any_,
    array,
    boolean,
    map_of,
    obj,
    quantity,
    string,
    string_map,
    timestamp,
)
from minikube_py.api.schemas.core_container import CONTAINER as CONTAINER
from minikube_py.api.schemas.core_container import ENV_VAR as ENV_VAR
from minikube_py.api.schemas.core_container import EPHEMERAL_CONTAINER as EPHEMERAL_CONTAINER
from minikube_py.api.schemas.core_container import PROBE as PROBE
from minikube_py.api.schemas.core_container import RESOURCE_REQUIREMENTS as RESOURCE_REQUIREMENTS
from minikube_py.api.schemas.core_container import VOLUME_MOUNT as VOLUME_MOUNT
from minikube_py.api.schemas.core_node import TAINT as TAINT
from minikube_py.api.schemas.core_pod import AFFINITY as AFFINITY
from minikube_py.api.schemas.core_pod import CONTAINER_STATUS as CONTAINER_STATUS
from minikube_py.api.schemas.core_pod import NODE_SELECTOR
from minikube_py.api.schemas.core_pod import TOLERATION as TOLERATION
from minikube_py.api.schemas.core_volume import (
    HOST_PATH_VOLUME_SOURCE,
    NFS_VOLUME_SOURCE,
    PERSISTENT_VOLUME_CLAIM_SPEC,
)
from minikube_py.api.schemas.core_volume import VOLUME as VOLUME
from minikube_py.api.schemas.meta import OBJECT_REFERENCE, kind

LOCAL_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.LocalVolumeSource",
    {
        "path": string("Path of the directory or block device on the node."),
        "fsType": string("Filesystem type of a block device."),
    },
    required=("path",),
    description="Storage attached directly to a node.",
)

SECRET_REFERENCE = obj(
    "io.k8s.api.core.v1.SecretReference",
    {
        "name": string("Name of the Secret."),
        "namespace": string("Namespace of the Secret."),
    },
    description="A reference to a Secret in any namespace.",
)

CSI_PERSISTENT_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.CSIPersistentVolumeSource",
    {
        "driver": string("Name of the CSI driver."),
        "volumeHandle": string("ID of the volume at the driver."),
        "readOnly": boolean("Publish the volume read-only."),
        "fsType": string("Filesystem type, e.g. ext4."),
        "volumeAttributes": string_map("Driver-specific properties."),
        "controllerPublishSecretRef": SECRET_REFERENCE.describe(
            "Secret for the driver's controller publish calls."
        ),
        "nodeStageSecretRef": SECRET_REFERENCE.describe(
            "Secret for the driver's node stage calls."
        ),
        "nodePublishSecretRef": SECRET_REFERENCE.describe(
            "Secret for the driver's node publish calls."
        ),
        "controllerExpandSecretRef": SECRET_REFERENCE.describe(
            "Secret for the driver's controller expand calls."
        ),
        "nodeExpandSecretRef": SECRET_REFERENCE.describe(
            "Secret for the driver's node expand calls."
        ),
    },
    required=("driver", "volumeHandle"),
    description="A persistent volume managed by a CSI driver.",
)

VOLUME_NODE_AFFINITY = obj(
    "io.k8s.api.core.v1.VolumeNodeAffinity",
    {
        "required": NODE_SELECTOR.describe("Node selector a node must match."),
    },
    description="Nodes from which a volume can be reached.",
)

PERSISTENT_VOLUME_SPEC = obj(
    "io.k8s.api.core.v1.PersistentVolumeSpec",
    {
        "capacity": map_of(quantity(), "Size of the volume, e.g. storage: 10Gi."),
        "gcePersistentDisk": any_(
            "Legacy in-tree GCE persistent disk; accepted but not interpreted here."
        ),
        "awsElasticBlockStore": any_(
            "Legacy in-tree AWS EBS disk; accepted but not interpreted here."
        ),
        "hostPath": HOST_PATH_VOLUME_SOURCE.describe(
            "A directory of one node, for development and testing."
        ),
        "glusterfs": any_("Legacy GlusterFS volume; accepted but not interpreted here."),
        "nfs": NFS_VOLUME_SOURCE.describe("An NFS export."),
        "rbd": any_("Legacy Ceph RBD device; accepted but not interpreted here."),
        "iscsi": any_("Legacy iSCSI disk; accepted but not interpreted here."),
        "cinder": any_("Legacy OpenStack Cinder volume; accepted but not interpreted here."),
        "cephfs": any_("Legacy CephFS mount; accepted but not interpreted here."),
        "fc": any_("Legacy Fibre Channel disk; accepted but not interpreted here."),
        "flocker": any_("Legacy Flocker volume; accepted but not interpreted here."),
        "flexVolume": any_("Legacy FlexVolume driver volume; accepted but not interpreted here."),
        "azureFile": any_("Legacy Azure File share; accepted but not interpreted here."),
        "vsphereVolume": any_("Legacy vSphere disk; accepted but not interpreted here."),
        "quobyte": any_("Legacy Quobyte mount; accepted but not interpreted here."),
        "azureDisk": any_("Legacy Azure data disk; accepted but not interpreted here."),
        "photonPersistentDisk": any_(
            "Legacy Photon Controller disk; accepted but not interpreted here."
        ),
        "portworxVolume": any_("Legacy Portworx volume; accepted but not interpreted here."),
        "scaleIO": any_("Legacy ScaleIO volume; accepted but not interpreted here."),
        "local": LOCAL_VOLUME_SOURCE.describe("Storage attached directly to one node."),
        "storageos": any_("Legacy StorageOS volume; accepted but not interpreted here."),
        "csi": CSI_PERSISTENT_VOLUME_SOURCE.describe("A volume managed by a CSI driver."),
        "accessModes": array(
            string(enum=("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")),
            "Ways the volume can be mounted.",
        ),
        "claimRef": OBJECT_REFERENCE.describe("The claim bound to the volume."),
        "persistentVolumeReclaimPolicy": string(
            "What happens when the claim is released: Retain, Delete or Recycle.",
            enum=("Recycle", "Delete", "Retain"),
        ),
        "storageClassName": string("StorageClass the volume belongs to."),
        "mountOptions": array(string(), "Mount options, e.g. ro or soft."),
        "volumeMode": string("Filesystem or Block.", enum=("Block", "Filesystem")),
        "nodeAffinity": VOLUME_NODE_AFFINITY.describe(
            "Nodes from which the volume can be reached."
        ),
        "volumeAttributesClassName": string("VolumeAttributesClass the volume belongs to."),
    },
    description="Description of a persistent volume.",
)

PERSISTENT_VOLUME_STATUS = obj(
    "io.k8s.api.core.v1.PersistentVolumeStatus",
    {
        "phase": string(
            "Pending, Available, Bound, Released or Failed.",
            enum=("Pending", "Available", "Bound", "Released", "Failed"),
        ),
        "message": string("Human-readable details of the state."),
        "reason": string("CamelCase reason for a failure."),
        "lastPhaseTransitionTime": timestamp("When the phase last changed."),
    },
    description="Observed state of a persistent volume.",
)

PERSISTENT_VOLUME = kind(
    "io.k8s.api.core.v1.PersistentVolume",
    {
        "spec": PERSISTENT_VOLUME_SPEC.describe("Desired state of the PersistentVolume."),
        "status": PERSISTENT_VOLUME_STATUS.describe(
            "Observed state of the PersistentVolume, written by the system."
        ),
    },
    description="A piece of storage in the cluster.",
)

PERSISTENT_VOLUME_CLAIM_CONDITION = obj(
    "io.k8s.api.core.v1.PersistentVolumeClaimCondition",
    {
        "type": string("Kind of condition."),
        "status": string("Whether the condition holds: True, False or Unknown."),
        "lastProbeTime": timestamp("When the condition was last checked."),
        "lastTransitionTime": timestamp("When the status last changed."),
        "reason": string("One-word CamelCase cause of the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status"),
    description="One condition of a claim.",
)

MODIFY_VOLUME_STATUS = obj(
    "io.k8s.api.core.v1.ModifyVolumeStatus",
    {
        "targetVolumeAttributesClassName": string("VolumeAttributesClass being applied."),
        "status": string(
            "Pending, InProgress or Infeasible.", enum=("Pending", "InProgress", "Infeasible")
        ),
    },
    required=("status",),
    description="State of a volume attributes change.",
)

PERSISTENT_VOLUME_CLAIM_STATUS = obj(
    "io.k8s.api.core.v1.PersistentVolumeClaimStatus",
    {
        "phase": string("Pending, Bound or Lost.", enum=("Pending", "Bound", "Lost")),
        "accessModes": array(
            string(enum=("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")),
            "Access modes of the bound volume.",
        ),
        "capacity": map_of(quantity(), "Size of the bound volume."),
        "conditions": array(
            PERSISTENT_VOLUME_CLAIM_CONDITION,
            "Conditions of the claim, e.g. Resizing.",
            merge_key="type",
        ),
        "allocatedResources": map_of(
            quantity(), "Storage allocated to the claim, including pending resizes."
        ),
        "allocatedResourceStatuses": map_of(
            string(
                enum=(
                    "ControllerResizeInProgress",
                    "ControllerResizeInfeasible",
                    "NodeResizePending",
                    "NodeResizeInProgress",
                    "NodeResizeInfeasible",
                )
            ),
            "State of resize operations by resource.",
        ),
        "currentVolumeAttributesClassName": string("VolumeAttributesClass currently applied."),
        "modifyVolumeStatus": MODIFY_VOLUME_STATUS.describe(
            "State of a pending volume attributes change."
        ),
    },
    description="Observed state of a claim.",
)

PERSISTENT_VOLUME_CLAIM = kind(
    "io.k8s.api.core.v1.PersistentVolumeClaim",
    {
        "spec": PERSISTENT_VOLUME_CLAIM_SPEC.describe(
            "Desired state of the PersistentVolumeClaim."
        ),
        "status": PERSISTENT_VOLUME_CLAIM_STATUS.describe(
            "Observed state of the PersistentVolumeClaim, written by the system."
        ),
    },
    description="A request for storage by a user.",
)
