"""Fixtures and Hypothesis profiles of the fuzz suite.

``MINIKUBE_PY_FUZZ`` picks the profile (default ``short``):

- ``short`` runs in ``make test``: a few hundred requests, ``derandomize=True`` so every run
  (and CI) draws the same examples and a failure is reproduced by running it again.
- ``long`` runs in ``make fuzz``: more than 10,000 requests from a fresh random seed
  (``MINIKUBE_PY_FUZZ_SEED=<n>`` replays a run's choice of examples).

Both *collect*: a broken property is recorded and the run goes on, so one run lists every
distinct defect with the smallest request that showed it, and each test fails at its end with
that list. (Shrinking a request against a stateful server costs minutes per defect and stops
Hypothesis from looking further; ``MINIKUBE_PY_FUZZ_SHRINK=1`` asks for it anyway: the first
broken property then fails the test and Hypothesis shrinks it.) ``MINIKUBE_PY_FUZZ_REPORT``
names a JSON report of counts and failures; ``MINIKUBE_PY_FUZZ_SCALE`` multiplies the number of
examples. No example database is kept: the server's state differs between runs, so a replayed
example would mean little, and the derandomized short run needs none.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import RunningDaemon, start_daemon
from tests.fuzz.harness import Fuzzer

PROFILE = os.environ.get("MINIKUBE_PY_FUZZ", "short")
if PROFILE not in ("short", "long"):
    raise pytest.UsageError(f"MINIKUBE_PY_FUZZ must be short or long, not {PROFILE!r}")

_COMMON = {"deadline": None, "database": None, "print_blob": False,
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much,
                                     HealthCheck.large_base_example]}
settings.register_profile("short", derandomize=True, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("long", derandomize=False, **_COMMON)  # type: ignore[arg-type]
settings.load_profile(PROFILE)
SHRINK = os.environ.get("MINIKUBE_PY_FUZZ_SHRINK", "") == "1"
# The long profile's seed: given, or drawn once per run and written into the report.
SEED: int | None = None
if PROFILE == "long":
    SEED = int(os.environ.get("MINIKUBE_PY_FUZZ_SEED") or random.randrange(2**32))

# Examples per strategy: (short, long). Each example sends one hostile request.
BUDGET: dict[str, tuple[int, int]] = {
    "objects": (90, 3000),
    "openapi": (20, 1200),
    "patches": (90, 3000),
    "urls": (80, 2000),
    "headers": (50, 1200),
    "attacks": (50, 1000),
}


def budget(strategy: str) -> int:
    """Examples of ``strategy`` in this profile (``MINIKUBE_PY_FUZZ_SCALE`` multiplies)."""
    short, long = BUDGET[strategy]
    scale = float(os.environ.get("MINIKUBE_PY_FUZZ_SCALE", "1"))
    return max(1, round((long if PROFILE == "long" else short) * scale))


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    """The apiserver under fuzzing, without the controller manager, the scheduler, the
    virtual nodes and the proxy: nothing but the fuzzer may change the objects whose
    stability it checks (a Deployment's status, a ReplicaSet's pods, a bound seed pod or the
    proxy's port annotation on a Service would look like a refused write that went
    through)."""
    running = start_daemon(tmp_path_factory.mktemp("fuzz-daemon"),
                           extra=("--without", "controller-manager", "--without", "scheduler",
                                  "--without", "nodes", "--without", "proxy"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def fuzzer(daemon: RunningDaemon) -> Iterator[Fuzzer]:
    """A harness on the module's daemon, with its namespaces, seeds and sentinels."""
    fuzz = Fuzzer(daemon, collect=not SHRINK)
    fuzz.stats.seed = SEED
    fuzz.setup()
    yield fuzz
    fuzz.hostile.close()
    fuzz.admin.close()
    report = os.environ.get("MINIKUBE_PY_FUZZ_REPORT")
    if report:
        fuzz.stats.write(Path(report), PROFILE)
