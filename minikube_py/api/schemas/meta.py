"""Schemas of the meta types every kind shares, and ``kind()`` that wraps a kind's fields.

``OBJECT_META``, ``LIST_META``, ``LABEL_SELECTOR``, ``OWNER_REFERENCE``, ``DELETE_OPTIONS`` and
``CONDITION`` are apimachinery's ``meta/v1`` types; ``OBJECT_REFERENCE`` is core/v1's
ObjectReference, kept here because events, bindings and endpoints all point with it.
Every other module of ``api/schemas`` builds on this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from minikube_py.api.schema import (
    Schema,
    any_,
    array,
    boolean,
    int64,
    obj,
    string,
    string_map,
    timestamp,
)

DESC_API_VERSION = "Versioned schema of this representation of the object, e.g. apps/v1."
DESC_KIND = "The REST resource type of this object, in CamelCase."

OWNER_REFERENCE = obj(
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
    {
        "apiVersion": string("API version of the owner."),
        "kind": string("Kind of the owner."),
        "name": string("Name of the owner."),
        "uid": string("UID of the owner."),
        "controller": boolean(
            "True if the owner is the managing controller (at most one per object)."
        ),
        "blockOwnerDeletion": boolean(
            "If true, the owner's foreground deletion waits for this object to be gone."
        ),
    },
    required=("apiVersion", "kind", "name", "uid"),
    description="Identifies an owner of this object, in the same namespace.",
)

OBJECT_META = obj(
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    {
        "name": string("Name of the object, unique within its namespace and kind."),
        "generateName": string(
            "Prefix from which the server makes a unique name when name is empty."
        ),
        "namespace": string("Namespace the object lives in; empty for cluster-scoped kinds."),
        "selfLink": string("Legacy URL of the object; never set any more."),
        "uid": string("Unique identifier the server assigns at creation; never reused."),
        "resourceVersion": string(
            "Opaque version of the object, used for optimistic concurrency and watches."
        ),
        "generation": int64("Counter of changes to the desired state, set by the server."),
        "creationTimestamp": timestamp("When the server created the object."),
        "deletionTimestamp": timestamp(
            "When the object was asked to be deleted; set by the server."
        ),
        "deletionGracePeriodSeconds": int64(
            "Grace period the object has left before it is removed."
        ),
        "labels": string_map("Key/value pairs for grouping and selecting objects."),
        "annotations": string_map(
            "Arbitrary key/value data for tools and extensions; not used for selection."
        ),
        "ownerReferences": array(
            OWNER_REFERENCE,
            "Objects this object depends on; when all owners are gone it is garbage collected.",
            merge_key="uid",
        ),
        "finalizers": array(
            string(),
            "Identifiers that must all be removed before the object is deleted for good.",
            strategy="merge",
            list_type="set",
        ),
        "managedFields": array(
            any_(), "Which manager set which fields (server-side apply bookkeeping)."
        ),
    },
    description="Metadata every persisted object carries: identity, labels, ownership, lifecycle.",
)

SHARD_INFO = obj(
    "io.k8s.apimachinery.pkg.apis.meta.v1.ShardInfo",
    {
        "selector": string("The shard selector from the request, echoed back."),
    },
    required=("selector",),
    description="The shard selector that produced a filtered list.",
)

LIST_META = obj(
    "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
    {
        "selfLink": string("Legacy URL of the list; never set any more."),
        "resourceVersion": string("Version of the collection at which the list was read."),
        "continue": string("Token to fetch the next page of a limited list."),
        "remainingItemCount": int64("How many items are left after this page, when known."),
        "shardInfo": SHARD_INFO.describe("The shard selector that filtered this list, if any."),
    },
    description="Metadata of a list response.",
)

LABEL_SELECTOR_REQUIREMENT = obj(
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement",
    {
        "key": string("Label key the requirement tests."),
        "operator": string("How the key relates to the values: In, NotIn, Exists or DoesNotExist."),
        "values": array(string(), "Values to compare with; empty for Exists and DoesNotExist."),
    },
    required=("key", "operator"),
    description="One set-based requirement on a label.",
)

LABEL_SELECTOR = obj(
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    {
        "matchLabels": string_map(
            "Labels that must match exactly, each equivalent to an In requirement."
        ),
        "matchExpressions": array(
            LABEL_SELECTOR_REQUIREMENT, "Set-based requirements that must all hold."
        ),
    },
    description="A label query; its parts are ANDed and an empty selector matches everything.",
)

PRECONDITIONS = obj(
    "io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions",
    {
        "uid": string("The object must have this UID."),
        "resourceVersion": string("The object must be at this resourceVersion."),
    },
    description="Conditions the target object must meet for an operation to go ahead.",
)

DELETE_OPTIONS = obj(
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
    {
        "apiVersion": string(
            "Versioned schema of this representation of the object, e.g. apps/v1."
        ),
        "kind": string("The REST resource type of this object, in CamelCase."),
        "gracePeriodSeconds": int64(
            "Seconds before the object is removed; zero means immediately."
        ),
        "preconditions": PRECONDITIONS.describe(
            "Conditions the object must meet or the delete fails with a conflict."
        ),
        "orphanDependents": boolean(
            "Deprecated: whether dependents are orphaned; use propagationPolicy."
        ),
        "propagationPolicy": string(
            "How dependents are garbage collected: Orphan, Background or Foreground."
        ),
        "dryRun": array(string(), "Validate and admit but do not persist; the only value is All."),
        "ignoreStoreReadErrorWithClusterBreakingPotential": boolean(
            "Force-delete an object that cannot be read from storage (unsafe)."
        ),
    },
    description="Options of a delete request.",
)

CONDITION = obj(
    "io.k8s.apimachinery.pkg.apis.meta.v1.Condition",
    {
        "type": string("Kind of condition, in CamelCase or domain/CamelCase."),
        "status": string("Whether the condition holds: True, False or Unknown."),
        "observedGeneration": int64("The metadata.generation this condition was computed from."),
        "lastTransitionTime": timestamp("When the status last changed."),
        "reason": string("One-word CamelCase cause of the last transition."),
        "message": string("Human-readable details of the last transition."),
    },
    required=("type", "status", "lastTransitionTime", "reason", "message"),
    description="One aspect of an object's current state, in the shape shared by most API types.",
)

OBJECT_REFERENCE = obj(
    "io.k8s.api.core.v1.ObjectReference",
    {
        "kind": string("Kind of the referent."),
        "namespace": string("Namespace of the referent."),
        "name": string("Name of the referent."),
        "uid": string("UID of the referent."),
        "apiVersion": string("API version of the referent."),
        "resourceVersion": string("Version of the referent this reference was made against."),
        "fieldPath": string("Path to a part of the referent, e.g. spec.containers{name}."),
    },
    description="A reference to an object, or a field of one, by kind, namespace and name.",
)


def kind(
    name: str, fields: Mapping[str, Schema], *, description: str, required: Iterable[str] = ()
) -> Schema:
    """A top-level kind: apiVersion, kind and metadata, then the kind's own ``fields``.

    ``fields`` may name ``metadata`` again to give it a description of its own.
    """
    return obj(
        name,
        {
            "apiVersion": string(DESC_API_VERSION),
            "kind": string(DESC_KIND),
            "metadata": OBJECT_META.describe("Standard object metadata."),
            **fields,
        },
        required=required,
        description=description,
    )
