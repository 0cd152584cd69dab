"""A Swagger 2.0 document (JSON-shaped) -> gnostic's ``openapi.v2.Document`` protobuf message.

kubectl and client-go fetch ``/openapi/v2`` as
``application/com.github.proto-openapi.spec.v2@v1.0+protobuf`` and decode it with gnostic's
``OpenAPIv2.proto``; ``openapi_v2.py`` serves what :func:`encode_document` writes. Only the
subset of that proto our documents use is here, field numbers as gnostic defines them:
Document, Info, Paths/PathItem/Operation, parameters (body, query, path), responses, schemas
(with properties, items, additionalProperties, allOf, enum, required) and vendor extensions.

Vendor extensions (``x-kubernetes-*``), enums and defaults are ``Any`` messages carrying YAML;
JSON is YAML, so their JSON text is written (kube-openapi parses it with a YAML decoder).
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.codecs.protobuf_encode import length_delimited, varint
from minikube_py.util import jsonutil

PATH_OPERATIONS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7,
                   "patch": 8}

# Schema: json key -> (number, kind); kinds: s string, b bool, i int64, ss repeated string.
_SCHEMA_SCALARS = {"$ref": (1, "s"), "format": (2, "s"), "title": (3, "s"),
                   "description": (4, "s"), "maxLength": (11, "i"), "minLength": (12, "i"),
                   "pattern": (13, "s"), "maxItems": (14, "i"), "minItems": (15, "i"),
                   "uniqueItems": (16, "b"), "maxProperties": (17, "i"),
                   "minProperties": (18, "i"), "required": (19, "ss"),
                   "discriminator": (26, "s"), "readOnly": (27, "b")}
_INFO = {"title": (1, "s"), "version": (2, "s"), "description": (3, "s")}
_OPERATION = {"tags": (1, "ss"), "summary": (2, "s"), "description": (3, "s"),
              "operationId": (5, "s"), "produces": (6, "ss"), "consumes": (7, "ss"),
              "schemes": (10, "ss"), "deprecated": (11, "b")}
_BODY_PARAMETER = {"description": (1, "s"), "name": (2, "s"), "in": (3, "s"),
                   "required": (4, "b")}
# Query/Path/Header sub-schemas share their first fields; ``type`` and ``format`` differ.
_QUERY_PARAMETER = {"required": (1, "b"), "in": (2, "s"), "description": (3, "s"),
                    "name": (4, "s"), "allowEmptyValue": (5, "b"), "type": (6, "s"),
                    "format": (7, "s"), "uniqueItems": (20, "b")}
_PATH_PARAMETER = {"required": (1, "b"), "in": (2, "s"), "description": (3, "s"),
                   "name": (4, "s"), "type": (5, "s"), "format": (6, "s"),
                   "uniqueItems": (19, "b")}
_HEADER_PARAMETER = _PATH_PARAMETER
_NON_BODY = {"header": (1, _HEADER_PARAMETER), "formData": (2, _QUERY_PARAMETER),
             "query": (3, _QUERY_PARAMETER), "path": (4, _PATH_PARAMETER)}
_API_KEY = {"type": (1, "s"), "name": (2, "s"), "in": (3, "s"), "description": (4, "s")}


def _scalars(obj: dict[str, Any], table: dict[str, tuple[int, str]]) -> list[tuple[int, bytes]]:
    """(number, encoded field) for the scalar members of ``obj`` the table knows."""
    out = []
    for key, (number, wire) in table.items():
        value = obj.get(key)
        if value is None:
            continue
        if wire == "s":
            out.append((number, length_delimited(number, str(value).encode())))
        elif wire == "b":
            if value:
                out.append((number, varint(number << 3) + b"\x01"))
        elif wire == "i":
            out.append((number, varint(number << 3) + varint(int(value))))
        else:
            out.append((number, b"".join(length_delimited(number, str(v).encode())
                                         for v in value)))
    return out


def _message(fields: list[tuple[int, bytes]]) -> bytes:
    """Fields in number order, as Go's marshaler writes them."""
    return b"".join(data for _, data in sorted(fields, key=lambda f: f[0]))


def _any(value: Any) -> bytes:
    """gnostic ``Any`` {2: yaml}: the value's JSON text (JSON is YAML)."""
    return length_delimited(2, jsonutil.dumps(value))


def _named(number: int, name: str, value: bytes) -> bytes:
    """A ``NamedX`` entry {1: name, 2: value} as field ``number`` of its parent."""
    return length_delimited(number, length_delimited(1, name.encode())
                            + length_delimited(2, value))


def _extensions(obj: dict[str, Any], number: int) -> list[tuple[int, bytes]]:
    data = b"".join(_named(number, key, _any(value)) for key, value in obj.items()
                    if key.startswith("x-"))
    return [(number, data)] if data else []


