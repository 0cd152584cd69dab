"""The scheduling framework: extension points, plugin statuses, the cycle's state, and the
runner that calls the enabled plugins in order (kube-scheduler's ``framework/interface.go``
and ``framework/runtime/framework.go``).

A plugin is an object with a ``name`` and one or more extension-point methods; which points
it serves is read from the methods it has (:func:`points_of`). The :class:`Framework` of a
profile holds, per point, the enabled plugins in order, and the score weights.

- ``pre_filter(state, pod, nodes)``: compute per-cycle state; ``Status(SKIP)`` skips the
  plugin's filter for this pod; a rejection fails the pod on every node.
- ``filter(state, pod, node)``: ``None`` when the pod fits on the node, else a Status whose
  ``reasons`` are the words of the ``FailedScheduling`` message.
- ``post_filter(state, pod, statuses)`` (async): what to do when no node fits (preemption).
- ``pre_score`` / ``score`` (0..100 after ``normalize_score``) / ``normalize_score``.
- ``reserve`` / ``unreserve``, ``permit``, ``bind`` (async; ``SKIP`` passes to the next binder).

Filters and scores run synchronously, one node after the other: the scheduling cycle never
awaits between its snapshot and the assumption of its pod, so the cache is its own snapshot.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from minikube_py.client.base import Client
from minikube_py.client.events import EventRecorder
from minikube_py.client.store import Lister
from minikube_py.scheduler.cache import Cache
from minikube_py.scheduler.types import NodeInfo, PodInfo

MAX_NODE_SCORE = 100
MIN_FEASIBLE_NODES_TO_FIND = 100  # kube-scheduler's minFeasibleNodesToFind
MIN_FEASIBLE_NODES_PERCENTAGE = 5


class Code(enum.IntEnum):
    SUCCESS = 0
    ERROR = 1
    UNSCHEDULABLE = 2
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3
    WAIT = 4
    SKIP = 5


@dataclass(slots=True)
class Status:
    """Why a plugin said no (or skip); success is ``None`` where speed matters."""

    code: Code
    reasons: tuple[str, ...] = ()
    plugin: str = ""

    @property
    def rejected(self) -> bool:
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE)

    @property
    def message(self) -> str:
        return ", ".join(self.reasons)


def unschedulable(*reasons: str) -> Status:
    return Status(Code.UNSCHEDULABLE, reasons)


def unresolvable(*reasons: str) -> Status:
    return Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, reasons)


def error(message: str) -> Status:
    return Status(Code.ERROR, (message,))


SKIP = Status(Code.SKIP)


class CycleState:
    """Data plugins share within one pod's scheduling cycle (keyed by plugin name)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.skip_filter: set[str] = set()
        self.skip_score: set[str] = set()
        self.node_names: set[str] | None = None  # PreFilterResult: only these nodes

    def read(self, key: str) -> Any:
        return self.data.get(key)

    def write(self, key: str, value: Any) -> None:
        self.data[key] = value

    def clone(self) -> CycleState:
        copy = CycleState()
        copy.data = dict(self.data)
        copy.skip_filter = set(self.skip_filter)
        copy.skip_score = set(self.skip_score)
        copy.node_names = self.node_names
        return copy


class Handle(Protocol):
    """What plugins may use of the scheduler (kube-scheduler's ``framework.Handle``)."""

    client: Client
    events: EventRecorder
    cache: Cache

    def node_infos(self) -> Sequence[NodeInfo]: ...

    def node_info(self, name: str) -> NodeInfo | None: ...

    def lister(self, plural: str) -> Lister | None: ...

    def framework(self) -> Framework: ...


class Plugin(Protocol):
    name: str


PluginFactory = Callable[[dict[str, Any], Handle], Plugin]
POINTS = ("pre_filter", "filter", "post_filter", "pre_score", "score", "reserve", "permit",
          "bind")
# KubeSchedulerConfiguration's extension point names, for the config file.
CONFIG_POINTS = {"preFilter": "pre_filter", "filter": "filter", "postFilter": "post_filter",
                 "preScore": "pre_score", "score": "score", "reserve": "reserve",
                 "permit": "permit", "bind": "bind"}


def points_of(plugin: Plugin) -> list[str]:
    return [p for p in POINTS if callable(getattr(plugin, p, None))]


@dataclass
class Diagnosis:
    """Why a pod fits nowhere: per-node statuses and the plugins that rejected it."""

    statuses: dict[str, Status] = field(default_factory=dict)
    unschedulable_plugins: set[str] = field(default_factory=set)
    pre_filter_message: str = ""
    post_filter_message: str = ""


class FitError(Exception):
    """No node fits the pod; ``str()`` is kube-scheduler's FailedScheduling message."""

    def __init__(self, pod: PodInfo, num_all_nodes: int, diagnosis: Diagnosis) -> None:
        super().__init__(pod.key)
        self.pod = pod
        self.num_all_nodes = num_all_nodes
        self.diagnosis = diagnosis

    def __str__(self) -> str:
        return fit_error_message(self.num_all_nodes, self.diagnosis)


