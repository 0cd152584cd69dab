"""Schemas of pod volumes (core/v1 ``Volume`` and its sources) and of the claim spec they share.

Used by ``core_pod`` (``PodSpec.volumes``), ``core_container`` (env values read through the
downward API selectors) and ``core`` (PersistentVolume and PersistentVolumeClaim). The legacy
in-tree cloud volume sources are kept as fields but not spelled out (``any_()``): manifests that
use them validate, and nothing here interprets them.
"""

from __future__ import annotations

from minikube_py.api.schema import (
    any_,
    array,
    boolean,
    int64,
    integer,
    map_of,
    obj,
    quantity,
    string,
    string_map,
)
from minikube_py.api.schemas.meta import LABEL_SELECTOR, OBJECT_META

HOST_PATH_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.HostPathVolumeSource",
    {
        "path": string("Path on the node; symlinks are followed."),
        "type": string(
            "What must exist at the path, or be created there.",
            enum=(
                "",
                "DirectoryOrCreate",
                "Directory",
                "FileOrCreate",
                "File",
                "Socket",
                "CharDevice",
                "BlockDevice",
            ),
        ),
    },
    required=("path",),
    description="A path on the node mapped into the pod.",
)

EMPTY_DIR_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.EmptyDirVolumeSource",
    {
        "medium": string("Storage medium: empty for the node's default disk, or Memory for tmpfs."),
        "sizeLimit": quantity("Most local storage the directory may use."),
    },
    description="An empty directory created for the pod.",
)

KEY_TO_PATH = obj(
    "io.k8s.api.core.v1.KeyToPath",
    {
        "key": string("Key to project."),
        "path": string("Relative file path to write the value to."),
        "mode": integer("Permission bits of this file, 0000 to 0777."),
    },
    required=("key", "path"),
    description="Maps one key to a file path.",
)

SECRET_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.SecretVolumeSource",
    {
        "secretName": string("Name of the Secret in the pod's namespace."),
        "items": array(
            KEY_TO_PATH, "Which keys to project and under which paths; all keys when empty."
        ),
        "defaultMode": integer("Permission bits of the created files, 0000 to 0777."),
        "optional": boolean("Do not fail if the Secret or a listed key is missing."),
    },
    description="A Secret projected into files.",
)

NFS_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.NFSVolumeSource",
    {
        "server": string("Host name or IP address of the NFS server."),
        "path": string("Exported path on the server."),
        "readOnly": boolean("Mount the export read-only."),
    },
    required=("server", "path"),
    description="An NFS export.",
)

PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.PersistentVolumeClaimVolumeSource",
    {
        "claimName": string("Name of the PersistentVolumeClaim."),
        "readOnly": boolean("Force a read-only mount."),
    },
    required=("claimName",),
    description="A reference to a claim in the pod's namespace.",
)

OBJECT_FIELD_SELECTOR = obj(
    "io.k8s.api.core.v1.ObjectFieldSelector",
    {
        "apiVersion": string("API version the field path is written in; defaults to v1."),
        "fieldPath": string("Path of the field, e.g. metadata.name."),
    },
    required=("fieldPath",),
    description="Selects a field of the pod.",
)

RESOURCE_FIELD_SELECTOR = obj(
    "io.k8s.api.core.v1.ResourceFieldSelector",
    {
        "containerName": string("Container whose resources are read; required in volumes."),
        "resource": string("Resource to read, e.g. limits.cpu or requests.memory."),
        "divisor": quantity("Unit the value is expressed in; defaults to 1."),
    },
    required=("resource",),
    description="Selects a resource limit or request of a container.",
)

DOWNWARD_API_VOLUME_FILE = obj(
    "io.k8s.api.core.v1.DownwardAPIVolumeFile",
    {
        "path": string("Relative path of the file."),
        "fieldRef": OBJECT_FIELD_SELECTOR.describe(
            "Pod field to write: metadata name, namespace, uid, labels or annotations."
        ),
        "resourceFieldRef": RESOURCE_FIELD_SELECTOR.describe(
            "Container resource limit or request to write."
        ),
        "mode": integer("Permission bits of this file, 0000 to 0777."),
    },
    required=("path",),
    description="One file holding a pod field or a container resource value.",
)

