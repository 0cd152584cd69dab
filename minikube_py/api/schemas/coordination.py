"""Schema of the coordination/v1 Lease, used for node heartbeats and leader election."""

from __future__ import annotations

from minikube_py.api.schema import integer, obj, string, timestamp
from minikube_py.api.schemas.meta import kind

LEASE_SPEC = obj(
    "io.k8s.api.coordination.v1.LeaseSpec",
    {
        "holderIdentity": string("Identity of the current holder."),
        "leaseDurationSeconds": integer("Seconds others must wait before taking the lease over."),
        "acquireTime": timestamp("When the current holder acquired the lease."),
        "renewTime": timestamp("When the holder last renewed the lease."),
        "leaseTransitions": integer("How many times the lease changed holder."),
        "strategy": string("Strategy for picking the leader in coordinated elections."),
        "preferredHolder": string("Holder that should take the lease over."),
    },
    description="Holder and timing of a lease.",
)

LEASE = kind(
    "io.k8s.api.coordination.v1.Lease",
    {
        "spec": LEASE_SPEC.describe("Desired state of the Lease."),
    },
    description="A lease, for leader election and node heartbeats.",
)