def reasons_histogram(statuses: dict[str, Status]) -> list[str]:
    counts: dict[str, int] = {}
    for status in statuses.values():
        for reason in status.reasons:
            counts[reason] = counts.get(reason, 0) + 1
    return sorted(f"{count} {reason}" for reason, count in counts.items())


def fit_error_message(num_all_nodes: int, diagnosis: Diagnosis) -> str:
    """``0/3 nodes are available: 1 node(s) had untolerated taint {a: b}, 2 Insufficient
    cpu.`` then the post-filter's words: reasons counted and sorted as Go's sort.Strings."""
    message = f"0/{num_all_nodes} nodes are available:"
    if diagnosis.pre_filter_message:
        message += f" {diagnosis.pre_filter_message}."
    else:
        histogram = reasons_histogram(diagnosis.statuses)
        if histogram:
            message += f" {', '.join(histogram)}."
    if diagnosis.post_filter_message:
        message += f" {diagnosis.post_filter_message}"
    return message


@dataclass
class PostFilterResult:
    nominated_node: str = ""


FilterFunc = Callable[[CycleState, PodInfo, NodeInfo], Status | None]
ScoreFunc = Callable[[CycleState, PodInfo, NodeInfo], int]


class Framework:
    """The plugins of one profile, per extension point, and how to run them."""

    def __init__(self, profile_name: str, points: dict[str, list[Plugin]],
                 weights: dict[str, int], *, percentage_of_nodes_to_score: int = 0) -> None:
        self.profile_name = profile_name
        self.points = {p: list(points.get(p, ())) for p in POINTS}
        self.weights = weights
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        self._next_start = 0
        self.rng = random.Random()

    def plugins(self, point: str) -> list[Plugin]:
        return self.points[point]

    # -- filtering --------------------------------------------------------------------------

    def run_pre_filter(self, state: CycleState, pod: PodInfo,
                       nodes: Sequence[NodeInfo]) -> Status | None:
        for plugin in self.points["pre_filter"]:
            status: Status | None = plugin.pre_filter(state, pod, nodes)  # type: ignore[attr-defined]
            if status is None:
                continue
            if status.code == Code.SKIP:
                state.skip_filter.add(plugin.name)
                continue
            status.plugin = status.plugin or plugin.name
            return status
        return None

    def filters_for(self, state: CycleState) -> list[tuple[str, FilterFunc]]:
        return [(p.name, p.filter) for p in self.points["filter"]  # type: ignore[attr-defined]
                if p.name not in state.skip_filter]

    @staticmethod
    def run_filters(filters: list[tuple[str, FilterFunc]], state: CycleState, pod: PodInfo,
                    node: NodeInfo) -> Status | None:
        for name, run in filters:
            status = run(state, pod, node)
            if status is not None:
                status.plugin = status.plugin or name
                return status
        return None

    def num_feasible_nodes_to_find(self, num_all_nodes: int) -> int:
        """kube-scheduler's adaptive percentage: all nodes below 100, else 50% minus 1% per
        125 nodes (at least 5%), but never fewer than 100."""
        if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
            return num_all_nodes
        percentage = self.percentage_of_nodes_to_score
        if percentage <= 0:
            percentage = max(50 - num_all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE)
        count = num_all_nodes * percentage // 100
        return max(count, MIN_FEASIBLE_NODES_TO_FIND)

    def find_nodes_that_fit(self, state: CycleState, pod: PodInfo,
                            nodes: Sequence[NodeInfo], diagnosis: Diagnosis,
                            nominated: Mapping[str, list[PodInfo]] | None = None,
                            ) -> list[NodeInfo]:
        """Filter nodes, starting where the last cycle stopped, until enough fit. On nodes
        in ``nominated``, those pods are counted as if placed (kube-scheduler's
        RunFilterPluginsWithNominatedPods)."""
        if state.node_names is not None:
            nodes = [n for n in nodes if n.name in state.node_names]
        total = len(nodes)
        if not total:
            return []
        wanted = self.num_feasible_nodes_to_find(total)
        feasible: list[NodeInfo] = []
        start = self._next_start % total
        order = [*nodes[start:], *nodes[:start]] if start else list(nodes)
        checked = 0
        # Chunks of the walk go through one plugin after the other (a plugin's batch
        # ``filter_nodes`` saves a call per node); the result is the first ``wanted`` nodes
        # that pass, in walk order, as a node-by-node walk would find them.
        while checked < total and len(feasible) < wanted:
            chunk = order[checked:checked + max(wanted - len(feasible), 16)]
            checked += len(chunk)
            special = [n for n in chunk if n.name in nominated] if nominated else []
            if special:
                chunk = [n for n in chunk if n.name not in nominated]  # type: ignore[operator]
            for name, plugin in self._filter_plugins(state):
                if not chunk:
                    break
                chunk = self._filter_chunk(name, plugin, state, pod, chunk, diagnosis)
            feasible.extend(chunk)
            for node in special:
                assert nominated is not None
                trial = node.clone()
                for other in nominated[node.name]:
                    trial.add_pod(other)
                status = self.run_filters(self.filters_for(state), state, pod, trial)
                if status is None:
                    feasible.append(node)
                else:
                    diagnosis.statuses[node.name] = status
                    diagnosis.unschedulable_plugins.add(status.plugin)
        self._next_start = (start + checked) % total
        return feasible[:wanted]

    def _filter_plugins(self, state: CycleState) -> list[tuple[str, Plugin]]:
        return [(p.name, p) for p in self.points["filter"] if p.name not in state.skip_filter]

    @staticmethod
    def _filter_chunk(name: str, plugin: Plugin, state: CycleState, pod: PodInfo,
                      nodes: list[NodeInfo], diagnosis: Diagnosis) -> list[NodeInfo]:
        batch = getattr(plugin, "filter_nodes", None)
        if batch is not None:
            passed, failed = batch(state, pod, nodes)
        else:
            run: FilterFunc = plugin.filter  # type: ignore[attr-defined]
            passed, failed = [], []
            for node in nodes:
                status = run(state, pod, node)
                if status is None:
                    passed.append(node)
                else:
                    failed.append((node, status))
        for node, status in failed:
            status.plugin = status.plugin or name
            diagnosis.statuses[node.name] = status
            diagnosis.unschedulable_plugins.add(status.plugin)
        return passed  # type: ignore[no-any-return]

    # -- scoring ----------------------------------------------------------------------------

    def run_pre_score(self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]) -> None:
        for plugin in self.points["pre_score"]:
            status: Status | None = plugin.pre_score(state, pod, nodes)  # type: ignore[attr-defined]
            if status is not None and status.code == Code.SKIP:
                state.skip_score.add(plugin.name)

    def run_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> list[int]:
        """Weighted sum of every score plugin's normalised scores, one per node."""
        totals = [0] * len(nodes)
        for plugin in self.points["score"]:
            if plugin.name in state.skip_score:
                continue
            batch = getattr(plugin, "score_nodes", None)
            if batch is not None:
                scores: list[int] = batch(state, pod, nodes)
            else:
                score: ScoreFunc = plugin.score  # type: ignore[attr-defined]
                scores = [score(state, pod, node) for node in nodes]
            normalize = getattr(plugin, "normalize_score", None)
            if normalize is not None:
                normalize(state, pod, scores)
            weight = self.weights.get(plugin.name, 1)
            totals = [t + v * weight for t, v in zip(totals, scores, strict=True)]
        return totals

    def select_host(self, nodes: Sequence[NodeInfo], scores: Sequence[int]) -> NodeInfo:
        """The highest score; among equal ones, each equally likely."""
        best = max(scores)
        ties = [i for i, score in enumerate(scores) if score == best]
        return nodes[ties[0] if len(ties) == 1 else self.rng.choice(ties)]

    # -- after a node is chosen -------------------------------------------------------------

    def run_reserve(self, state: CycleState, pod: PodInfo, node: str) -> Status | None:
        for plugin in self.points["reserve"]:
            status: Status | None = plugin.reserve(state, pod, node)  # type: ignore[attr-defined]
            if status is not None:
                status.plugin = plugin.name
                self.run_unreserve(state, pod, node)
                return status
        return None

    def run_unreserve(self, state: CycleState, pod: PodInfo, node: str) -> None:
        for plugin in reversed(self.points["reserve"]):
            unreserve = getattr(plugin, "unreserve", None)
            if unreserve is not None:
                unreserve(state, pod, node)

    def run_permit(self, state: CycleState, pod: PodInfo, node: str) -> Status | None:
        for plugin in self.points["permit"]:
            status: Status | None = plugin.permit(state, pod, node)  # type: ignore[attr-defined]
            if status is not None:
                status.plugin = plugin.name
                return status
        return None

    async def run_post_filter(self, state: CycleState, pod: PodInfo,
                              diagnosis: Diagnosis) -> PostFilterResult | None:
        for plugin in self.points["post_filter"]:
            run: Callable[..., Awaitable[tuple[PostFilterResult | None, Status | None]]] = \
                plugin.post_filter  # type: ignore[attr-defined]
            result, status = await run(state, pod, diagnosis)
            if status is not None and status.reasons:
                diagnosis.post_filter_message = status.message
            if result is not None:
                return result
        return None

    async def run_bind(self, state: CycleState, pod: PodInfo, node: str) -> Status | None:
        for plugin in self.points["bind"]:
            run: Callable[..., Awaitable[Status | None]] = plugin.bind  # type: ignore[attr-defined]
            status = await run(state, pod, node)
            if status is not None and status.code == Code.SKIP:
                continue
            return status
        return error("no bind plugin bound the pod")
