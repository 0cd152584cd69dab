"""The balancer alone: round robin, ClientIP affinity on a fake clock, endpoint updates."""

from __future__ import annotations

import itertools

import pytest

from minikube_py.proxy.balancer import DEFAULT_AFFINITY_TIMEOUT, Balancer, Endpoint

A, B, C = Endpoint("10.0.0.1", 80), Endpoint("10.0.0.2", 80), Endpoint("10.0.0.3", 80)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def first(balancer: Balancer, client_ip: str = "192.168.0.1") -> Endpoint:
    return next(balancer.candidates(client_ip))


def test_round_robin_cycles_through_endpoints() -> None:
    """Successive connections go to each endpoint in turn."""
    balancer = Balancer()
    balancer.update([A, B, C])
    assert [first(balancer) for _ in range(6)] == [A, B, C, A, B, C]


def test_no_endpoints_yields_nothing() -> None:
    """A Service port without ready endpoints offers no candidate."""
    assert list(Balancer().candidates("1.2.3.4")) == []


def test_candidates_are_every_endpoint_once_preferred_first() -> None:
    """After the preferred endpoint come the others, in round-robin order, each once."""
    balancer = Balancer()
    balancer.update([A, B, C])
    first(balancer)
    assert list(balancer.candidates("1.2.3.4")) == [B, C, A]


def test_skipped_endpoints_advance_the_round_robin() -> None:
    """When the first candidate refused, the next connection starts after the one that accepted."""
    balancer = Balancer()
    balancer.update([A, B, C])
    walk = balancer.candidates("1.2.3.4")
    assert [next(walk), next(walk)] == [A, B]  # A refused, B accepted
    assert first(balancer) == C


def test_update_replaces_and_dedupes() -> None:
    """update() takes the new list whole, in order, without duplicates."""
    balancer = Balancer()
    balancer.update([A, B])
    balancer.update([("10.0.0.3", 80), ("10.0.0.3", 80), ("10.0.0.1", 80)])
    assert balancer.endpoints == (C, A)
    assert set(itertools.islice((first(balancer) for _ in itertools.count()), 4)) == {C, A}


def test_walk_in_progress_keeps_its_snapshot() -> None:
    """An update during a candidates() walk does not change what that walk yields."""
    balancer = Balancer()
    balancer.update([A, B])
    walk = balancer.candidates("1.2.3.4")
    assert next(walk) == A
    balancer.update([C])
    assert list(walk) == [B]
    assert first(balancer) == C


@pytest.mark.parametrize("timeout", [
    pytest.param(DEFAULT_AFFINITY_TIMEOUT, id="default-timeout"),
    pytest.param(30.0, id="short-timeout"),
])
def test_client_ip_affinity_sticks_until_idle_past_timeout(timeout: float) -> None:
    """A client IP keeps its endpoint while it reconnects within the timeout, then is rebalanced."""
    clock = FakeClock()
    balancer = Balancer(affinity_timeout=timeout, clock=clock)
    balancer.update([A, B, C])
    assert first(balancer, "1.1.1.1") == A
    assert first(balancer, "2.2.2.2") == B
    for _ in range(3):
        clock.now += timeout - 1  # never idle past the timeout: each use renews it
        assert first(balancer, "1.1.1.1") == A
    clock.now += timeout + 1
    assert balancer.affinity("1.1.1.1") is None
    assert first(balancer, "1.1.1.1") == C
    assert balancer.affinity("1.1.1.1") == C


def test_affinity_follows_the_endpoint_that_accepted() -> None:
    """When the stuck endpoint refuses, the client sticks to the one that accepted instead."""
    balancer = Balancer(affinity_timeout=100, clock=FakeClock())
    balancer.update([A, B, C])
    assert first(balancer, "1.1.1.1") == A
    walk = balancer.candidates("1.1.1.1")
    assert [next(walk), next(walk)] == [A, B]  # A refused
    assert first(balancer, "1.1.1.1") == B


def test_removed_endpoint_drops_its_affinity() -> None:
    """Clients stuck to an endpoint that left the list are balanced afresh."""
    balancer = Balancer(affinity_timeout=100, clock=FakeClock())
    balancer.update([A, B, C])
    assert first(balancer, "1.1.1.1") == A
    assert first(balancer, "2.2.2.2") == B
    balancer.update([B, C])
    assert balancer.affinity("1.1.1.1") is None
    assert balancer.affinity("2.2.2.2") == B
    assert first(balancer, "1.1.1.1") in (B, C)


def test_expired_entries_are_swept() -> None:
    """Entries idle past the timeout are forgotten, not kept forever."""
    clock = FakeClock()
    balancer = Balancer(affinity_timeout=10, clock=clock)
    balancer.update([A, B])
    for i in range(50):
        first(balancer, f"10.1.0.{i}")
    assert balancer.sticky_clients == 50
    clock.now += 11
    balancer.expire()
    assert balancer.sticky_clients == 0


def test_affinity_off_forgets_entries() -> None:
    """Turning affinity off returns to plain round robin."""
    balancer = Balancer(affinity_timeout=100, clock=FakeClock())
    balancer.update([A, B])
    assert [first(balancer, "1.1.1.1") for _ in range(2)] == [A, A]
    balancer.set_affinity(None)
    assert [first(balancer, "1.1.1.1") for _ in range(2)] == [B, A]
