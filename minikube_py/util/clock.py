"""Time as Kubernetes writes it: RFC 3339 timestamps in UTC with second precision."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_last_second: list[Any] = [None, ""]


def rfc3339(when: dt.datetime | None = None) -> str:
    """``2026-11-23T11:34:51Z``: the form of creationTimestamp and deletionTimestamp."""
    if when is None:
        second = int(time.time())
        if _last_second[0] != second:  # one format per second serves every write in it
            _last_second[:] = [second, dt.datetime.fromtimestamp(second, dt.UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ")]
        return str(_last_second[1])
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> dt.datetime:
    """Parse a Kubernetes timestamp (``Z`` or an offset, optional fraction)."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def age(text: str | None, *, at: dt.datetime | None = None) -> str:
    """The AGE column as kubectl prints it: ``5s``, ``3m12s``, ``4h``, ``2d3h``, ``<unknown>``."""
    if not text:
        return "<unknown>"
    seconds = int(((at or now()) - parse_rfc3339(text)).total_seconds())
    return human_duration(max(seconds, 0))


def human_duration(seconds: int) -> str:
    """kubectl's HumanDuration: precise when short, coarse when long."""
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y"


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_duration(text: str) -> float | None:
    """Seconds of a Go-style duration (``90s``, ``5m``, ``1h30m``, ``1.5h``); None if it is
    not one."""
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return total if pos == len(text) and pos > 0 else None
