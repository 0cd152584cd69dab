"""The real kubectl (1.27 and 1.33) driving Deployments through the workload controllers:
``rollout status``, ``set image``, ``rollout history``, ``rollout undo`` (also
``--to-revision``), ``rollout restart``, ``rollout pause|resume``, ``scale`` and ``describe``.

A fake kubelet process (``python -m tests.helpers.fake_kubelet``) marks pods Running and
Ready as they appear, so rollouts complete.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT, RunningDaemon
from tests.e2e.test_kubectl import kubectl

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

MINORS = (27, 33)


def binary(minor: int) -> str:
    return f"/usr/lib/google-cloud-sdk/bin/kubectl.1.{minor}"


@pytest.fixture(scope="module")
def fake_kubelet(daemon: RunningDaemon) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.helpers.fake_kubelet",
                             str(daemon.kubeconfig)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield proc
    proc.terminate()
    proc.wait(timeout=15)
    proc.stdout.close()


class Kubectl:
    def __init__(self, daemon: RunningDaemon, minor: int, namespace: str) -> None:
        self.daemon, self.minor, self.namespace = daemon, minor, namespace

    def run(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return kubectl(self.daemon, "-n", self.namespace, *args, input=input,
                       binary=binary(self.minor))

    def ok(self, *args: str, input: str | None = None) -> str:
        result = self.run(*args, input=input)
        assert result.returncode == 0, \
            f"kubectl 1.{self.minor} {' '.join(args)}: {result.stderr}"
        return result.stdout

    def jsonpath(self, what: str, path: str) -> str:
        return self.ok("get", what, "-o", f"jsonpath={path}")

    def rollout_ok(self) -> None:
        out = self.ok("rollout", "status", "deploy/web", "--timeout=60s")
        assert 'deployment "web" successfully rolled out' in out

    def replica_sets(self) -> dict[str, str]:
        """Name -> revision of the ReplicaSets in the namespace."""
        items = json.loads(self.ok("get", "rs", "-o", "json"))["items"]
        return {i["metadata"]["name"]: i["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"] for i in items}

    def image(self) -> str:
        return self.jsonpath("deploy/web", "{.spec.template.spec.containers[0].image}")


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {kubernetes.io/change-cause: first}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.25"}]
"""


@pytest.fixture(params=[pytest.param(m, id=f"1.{m}") for m in MINORS])
def k(request: pytest.FixtureRequest, daemon: RunningDaemon,
      fake_kubelet: subprocess.Popen[str]) -> Kubectl:
    minor: int = request.param
    ns = f"ro-{minor}-{uuid.uuid4().hex[:6]}"
    kc = Kubectl(daemon, minor, ns)
    kubectl(daemon, "create", "namespace", ns, binary=binary(minor))
    kc.ok("apply", "-f", "-", input=DEPLOYMENT)
    kc.rollout_ok()
    return kc


def test_rollout_status_history_and_set_image(k: Kubectl) -> None:
    """``rollout status`` waits for the first rollout; ``set image`` makes revision 2 and a
    second ReplicaSet; ``rollout history`` lists both with the change-cause."""
    assert sorted(k.replica_sets().values()) == ["1"]
    assert k.jsonpath("deploy/web", "{.status.availableReplicas}") == "3"
    k.ok("annotate", "deploy/web", "kubernetes.io/change-cause=to 1.26", "--overwrite")
    k.ok("set", "image", "deploy/web", "web=nginx:1.26")
    k.rollout_ok()
    assert sorted(k.replica_sets().values()) == ["1", "2"]
    history = k.ok("rollout", "history", "deploy/web")
    rows = [line.split(None, 1) for line in history.splitlines() if re.match(r"^\d+\s", line)]
    assert [r[0] for r in rows] == ["1", "2"]
    assert rows[1][1].strip() == "to 1.26"
    assert "nginx:1.25" in k.ok("rollout", "history", "deploy/web", "--revision=1")


