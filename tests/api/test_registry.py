"""The registry seam: types added and removed at runtime, with a generation and listeners
(what discovery, OpenAPI and the custom resource serving rely on)."""

from __future__ import annotations

from minikube_py.api.registry import REGISTRY, Registry, ResourceType


def rt(plural: str, group: str = "x.io") -> ResourceType:
    return ResourceType(group, "v1", plural.capitalize()[:-1], plural, True)


def test_replace_owned_adds_swaps_and_removes_with_generations() -> None:
    """An owner's types come, change and go; each change is a generation and a call."""
    registry = REGISTRY.copy()
    seen: list[int] = []
    unsubscribe = registry.subscribe(lambda r: seen.append(r.generation))
    start = registry.generation
    registry.replace_owned("crd:a", [rt("things")])
    assert registry.by_path("x.io", "v1", "things") is not None
    assert registry.resolve("things") is not None
    same = registry.owned("crd:a")
    registry.replace_owned("crd:a", same)  # nothing changes: no new generation
    registry.replace_owned("crd:a", [rt("others")])
    assert registry.by_path("x.io", "v1", "things") is None
    registry.replace_owned("crd:a", [])
    assert registry.by_path("x.io", "v1", "others") is None and registry.owned("crd:a") == []
    assert seen == [start + 1, start + 2, start + 3]
    unsubscribe()
    registry.replace_owned("crd:b", [rt("more")])
    assert len(seen) == 3


def test_copies_change_independently_and_builtins_win() -> None:
    """A copy's custom types are its own; a custom type cannot shadow a built-in path."""
    registry = REGISTRY.copy()
    registry.replace_owned("crd:pods", [ResourceType("", "v1", "Fake", "pods", True)])
    assert registry.by_path("", "v1", "pods").kind == "Pod"  # type: ignore[union-attr]
    registry.replace_owned("crd:a", [rt("things")])
    assert REGISTRY.by_path("x.io", "v1", "things") is None


def test_a_failing_listener_does_not_stop_the_change() -> None:
    registry = Registry()
    calls: list[str] = []

    def broken(_r: Registry) -> None:
        raise RuntimeError("bug")

    registry.subscribe(broken)
    registry.subscribe(lambda _r: calls.append("ok"))
    registry.add(rt("things"))
    assert calls == ["ok"] and registry.by_path("x.io", "v1", "things") is not None
