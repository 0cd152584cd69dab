"""ImageLocality: prefer nodes that already have the pod's images (``node.status.images``),
weighted by how widely each image is spread, between kube-scheduler's 23 MB and 1000 MB
per-container thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minikube_py.scheduler.framework import MAX_NODE_SCORE, SKIP, CycleState, Handle, Status
from minikube_py.scheduler.types import NodeInfo, PodInfo, normalized_image

NAME = "ImageLocality"
MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB


class ImageLocality:
    name = NAME

    def __init__(self, handle: Handle | None) -> None:
        self.handle = handle

    def _images(self, pod: PodInfo) -> list[str]:
        spec = pod.spec
        return [normalized_image(str(c.get("image") or ""))
                for c in list(spec.get("initContainers") or ()) +
                list(spec.get("containers") or ()) if isinstance(c, dict) and c.get("image")]

    def pre_score(self, state: CycleState, pod: PodInfo, _nodes: object) -> Status | None:
        images = self._images(pod)
        _, counts = self._spread()
        if self.handle is not None and not any(i in counts for i in images):
            return SKIP  # no node has any of them: every node scores 0
        state.write(NAME, images)
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        images: list[str] = state.read(NAME)
        if images is None:
            images = self._images(pod)
        if not node.image_sizes or not images:
            return 0
        total_nodes, counts = self._spread()
        total = 0
        for image in images:
            size = node.image_sizes.get(image)
            if size:
                total += size * counts.get(image, 1) // max(total_nodes, 1)
        return calculate_priority(total, len(images))

    def _spread(self) -> tuple[int, Mapping[str, int]]:
        if self.handle is None:
            return 1, {}
        return len(self.handle.node_infos()), self.handle.cache.image_nodes


def calculate_priority(sum_scores: int, num_containers: int) -> int:
    max_threshold = MAX_CONTAINER_THRESHOLD * max(num_containers, 1)
    sum_scores = min(max(sum_scores, MIN_THRESHOLD), max_threshold)
    return MAX_NODE_SCORE * (sum_scores - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)


def new(_args: Mapping[str, Any], handle: Handle) -> ImageLocality:
    return ImageLocality(handle)
