"""The kubelet's settings: which node it is, where it keeps pod files, and its timings.

The daemon builds one :class:`KubeletConfig` per virtual node (``up --nodes``/``--nodes-file``)
and ``minikube-py kubelet`` builds one for a kubelet in its own process. The node itself comes
as the Node object the node spec describes (``minikube_py.nodes`` parses the spec); the kubelet
adds what only it knows (runtime version, images, heartbeats).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_BACKOFF = 10.0  # CrashLoopBackOff starts here and doubles ...
DEFAULT_MAX_BACKOFF = 300.0  # ... up to five minutes,
DEFAULT_BACKOFF_RESET = 600.0  # and starts over after ten minutes of running
DEFAULT_RELIST_PERIOD = 1.0  # the pod lifecycle event generator's relist
DEFAULT_STATS_PERIOD = 10.0  # metrics-server's default resolution is 15 s
DEFAULT_STATUS_PERIOD = 10.0  # node status and Lease renewal
LEASE_DURATION_SECONDS = 40


@dataclass(frozen=True)
class KubeletConfig:
    node: dict[str, Any]  # the Node object to register (name, labels, capacity, taints)
    root_dir: Path  # <data>/kubelet/<node>: pods/<uid>/volumes/...
    runtime: str = "docker"
    pod_network: str = "routed"  # api/podnetwork.py: routed | published
    pause_image: str | None = None
    backoff: float = DEFAULT_BACKOFF
    max_backoff: float = DEFAULT_MAX_BACKOFF
    backoff_reset: float = DEFAULT_BACKOFF_RESET
    relist_period: float = DEFAULT_RELIST_PERIOD
    stats_period: float = DEFAULT_STATS_PERIOD  # seconds between usage samples (metrics)
    status_period: float = DEFAULT_STATUS_PERIOD
    # Where pods reach Services when cluster IPs are not routed (no service rules): the
    # bridge gateway, whose proxy ports the Service variables then name; "" = cluster IPs.
    # A callable is asked at each container start (the daemon's: whether the rules are on).
    service_gateway: str | Callable[[], str] = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def node_name(self) -> str:
        return str(self.node["metadata"]["name"])

    def pod_dir(self, uid: str) -> Path:
        return self.root_dir / "pods" / uid
