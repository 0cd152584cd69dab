"""Custom resources: the resource types a CustomResourceDefinition serves, each with one
generic :class:`CustomResourceStrategy` built from the CRD (Kubernetes'
``apiextensions-apiserver/pkg/registry/customresource``).

:func:`resource_types` turns an *established* CRD into one :class:`ResourceType` per served
version, named by ``status.acceptedNames``; the apiserver registers them (and drops them when
the CRD goes), and controllers in any process derive the same types from the CRDs they watch.
No code anywhere asks for a custom kind by name: everything differing between CRDs is data
of the strategy (schema, subresources, printer columns, storage version).

What a custom resource's writes do, in the REST layer's order: the body is pruned against the
version's schema (:meth:`CustomResourceStrategy.decode`), defaulted, then validated with
field paths (``api/machinery/structuralschema.py``); objects are stored in the storage
version's ``apiVersion`` (conversion ``None``: only ``apiVersion`` changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from minikube_py.api.errors import Cause
from minikube_py.api.machinery import structuralschema
from minikube_py.api.machinery.fieldselectors import selectable, strings
from minikube_py.api.printers import jsonpath
from minikube_py.api.printers.custom import custom_printer
from minikube_py.api.resource import ALL_VERBS, ResourceType
from minikube_py.api.schema import Schema, any_, array, map_of, obj, string
from minikube_py.api.schemas.meta import DESC_API_VERSION, DESC_KIND, OBJECT_META
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation.structural import Decoded, decode

JSONSchema = dict[str, Any]
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"


def condition(crd: Mapping[str, Any], type_: str) -> dict[str, Any] | None:
    for cond in (crd.get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_:
            return dict(cond)
    return None


def established(crd: Mapping[str, Any]) -> bool:
    cond = condition(crd, "Established")
    return cond is not None and cond.get("status") == "True"


def storage_version(crd: Mapping[str, Any]) -> str:
    for version in (crd.get("spec") or {}).get("versions") or []:
        if version.get("storage"):
            return str(version.get("name"))
    return ""


def owner_key(crd: Mapping[str, Any]) -> str:
    """The registry owner of a CRD's types (``Registry.replace_owned``)."""
    return f"crd:{(crd.get('metadata') or {}).get('name', '')}"


def resource_types(crd: Mapping[str, Any]) -> list[ResourceType]:
    """The types an established CRD serves (none before it is established); while it is
    being deleted everything but create is still served, so its objects can be removed."""
    if not established(crd):
        return []
    spec = crd.get("spec") or {}
    names = (crd.get("status") or {}).get("acceptedNames") or spec.get("names") or {}
    group = str(spec.get("group") or "")
    namespaced = spec.get("scope") == "Namespaced"
    terminating = bool((crd.get("metadata") or {}).get("deletionTimestamp"))
    verbs = tuple(v for v in ALL_VERBS if not (terminating and v == "create"))
    storage = storage_version(crd)
    storage_api_version = f"{group}/{storage}"
    types = []
    for version in spec.get("versions") or []:
        if not version.get("served"):
            continue
        name = str(version.get("name"))
        kind = str(names.get("kind") or "")
        schema = (version.get("schema") or {}).get("openAPIV3Schema") or {"type": "object"}
        subresources = version.get("subresources") or {}
        served = tuple(s for s in ("status", "scale") if isinstance(subresources.get(s), dict))
        strategy = CustomResourceStrategy(
            schema=schema, namespaced=namespaced, status=("status" in served),
            scale=subresources.get("scale") if "scale" in served else None,
            columns=version.get("additionalPrinterColumns") or [],
            selectable_fields=[str(f.get("jsonPath", "")).lstrip(".")
                               for f in version.get("selectableFields") or []
                               if isinstance(f, dict) and f.get("jsonPath")],
            # Every version rewrites apiVersion, the storage one too: objects stored before
            # the storage version changed still say the old one.
            storage_api_version=storage_api_version)
        if version.get("deprecated"):
            strategy.deprecation = str(version.get("deprecationWarning") or
                                       f"{group}/{name} {kind} is deprecated")
        types.append(ResourceType(
            group, name, kind, str(names.get("plural") or ""), namespaced,
            schema=to_schema(schema, definition_name(group, name, kind)),
            short_names=tuple(names.get("shortNames") or ()),
            categories=tuple(names.get("categories") or ()), verbs=verbs,
            subresources=served, singular_name=str(names.get("singular") or kind.lower()),
            strategy=strategy, list_kind_name=str(names.get("listKind") or "")))
    return types


def definition_name(group: str, version: str, kind: str) -> str:
    """The OpenAPI definition name Kubernetes gives a custom kind: reversed group, version,
    kind (``com.example.stable.v1.CronTab``)."""
    return ".".join([*reversed(group.split(".")), version, kind])


