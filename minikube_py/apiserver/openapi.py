"""OpenAPI v3 documents of the served API, generated from the registry and the kinds' schemas.

kubectl reads them: ``apply``/``create`` look for the ``fieldValidation`` parameter on a kind's
PATCH operation (found by its ``x-kubernetes-group-version-kind``) and then leave validation to
the server; client-side ``apply`` computes strategic merge patches from the components'
``x-kubernetes-patch-merge-key``/``-strategy``; ``kubectl explain`` renders the components.
So every document lists every REST path of its group-version and carries *complete*
``components.schemas``: a partial set makes kubectl warn and fall back.

``/openapi/v3`` is the index (one ``serverRelativeURL`` per group-version, with the hash of the
document); ``/openapi/v3/api/v1`` and ``/openapi/v3/apis/{group}/{version}`` the documents.
Each is generated once, when first asked for, and kept until the registry changes (its
``generation``: custom resources come and go). OpenAPI v2 (``openapi_v2.py``) is derived
from these documents.

The daemon calls :func:`install_openapi` to register the handlers on the ``ApiServer``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
from collections.abc import Iterable
from typing import Any

from minikube_py.api import schemas as schemas_pkg
from minikube_py.api.errors import MethodNotAllowed, NotFound
from minikube_py.api.registry import SUBRESOURCE_KINDS, SUBRESOURCE_VERBS, Registry, ResourceType
from minikube_py.api.schema import Schema, array, boolean, integer, obj, string
from minikube_py.api.schemas.authentication import TOKEN_REQUEST
from minikube_py.api.schemas.autoscaling import SCALE
from minikube_py.api.schemas.core import BINDING
from minikube_py.api.schemas.meta import (
    DELETE_OPTIONS,
    DESC_API_VERSION,
    DESC_KIND,
    LIST_META,
    OBJECT_META,
)
from minikube_py.api.schemas.policy import EVICTION
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.server import GIT_VERSION, ApiServer

REF_PREFIX = "#/components/schemas/"
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
TIME = META + "Time"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"

# -- definitions only the OpenAPI documents need ---------------------------------------------

STATUS_CAUSE = obj(META + "StatusCause", {
    "reason": string("Machine-readable cause of the error; empty when unknown."),
    "message": string("Human-readable description of the cause."),
    "field": string("The field that caused the error, e.g. spec.containers[0].image."),
}, description="One cause of an error, often a field that failed validation.")

STATUS_DETAILS = obj(META + "StatusDetails", {
    "name": string("Name of the object the status is about."),
    "group": string("Group of the object the status is about."),
    "kind": string("Kind (resource) of the object the status is about."),
    "uid": string("UID of the object the status is about."),
    "causes": array(STATUS_CAUSE, "Every cause of the error."),
    "retryAfterSeconds": integer("Seconds the client should wait before retrying."),
}, description="Details of a Status, for clients that act on them.")

STATUS = obj(META + "Status", {
    "apiVersion": string(DESC_API_VERSION),
    "kind": string(DESC_KIND),
    "metadata": LIST_META.describe("Standard list metadata."),
    "status": string("Success or Failure."),
    "message": string("Human-readable description of the status."),
    "reason": string("Machine-readable reason for a Failure, e.g. NotFound."),
    "details": STATUS_DETAILS.describe("Extra data that depends on the reason."),
    "code": integer("HTTP status code of the response."),
}, description="The result of an operation that returns no object, and every error.")

PATCH = obj(META + "Patch", {},
            description="The body of a PATCH request: a JSON patch, merge patch, strategic "
                        "merge patch or apply configuration, as the Content-Type says.")

RAW_EXTENSION = obj("io.k8s.apimachinery.pkg.runtime.RawExtension", {},
                    description="An embedded object of any kind.")

WATCH_EVENT = obj(META + "WatchEvent", {
    "type": string("ADDED, MODIFIED, DELETED, BOOKMARK or ERROR."),
    "object": RAW_EXTENSION.describe("The object (a Status for ERROR events)."),
}, required=("type", "object"), description="One event of a watch stream.")

API_RESOURCE = obj(META + "APIResource", {
    "name": string("Plural name of the resource."),
    "singularName": string("Singular name of the resource."),
    "namespaced": boolean("Whether the resource lives in namespaces."),
    "group": string("Group of a subresource's kind, when it differs from the list's."),
    "version": string("Version of a subresource's kind, when it differs from the list's."),
    "kind": string("Kind of the resource."),
    "verbs": array(string(), "Verbs the resource supports."),
    "shortNames": array(string(), "Short names, e.g. po for pods."),
    "categories": array(string(), "Categories the resource belongs to, e.g. all."),
    "storageVersionHash": string("Opaque hash of the storage version."),
}, required=("name", "singularName", "namespaced", "kind", "verbs"),
    description="One resource of a group-version.")

API_RESOURCE_LIST = obj(META + "APIResourceList", {
    "apiVersion": string(DESC_API_VERSION),
    "kind": string(DESC_KIND),
    "groupVersion": string("The group-version listed."),
    "resources": array(API_RESOURCE, "The resources served in it."),
}, required=("groupVersion", "resources"),
    description="The resources of one group-version (discovery).")

# Leaf types Kubernetes names; our schema DSL spells them as formats.
_LEAVES: dict[str, dict[str, Any]] = {
    TIME: {"type": "string", "format": "date-time",
           "description": "A timestamp in RFC 3339 form, e.g. 2024-01-02T15:04:05Z."},
    QUANTITY: {"oneOf": [{"type": "string"}, {"type": "number"}],
               "description": "A fixed-point amount such as 500m, 2, 128Mi or 1e3, as a string "
                              "(or a plain number)."},
    INT_OR_STRING: {"format": "int-or-string", "oneOf": [{"type": "integer"},
                                                         {"type": "string"}],
                    "description": "An integer or a string, e.g. a port number or a port "
                                   "name."},
}

# Subresource kinds that have a body (Scale, Binding, Eviction); the rest speak the parent's.
_SUBRESOURCE_SCHEMAS: dict[tuple[str, str, str], Schema] = {
    ("autoscaling", "v1", "Scale"): SCALE,
    ("", "v1", "Binding"): BINDING,
    ("policy", "v1", "Eviction"): EVICTION,
    ("authentication.k8s.io", "v1", "TokenRequest"): TOKEN_REQUEST,
}
_CONNECT_SUBRESOURCES = {"exec", "attach", "portforward"}


def _canonical_definitions() -> dict[str, Schema]:
    """Definition name -> the node declared in ``api/schemas`` (its own description, not the
    description a field gave it with ``describe``)."""
    found: dict[str, Schema] = {}
    for module in pkgutil.iter_modules(schemas_pkg.__path__):
        mod = importlib.import_module(f"{schemas_pkg.__name__}.{module.name}")
        for value in vars(mod).values():
            if isinstance(value, Schema) and value.name:
                found.setdefault(value.name, value)
    return found


# -- schema conversion -----------------------------------------------------------------------

class Components:
    """The ``components.schemas`` of one document: every definition that its paths reference,
    converted from the schema DSL as they are met."""

    def __init__(self, canonical: dict[str, Schema]) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}
        self._canonical = canonical

    def ref(self, node: Schema) -> dict[str, str]:
        """``{"$ref": ...}`` to the definition of a named node, defining it if needed."""
        assert node.name, "only named nodes have a definition"
        if node.name not in self.schemas:
            self.schemas[node.name] = {}  # reserve first: definitions may be recursive
            self.schemas[node.name] = self._object(self._canonical.get(node.name, node))
        return {"$ref": REF_PREFIX + node.name}

    def leaf(self, name: str) -> dict[str, str]:
        self.schemas.setdefault(name, dict(_LEAVES[name]))
        return {"$ref": REF_PREFIX + name}

    def _object(self, node: Schema) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object"}
        if node.description:
            out["description"] = node.description
        if node.fields:
            out["properties"] = {k: self.property(v) for k, v in node.fields.items()}
        required = [k for k in node.fields if k in node.required]
        required += sorted(node.required - set(node.fields))
        if required:
            out["required"] = required
        if node.preserve_unknown:
            out["x-kubernetes-preserve-unknown-fields"] = True
        return out

    def property(self, node: Schema, *, described: bool = True) -> dict[str, Any]:
        """The schema of a field's value (``described=False`` for list items and map values,
        which Kubernetes leaves without words of their own)."""
        out = self._shape(node)
        extensions = _patch_extensions(node)
        description = node.description if described else ""
        if "$ref" in out and (description or extensions):
            out = {"allOf": [out]}  # OpenAPI 3.0 ignores siblings of a bare $ref
        if description:
            out["description"] = description
        if node.nullable:
            out["nullable"] = True
        out.update(extensions)
        return out

    def _shape(self, node: Schema) -> dict[str, Any]:
        node_type = node.type
        if node_type == "object":
            return self.ref(node) if node.name else self._object(node)
        if node_type == "array":
            assert node.items is not None
            return {"type": "array", "items": self.property(node.items, described=False)}
        if node_type == "map":
            assert node.items is not None
            return {"type": "object",
                    "additionalProperties": self.property(node.items, described=False)}
        if node_type == "quantity":
            return self.leaf(QUANTITY)
        if node_type == "int-or-string":
            return self.leaf(INT_OR_STRING)
        if node_type == "any":
            return {"x-kubernetes-preserve-unknown-fields": True}
        if node_type == "string" and node.format == "date-time":
            return self.leaf(TIME)
        out: dict[str, Any] = {"type": node_type}
        if node.format:
            out["format"] = node.format
        if node.enum is not None:
            out["enum"] = list(node.enum)
        return out


def _patch_extensions(node: Schema) -> dict[str, Any]:
    """The strategic-merge and list-topology extensions of a field, as Kubernetes tags them."""
    out: dict[str, Any] = {}
    if node.type == "array" and node.list_type:
        out["x-kubernetes-list-type"] = node.list_type
        if node.list_type == "map" and node.list_map_keys:
            out["x-kubernetes-list-map-keys"] = list(node.list_map_keys)
    if node.patch_merge_key:
        out["x-kubernetes-patch-merge-key"] = node.patch_merge_key
    if node.patch_strategy:
        out["x-kubernetes-patch-strategy"] = node.patch_strategy
    return out


# -- kinds and their definitions -------------------------------------------------------------

def _gvk(group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group, "kind": kind, "version": version}


def _kind_schema(rt: ResourceType) -> Schema:
    if rt.schema is not None and rt.schema.name:
        return rt.schema
    prefix = "io.k8s.api.core" if not rt.group else ".".join(reversed(rt.group.split(".")))
    return obj(f"{prefix}.{rt.version}.{rt.kind}", {
        "apiVersion": string(DESC_API_VERSION), "kind": string(DESC_KIND),
        "metadata": OBJECT_META.describe("Standard object metadata."),
    }, preserve_unknown=True, description=f"A {rt.kind}.")


def _list_schema(rt: ResourceType) -> Schema:
    item = _kind_schema(rt)
    return obj(f"{item.name}List", {
        "apiVersion": string(DESC_API_VERSION),
        "items": Schema("array", description=f"The {rt.kind} objects.", items=item),
        "kind": string(DESC_KIND),
        "metadata": LIST_META.describe("Standard list metadata."),
    }, required=("items",), description=f"A list of {rt.kind} objects.")


def _subresource_kind(rt: ResourceType, sub: str) -> tuple[str, str, str]:
    return SUBRESOURCE_KINDS.get(sub) or (rt.group, rt.version, rt.kind)


def _gvk_index(registry: Registry) -> dict[str, list[dict[str, str]]]:
    """Definition name -> the group-version-kinds it is the schema of."""
    index: dict[str, list[dict[str, str]]] = {}

    def add(name: str | None, gvk: dict[str, str]) -> None:
        if name and gvk not in index.setdefault(name, []):
            index[name].append(gvk)

    for rt in registry:
        add(_kind_schema(rt).name, _gvk(rt.group, rt.version, rt.kind))
        add(_list_schema(rt).name, _gvk(rt.group, rt.version, rt.list_kind))
    for (group, version, kind), schema in _SUBRESOURCE_SCHEMAS.items():
        add(schema.name, _gvk(group, version, kind))
    served = sorted({(rt.group, rt.version) for rt in registry} | {("", "v1")})
    for group, version in served:
        add(DELETE_OPTIONS.name, _gvk(group, version, "DeleteOptions"))
        add(WATCH_EVENT.name, _gvk(group, version, "WatchEvent"))
    add(STATUS.name, _gvk("", "v1", "Status"))
    add(API_RESOURCE_LIST.name, _gvk("", "v1", "APIResourceList"))
    return index


# -- parameters ------------------------------------------------------------------------------

def _query(name: str, type_: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": {"type": type_}}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}


PRETTY = _query("pretty", "string", "If 'true', the output is pretty printed.")
NAMESPACE = _path_param("namespace", "object name and auth scope, such as for teams and projects")
DRY_RUN = _query("dryRun", "string",
                 "When present (the only value is All), the request is validated and admitted "
                 "but nothing is persisted.")
FIELD_MANAGER = _query("fieldManager", "string",
                       "Name of the actor making the change, recorded for server-side apply; "
                       "required for apply patches.")
FIELD_VALIDATION = _query("fieldValidation", "string",
                          "How the server treats unknown or duplicate fields in the body: "
                          "Ignore drops them, Warn drops them with a warning, Strict rejects "
                          "the request.")
FORCE = _query("force", "boolean",
               "Force an apply patch: take over fields other managers own. Only for apply.")
WRITE_PARAMS = (DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION)
LIST_PARAMS = (
    _query("allowWatchBookmarks", "boolean", "Ask a watch for BOOKMARK events."),
    _query("continue", "string", "Token from a previous limited list to fetch the next page."),
    _query("fieldSelector", "string", "Select objects by fields, e.g. metadata.name=web."),
    _query("labelSelector", "string", "Select objects by labels, e.g. app=web,tier!=db."),
    _query("limit", "integer", "Most items to return; more can be fetched with continue."),
    _query("resourceVersion", "string",
           "The resource version the list is served at, or a watch starts after."),
    _query("resourceVersionMatch", "string",
           "How resourceVersion applies to a list: Exact or NotOlderThan."),
    _query("sendInitialEvents", "boolean",
           "Start a watch with the current objects as ADDED events."),
    _query("timeoutSeconds", "integer", "Time limit of the list or watch call."),
    _query("watch", "boolean", "Watch for changes instead of listing."),
)
DELETE_PARAMS = (
    DRY_RUN,
    _query("gracePeriodSeconds", "integer",
           "Seconds before the object is deleted; zero deletes at once."),
    _query("orphanDependents", "boolean", "Deprecated: use propagationPolicy."),
    _query("propagationPolicy", "string",
           "How dependents are garbage collected: Orphan, Background or Foreground."),
)
DELETE_COLLECTION_PARAMS = tuple(p for p in LIST_PARAMS
                                 if p["name"] not in ("allowWatchBookmarks", "watch"))
LOG_PARAMS = (
    _query("container", "string", "The container to read; may be omitted for one container."),
    _query("follow", "boolean", "Stream the log as it grows."),
    _query("insecureSkipTLSVerifyBackend", "boolean",
           "Do not verify the kubelet's serving certificate."),
    _query("limitBytes", "integer", "Stop after this many bytes."),
    _query("previous", "boolean", "Read the log of the previous, terminated container."),
    _query("sinceSeconds", "integer", "Only lines newer than this many seconds."),
    _query("tailLines", "integer", "Only this many lines from the end."),
    _query("timestamps", "boolean", "Prefix each line with its RFC 3339 timestamp."),
)
_STREAM_PARAMS = (
    _query("container", "string", "The container to connect to."),
    _query("stderr", "boolean", "Redirect the standard error stream."),
    _query("stdin", "boolean", "Redirect the standard input stream."),
    _query("stdout", "boolean", "Redirect the standard output stream."),
    _query("tty", "boolean", "Allocate a terminal."),
)
CONNECT_PARAMS: dict[str, tuple[dict[str, Any], ...]] = {
    "exec": (_query("command", "string", "The command to run, one argument per parameter."),
             *_STREAM_PARAMS),
    "attach": _STREAM_PARAMS,
    "portforward": (_query("ports", "integer", "Pod ports to forward to."),),
}

JSON_TYPES = ("application/json", "application/yaml")
PATCH_TYPES = ("application/apply-patch+yaml", "application/json-patch+json",
               "application/merge-patch+json", "application/strategic-merge-patch+json")
WATCH_TYPES = ("application/json", "application/json;stream=watch", "application/yaml")
_CODE_WORDS = {"200": "OK", "201": "Created", "202": "Accepted"}


# -- paths and operations --------------------------------------------------------------------

def _camel_group(group: str) -> str:
    """``CoordinationV1``-style prefix part: core -> Core, rbac.authorization.k8s.io ->
    RbacAuthorization."""
    if not group:
        return "Core"
    return "".join(p[:1].upper() + p[1:] for p in group.removesuffix(".k8s.io").split("."))


def _tag(group: str, version: str) -> str:
    camel = _camel_group(group)
    return f"{camel[:1].lower()}{camel[1:]}_{version}"


class _Operations:
    """Builds the operations of one group-version's paths, defining schemas on the way."""

    def __init__(self, group: str, version: str, components: Components) -> None:
        self.group, self.version = group, version
        self.components = components
        self.id_prefix = _camel_group(group) + version[:1].upper() + version[1:]
        self.tag = _tag(group, version)

    def op(self, verb: str, name: str, *, description: str, action: str | None,
           gvk: dict[str, str] | None, params: Iterable[dict[str, Any]] = (),
           body: dict[str, Any] | None = None, body_types: Iterable[str] = ("*/*",),
           body_required: bool = True, response: dict[str, Any] | None = None,
           response_types: Iterable[str] = JSON_TYPES,
           codes: Iterable[str] = ("200",)) -> dict[str, Any]:
        out: dict[str, Any] = {"tags": [self.tag], "description": description,
                               "operationId": f"{verb}{self.id_prefix}{name}"}
        params = list(params)
        if params:
            out["parameters"] = params
        if body is not None:
            out["requestBody"] = {"content": {t: {"schema": body} for t in body_types}}
            if body_required:
                out["requestBody"]["required"] = True
        content = {t: {"schema": response or {"type": "string"}} for t in response_types}
        out["responses"] = {code: {"description": _CODE_WORDS[code], "content": content}
                            for code in codes}
        out["responses"]["401"] = {"description": "Unauthorized"}
        if action:
            out["x-kubernetes-action"] = action
        if gvk:
            out["x-kubernetes-group-version-kind"] = gvk
        return out

    def ref(self, node: Schema) -> dict[str, str]:
        return self.components.ref(node)

    def discovery(self) -> dict[str, Any]:
        return {"get": self.op("get", "APIResources", description="get available resources",
                               action=None, gvk=None,
                               response=self.ref(API_RESOURCE_LIST))}

    def resource(self, rt: ResourceType, root: str) -> dict[str, dict[str, Any]]:
        """Every path of one resource: collection, item, all-namespaces list, watches and
        subresources."""
        ns = "Namespaced" if rt.namespaced else ""
        scope = f"{root}/namespaces/{{namespace}}" if rt.namespaced else root
        scope_params = [NAMESPACE] if rt.namespaced else []
        name_param = _path_param("name", f"name of the {rt.kind}")
        collection, item = f"{scope}/{rt.plural}", f"{scope}/{rt.plural}/{{name}}"
        paths = {
            collection: {"parameters": [*scope_params, PRETTY], **self._collection(rt, ns)},
            item: {"parameters": [name_param, *scope_params, PRETTY], **self._item(rt, ns)},
        }
        if "watch" in rt.verbs:
            watch_scope = scope.replace(root, f"{root}/watch", 1)
            paths[f"{watch_scope}/{rt.plural}"] = {
                "parameters": [*LIST_PARAMS, *scope_params, PRETTY],
                "get": self._watch(rt, f"{ns}{rt.kind}List", "watchlist")}
            paths[f"{watch_scope}/{rt.plural}/{{name}}"] = {
                "parameters": [*LIST_PARAMS, name_param, *scope_params, PRETTY],
                "get": self._watch(rt, f"{ns}{rt.kind}", "watch")}
        if rt.namespaced and "list" in rt.verbs:
            paths[f"{root}/{rt.plural}"] = {"parameters": [*LIST_PARAMS, PRETTY], "get": self.op(
                "list", f"{rt.kind}ForAllNamespaces", action="list", gvk=self._gvk(rt),
                description=f"list or watch objects of kind {rt.kind}",
                response=self.ref(_list_schema(rt)), response_types=WATCH_TYPES)}
            if "watch" in rt.verbs:
                paths[f"{root}/watch/{rt.plural}"] = {
                    "parameters": [*LIST_PARAMS, PRETTY],
                    "get": self._watch(rt, f"{rt.kind}ListForAllNamespaces", "watchlist")}
        for sub in rt.subresources:
            paths[f"{item}/{sub}"] = {"parameters": [name_param, *scope_params, PRETTY],
                                      **self._subresource(rt, ns, sub)}
        return {path: ops for path, ops in paths.items() if len(ops) > 1}  # some operation

    @staticmethod
    def _gvk(rt: ResourceType) -> dict[str, str]:
        return _gvk(rt.group, rt.version, rt.kind)

    def _collection(self, rt: ResourceType, ns: str) -> dict[str, Any]:
        ops: dict[str, Any] = {}
        kind, gvk = self.ref(_kind_schema(rt)), self._gvk(rt)
        if "list" in rt.verbs:
            ops["get"] = self.op("list", f"{ns}{rt.kind}", action="list", gvk=gvk,
                                 description=f"list or watch objects of kind {rt.kind}",
                                 params=LIST_PARAMS, response=self.ref(_list_schema(rt)),
                                 response_types=WATCH_TYPES)
        if "create" in rt.verbs:
            ops["post"] = self.op("create", f"{ns}{rt.kind}", action="post", gvk=gvk,
                                  description=f"create a {rt.kind}", params=WRITE_PARAMS,
                                  body=kind, response=kind, codes=("200", "201", "202"))
        if "deletecollection" in rt.verbs:
            ops["delete"] = self.op(
                "delete", f"Collection{ns}{rt.kind}", action="deletecollection", gvk=gvk,
                description=f"delete collection of {rt.kind}",
                params=[*DELETE_PARAMS, *DELETE_COLLECTION_PARAMS],
                body=self.ref(DELETE_OPTIONS), body_required=False,
                response=self.ref(STATUS))
        return ops

    def _item(self, rt: ResourceType, ns: str) -> dict[str, Any]:
        ops: dict[str, Any] = {}
        kind, gvk = self.ref(_kind_schema(rt)), self._gvk(rt)
        if "get" in rt.verbs:
            ops["get"] = self.op("read", f"{ns}{rt.kind}", action="get", gvk=gvk,
                                 description=f"read the specified {rt.kind}", response=kind)
        if "update" in rt.verbs:
            ops["put"] = self._replace(rt, ns, "", kind, gvk)
        if "patch" in rt.verbs:
            ops["patch"] = self._patch(rt, ns, "", kind, gvk)
        if "delete" in rt.verbs:
            ops["delete"] = self.op("delete", f"{ns}{rt.kind}", action="delete", gvk=gvk,
                                    description=f"delete a {rt.kind}", params=DELETE_PARAMS,
                                    body=self.ref(DELETE_OPTIONS), body_required=False,
                                    response=self.ref(STATUS), codes=("200", "202"))
        return ops

    def _replace(self, rt: ResourceType, ns: str, sub: str, kind: dict[str, Any],
                 gvk: dict[str, str]) -> dict[str, Any]:
        what = f"{sub} of the specified {rt.kind}" if sub else f"the specified {rt.kind}"
        return self.op("replace", f"{ns}{rt.kind}{sub.capitalize()}", action="put", gvk=gvk,
                       description=f"replace {what}", params=WRITE_PARAMS, body=kind,
                       response=kind, codes=("200", "201"))

    def _patch(self, rt: ResourceType, ns: str, sub: str, kind: dict[str, Any],
               gvk: dict[str, str]) -> dict[str, Any]:
        # Every PATCH of a kind must carry fieldValidation: kubectl checks whichever of the
        # kind's PATCH operations it meets first (it walks the paths in random order).
        what = f"{sub} of the specified {rt.kind}" if sub else f"the specified {rt.kind}"
        return self.op("patch", f"{ns}{rt.kind}{sub.capitalize()}", action="patch", gvk=gvk,
                       description=f"partially update {what}",
                       params=[*WRITE_PARAMS, FORCE], body=self.ref(PATCH),
                       body_types=_patch_types(rt), response=kind, codes=("200", "201"))

    def _watch(self, rt: ResourceType, name: str, action: str) -> dict[str, Any]:
        return self.op("watch", name, action=action, gvk=self._gvk(rt),
                       description=f"watch changes to {rt.kind} objects",
                       response=self.ref(WATCH_EVENT), response_types=WATCH_TYPES)

    def _subresource(self, rt: ResourceType, ns: str, sub: str) -> dict[str, Any]:
        verbs = SUBRESOURCE_VERBS.get(sub, ("get",))
        gvk = _gvk(*_subresource_kind(rt, sub))
        title = sub.capitalize()
        if sub in _CONNECT_SUBRESOURCES:
            return {method: self.op(
                "connect", f"{method.capitalize()}{ns}{rt.kind}{title}", action="connect",
                gvk=gvk, description=f"connect {method.upper()} requests to {sub} of {rt.kind}",
                params=CONNECT_PARAMS.get(sub, ()), response_types=("*/*",))
                for method in ("get", "post")}
        if sub == "log":
            return {"get": self.op("read", f"{ns}{rt.kind}{title}", action="get", gvk=gvk,
                                   description=f"read log of the specified {rt.kind}",
                                   params=LOG_PARAMS,
                                   response_types=("text/plain", *JSON_TYPES))}
        schema = _SUBRESOURCE_SCHEMAS.get(_subresource_kind(rt, sub), _kind_schema(rt))
        kind = self.ref(schema)
        ops: dict[str, Any] = {}
        if "get" in verbs:
            ops["get"] = self.op("read", f"{ns}{rt.kind}{title}", action="get", gvk=gvk,
                                 description=f"read {sub} of the specified {rt.kind}",
                                 response=kind)
        if "update" in verbs:
            ops["put"] = self._replace(rt, ns, sub, kind, gvk)
        if "patch" in verbs:
            ops["patch"] = self._patch(rt, ns, sub, kind, gvk)
        if "create" in verbs:
            ops["post"] = self.op("create", f"{ns}{rt.kind}{title}", action="post", gvk=gvk,
                                  description=f"create {sub} of a {rt.kind}",
                                  params=WRITE_PARAMS, body=kind, response=kind,
                                  codes=("200", "201", "202"))
        return ops


