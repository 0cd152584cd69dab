"""The property-based fuzz tests: one per strategy, each against the module's real daemon.

Every example is one hostile request (``Plan``); :class:`~tests.fuzz.harness.Fuzzer` checks
the properties of ``oracle.py`` on its answer and on the store afterwards. Which profile runs
(short or long) and how the failures are reported is set in ``conftest.py``.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from minikube_py.api.registry import ResourceType
from tests.fuzz.conftest import SEED, budget
from tests.fuzz.examples import example, served_kinds
from tests.fuzz.harness import FUZZ_NS, Fuzzer, Plan
from tests.fuzz.report import render
from tests.fuzz.strategies_attacks import attack_plans
from tests.fuzz.strategies_http import header_plans, url_plans
from tests.fuzz.strategies_objects import object_plans
from tests.fuzz.strategies_openapi import openapi_plans, served_components
from tests.fuzz.strategies_patches import patch_plans
from tests.fuzz.wire import Request

pytestmark = pytest.mark.fuzz


def run_strategy(fuzzer: Fuzzer, name: str, plans: st.SearchStrategy[Plan]) -> None:
    """Run ``budget(name)`` examples of ``plans``; in collect mode fail with what was seen."""
    seen: set[str] = set()

    @settings(max_examples=budget(name))
    @given(plan=plans)
    def check(plan: Plan) -> None:
        seen.update(v.signature for v in fuzzer.run(plan))

    if SEED is not None:
        check = seed(SEED)(check)
    check()
    if seen:
        pytest.fail(render([fuzzer.stats.failures[s] for s in sorted(seen)]), pytrace=False)


@pytest.mark.parametrize("rt", served_kinds(), ids=lambda rt: f"{rt.group or 'core'}.{rt.kind}")
def test_every_example_is_accepted_and_stored_valid(fuzzer: Fuzzer, rt: ResourceType) -> None:
    """Each kind's starting object is created (201) and reads back valid: mutations start sound."""
    body = example(rt, "", FUZZ_NS)
    body["metadata"].pop("name")
    body["metadata"]["generateName"] = "fuzz-"
    ns = FUZZ_NS if rt.namespaced else None
    plan = Plan("examples", Request("POST", rt.path(ns).encode(),
                                    ((b"Content-Type", b"application/json"),),
                                    json.dumps(body).encode()), rt=rt, collection_ns=ns)
    assert not fuzzer.run(plan)
    assert fuzzer.stats.statuses["examples"].get("2xx")


def test_mutated_objects(fuzzer: Fuzzer) -> None:
    """Mutated valid objects of every kind, created or replaced, keep every property."""
    run_strategy(fuzzer, "objects", object_plans())


def test_openapi_objects(fuzzer: Fuzzer) -> None:
    """Objects drawn from the served OpenAPI schemas keep every property when created."""
    run_strategy(fuzzer, "openapi", openapi_plans(served_components(fuzzer)))


def test_hostile_patches(fuzzer: Fuzzer) -> None:
    """Merge, JSON, strategic merge and apply patches of every kind keep every property."""
    run_strategy(fuzzer, "patches", patch_plans())


def test_hostile_urls(fuzzer: Fuzzer) -> None:
    """Every method on odd paths and junk query strings keeps every property."""
    run_strategy(fuzzer, "urls", url_plans())


def test_hostile_headers(fuzzer: Fuzzer) -> None:
    """Odd Accept, Content-Type, Content-Encoding, Authorization and HEAD keep every property."""
    run_strategy(fuzzer, "headers", header_plans())


def test_attacks_leave_the_sentinels_alone(fuzzer: Fuzzer) -> None:
    """Refused writes and dry runs aimed at the sentinels change nothing."""
    run_strategy(fuzzer, "attacks", attack_plans())
