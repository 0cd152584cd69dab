"""Warning headers (``Warning: 299 - "text"``), written as Kubernetes' warning recorder writes
them.

The text is quoted with only ``"`` and ``\\`` escaped; a text holding a control character is
not sent at all (Kubernetes' NewWarningHeader refuses it), which is why warnings that name
client-given fields quote those names Go-style first (``unknown field "a\\nb"``). Repeats are
sent once; past 4096 characters in all, every warning is cut to 256 characters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

CODE_AGENT = "299 -"
TOTAL_LIMIT = 4 * 1024
ITEM_LIMIT = 256


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sendable(text: str) -> bool:
    return bool(text) and not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def warning_headers(texts: Iterable[str]) -> list[str]:
    """The values of the Warning headers for ``texts``, in order."""
    unique: list[str] = []
    for text in texts:
        if _sendable(text) and text not in unique:
            unique.append(text)
    if sum(len(t) for t in unique) > TOTAL_LIMIT:
        unique = [t[:ITEM_LIMIT] for t in unique]
    return [f"{CODE_AGENT} {quoted(t)}" for t in unique]
