"""Opportunistic batching (after kube-scheduler's OpportunisticBatching, KEP-5598): pods
made from one template are scheduled one after the other, and the second needs the same
filtering and scoring as the first except on the nodes that changed since.

After a full cycle whose every active plugin judges a node by that node alone (no inter-pod
affinity, no topology spreading, no score that is normalised across nodes), the feasible
nodes and their total scores are kept with each node's generation. The next pod with the same
signature (namespace, labels, spec but its name) reuses them: nodes whose generation moved
(the last pod was assumed there, a pod left, the node changed) are filtered and scored again,
the others keep their scores. The node list changing, a volume event, or the kept set
shrinking below half of what a full cycle finds ends the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from minikube_py.scheduler.framework import CycleState, Framework
from minikube_py.scheduler.types import NodeInfo, PodInfo
from minikube_py.util import jsonutil

# Plugins whose verdict on a node reads only that node and the pod.
NODE_LOCAL_FILTERS = frozenset({"NodeUnschedulable", "NodeName", "TaintToleration",
                                "NodeAffinity", "NodePorts", "NodeResourcesFit",
                                "VolumeBinding", "VolumeZone"})
NODE_LOCAL_SCORES = frozenset({"NodeResourcesFit", "NodeResourcesBalancedAllocation",
                               "ImageLocality"})


@dataclass
class _Batch:
    signature: bytes
    framework: Framework
    state: CycleState
    node_list: Sequence[NodeInfo]
    cluster_generation: int
    wanted: int
    entries: list[tuple[NodeInfo, int, int]] = field(default_factory=list)  # node, gen, score


def signature(pod: PodInfo) -> bytes:
    meta = pod.pod.get("metadata") or {}
    return jsonutil.dumps([pod.namespace, meta.get("labels"), pod.spec])


class Batcher:
    def __init__(self) -> None:
        self._batch: _Batch | None = None
        self.cluster_generation = 0  # bumped by events node generations do not show
        self.reused = 0

    def invalidate(self) -> None:
        self._batch = None

    @staticmethod
    def batchable(framework: Framework, state: CycleState) -> bool:
        filters = {p.name for p in framework.plugins("filter")} - state.skip_filter
        scores = {p.name for p in framework.plugins("score")} - state.skip_score
        return filters <= NODE_LOCAL_FILTERS and scores <= NODE_LOCAL_SCORES

    def remember(self, pod: PodInfo, framework: Framework, state: CycleState,
                 node_list: Sequence[NodeInfo], feasible: Sequence[NodeInfo],
                 scores: Sequence[int]) -> None:
        if not self.batchable(framework, state):
            self._batch = None
            return
        wanted = framework.num_feasible_nodes_to_find(len(node_list))
        self._batch = _Batch(signature(pod), framework, state, node_list,
                             self.cluster_generation, wanted,
                             [(n, n.generation, s) for n, s in zip(feasible, scores,
                                                                     strict=True)])

    def candidates(self, pod: PodInfo, framework: Framework,
                   node_list: Sequence[NodeInfo]) -> tuple[list[NodeInfo], list[int]] | None:
        """The feasible nodes and scores for ``pod`` from the batch, or None (full cycle)."""
        batch = self._batch
        if batch is None or batch.framework is not framework or \
                batch.node_list is not node_list or \
                batch.cluster_generation != self.cluster_generation or \
                batch.signature != signature(pod):
            self._batch = None
            return None
        state = batch.state
        filters = framework.filters_for(state)
        scorers = [(p.score, framework.weights.get(p.name, 1))  # type: ignore[attr-defined]
                   for p in framework.plugins("score") if p.name not in state.skip_score]
        kept: list[tuple[NodeInfo, int, int]] = []
        for node, generation, score in batch.entries:
            if node.generation != generation:
                if framework.run_filters(filters, state, pod, node) is not None:
                    continue
                score = sum(run(state, pod, node) * w for run, w in scorers)
                generation = node.generation
            kept.append((node, generation, score))
        if len(kept) < max(batch.wanted // 2, 1):
            self._batch = None
            return None
        batch.entries = kept
        self.reused += 1
        return [n for n, _, _ in kept], [s for _, _, s in kept]
