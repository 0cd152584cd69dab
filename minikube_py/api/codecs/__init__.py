"""Codecs: request bodies to values (``body``: JSON and YAML, refused whole when hostile) and
the Kubernetes protobuf wire form (``protobuf`` with the field numbers of ``protobuf_fields``,
generated data)."""
