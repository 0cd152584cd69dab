"""Steps of the daemon's start a user may wait for (making the pause image, ...), logged under
one logger name so that ``up --detach``, which follows the daemon's log file, can show them
(cli/progress.py) while it waits for the daemon to be ready."""

from __future__ import annotations

import logging

LOGGER = "minikube_py.progress"
_log = logging.getLogger(LOGGER)


def step(message: str) -> None:
    """A step begins (``creating the pause image minikube-py/pause:3.9``)."""
    _log.info(message)


def parse(line: str) -> str | None:
    """The step a line of the daemon's log announces, or None (the log's format is
    ``<time> <LEVEL> <logger>: <message>``)."""
    _, found, message = line.partition(f" {LOGGER}: ")
    return message.strip() if found else None
