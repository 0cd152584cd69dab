"""JSON encoding for objects on the wire and in the store: orjson when present, stdlib if not.

Objects are plain JSON-shaped dicts; ``dumps`` returns compact UTF-8 bytes and ``loads``
accepts bytes or str. Decoding stored bytes is also how callers get a private deep copy.
"""

from __future__ import annotations

import json
from typing import Any

try:  # orjson is an optional speed-up; the stdlib path must keep working without it.
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised on machines without orjson
    _orjson = None


def dumps(obj: Any) -> bytes:
    if _orjson is not None:
        return _orjson.dumps(obj)
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    if _orjson is not None:
        return _orjson.loads(data)
    if isinstance(data, memoryview):
        data = data.tobytes()
    return json.loads(data)


def copy(obj: Any) -> Any:
    """A deep copy of a JSON-shaped value (faster than copy.deepcopy for these)."""
    return loads(dumps(obj))
