"""Text that is safe to send: Go-style quoting, and strings scrubbed of lone surrogates.

Python strings can hold lone surrogates (``"\\udfff"``) and control characters that neither
UTF-8 JSON nor an HTTP header can carry. Messages that echo what a client sent (a name, a field
path) pass through here before they leave, so an error about bad input can always be written.
"""

from __future__ import annotations

from typing import Any

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n",
            "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(text: str) -> str:
    """``text`` double-quoted as Go's strconv.Quote writes it: escapes for quotes, backslashes,
    control and non-printable characters; printable non-ASCII as it is."""
    out = ['"']
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            out.append("\ufffd")  # a lone surrogate is not text: Go would hold U+FFFD
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def clean(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD (as Go decodes invalid UTF-8)."""
    if not has_surrogates(text):
        return text
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def scrub(value: Any) -> Any:
    """A JSON-shaped value with every string made encodable (see :func:`clean`)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value