DOWNWARD_API_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.DownwardAPIVolumeSource",
    {
        "items": array(DOWNWARD_API_VOLUME_FILE, "The files to create."),
        "defaultMode": integer("Permission bits of the created files, 0000 to 0777."),
    },
    description="Pod fields exposed as files.",
)

CONFIG_MAP_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.ConfigMapVolumeSource",
    {
        "name": string("Name of the ConfigMap."),
        "items": array(
            KEY_TO_PATH, "Which keys to project and under which paths; all keys when empty."
        ),
        "defaultMode": integer("Permission bits of the created files, 0000 to 0777."),
        "optional": boolean("Do not fail if the ConfigMap or a listed key is missing."),
    },
    description="A ConfigMap projected into files.",
)

SECRET_PROJECTION = obj(
    "io.k8s.api.core.v1.SecretProjection",
    {
        "name": string("Name of the Secret."),
        "items": array(
            KEY_TO_PATH, "Which keys to project and under which paths; all keys when empty."
        ),
        "optional": boolean("Do not fail if the Secret or a listed key is missing."),
    },
    description="Keys of a Secret in a projected volume.",
)

DOWNWARD_API_PROJECTION = obj(
    "io.k8s.api.core.v1.DownwardAPIProjection",
    {
        "items": array(DOWNWARD_API_VOLUME_FILE, "The files to create."),
    },
    description="Pod fields in a projected volume.",
)

CONFIG_MAP_PROJECTION = obj(
    "io.k8s.api.core.v1.ConfigMapProjection",
    {
        "name": string("Name of the ConfigMap."),
        "items": array(
            KEY_TO_PATH, "Which keys to project and under which paths; all keys when empty."
        ),
        "optional": boolean("Do not fail if the ConfigMap or a listed key is missing."),
    },
    description="Keys of a ConfigMap in a projected volume.",
)

SERVICE_ACCOUNT_TOKEN_PROJECTION = obj(
    "io.k8s.api.core.v1.ServiceAccountTokenProjection",
    {
        "audience": string("Intended audience of the token; defaults to the API server."),
        "expirationSeconds": int64(
            "Requested lifetime of the token; it is rotated before it expires."
        ),
        "path": string("Relative path of the token file."),
    },
    required=("path",),
    description="A bound service account token written to a file.",
)

CLUSTER_TRUST_BUNDLE_PROJECTION = obj(
    "io.k8s.api.core.v1.ClusterTrustBundleProjection",
    {
        "name": string("Pick one bundle by name."),
        "signerName": string("Pick all bundles of this signer."),
        "labelSelector": LABEL_SELECTOR.describe("Narrow the signer's bundles by labels."),
        "optional": boolean("Do not block pod start if no bundle is found."),
        "path": string("Relative path of the bundle file."),
    },
    required=("path",),
    description="Certificates of ClusterTrustBundles written to one file.",
)

POD_CERTIFICATE_PROJECTION = obj(
    "io.k8s.api.core.v1.PodCertificateProjection",
    {
        "signerName": string("Signer the certificate request is addressed to."),
        "keyType": string("Kind of key pair to generate, e.g. RSA3072 or ECDSAP256."),
        "maxExpirationSeconds": integer("Longest lifetime the certificate may have."),
        "credentialBundlePath": string("Path of a PEM file with both key and chain."),
        "keyPath": string("Path of the private key file."),
        "certificateChainPath": string("Path of the certificate chain file."),
        "userAnnotations": string_map("Extra information passed to the signer."),
    },
    required=("signerName", "keyType"),
    description="A private key and a certificate chain issued for the pod.",
)

VOLUME_PROJECTION = obj(
    "io.k8s.api.core.v1.VolumeProjection",
    {
        "secret": SECRET_PROJECTION.describe("Keys of a Secret."),
        "downwardAPI": DOWNWARD_API_PROJECTION.describe("Pod fields."),
        "configMap": CONFIG_MAP_PROJECTION.describe("Keys of a ConfigMap."),
        "serviceAccountToken": SERVICE_ACCOUNT_TOKEN_PROJECTION.describe(
            "A service account token for a chosen audience."
        ),
        "clusterTrustBundle": CLUSTER_TRUST_BUNDLE_PROJECTION.describe(
            "Certificates of ClusterTrustBundle objects."
        ),
        "podCertificate": POD_CERTIFICATE_PROJECTION.describe(
            "A private key and certificate issued for the pod."
        ),
    },
    description="One source of a projected volume; exactly one field is set.",
)

