"""HTTP extenders: webhooks that filter nodes, add scores, or bind, in the JSON of
kube-scheduler's ``extender/v1`` (``ExtenderArgs``, ``ExtenderFilterResult``,
``HostPriorityList``, ``ExtenderBindingArgs``/``ExtenderBindingResult``).

Configured in the scheduler config's ``extenders`` (urlPrefix, filterVerb, prioritizeVerb,
bindVerb, weight, nodeCacheCapable, ignorable, managedResources, httpTimeout). Filter runs
after the plugins' filters, prioritize adds ``score * weight * 10`` (an extender scores
0..10), bind replaces the default binder for the pods it manages. An ``ignorable`` extender
that fails or times out is skipped; any other failure is a scheduling error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from minikube_py.scheduler.framework import MAX_NODE_SCORE
from minikube_py.scheduler.types import NodeInfo, PodInfo
from minikube_py.util import jsonutil

MAX_EXTENDER_PRIORITY = 10


class ExtenderError(Exception):
    """An extender call failed (its message names the extender and the verb)."""


def _seconds(value: Any, default: float = 5.0) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = str(value or "").strip()
    for suffix, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
        if text.endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * scale
            except ValueError:
                return default
    return default


class HTTPExtender:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self.url = str(config["urlPrefix"]).rstrip("/")
        self.filter_verb = str(config.get("filterVerb") or "")
        self.prioritize_verb = str(config.get("prioritizeVerb") or "")
        self.bind_verb = str(config.get("bindVerb") or "")
        self.weight = int(config.get("weight") or 1)
        self.node_cache_capable = bool(config.get("nodeCacheCapable"))
        self.ignorable = bool(config.get("ignorable"))
        self.managed = {str(r.get("name")) for r in config.get("managedResources") or ()}
        self.timeout = _seconds(config.get("httpTimeout"))
        self._session: aiohttp.ClientSession | None = None

    @property
    def name(self) -> str:
        return self.url

    def interested(self, pod: PodInfo) -> bool:
        """An extender with managedResources sees only pods asking for one of them."""
        if not self.managed:
            return True
        spec = pod.spec
        for c in list(spec.get("containers") or ()) + list(spec.get("initContainers") or ()):
            res = (c or {}).get("resources") or {}
            if self.managed & (set(res.get("requests") or {}) | set(res.get("limits") or {})):
                return True
        return False

    async def _post(self, verb: str, body: Any) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.post(f"{self.url}/{verb}", data=jsonutil.dumps(body),
                                          headers={"Content-Type": "application/json"}) as r:
                if r.status != 200:
                    raise ExtenderError(f"extender {self.url} {verb}: HTTP {r.status}")
                return jsonutil.loads(await r.read())
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise ExtenderError(f"extender {self.url} {verb}: {exc!r}") from exc

    def _args(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> dict[str, Any]:
        if self.node_cache_capable:
            return {"Pod": pod.pod, "Nodes": None, "NodeNames": [n.name for n in nodes]}
        return {"Pod": pod.pod, "Nodes": {"items": [n.node for n in nodes]}, "NodeNames": None}

    async def filter(self, pod: PodInfo, nodes: Sequence[NodeInfo],
                     ) -> tuple[list[NodeInfo], dict[str, str], dict[str, str]]:
        """(nodes that pass, failed node -> reason, failed-and-unresolvable node -> reason)."""
        result = await self._post(self.filter_verb, self._args(pod, nodes))
        if not isinstance(result, dict):
            raise ExtenderError(f"extender {self.url} filter: not an ExtenderFilterResult")
        if result.get("Error"):
            raise ExtenderError(str(result["Error"]))
        if self.node_cache_capable and result.get("NodeNames") is not None:
            keep = {str(n) for n in result["NodeNames"]}
        else:
            items = (result.get("Nodes") or {}).get("items") or []
            keep = {str((n.get("metadata") or {}).get("name")) for n in items}
        failed = {str(k): str(v) for k, v in (result.get("FailedNodes") or {}).items()}
        unresolvable = {str(k): str(v) for k, v in
                        (result.get("FailedAndUnresolvableNodes") or {}).items()}
        return [n for n in nodes if n.name in keep], failed, unresolvable

    async def prioritize(self, pod: PodInfo, nodes: Sequence[NodeInfo]) -> dict[str, int]:
        """Node -> score to add, already weighted and scaled to the plugins' 0..100."""
        result = await self._post(self.prioritize_verb, self._args(pod, nodes))
        scale = MAX_NODE_SCORE // MAX_EXTENDER_PRIORITY
        return {str(h.get("Host")): int(h.get("Score") or 0) * self.weight * scale
                for h in result or () if isinstance(h, dict)}

    async def bind(self, pod: PodInfo, node: str) -> None:
        result = await self._post(self.bind_verb, {
            "PodName": pod.name, "PodNamespace": pod.namespace, "PodUID": pod.uid,
            "Node": node})
        if isinstance(result, dict) and result.get("Error"):
            raise ExtenderError(str(result["Error"]))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
