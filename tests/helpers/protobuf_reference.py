"""An independent protobuf decoder for tests: Google's ``protobuf`` runtime over message
descriptors written here from Kubernetes' ``generated.proto`` files (not from our field table).

It covers the envelope (``runtime.Unknown``, ``runtime.TypeMeta``), ``metav1.Status`` and its
parts, ``ListMeta``, ``WatchEvent`` / ``RawExtension``, and a ConfigMap with the ObjectMeta
fields tests use, so a test can check our encoder's bytes against what a Go client would read.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.json_format import MessageToDict

OPTIONAL = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
REPEATED = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
T = descriptor_pb2.FieldDescriptorProto
_SCALARS = {"string": T.TYPE_STRING, "bytes": T.TYPE_BYTES, "int32": T.TYPE_INT32,
            "int64": T.TYPE_INT64, "bool": T.TYPE_BOOL}

RUNTIME = "k8s.io.apimachinery.pkg.runtime"
META = "k8s.io.apimachinery.pkg.apis.meta.v1"
CORE = "k8s.io.api.core.v1"

# message -> [(name, number, type, repeated)]; types are scalars or ".package.Message".
_MESSAGES: dict[str, dict[str, list[tuple[str, int, str, bool]]]] = {
    RUNTIME: {
        "TypeMeta": [("apiVersion", 1, "string", False), ("kind", 2, "string", False)],
        "Unknown": [("typeMeta", 1, f".{RUNTIME}.TypeMeta", False), ("raw", 2, "bytes", False),
                    ("contentEncoding", 3, "string", False),
                    ("contentType", 4, "string", False)],
        "RawExtension": [("raw", 1, "bytes", False)],
    },
    META: {
        "ListMeta": [("selfLink", 1, "string", False), ("resourceVersion", 2, "string", False),
                     ("continue", 3, "string", False),
                     ("remainingItemCount", 4, "int64", False)],
        "StatusCause": [("reason", 1, "string", False), ("message", 2, "string", False),
                        ("field", 3, "string", False)],
        "StatusDetails": [("name", 1, "string", False), ("group", 2, "string", False),
                          ("kind", 3, "string", False),
                          ("causes", 4, f".{META}.StatusCause", True),
                          ("retryAfterSeconds", 5, "int32", False),
                          ("uid", 6, "string", False)],
        "Status": [("metadata", 1, f".{META}.ListMeta", False), ("status", 2, "string", False),
                   ("message", 3, "string", False), ("reason", 4, "string", False),
                   ("details", 5, f".{META}.StatusDetails", False),
                   ("code", 6, "int32", False)],
        "WatchEvent": [("type", 1, "string", False),
                       ("object", 2, f".{RUNTIME}.RawExtension", False)],
        "Time": [("seconds", 1, "int64", False), ("nanos", 2, "int32", False)],
        "ObjectMeta": [("name", 1, "string", False), ("generateName", 2, "string", False),
                       ("namespace", 3, "string", False), ("uid", 5, "string", False),
                       ("resourceVersion", 6, "string", False),
                       ("creationTimestamp", 8, f".{META}.Time", False),
                       ("labels", 11, f".{META}.ObjectMeta.LabelsEntry", True)],
    },
    CORE: {
        "ConfigMap": [("metadata", 1, f".{META}.ObjectMeta", False),
                      ("data", 2, f".{CORE}.ConfigMap.DataEntry", True)],
        "ConfigMapList": [("metadata", 1, f".{META}.ListMeta", False),
                          ("items", 2, f".{CORE}.ConfigMap", True)],
    },
}
_MAP_ENTRIES = {(META, "ObjectMeta"): ("LabelsEntry",), (CORE, "ConfigMap"): ("DataEntry",)}


def _pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    for package in (RUNTIME, META, CORE):
        file = descriptor_pb2.FileDescriptorProto(name=f"{package}.proto", package=package,
                                                  syntax="proto2")
        if package != RUNTIME:
            file.dependency.append(f"{RUNTIME}.proto")
        if package == CORE:
            file.dependency.append(f"{META}.proto")
        for name, fields in _MESSAGES[package].items():
            message = file.message_type.add(name=name)
            for entry in _MAP_ENTRIES.get((package, name), ()):
                nested = message.nested_type.add(name=entry)
                nested.options.map_entry = True
                nested.field.add(name="key", number=1, label=OPTIONAL, type=T.TYPE_STRING)
                nested.field.add(name="value", number=2, label=OPTIONAL, type=T.TYPE_STRING)
            for field_name, number, type_, repeated in fields:
                field = message.field.add(name=field_name, number=number,
                                          label=REPEATED if repeated else OPTIONAL,
                                          json_name=field_name)
                if type_ in _SCALARS:
                    field.type = _SCALARS[type_]
                else:
                    field.type = T.TYPE_MESSAGE
                    field.type_name = type_
        pool.Add(file)
    return pool


_POOL = _pool()


def parse(full_name: str, data: bytes) -> Any:
    """``data`` parsed as the message ``full_name`` (e.g. ``k8s.io.api.core.v1.ConfigMap``)."""
    cls = message_factory.GetMessageClass(_POOL.FindMessageTypeByName(full_name))
    message = cls()
    message.ParseFromString(data)
    return message


def to_dict(message: Any) -> dict[str, Any]:
    result: dict[str, Any] = MessageToDict(message, preserving_proto_field_name=True)
    return result


def unwrap(body: bytes) -> tuple[str, str, bytes]:
    """A whole body (``k8s\\x00`` + Unknown) -> (apiVersion, kind, raw)."""
    assert body[:4] == b"k8s\x00", body[:8]
    unknown = parse(f"{RUNTIME}.Unknown", body[4:])
    return unknown.typeMeta.apiVersion, unknown.typeMeta.kind, unknown.raw


def watch_frames(stream: bytes) -> list[tuple[str, bytes]]:
    """A protobuf watch stream -> (type, the object's whole body) per frame."""
    frames = []
    pos = 0
    while pos < len(stream):
        size = int.from_bytes(stream[pos:pos + 4], "big")
        event = parse(f"{META}.WatchEvent", stream[pos + 4:pos + 4 + size])
        assert len(stream[pos + 4:pos + 4 + size]) == size, "truncated frame"
        frames.append((event.type, event.object.raw))
        pos += 4 + size
    return frames


# -- gnostic's OpenAPIv2.proto (package openapi.v2), the subset tests read ---------------------

GNOSTIC = "openapi.v2"
_G = f".{GNOSTIC}."
_GNOSTIC_MESSAGES: dict[str, list[tuple[str, int, str, bool]]] = {
    "Document": [("swagger", 1, "string", False), ("info", 2, _G + "Info", False),
                 ("paths", 8, _G + "Paths", False),
                 ("definitions", 9, _G + "Definitions", False)],
    "Info": [("title", 1, "string", False), ("version", 2, "string", False)],
    "Any": [("yaml", 2, "string", False)],
    "NamedAny": [("name", 1, "string", False), ("value", 2, _G + "Any", False)],
    "Definitions": [("additional_properties", 1, _G + "NamedSchema", True)],
    "NamedSchema": [("name", 1, "string", False), ("value", 2, _G + "Schema", False)],
    "Properties": [("additional_properties", 1, _G + "NamedSchema", True)],
    "TypeItem": [("value", 1, "string", True)],
    "ItemsItem": [("schema", 1, _G + "Schema", True)],
    "AdditionalPropertiesItem": [("schema", 1, _G + "Schema", False),
                                 ("boolean", 2, "bool", False)],
    "Schema": [("_ref", 1, "string", False), ("format", 2, "string", False),
               ("description", 4, "string", False), ("required", 19, "string", True),
               ("enum", 20, _G + "Any", True),
               ("additional_properties", 21, _G + "AdditionalPropertiesItem", False),
               ("type", 22, _G + "TypeItem", False), ("items", 23, _G + "ItemsItem", False),
               ("properties", 25, _G + "Properties", False),
               ("vendor_extension", 31, _G + "NamedAny", True)],
    "Paths": [("path", 2, _G + "NamedPathItem", True)],
    "NamedPathItem": [("name", 1, "string", False), ("value", 2, _G + "PathItem", False)],
    "PathItem": [("get", 2, _G + "Operation", False), ("put", 3, _G + "Operation", False),
                 ("post", 4, _G + "Operation", False), ("delete", 5, _G + "Operation", False),
                 ("patch", 8, _G + "Operation", False)],
    "Operation": [("operation_id", 5, "string", False), ("consumes", 7, "string", True),
                  ("parameters", 8, _G + "ParametersItem", True),
                  ("vendor_extension", 13, _G + "NamedAny", True)],
    "ParametersItem": [("parameter", 1, _G + "Parameter", False)],
    "Parameter": [("body_parameter", 1, _G + "BodyParameter", False),
                  ("non_body_parameter", 2, _G + "NonBodyParameter", False)],
    "BodyParameter": [("name", 2, "string", False), ("in", 3, "string", False)],
    "NonBodyParameter": [("query_parameter_sub_schema", 3, _G + "QueryParameterSubSchema",
                          False)],
    "QueryParameterSubSchema": [("in", 2, "string", False), ("name", 4, "string", False),
                                ("type", 6, "string", False)],
}


def _gnostic_pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    file = descriptor_pb2.FileDescriptorProto(name="openapiv2.proto", package=GNOSTIC,
                                              syntax="proto3")
    for name, fields in _GNOSTIC_MESSAGES.items():
        message = file.message_type.add(name=name)
        for field_name, number, type_, repeated in fields:
            field = message.field.add(name=field_name, number=number,
                                      label=REPEATED if repeated else OPTIONAL)
            if type_ in _SCALARS:
                field.type = _SCALARS[type_]
            else:
                field.type = T.TYPE_MESSAGE
                field.type_name = type_
    pool.Add(file)
    return pool


_GNOSTIC_POOL = _gnostic_pool()


def gnostic_document(data: bytes) -> Any:
    """A gnostic ``openapi.v2.Document`` parsed by Google's runtime."""
    cls = message_factory.GetMessageClass(
        _GNOSTIC_POOL.FindMessageTypeByName(f"{GNOSTIC}.Document"))
    message = cls()
    message.ParseFromString(data)
    return message
