"""How the host reaches pods: the pod network modes and the published-ports annotation.

``routed`` (Linux): pod IPs on the Docker bridge are reachable from the host; the proxy and
port-forward dial them. ``published`` (Docker Desktop, where container IPs are not reachable
from the host): the kubelet publishes every declared TCP ``containerPort`` of a pod on
127.0.0.1 (Docker picks the host port) and records where on the pod as the annotation
:data:`PUBLISHED_PORTS` (``{"8080": "127.0.0.1:49153"}``); the proxy and port-forward dial
that address instead of ``podIP:port``. The kubelet writes it, the proxy reads it: it lives
here, below both.
"""

from __future__ import annotations

import json
import sys
from typing import Any

ROUTED, PUBLISHED = "routed", "published"
MODES = (ROUTED, PUBLISHED)
PUBLISHED_PORTS = "kubelet.minikube-py.io/published-ports"
# Docker Desktop (macOS) cannot route to container IPs from the host; Linux can.
DEFAULT = PUBLISHED if sys.platform == "darwin" else ROUTED


def encode(published: dict[int, tuple[str, int]]) -> str:
    return json.dumps({str(port): f"{host}:{host_port}"
                       for port, (host, host_port) in sorted(published.items())},
                      separators=(",", ":"))


def published_ports(pod: dict[str, Any]) -> dict[int, tuple[str, int]]:
    """container port -> (host, port) from a pod's annotation; {} when absent or garbled."""
    raw = ((pod.get("metadata") or {}).get("annotations") or {}).get(PUBLISHED_PORTS)
    if not raw:
        return {}
    try:
        decoded = json.loads(raw)
        out = {}
        for port, where in decoded.items():
            host, _, host_port = str(where).rpartition(":")
            out[int(port)] = (host, int(host_port))
        return out
    except (ValueError, AttributeError, TypeError):
        return {}
