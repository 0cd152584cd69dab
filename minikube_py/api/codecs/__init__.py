"""Codecs: request bodies to values (``body``: JSON and YAML, refused whole when hostile) and
the Kubernetes protobuf wire form (``protobuf`` decodes, ``protobuf_encode`` encodes, both with
the field numbers of ``protobuf_fields``, generated data)."""
