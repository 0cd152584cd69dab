"""How much of the change log the store keeps: the compaction window (``up --history``).

Watches and past reads start from a revision the log still holds; compaction drops older
rows so that the disk follows the live data. The window is a time (Kubernetes' apiserver
compacts what is older than five minutes) and a count of revisions (etcd's revision mode),
and whichever keeps less wins: a quiet cluster keeps five minutes of changes, a busy one at
most ``revisions`` of them, so churn can never grow the log without bound.

:class:`RevisionClock` remembers when revisions were committed (one sample a second at
most), so a time can be turned into the newest revision committed by then.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass

from minikube_py.util.clock import parse_duration

DEFAULT_WINDOW = 300.0
DEFAULT_REVISIONS = 10_000


class HistoryError(ValueError):
    """A ``--history`` text that does not parse."""


@dataclass(frozen=True)
class History:
    """Keep revisions younger than ``window`` seconds, and at most the last ``revisions``
    of them (None: no bound of that kind)."""

    window: float | None = DEFAULT_WINDOW
    revisions: int | None = DEFAULT_REVISIONS

    @classmethod
    def parse(cls, text: str) -> History:
        """``5m``, ``1h30m``, ``90s`` (a window), ``20000`` (revisions), or both with a comma
        (``10m,50000``). A part left out keeps no bound of its kind."""
        window: float | None = None
        revisions: int | None = None
        parts = [p.strip() for p in text.split(",")]
        if not text.strip() or len(parts) > 2 or not all(parts):
            raise HistoryError(f"invalid history {text!r}: want a duration (5m), a count of "
                               f"revisions (10000), or both (5m,10000)")
        for part in parts:
            if part.isdigit():
                if revisions is not None:
                    raise HistoryError(f"invalid history {text!r}: two revision counts")
                revisions = int(part)
                if revisions < 1:
                    raise HistoryError(f"invalid history {text!r}: keep at least 1 revision")
                continue
            seconds = parse_duration(part)
            if seconds is None:
                raise HistoryError(f"invalid history {text!r}: {part!r} is neither a duration "
                                   f"(like 90s, 5m, 1h30m) nor a count of revisions")
            if window is not None:
                raise HistoryError(f"invalid history {text!r}: two durations")
            window = seconds
        return cls(window=window, revisions=revisions)

    def flag(self) -> str:
        """The ``--history`` text that parses back to this."""
        parts = [f"{self.window:g}s"] if self.window is not None else []
        if self.revisions is not None:
            parts.append(str(self.revisions))
        return ",".join(parts)

    def describe(self) -> str:
        parts = []
        if self.window is not None:
            parts.append(f"{self.window:g}s")
        if self.revisions is not None:
            parts.append(f"{self.revisions} revisions")
        return " and at most ".join(parts) if parts else "everything"

    def compact_target(self, revision: int, clock: RevisionClock, now: float) -> int:
        """The revision to compact up to (0: keep everything)."""
        target = 0
        if self.revisions is not None:
            target = max(target, revision - self.revisions)
        if self.window is not None:
            target = max(target, clock.revision_at(now - self.window))
        return min(target, revision)


class RevisionClock:
    """(time, revision) samples, one a second at most, for ``window`` + a margin."""

    def __init__(self, *, keep: float = DEFAULT_WINDOW, resolution: float = 1.0) -> None:
        self._times: deque[float] = deque()
        self._revs: deque[int] = deque()
        self.keep = keep
        self.resolution = resolution

    def observe(self, revision: int, now: float) -> None:
        """``revision`` is committed at ``now``."""
        if self._times and now - self._times[-1] < self.resolution:
            self._revs[-1] = revision  # the newest revision committed by this sample's end
            return
        self._times.append(now)
        self._revs.append(revision)
        horizon = now - self.keep - 2 * self.resolution
        while len(self._times) > 2 and self._times[1] < horizon:
            self._times.popleft()
            self._revs.popleft()

    def revision_at(self, when: float) -> int:
        """The newest revision known committed at or before ``when`` (0 if none is)."""
        i = bisect.bisect_right(self._times, when)
        if i == 0:
            return 0
        # A sample holds the newest revision of the ``resolution`` after its time: complete
        # by ``when`` only if that span has passed; else the sample before it is.
        if when >= self._times[i - 1] + self.resolution:
            return self._revs[i - 1]
        return self._revs[i - 2] if i >= 2 else 0
