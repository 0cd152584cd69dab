"""JSON encoding for objects on the wire and in the store: orjson when present, stdlib if not.

Objects are plain JSON-shaped dicts; ``dumps`` returns compact UTF-8 bytes and ``loads``
accepts bytes or str. Decoding stored bytes is also how callers get a private deep copy.
"""

from __future__ import annotations

import json
from typing import Any

_orjson: Any
try:  # orjson is a dependency; the stdlib path is kept for a broken install only.
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised on machines without orjson
    _orjson = None


def dumps(obj: Any) -> bytes:
    if _orjson is not None:
        # orjson hands back its whole working buffer (64 KiB for a 4 KiB object); a copy
        # of the exact size is what the store and the watch cache can afford to keep.
        return memoryview(_orjson.dumps(obj)).tobytes()
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


# What Go's encoding/json escapes that orjson writes as it is: HTML's three characters and
# the two JavaScript line terminators. None of them can occur outside a string in JSON, so
# replacing them in the encoded bytes escapes exactly the strings.
_GO_ESCAPES = ((b"&", b"\\u0026"), (b"<", b"\\u003c"), (b">", b"\\u003e"),
               ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def go_escape(encoded: bytes) -> bytes:
    """JSON bytes as Go's ``json.Encoder`` (and so Kubernetes' serializer) writes them: with
    ``&``, ``<``, ``>``, U+2028 and U+2029 escaped inside strings."""
    for raw, escaped in _GO_ESCAPES:
        if raw in encoded:
            encoded = encoded.replace(raw, escaped)
    return encoded


def dumps_go(obj: Any) -> bytes:
    """Compact JSON of ``obj`` with Go's escapes (see :func:`go_escape`)."""
    return go_escape(dumps(obj))


def dumps_sorted_text(obj: Any) -> str:
    """Compact JSON text with sorted keys and non-ASCII as it is (a canonical form)."""
    if _orjson is not None:
        try:
            return str(_orjson.dumps(obj, option=_orjson.OPT_SORT_KEYS).decode())
        except TypeError:  # e.g. an integer beyond 64 bits: the stdlib writes it
            pass
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    if _orjson is not None:
        return _orjson.loads(data)
    if isinstance(data, memoryview):
        data = data.tobytes()
    return json.loads(data)


def copy(obj: Any) -> Any:
    """A deep copy of a JSON-shaped value (faster than copy.deepcopy for these)."""
    return loads(dumps(obj))
