"""Schema of the apiextensions.k8s.io/v1 CustomResourceDefinition.

A version's ``schema.openAPIV3Schema`` (a JSONSchemaProps tree, recursive) is kept as
arbitrary JSON here: its own rules are checked by ``api/validation/apiextensions.py``, and the
custom resources it describes are checked against it by ``api/machinery/structuralschema.py``.
"""

from __future__ import annotations

from minikube_py.api.schema import any_, array, boolean, integer, obj, string, timestamp
from minikube_py.api.schemas.meta import kind

P = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."

NAMES = obj(P + "CustomResourceDefinitionNames", {
    "plural": string("Plural name of the resource, lowercase: the last segment of its URL."),
    "singular": string("Singular name of the resource, lowercase; defaults to the kind "
                       "lowercased."),
    "shortNames": array(string(), "Short names for the resource (kubectl get <shortname>)."),
    "kind": string("Kind of the objects, in CamelCase."),
    "listKind": string("Kind of lists of the objects; defaults to <kind>List."),
    "categories": array(string(), "Groups of resources this one belongs to, e.g. all."),
}, required=("plural", "kind"), description="Names of a custom resource.")

PRINTER_COLUMN = obj(P + "CustomResourceColumnDefinition", {
    "name": string("Human-readable name of the column."),
    "type": string("OpenAPI type of the column: integer, number, string, boolean or date."),
    "format": string("Optional OpenAPI format of the column, e.g. name."),
    "description": string("Human-readable description of the column."),
    "priority": integer("0: shown always; greater: only with -o wide."),
    "jsonPath": string("Simple JSONPath evaluated against each object for the cell."),
}, required=("name", "type", "jsonPath"), description="A column of kubectl get.")

SCALE = obj(P + "CustomResourceSubresourceScale", {
    "specReplicasPath": string("JSON path of the desired replicas, e.g. .spec.replicas."),
    "statusReplicasPath": string("JSON path of the observed replicas, e.g. "
                                 ".status.replicas."),
    "labelSelectorPath": string("JSON path of the serialized label selector in status."),
}, required=("specReplicasPath", "statusReplicasPath"),
    description="How the scale subresource maps to a custom resource's fields.")

SUBRESOURCES = obj(P + "CustomResourceSubresources", {
    "status": any_("Serve /status: status changes only through it, spec only through the "
                   "main resource."),
    "scale": SCALE.describe("Serve /scale with these paths."),
}, description="The subresources a version serves.")

VALIDATION = obj(P + "CustomResourceValidation", {
    "openAPIV3Schema": any_("OpenAPI v3 schema of the objects: validation, pruning and "
                            "defaulting."),
}, description="Schema of a version's objects.")

VERSION = obj(P + "CustomResourceDefinitionVersion", {
    "name": string("Version name, e.g. v1 or v1beta1: the apiVersion is <group>/<name>."),
    "served": boolean("Whether the version is served by the REST API."),
    "storage": boolean("Whether objects are stored in this version; exactly one version is."),
    "deprecated": boolean("Whether the version is deprecated (requests get a warning)."),
    "deprecationWarning": string("The warning returned to clients of a deprecated version."),
    "schema": VALIDATION.describe("Schema of the version's objects."),
    "subresources": SUBRESOURCES.describe("Subresources of the version."),
    "additionalPrinterColumns": array(PRINTER_COLUMN, "Extra columns of kubectl get."),
    "selectableFields": array(any_(), "Fields usable in field selectors."),
}, required=("name", "served", "storage"), description="One version of a custom resource.")

CONVERSION = obj(P + "CustomResourceConversion", {
    "strategy": string("None (only apiVersion changes) or Webhook.", enum=("None", "Webhook")),
    "webhook": any_("The conversion webhook (not supported here)."),
}, required=("strategy",), description="How objects are converted between versions.")

SPEC = obj(P + "CustomResourceDefinitionSpec", {
    "group": string("API group of the resource: /apis/<group>/<version>/..."),
    "names": NAMES.describe("Names of the resource."),
    "scope": string("Namespaced or Cluster.", enum=("Namespaced", "Cluster")),
    "versions": array(VERSION, "The versions of the resource, each served or not.",
                      list_type="atomic"),
    "conversion": CONVERSION.describe("How objects are converted between versions."),
    "preserveUnknownFields": boolean("Must be false: unknown fields are pruned."),
}, required=("group", "names", "scope", "versions"),
    description="What a custom resource is called and how it is served.")

CONDITION = obj(P + "CustomResourceDefinitionCondition", {
    "type": string("Established, NamesAccepted, Terminating, ..."),
    "status": string("True, False or Unknown."),
    "lastTransitionTime": timestamp("When the status last changed."),
    "reason": string("One-word CamelCase cause of the last transition."),
    "message": string("Human-readable details of the last transition."),
}, required=("type", "status"), description="A condition of a CustomResourceDefinition.")

STATUS = obj(P + "CustomResourceDefinitionStatus", {
    "conditions": array(CONDITION, "Conditions of the definition.", merge_key="type",
                        list_type="map", map_keys=("type",)),
    "acceptedNames": NAMES.describe("The names actually served (they may differ from "
                                    "spec.names while a conflict lasts)."),
    "storedVersions": array(string(), "Every version objects were ever stored in."),
}, description="Observed state of a CustomResourceDefinition.")

CUSTOM_RESOURCE_DEFINITION = kind(P + "CustomResourceDefinition", {
    "spec": SPEC.describe("The resource's group, names, scope and versions."),
    "status": STATUS.describe("Observed state of the definition."),
}, required=("spec",), description="A new kind served by the apiserver, defined by its "
                                   "group, names, scope and versioned schemas.")
