"""Schema of the storage.k8s.io/v1 StorageClass."""

from __future__ import annotations

from minikube_py.api.schema import array, boolean, obj, string, string_map
from minikube_py.api.schemas.meta import kind

TOPOLOGY_SELECTOR_TERM = obj(
    "io.k8s.api.core.v1.TopologySelectorTerm",
    {"matchLabelExpressions": array(obj(
        "io.k8s.api.core.v1.TopologySelectorLabelRequirement",
        {"key": string("The label key."),
         "values": array(string(), "Values the label may have.", list_type="atomic")},
        required=("key", "values"),
        description="A topology label and the values it may have."),
        "Requirements, all of which must hold.", list_type="atomic")},
    description="Topology a dynamically provisioned volume may be placed in.",
)

STORAGE_CLASS = kind(
    "io.k8s.api.storage.v1.StorageClass",
    {
        "provisioner": string("The provisioner of volumes of this class "
                              "(e.g. minikube-py.io/hostpath)."),
        "parameters": string_map("Parameters for the provisioner."),
        "reclaimPolicy": string("Reclaim policy of the volumes provisioned: Delete "
                                "(default) or Retain.", enum=("Delete", "Recycle", "Retain")),
        "mountOptions": array(string(), "Mount options of the volumes provisioned.",
                              list_type="atomic"),
        "allowVolumeExpansion": boolean("Whether claims of this class may grow."),
        "volumeBindingMode": string(
            "When claims are bound and provisioned: Immediate (default) or "
            "WaitForFirstConsumer (once a pod using the claim is scheduled).",
            enum=("Immediate", "WaitForFirstConsumer")),
        "allowedTopologies": array(TOPOLOGY_SELECTOR_TERM, "Where volumes may be "
                                   "provisioned (empty: anywhere).", list_type="atomic"),
    },
    required=("provisioner",),
    description="A class of dynamically provisioned PersistentVolumes and their provisioner.",
)