def _patch_types(rt: ResourceType) -> tuple[str, ...]:
    """The patch bodies a kind takes: kubectl's client-side apply sends a strategic merge
    patch only where the PATCH operation lists it (custom resources: a merge patch)."""
    if rt.strategy.strategic_merge:
        return PATCH_TYPES
    return tuple(t for t in PATCH_TYPES if "strategic" not in t)


# -- documents -------------------------------------------------------------------------------

def gv_path(group: str, version: str) -> str:
    """The index key (and URL tail) of a group-version: ``api/v1`` or ``apis/apps/v1``."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _encode(doc: dict[str, Any]) -> bytes:
    # Sorted keys: the bytes, and so the hash in the index, depend only on the content.
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def build_document(registry: Registry, group: str, version: str,
                   canonical: dict[str, Schema] | None = None) -> dict[str, Any]:
    """The OpenAPI v3 document of one group-version: its paths and every schema they use."""
    served = [rt for rt in registry if rt.group == group and rt.version == version]
    if not served:
        raise NotFound.generic()
    components = Components(canonical if canonical is not None else _canonical_definitions())
    ops = _Operations(group, version, components)
    root = "/" + gv_path(group, version)
    paths: dict[str, Any] = {f"{root}/": ops.discovery()}
    for rt in served:
        paths.update(ops.resource(rt, root))
    index = _gvk_index(registry)
    for name, definition in components.schemas.items():
        if name in index:
            definition["x-kubernetes-group-version-kind"] = index[name]
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": GIT_VERSION},
            "paths": paths, "components": {"schemas": components.schemas}}


class OpenAPIV3:
    """The index and the documents of one registry, each encoded once and kept until the set
    of served kinds changes."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._generation = -1
        self._docs: dict[str, bytes] = {}
        self._hashes: dict[str, str] = {}
        self._index: bytes | None = None
        self._canonical: dict[str, Schema] | None = None

    def _check_fresh(self) -> None:
        # The registry's generation moves with every type added or removed (CRDs coming and
        # going): the documents of an older generation are dropped.
        if self.registry.generation != self._generation:
            self._generation = self.registry.generation
            self._docs, self._hashes, self._index = {}, {}, None

    def group_versions(self) -> dict[str, tuple[str, str]]:
        """Index key -> (group, version) of every served group-version."""
        return {gv_path(g, v): (g, v) for g, versions in self.registry.groups().items()
                for v in versions}

    def document(self, path: str) -> tuple[bytes, str]:
        """The encoded document at ``api/v1`` or ``apis/{g}/{v}``, and its hash."""
        self._check_fresh()
        if path not in self._docs:
            gv = self.group_versions().get(path)
            if gv is None:
                raise NotFound.generic()
            if self._canonical is None:
                self._canonical = _canonical_definitions()
            raw = _encode(build_document(self.registry, *gv, self._canonical))
            self._docs[path] = raw
            self._hashes[path] = hashlib.sha256(raw).hexdigest().upper()
        return self._docs[path], self._hashes[path]

    def index(self) -> bytes:
        """``/openapi/v3``: where each group-version's document is, with its hash."""
        self._check_fresh()
        if self._index is None:
            paths = {}
            for path in self.group_versions():
                _, digest = self.document(path)
                paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
            self._index = _encode({"paths": paths})
        return self._index


def install_openapi(server: ApiServer) -> None:
    """Register ``/openapi/v3`` and the group-version documents below it."""
    docs = OpenAPIV3(server.registry)

    async def openapi_v3(req: ApiRequest) -> ApiResponse:
        if req.method not in ("GET", "HEAD"):
            raise MethodNotAllowed(f"the server does not allow this method on the requested "
                                   f"resource ({req.method})")
        tail = req.path.strip("/").removeprefix("openapi/v3").strip("/")
        if not tail:
            return ApiResponse(200, raw=docs.index(),
                               headers={"Cache-Control": "no-cache, private"})
        raw, digest = docs.document(tail)
        # A URL naming the current hash never changes content: clients may keep it for good.
        cache = ("public, immutable, max-age=31536000" if req.query.get("hash") == digest
                 else "no-cache, private")
        return ApiResponse(200, raw=raw, headers={"Cache-Control": cache})

    server.non_resource["/openapi/v3"] = openapi_v3
    server.non_resource["/openapi/v3/*"] = openapi_v3
