"""Progress of a long wait, as a user watches it: on a terminal one line that turns (a
spinner with the seconds so far, rewritten in place); elsewhere (CI logs, pipes) a plain line
when a wait starts to take long and one when it ends — never a spinner in a log file.
Progress goes to stderr, so what a command prints on stdout stays parseable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

SPINNER = "|/-\\"
QUIET_FOR = 1.0  # seconds a wait may take before it is mentioned


class Progress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._what = ""
        self._started = 0.0
        self._said = False
        self._frame = 0
        self._quiet_for = QUIET_FOR

    def start(self, what: str, *, quiet_for: float = QUIET_FOR) -> None:
        """A new step (``waiting for deployment.apps "web" to be available``), said once it
        has taken ``quiet_for`` seconds."""
        self.done()
        self._what, self._started, self._said, self._frame = what, time.monotonic(), False, 0
        self._quiet_for = quiet_for

    def tick(self, detail: str = "") -> None:
        """Still waiting (call it at each poll); ``detail`` says how far it is."""
        if not self._what:
            return
        elapsed = time.monotonic() - self._started
        if elapsed < self._quiet_for:
            return
        if self.tty:
            self._frame += 1
            line = f"{SPINNER[self._frame % len(SPINNER)]} {self._what}"
            line += f" ({detail}, {elapsed:.0f}s)" if detail else f" ({elapsed:.0f}s)"
            self.stream.write("\r\x1b[2K" + line)
            self.stream.flush()
        elif not self._said:
            self.stream.write(f"{self._what}...\n")
            self.stream.flush()
        self._said = True

    def done(self, outcome: str = "") -> None:
        """The step ended; ``outcome`` is said if the wait was long enough to be shown."""
        if self._what and self._said:
            elapsed = time.monotonic() - self._started
            end = f"{self._what}: {outcome or 'done'} ({elapsed:.1f}s)"
            self.stream.write(("\r\x1b[2K" if self.tty else "") + end + "\n")
            self.stream.flush()
        self._what, self._said = "", False