def test_rollout_undo_and_to_revision_reuse_the_old_replica_sets(k: Kubectl) -> None:
    """``rollout undo`` returns to the previous template through the old ReplicaSet (no third
    set; it becomes revision 3); ``--to-revision=2`` goes forward again."""
    k.ok("set", "image", "deploy/web", "web=nginx:1.26")
    k.rollout_ok()
    first = next(name for name, rev in k.replica_sets().items() if rev == "1")
    assert "rolled back" in k.ok("rollout", "undo", "deploy/web")
    k.rollout_ok()
    assert k.image() == "nginx:1.25"
    sets = k.replica_sets()
    assert len(sets) == 2 and sets[first] == "3"
    assert k.jsonpath(f"rs/{first}", "{.spec.replicas}") == "3"
    k.ok("rollout", "undo", "deploy/web", "--to-revision=2")
    k.rollout_ok()
    assert k.image() == "nginx:1.26"
    assert sorted(k.replica_sets().values()) == ["3", "4"]


def test_rollout_restart_pause_resume_and_scale(k: Kubectl) -> None:
    """``rollout restart`` is a template change (a new ReplicaSet); while paused a
    ``set image`` rolls nothing out (Progressing DeploymentPaused) and ``scale`` still
    works; ``rollout resume`` rolls it out."""
    k.ok("rollout", "restart", "deploy/web")
    k.rollout_ok()
    assert len(k.replica_sets()) == 2
    assert k.jsonpath("deploy/web", "{.spec.template.metadata.annotations}").count(
        "kubectl.kubernetes.io/restartedAt") == 1
    k.ok("rollout", "pause", "deploy/web")
    k.ok("set", "image", "deploy/web", "web=nginx:1.27")
    k.ok("scale", "deploy/web", "--replicas=4")
    k.ok("wait", "deploy/web", "--for=jsonpath={.status.availableReplicas}=4", "--timeout=30s")
    reason = k.jsonpath("deploy/web",
                        '{.status.conditions[?(@.type=="Progressing")].reason}')
    assert reason == "DeploymentPaused"
    assert len(k.replica_sets()) == 2
    k.ok("rollout", "resume", "deploy/web")
    k.rollout_ok()
    assert len(k.replica_sets()) == 3
    assert k.jsonpath("deploy/web", "{.status.updatedReplicas}") == "4"


def test_describe_shows_replica_sets_and_scaling_events(k: Kubectl) -> None:
    """``describe deployment`` names the old and new ReplicaSets and lists the
    ScalingReplicaSet events in Kubernetes' words."""
    k.ok("set", "image", "deploy/web", "web=nginx:1.26")
    k.rollout_ok()
    new = next(name for name, rev in k.replica_sets().items() if rev == "2")
    old = next(name for name, rev in k.replica_sets().items() if rev == "1")
    out = k.ok("describe", "deployment", "web")
    assert re.search(rf"^NewReplicaSet:\s+{new} \(3/3 replicas created\)", out, re.M), out
    assert re.search(r"^OldReplicaSets:\s+", out, re.M), out
    assert re.search(rf"ScalingReplicaSet\s+.*Scaled up replica set {new} to 1\b", out), out
    assert re.search(rf"Scaled down replica set {old} to 0 from 1", out), out
    assert re.search(r"Progressing\s+True\s+NewReplicaSetAvailable", out), out


def test_rollout_status_fails_past_the_progress_deadline(k: Kubectl) -> None:
    """A rollout whose new pods never become ready (progressDeadlineSeconds 2) gets
    Progressing False/ProgressDeadlineExceeded, and ``rollout status`` exits non-zero saying
    so; the old pods keep serving (maxUnavailable 0)."""
    k.ok("patch", "deploy/web", "-p", json.dumps({"spec": {
        "progressDeadlineSeconds": 2, "template": {"metadata": {"labels": {
            "fake-kubelet": "never-ready"}}}}}))
    result = k.run("rollout", "status", "deploy/web", "--timeout=60s")
    assert result.returncode != 0
    assert 'deployment "web" exceeded its progress deadline' in result.stderr
    reason = k.jsonpath("deploy/web",
                        '{.status.conditions[?(@.type=="Progressing")].reason}')
    assert reason == "ProgressDeadlineExceeded"
    assert k.jsonpath("deploy/web", "{.status.availableReplicas}") == "3"