PROJECTED_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.ProjectedVolumeSource",
    {
        "sources": array(VOLUME_PROJECTION, "The projections, one source each."),
        "defaultMode": integer("Permission bits of the created files, 0000 to 0777."),
    },
    description="Several sources projected into one directory.",
)

LOCAL_OBJECT_REFERENCE = obj(
    "io.k8s.api.core.v1.LocalObjectReference",
    {
        "name": string("Name of the referent."),
    },
    description="A reference by name to an object in the same namespace.",
)

CSI_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.CSIVolumeSource",
    {
        "driver": string("Name of the CSI driver."),
        "readOnly": boolean("Mount read-only."),
        "fsType": string("Filesystem type, e.g. ext4."),
        "volumeAttributes": string_map("Driver-specific properties."),
        "nodePublishSecretRef": LOCAL_OBJECT_REFERENCE.describe(
            "Secret with credentials for the driver's publish calls."
        ),
    },
    required=("driver",),
    description="An inline volume managed by a CSI driver.",
)

VOLUME_RESOURCE_REQUIREMENTS = obj(
    "io.k8s.api.core.v1.VolumeResourceRequirements",
    {
        "limits": map_of(quantity(), "Maximum amount of each resource."),
        "requests": map_of(quantity(), "Minimum amount of each resource, e.g. storage."),
    },
    description="Storage amounts a claim requests.",
)

TYPED_LOCAL_OBJECT_REFERENCE = obj(
    "io.k8s.api.core.v1.TypedLocalObjectReference",
    {
        "apiGroup": string("API group of the referent; empty for the core group."),
        "kind": string("Kind of the referent."),
        "name": string("Name of the referent."),
    },
    required=("kind", "name"),
    description="A typed reference to an object in the same namespace.",
)

TYPED_OBJECT_REFERENCE = obj(
    "io.k8s.api.core.v1.TypedObjectReference",
    {
        "apiGroup": string("API group of the referent; empty for the core group."),
        "kind": string("Kind of the referent."),
        "name": string("Name of the referent."),
        "namespace": string(
            "Namespace of the referent; needs a ReferenceGrant when it is not the claim's."
        ),
    },
    required=("kind", "name"),
    description="A typed reference to an object, possibly in another namespace.",
)

PERSISTENT_VOLUME_CLAIM_SPEC = obj(
    "io.k8s.api.core.v1.PersistentVolumeClaimSpec",
    {
        "accessModes": array(
            string(enum=("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")),
            "Access modes the volume must support.",
        ),
        "selector": LABEL_SELECTOR.describe(
            "Label query over volumes that may be bound to the claim."
        ),
        "resources": VOLUME_RESOURCE_REQUIREMENTS.describe(
            "Minimum (and optionally maximum) storage the volume must provide."
        ),
        "volumeName": string("Name of the PersistentVolume bound to the claim."),
        "storageClassName": string("StorageClass the claim asks for; empty string means no class."),
        "volumeMode": string(
            "Whether the volume is a filesystem or a raw block device.",
            enum=("Block", "Filesystem"),
        ),
        "dataSource": TYPED_LOCAL_OBJECT_REFERENCE.describe(
            "Existing snapshot or claim to fill the new volume from."
        ),
        "dataSourceRef": TYPED_OBJECT_REFERENCE.describe(
            "Object to fill the new volume from, possibly a custom populator."
        ),
        "volumeAttributesClassName": string("VolumeAttributesClass to apply to the claim."),
    },
    description="What storage a claim asks for.",
)

PERSISTENT_VOLUME_CLAIM_TEMPLATE = obj(
    "io.k8s.api.core.v1.PersistentVolumeClaimTemplate",
    {
        "metadata": OBJECT_META.describe("Labels and annotations copied to the claim."),
        "spec": PERSISTENT_VOLUME_CLAIM_SPEC.describe("Spec of the claim, copied unchanged."),
    },
    required=("spec",),
    description="Template of the claim made for an ephemeral volume.",
)

