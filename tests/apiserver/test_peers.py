"""The ``kubernetes`` Endpoints from apiserver Leases (apiserver/peers.py): fresh Leases
only, one subset per port, addresses sorted, so every apiserver writes the same content."""

from __future__ import annotations

import datetime as dt
from typing import Any

from minikube_py.apiserver.peers import ENDPOINT_ANNOTATION, subsets

NOW = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.UTC)


def lease(endpoint: str, age: float, duration: int = 15) -> dict[str, Any]:
    renewed = (NOW - dt.timedelta(seconds=age)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"metadata": {"annotations": {ENDPOINT_ANNOTATION: endpoint}},
            "spec": {"renewTime": renewed, "leaseDurationSeconds": duration}}


def test_fresh_leases_become_one_subset_per_port() -> None:
    """Expired and unreadable Leases are left out; ports group their addresses."""
    got = subsets([lease("10.0.0.2:6443", 1), lease("10.0.0.1:6443", 14),
                   lease("127.0.0.1:7000", 0), lease("10.0.0.9:6443", 16),
                   lease("garbage", 0)], NOW)
    assert got == [
        {"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}],
         "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]},
        {"addresses": [{"ip": "127.0.0.1"}],
         "ports": [{"name": "https", "port": 7000, "protocol": "TCP"}]}]
