"""``/openapi/v2``: the whole API as one Swagger 2.0 document, in JSON or gnostic protobuf.

kubectl 1.27/1.28 read it for ``explain`` and for client-side validation (``apply`` and
``create`` validate against it whenever the server's v3 does not say it validates the kind
itself, e.g. the items of a ``kind: List``); Helm and kubeconform read it too. It is derived
from the OpenAPI v3 documents of ``openapi.py`` (the same schemas, so the same words,
patch strategies and merge keys), converted to what Swagger 2.0 says differently:

- ``#/components/schemas/X`` -> ``#/definitions/X``; a ``$ref`` with words of its own is written
  with siblings (``{"$ref", "description"}``) instead of v3's ``allOf`` wrapper, as Kubernetes'
  v2 document writes it; ``oneOf`` leaves (Quantity, IntOrString) become strings, ``nullable``
  goes.
- request bodies become ``in: body`` parameters, media types ``consumes``/``produces``,
  parameter schemas plain ``type``s.

Served as ``application/json`` or, when asked (``Accept:
application/com.github.proto-openapi.spec.v2@v1.0+protobuf`` or ``...spec.v2.v1.0+protobuf``),
as the gnostic ``Document``
message (``gnostic.py``). Each encoding is built once per registry generation and kept with
its ETag; ``If-None-Match`` is answered 304, as kube-openapi's handler does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

from minikube_py.api.errors import MethodNotAllowed
from minikube_py.api.registry import Registry
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver import gnostic
from minikube_py.apiserver.openapi import (
    REF_PREFIX,
    _canonical_definitions,
    _encode,
    build_document,
)
from minikube_py.apiserver.server import GIT_VERSION, ApiServer

V2_REF = "#/definitions/"
JSON = "application/json"
# Clients ask for either spelling (client-go's is the "@" one, which Go's mime parser refuses
# in a Content-Type); the answer is always labelled with the other, as kube-openapi does.
PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
_V3_ONLY = frozenset({"nullable", "oneOf", "anyOf"})
_PARAM_KEYS = ("name", "in", "description", "required")
SECURITY = {"BearerToken": {"type": "apiKey", "name": "authorization", "in": "header",
                            "description": "Bearer Token authentication"}}


def registry_key(registry: Registry) -> tuple[Any, ...]:
    """What the documents depend on: the registry's change counter where it has one, and the
    set of served types (so a registry without a counter still invalidates)."""
    return (getattr(registry, "generation", None), tuple(id(rt) for rt in registry))


# -- v3 -> v2 --------------------------------------------------------------------------------

def convert_schema(node: Any) -> Any:
    """A v3 schema (tree) as Swagger 2.0 writes it."""
    if isinstance(node, list):
        return [convert_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    if "oneOf" in node:  # the int-or-string and quantity leaves: strings in v2
        out["type"] = "string"
    for key, value in node.items():
        if key in _V3_ONLY:
            continue
        if key == "$ref" and isinstance(value, str):
            out["$ref"] = V2_REF + value.removeprefix(REF_PREFIX)
        elif key == "allOf" and isinstance(value, list) and len(value) == 1:
            out.update(convert_schema(value[0]))  # a described $ref: siblings in v2
        elif key in ("properties", "additionalProperties", "items", "allOf"):
            out[key] = ({k: convert_schema(v) for k, v in value.items()}
                        if key == "properties" else convert_schema(value))
        else:
            out[key] = value
    return out


def _parameter(param: dict[str, Any]) -> dict[str, Any]:
    out = {k: param[k] for k in _PARAM_KEYS if k in param}
    schema = param.get("schema") or {}
    out["type"] = schema.get("type", "string")
    out["uniqueItems"] = True  # as Kubernetes' v2 document marks every path and query one
    return out


def _operation(op: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"description": op.get("description", "")}
    body = op.get("requestBody")
    if body is not None:
        out["consumes"] = list(body["content"])
    produces: list[str] = []
    responses: dict[str, Any] = {}
    for code, response in op.get("responses", {}).items():
        entry: dict[str, Any] = {"description": response.get("description", "")}
        for media, content in (response.get("content") or {}).items():
            if media not in produces:
                produces.append(media)
            entry.setdefault("schema", convert_schema(content.get("schema", {})))
        responses[code] = entry
    if produces:
        out["produces"] = produces
    out["schemes"] = ["https"]
    out["tags"] = op.get("tags", [])
    out["operationId"] = op.get("operationId", "")
    params = [_parameter(p) for p in op.get("parameters", [])]
    if body is not None:
        schema = next(iter(body["content"].values()))["schema"]
        params.insert(0, {"name": "body", "in": "body", "required": body.get("required", False),
                          "schema": convert_schema(schema)})
    if params:
        out["parameters"] = params
    out["responses"] = responses
    for key, value in op.items():
        if key.startswith("x-"):
            out[key] = value
    return out


def _path_item(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in item.items():
        if key == "parameters":
            out["parameters"] = [_parameter(p) for p in value]
        elif key in gnostic.PATH_OPERATIONS:
            out[key] = _operation(value)
    return out


def build_v2(registry: Registry) -> dict[str, Any]:
    """The Swagger 2.0 document of everything the registry serves."""
    canonical = _canonical_definitions()
    paths: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    for group, versions in sorted(registry.groups().items()):
        for version in versions:
            doc = build_document(registry, group, version, canonical)
            for path, item in doc["paths"].items():
                paths[path] = _path_item(item)
            for name, schema in doc["components"]["schemas"].items():
                definitions.setdefault(name, convert_schema(schema))
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": GIT_VERSION},
            "paths": dict(sorted(paths.items())),
            "definitions": dict(sorted(definitions.items())),
            "securityDefinitions": SECURITY, "security": [{"BearerToken": []}]}


# -- serving -----------------------------------------------------------------------------------

class OpenAPIV2:
    """The v2 document of one registry in both encodings, each with its ETag, rebuilt when
    :func:`registry_key` changes."""

    def __init__(self, registry: Registry,
                 build: Callable[[Registry], dict[str, Any]] = build_v2) -> None:
        self.registry = registry
        self._build = build
        self._key: tuple[Any, ...] | None = None
        self._encoded: dict[str, tuple[bytes, str]] = {}
        self._document: dict[str, Any] | None = None
        self.last_modified = ""
        self.builds = 0

    def invalidate(self) -> None:
        self._key = None

    def encoded(self, media: str) -> tuple[bytes, str]:
        """(body, ETag) in ``media`` (JSON or PROTOBUF)."""
        key = registry_key(self.registry)
        if key != self._key:
            self._key, self._encoded, self._document = key, {}, None
            self.last_modified = formatdate(usegmt=True)
        if media not in self._encoded:
            if self._document is None:
                self._document = self._build(self.registry)
                self.builds += 1
            raw = (_encode(self._document) if media == JSON
                   else gnostic.encode_document(self._document))
            etag = '"' + hashlib.sha512(raw).hexdigest().upper() + '"'
            self._encoded[media] = (raw, etag)
        return self._encoded[media]


def _wants_protobuf(accept: str) -> bool:
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media.startswith("application/com.github.proto-openapi.spec.v2"):
            return True
        if media in (JSON, "application/*", "*/*"):
            return False
    return False


def install_openapi_v2(server: ApiServer) -> OpenAPIV2:
    """Register ``/openapi/v2`` on the server; returns the document cache."""
    docs = OpenAPIV2(server.registry)

    async def openapi_v2(req: ApiRequest) -> ApiResponse:
        if req.method not in ("GET", "HEAD"):
            raise MethodNotAllowed.generic()
        media = PROTOBUF if _wants_protobuf(req.accept) else JSON
        raw, etag = docs.encoded(media)
        headers = {"ETag": etag, "Last-Modified": docs.last_modified, "Vary": "Accept",
                   "Cache-Control": "no-cache, private"}
        if etag in [t.strip() for t in req.if_none_match.split(",")]:
            return ApiResponse(304, raw=b"", content_type=media, headers=headers)
        return ApiResponse(200, raw=b"" if req.method == "HEAD" else raw, content_type=media,
                           headers=headers)

    server.non_resource["/openapi/v2"] = openapi_v2
    return docs
