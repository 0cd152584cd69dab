"""The scheduler cache: assumed pods count at once, are confirmed, forgotten or expired."""

from __future__ import annotations

import dataclasses

from minikube_py.scheduler.cache import Cache
from tests.scheduler.builders import info, node, pod


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_assumed_pod_counts_before_binding() -> None:
    """An assumed pod's requests are taken from the node at once."""
    cache = Cache()
    cache.add_node(node("n", cpu="2"))
    cache.assume_pod(dataclasses.replace(info(pod(cpu="1500m")), node_name="n"), "n")
    assert cache.nodes["n"].requested["cpu"] == 1500
    assert cache.is_assumed("default/p")


def test_forget_undoes_assumption() -> None:
    """A failed binding gives the resources back."""
    cache = Cache()
    cache.add_node(node("n"))
    cache.assume_pod(info(pod(cpu="1")), "n")
    cache.forget_pod("default/p")
    assert cache.nodes["n"].requested.get("cpu", 0) == 0
    assert cache.pod_node("default/p") is None


def test_informer_confirms_assumption() -> None:
    """The bound pod from the informer replaces the assumption (counted once)."""
    cache = Cache()
    cache.add_node(node("n"))
    cache.assume_pod(info(pod(cpu="1")), "n")
    cache.finish_binding("default/p")
    cache.add_pod(info(pod(cpu="1", node="n")))
    assert cache.nodes["n"].requested["cpu"] == 1000
    assert not cache.is_assumed("default/p")


def test_expired_assumption_is_dropped() -> None:
    """A bound pod that never shows up is expired after the TTL."""
    clock = Clock()
    cache = Cache(now=clock, ttl=30)
    cache.add_node(node("n"))
    cache.assume_pod(info(pod(cpu="1")), "n")
    clock.t = 100  # not expired before its binding finished
    assert cache.cleanup_assumed_pods() == []
    cache.finish_binding("default/p")
    clock.t = 129
    assert cache.cleanup_assumed_pods() == []
    clock.t = 131
    assert cache.cleanup_assumed_pods() == ["default/p"]
    assert cache.nodes["n"].requested.get("cpu", 0) == 0


def test_node_list_interleaves_zones() -> None:
    """The node walk alternates zones, so an early stop still spreads over them."""
    cache = Cache()
    zone = "topology.kubernetes.io/zone"
    for name, z in (("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("b2", "b")):
        cache.add_node(node(name, labels={zone: z}))
    assert [n.name for n in cache.node_list()] == ["a1", "b1", "a2", "b2", "a3"]


def test_pod_on_unknown_node_then_node_arrives() -> None:
    """A pod bound to a node not yet seen is kept, and counted once the node comes."""
    cache = Cache()
    cache.add_pod(info(pod(cpu="1", node="late")))
    assert cache.node_list() == []
    cache.add_node(node("late"))
    assert cache.node_list()[0].requested["cpu"] == 1000
    cache.remove_node("late")
    assert "late" in cache.nodes  # still holds the pod
    cache.remove_pod("default/p")
    assert "late" not in cache.nodes