def schema(node: dict[str, Any]) -> bytes:
    """A gnostic ``Schema`` message."""
    fields = _scalars(node, _SCHEMA_SCALARS)
    if "default" in node:
        fields.append((5, length_delimited(5, _any(node["default"]))))
    if "enum" in node:
        fields.append((20, b"".join(length_delimited(20, _any(v)) for v in node["enum"])))
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        fields.append((21, length_delimited(21, length_delimited(1, schema(extra)))))
    elif isinstance(extra, bool):
        fields.append((21, length_delimited(21, varint(2 << 3) + (b"\x01" if extra else b"\x00"))))
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        fields.append((22, length_delimited(22, b"".join(length_delimited(1, t.encode())
                                                         for t in types))))
    if "items" in node:
        items = node["items"] if isinstance(node["items"], list) else [node["items"]]
        fields.append((23, length_delimited(23, b"".join(length_delimited(1, schema(i))
                                                         for i in items))))
    if "allOf" in node:
        fields.append((24, b"".join(length_delimited(24, schema(s)) for s in node["allOf"])))
    if "properties" in node:
        props = b"".join(_named(1, name, schema(sub)) for name, sub in node["properties"].items())
        fields.append((25, length_delimited(25, props)))
    fields += _extensions(node, 31)
    return _message(fields)


def _parameter(param: dict[str, Any]) -> bytes:
    """A ``ParametersItem`` {1: Parameter {1: body | 2: non-body}}."""
    where = param.get("in", "")
    if where == "body":
        fields = _scalars(param, _BODY_PARAMETER)
        if "schema" in param:
            fields.append((5, length_delimited(5, schema(param["schema"]))))
        fields += _extensions(param, 6)
        parameter = length_delimited(1, _message(fields))
    else:
        number, table = _NON_BODY.get(where, _NON_BODY["query"])
        sub = _message(_scalars(param, table) + _extensions(param, 23 if table is
                                                             _QUERY_PARAMETER else 22))
        parameter = length_delimited(2, length_delimited(number, sub))
    return length_delimited(1, parameter)


def _responses(responses: dict[str, Any]) -> bytes:
    parts = []
    for code, response in responses.items():
        fields = [(1, length_delimited(1, str(response.get("description", "")).encode()))]
        if "schema" in response:  # SchemaItem {1: Schema}
            fields.append((2, length_delimited(2, length_delimited(1, schema(response["schema"])))))
        value = length_delimited(1, _message(fields))  # ResponseValue {1: Response}
        parts.append(_named(1, code, value))
    return b"".join(parts)


def _operation(op: dict[str, Any]) -> bytes:
    fields = _scalars(op, _OPERATION)
    if "parameters" in op:
        fields.append((8, b"".join(length_delimited(8, _parameter(p))
                                   for p in op["parameters"])))
    fields.append((9, length_delimited(9, _responses(op.get("responses", {})))))
    fields += _extensions(op, 13)
    return _message(fields)


def _path_item(item: dict[str, Any]) -> bytes:
    fields = [(number, length_delimited(number, _operation(item[verb])))
              for verb, number in PATH_OPERATIONS.items() if verb in item]
    if "parameters" in item:
        fields.append((9, b"".join(length_delimited(9, _parameter(p))
                                   for p in item["parameters"])))
    fields += _extensions(item, 10)
    return _message(fields)


def encode_document(doc: dict[str, Any]) -> bytes:
    """The gnostic ``openapi.v2.Document`` message of a Swagger 2.0 document."""
    fields = [(1, length_delimited(1, str(doc.get("swagger", "2.0")).encode())),
              (2, length_delimited(2, _message(_scalars(doc.get("info", {}), _INFO))))]
    for key, number in (("schemes", 5), ("consumes", 6), ("produces", 7)):
        fields += [(number, b"".join(length_delimited(number, v.encode())
                                     for v in doc.get(key, [])))]
    paths = b"".join(_named(2, path, _path_item(item))
                     for path, item in doc.get("paths", {}).items())
    fields.append((8, length_delimited(8, paths)))
    definitions = b"".join(_named(1, name, schema(node))
                           for name, node in doc.get("definitions", {}).items())
    fields.append((9, length_delimited(9, definitions)))
    security = b"".join(length_delimited(12, b"".join(
        _named(1, name, b"".join(length_delimited(1, s.encode()) for s in scopes))
        for name, scopes in requirement.items())) for requirement in doc.get("security", []))
    if security:
        fields.append((12, security))
    security_definitions = b"".join(
        _named(1, name, length_delimited(2, _message(_scalars(item, _API_KEY))))
        for name, item in doc.get("securityDefinitions", {}).items())
    if security_definitions:
        fields.append((13, length_delimited(13, security_definitions)))
    fields += _extensions(doc, 16)
    return _message(fields)