class CustomResourceStrategy(Strategy):
    """The strategy of one served version of a CRD."""

    generation = ("spec",)  # a generation is kept; generation_view says what counts
    strategic_merge = False

    def __init__(self, *, schema: JSONSchema, namespaced: bool, status: bool,
                 scale: Mapping[str, Any] | None, columns: list[Mapping[str, Any]],
                 storage_api_version: str, selectable_fields: Sequence[str] = ()) -> None:
        self.schema = schema
        self.status = status
        self.scale = dict(scale) if scale else None
        self.printer = custom_printer(columns)
        # metadata.name (and .namespace), plus the version's selectableFields by path.
        paths = {path: path for path in selectable_fields}
        self.fields = selectable(*paths, namespaced=namespaced,
                                 extract=lambda obj: strings(obj, paths))
        self.storage_api_version = storage_api_version

    def decode(self, schema: Schema | None, obj: dict[str, Any]) -> Decoded:
        """Metadata decoded as every kind's; the rest pruned against the CRD's schema. Type
        errors of the rest are :meth:`validate`'s (422 with field paths, as Kubernetes)."""
        result = Decoded()
        meta = obj.get("metadata")
        if isinstance(meta, dict):
            found = decode(OBJECT_META, meta)
            result.type_errors = [f"metadata.{e}" for e in found.type_errors]
            result.unknown = [f"metadata.{p}" for p in found.unknown]
        result.unknown += structuralschema.prune(self.schema, obj)
        return result

    def empty_status(self) -> dict[str, Any] | None:
        return None  # a custom resource has the status its controller writes, none before

    def generation_view(self, obj: dict[str, Any]) -> list[Any]:
        skip = {"apiVersion", "kind", "metadata"} | ({"status"} if self.status else set())
        return sorted(((k, v) for k, v in obj.items() if k not in skip), key=lambda kv: kv[0])

    def default(self, obj: dict[str, Any]) -> None:
        structuralschema.apply_defaults(self.schema, obj)

    def from_storage(self, obj: dict[str, Any], api_version: str) -> None:
        """As Kubernetes' storage codec: the served version's pruning and defaults apply to
        what was stored (under another version's schema, or before a default was added)."""
        super().from_storage(obj, api_version)
        structuralschema.prune(self.schema, obj)
        structuralschema.apply_defaults(self.schema, obj)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return structuralschema.validate(self.schema, obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        # validate(new) has run: what is left are the CEL rules that compare with oldSelf.
        return structuralschema.validate(self.schema, new, old, transitions_only=True)

    def scale_of(self, obj: dict[str, Any]) -> tuple[int, int, str]:
        assert self.scale is not None
        spec = _first(obj, self.scale.get("specReplicasPath"))
        status = _first(obj, self.scale.get("statusReplicasPath"))
        selector = _first(obj, self.scale.get("labelSelectorPath"))
        return (spec if isinstance(spec, int) else 0, status if isinstance(status, int) else 0,
                selector if isinstance(selector, str) else "")

    def replicas_patch(self, replicas: int) -> dict[str, Any]:
        assert self.scale is not None
        return jsonpath.set_path({}, str(self.scale["specReplicasPath"]), replicas)


def _first(obj: dict[str, Any], path: Any) -> Any:
    if not path:
        return None
    try:
        found = jsonpath.find(obj, str(path))
    except jsonpath.JSONPathError:
        return None
    return found[0] if found else None


# -- the schema tree every other reader uses (apply, OpenAPI, explain) -----------------------

def to_schema(node: JSONSchema, name: str | None = None) -> Schema:
    """A CRD's OpenAPI v3 schema as the schema tree of ``api/schema.py``: what server-side
    apply (``x-kubernetes-list-type``/``-map-keys``), field sets and OpenAPI read. The root
    gets apiVersion, kind and metadata as every kind has them."""
    root = _convert(node)
    fields = {"apiVersion": string(DESC_API_VERSION), "kind": string(DESC_KIND),
              "metadata": OBJECT_META.describe("Standard object metadata.")}
    fields.update({k: v for k, v in root.fields.items() if k not in fields})
    return obj(name, fields, required=root.required - {"apiVersion", "kind", "metadata"},
               description=root.description, preserve_unknown=root.preserve_unknown)


def _convert(node: JSONSchema) -> Schema:
    description = str(node.get("description") or "")
    preserve = bool(node.get(structuralschema.PRESERVE))
    if node.get(structuralschema.INT_OR_STRING):
        return Schema("int-or-string", description=description)
    node_type = node.get("type")
    if node_type == "object" or node.get("properties"):
        additional = node.get("additionalProperties")
        if not node.get("properties") and isinstance(additional, dict):
            return map_of(_convert(additional), description)
        fields = {k: _convert(v) for k, v in (node.get("properties") or {}).items()}
        if node.get(structuralschema.EMBEDDED):
            fields = {"apiVersion": string(DESC_API_VERSION), "kind": string(DESC_KIND),
                      "metadata": OBJECT_META, **fields}
        if not fields and (preserve or additional is True or node.get(structuralschema.EMBEDDED)
                           or not node.get("properties")):
            return any_(description) if preserve or additional is True else \
                obj(None, {}, description=description, preserve_unknown=True)
        return obj(None, fields, required=node.get("required") or (),
                   description=description, preserve_unknown=preserve)
    if node_type == "array":
        items: JSONSchema = node["items"] if isinstance(node.get("items"), dict) else {}
        list_type = node.get(structuralschema.LIST_TYPE) or "atomic"
        keys = tuple(node.get(structuralschema.LIST_MAP_KEYS) or ())
        return array(_convert(items), description, list_type=list_type, map_keys=keys)
    if node_type in ("string", "integer", "number", "boolean"):
        fmt = node.get("format")
        enum = node.get("enum")
        return Schema(str(node_type), description=description,
                      format=str(fmt) if fmt and fmt != "date-time" else None,
                      enum=tuple(str(e) for e in enum) if enum and node_type == "string"
                      else None, nullable=bool(node.get("nullable")))
    return any_(description)
