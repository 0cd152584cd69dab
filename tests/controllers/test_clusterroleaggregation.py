"""The ClusterRole aggregation controller, sample-controller style: seed the informer cache
of a fake clientset, run ``reconcile`` once, assert the write it made."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.controllers.clusterroleaggregation import (
    CLUSTER_ROLES,
    ClusterRoleAggregationController,
)
from tests.controllers.fakes import FakeCluster

Object = dict[str, Any]
LABEL = "rbac.authorization.k8s.io/aggregate-to-view"


def role(name: str, rules: list[Object], *, labels: dict[str, str] | None = None,
         aggregate: bool = False) -> Object:
    obj: Object = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": name, "namespace": "", "labels": labels or {}},
                   "rules": rules}
    if aggregate:
        obj["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {LABEL: "true"}}]}
    return obj


def read(resource: str) -> Object:
    return {"verbs": ["get"], "apiGroups": [""], "resources": [resource]}


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


async def test_aggregates_the_rules_of_matching_roles(cluster: FakeCluster) -> None:
    """The aggregate gets the matching roles' rules, by role name, each rule once; roles
    without the label add nothing."""
    controller = ClusterRoleAggregationController(cluster.client, cluster.informers)
    cluster.seed(CLUSTER_ROLES,
                 role("view", [], aggregate=True),
                 role("b-pods", [read("pods"), read("services")], labels={LABEL: "true"}),
                 role("a-cm", [read("configmaps"), read("pods")], labels={LABEL: "true"}),
                 role("other", [read("secrets")]))
    await controller.reconcile("view")
    [write] = cluster.writes(resource="clusterroles")
    assert write.verb == "patch"
    assert cluster.objects[("clusterroles", "", "view")]["rules"] == [
        read("configmaps"), read("pods"), read("services")]


async def test_unchanged_aggregate_is_not_written(cluster: FakeCluster) -> None:
    """An aggregate whose rules are already the union is left alone; a role without an
    aggregationRule is never touched."""
    controller = ClusterRoleAggregationController(cluster.client, cluster.informers)
    cluster.seed(CLUSTER_ROLES, role("view", [read("pods")], aggregate=True),
                 role("pods", [read("pods")], labels={LABEL: "true"}))
    await controller.reconcile("view")
    await controller.reconcile("pods")
    await controller.reconcile("gone")
    assert cluster.writes() == []
