"""ResourceQuota and LimitRange in a real daemon (``--without kubelet``), through the real
kubectl: ``kubectl create quota``, a LimitRange applied, pods defaulted and refused past the
quota with Kubernetes' message, and ``kubectl describe quota``/``limitrange`` tables."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import RunningDaemon, start_daemon
from tests.e2e.test_controller_manager import eventually
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

LIMIT_RANGE = json.dumps({
    "apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr", "namespace": "qt"},
    "spec": {"limits": [{"type": "Container", "max": {"cpu": "500m"},
                         "default": {"cpu": "200m"}}]}})


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    running = start_daemon(tmp_path_factory.mktemp("quota") / "data")
    yield running
    running.stop()


def test_quota_refuses_and_describe_shows_used(cluster: RunningDaemon) -> None:
    """Two pods fit pods=2 (defaulted by the LimitRange); the third is refused with
    Kubernetes' message; an over-max pod is refused by LimitRanger; describe shows Used."""
    ok(cluster, "create", "namespace", "qt")
    ok(cluster, "create", "quota", "q", "-n", "qt", "--hard=pods=2,requests.cpu=1")
    ok(cluster, "apply", "-f", "-", input=LIMIT_RANGE)
    for name in ("a", "b"):
        ok(cluster, "run", name, "-n", "qt", "--image=minikube-py/busybox:local")
    pod = json.loads(ok(cluster, "get", "pod", "a", "-n", "qt", "-o", "json"))
    assert pod["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "200m"}
    refused = kubectl(cluster, "run", "c", "-n", "qt", "--image=minikube-py/busybox:local")
    assert refused.returncode != 0
    assert ('Error from server (Forbidden): pods "c" is forbidden: exceeded quota: q, '
            'requested: pods=1, used: pods=2, limited: pods=2') in refused.stderr
    ok(cluster, "delete", "pod", "b", "-n", "qt", "--grace-period=0", "--force")
    big = kubectl(cluster, "run", "big", "-n", "qt", "--image=minikube-py/busybox:local",
                  "--overrides", json.dumps({"spec": {"containers": [{
                      "name": "big", "image": "minikube-py/busybox:local",
                      "resources": {"limits": {"cpu": "1"}}}]}}))
    assert 'maximum cpu usage per Container is 500m, but limit is 1' in big.stderr

    def used_one() -> bool:
        out = ok(cluster, "describe", "quota", "q", "-n", "qt")
        return any(line.split() == ["pods", "1", "2"] for line in out.splitlines())
    eventually(used_one, what="describe quota shows pods 1/2 after the delete")
    described = ok(cluster, "describe", "quota", "q", "-n", "qt")
    assert any(line.split() == ["requests.cpu", "200m", "1"] for line in described.splitlines())
    limits = ok(cluster, "describe", "limitrange", "lr", "-n", "qt")
    assert any(line.split()[:4] == ["Container", "cpu", "-", "500m"]
               for line in limits.splitlines()), limits