EPHEMERAL_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.EphemeralVolumeSource",
    {
        "volumeClaimTemplate": PERSISTENT_VOLUME_CLAIM_TEMPLATE.describe(
            "Template of the PersistentVolumeClaim to create."
        ),
    },
    description="A claim made from a template for the pod's lifetime.",
)

IMAGE_VOLUME_SOURCE = obj(
    "io.k8s.api.core.v1.ImageVolumeSource",
    {
        "reference": string("Image or artifact reference, as for a container image."),
        "pullPolicy": string(
            "When to pull the reference: Always, Never or IfNotPresent.",
            enum=("Always", "Never", "IfNotPresent"),
        ),
    },
    description="An OCI image or artifact as a volume.",
)

VOLUME = obj(
    "io.k8s.api.core.v1.Volume",
    {
        "name": string("Name of the volume, a DNS label unique within the pod."),
        "hostPath": HOST_PATH_VOLUME_SOURCE.describe(
            "A file or directory of the node, mapped into the pod."
        ),
        "emptyDir": EMPTY_DIR_VOLUME_SOURCE.describe(
            "A scratch directory that lives as long as the pod."
        ),
        "gcePersistentDisk": any_(
            "Legacy in-tree GCE persistent disk; accepted but not interpreted here."
        ),
        "awsElasticBlockStore": any_(
            "Legacy in-tree AWS EBS disk; accepted but not interpreted here."
        ),
        "gitRepo": any_("Deprecated git repository checkout; accepted but not interpreted here."),
        "secret": SECRET_VOLUME_SOURCE.describe("Files made from the keys of a Secret."),
        "nfs": NFS_VOLUME_SOURCE.describe("An NFS export mounted for the pod."),
        "iscsi": any_("Legacy iSCSI disk; accepted but not interpreted here."),
        "glusterfs": any_("Legacy GlusterFS mount; accepted but not interpreted here."),
        "persistentVolumeClaim": PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE.describe(
            "A PersistentVolumeClaim in the pod's namespace."
        ),
        "rbd": any_("Legacy Ceph RBD device; accepted but not interpreted here."),
        "flexVolume": any_("Legacy FlexVolume driver volume; accepted but not interpreted here."),
        "cinder": any_("Legacy OpenStack Cinder volume; accepted but not interpreted here."),
        "cephfs": any_("Legacy CephFS mount; accepted but not interpreted here."),
        "flocker": any_("Legacy Flocker volume; accepted but not interpreted here."),
        "downwardAPI": DOWNWARD_API_VOLUME_SOURCE.describe(
            "Files holding fields of the pod itself."
        ),
        "fc": any_("Legacy Fibre Channel disk; accepted but not interpreted here."),
        "azureFile": any_("Legacy Azure File share; accepted but not interpreted here."),
        "configMap": CONFIG_MAP_VOLUME_SOURCE.describe("Files made from the keys of a ConfigMap."),
        "vsphereVolume": any_("Legacy vSphere disk; accepted but not interpreted here."),
        "quobyte": any_("Legacy Quobyte mount; accepted but not interpreted here."),
        "azureDisk": any_("Legacy Azure data disk; accepted but not interpreted here."),
        "photonPersistentDisk": any_(
            "Legacy Photon Controller disk; accepted but not interpreted here."
        ),
        "projected": PROJECTED_VOLUME_SOURCE.describe(
            "Several secrets, config maps, downward API items and tokens in one directory."
        ),
        "portworxVolume": any_("Legacy Portworx volume; accepted but not interpreted here."),
        "scaleIO": any_("Legacy ScaleIO volume; accepted but not interpreted here."),
        "storageos": any_("Legacy StorageOS volume; accepted but not interpreted here."),
        "csi": CSI_VOLUME_SOURCE.describe("An inline ephemeral volume from a CSI driver."),
        "ephemeral": EPHEMERAL_VOLUME_SOURCE.describe(
            "A volume backed by a PersistentVolumeClaim made for, and deleted with, the pod."
        ),
        "image": IMAGE_VOLUME_SOURCE.describe("An OCI image or artifact mounted read-only."),
    },
    required=("name",),
    description="A named volume that containers of the pod can mount.",
)
