"""The controller manager against real daemons: namespace deletion as kubectl meets it,
cascading deletes, a namespace full of objects, events, and leader election between two
``minikube-py controller-manager --leader-elect`` processes (one acts; kill -9 it and the other
takes over within the lease duration).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunningDaemon, start_daemon
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

APP = """\
apiVersion: v1
kind: Namespace
metadata:
  name: {ns}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: {ns}
data:
  greeting: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: minikube-py/busybox:local
"""


def eventually(check: Callable[[], bool], *, seconds: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not reached within {seconds} s: {what}")


def gone(daemon: RunningDaemon, *args: str) -> bool:
    result = kubectl(daemon, "get", *args)
    return result.returncode != 0 and "NotFound" in result.stderr


def test_kubectl_delete_of_a_namespace_and_its_objects_exits_0(daemon: RunningDaemon,
                                                               tmp_path: Path) -> None:
    """``kubectl delete -f`` of a file listing a Namespace and then objects in it exits 0,
    every time (20 times): kubectl's own deletes land before the namespace is emptied."""
    for i in range(20):
        ns = f"delete-loop-{i}"
        manifest = tmp_path / f"app{i}.yaml"
        manifest.write_text(APP.format(ns=ns))
        ok(daemon, "apply", "-f", str(manifest))
        wait = "--wait=true" if i == 19 else "--wait=false"
        result = kubectl(daemon, "delete", "-f", str(manifest), wait)
        assert result.returncode == 0, f"round {i}: {result.stderr}"
        assert f'namespace "{ns}" deleted' in result.stdout
        assert 'deployment.apps "web" deleted' in result.stdout
    for i in range(20):
        eventually(lambda i=i: gone(daemon, "namespace", f"delete-loop-{i}"),
                   what=f"namespace delete-loop-{i} removed")


def cm_with_owner(name: str, owner: dict[str, str] | None = None) -> str:
    meta: dict[str, object] = {"name": name, "namespace": "cascade"}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap",
                                    "name": owner["name"], "uid": owner["uid"],
                                    "blockOwnerDeletion": True}]
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta})


@pytest.mark.parametrize("cascade, dependent_left", [
    pytest.param("background", False, id="background"),
    pytest.param("foreground", False, id="foreground"),
    pytest.param("orphan", True, id="orphan"),
])
def test_cascading_deletes(daemon: RunningDaemon, cascade: str, dependent_left: bool) -> None:
    """kubectl delete --cascade=... on an owner with dependents does what Kubernetes does."""
    kubectl(daemon, "create", "namespace", "cascade")
    ok(daemon, "apply", "-f", "-", input=cm_with_owner("owner"))
    owner = json.loads(ok(daemon, "get", "cm", "owner", "-n", "cascade", "-o", "json"))
    ref = {"name": "owner", "uid": owner["metadata"]["uid"]}
    for dep in ("dep-a", "dep-b"):
        ok(daemon, "apply", "-f", "-", input=cm_with_owner(dep, ref))
    ok(daemon, "delete", "cm", "owner", "-n", "cascade", f"--cascade={cascade}")
    assert gone(daemon, "cm", "owner", "-n", "cascade")
    if dependent_left:
        time.sleep(1.0)
        for dep in ("dep-a", "dep-b"):
            left = json.loads(ok(daemon, "get", "cm", dep, "-n", "cascade", "-o", "json"))
            assert not left["metadata"].get("ownerReferences")
            ok(daemon, "delete", "cm", dep, "-n", "cascade")
    else:
        for dep in ("dep-a", "dep-b"):
            eventually(lambda dep=dep: gone(daemon, "cm", dep, "-n", "cascade"),
                       what=f"{dep} collected")


def test_namespace_with_200_objects_is_emptied_and_removed(daemon: RunningDaemon) -> None:
    """A namespace holding 200 objects of several kinds goes away within seconds."""
    ok(daemon, "create", "namespace", "crowded")
    docs = []
    for i in range(50):
        docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm{i}"}})
        docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"s{i}"},
                     "stringData": {"k": "v"}})
        docs.append({"apiVersion": "v1", "kind": "ServiceAccount",
                     "metadata": {"name": f"sa{i}"}})
        docs.append({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                     "metadata": {"name": f"l{i}"}, "spec": {"holderIdentity": "x"}})
    ok(daemon, "apply", "-n", "crowded", "-f", "-",
       input=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
    started = time.monotonic()
    ok(daemon, "delete", "namespace", "crowded", "--wait=false")
    eventually(lambda: gone(daemon, "namespace", "crowded"), seconds=30,
               what="namespace crowded removed")
    assert time.monotonic() - started < 30


# -- leader election between processes ------------------------------------------------------

def start_controller_manager(daemon: RunningDaemon, identity: str,
                             log: Path) -> subprocess.Popen[bytes]:
    """A controller-manager process with its own identity (the kubeconfig the daemon writes
    for it: system:kube-controller-manager, not the admin)."""
    kubeconfig = daemon.data_dir / "components" / "controller-manager.kubeconfig"
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "minikube_py.cli.main", "controller-manager",
             "--kubeconfig", str(kubeconfig), "--leader-elect", "--identity", identity,
             "--lease-duration", "4", "--renew-deadline", "3", "--retry-period", "0.5"],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=dict(os.environ))


@pytest.fixture
def bare_daemon(tmp_path: Path) -> Iterator[RunningDaemon]:
    """A daemon that runs no controller manager of its own."""
    running = start_daemon(tmp_path / "bare", extra=("--without", "controller-manager"))
    yield running
    running.stop()


def holder(daemon: RunningDaemon) -> str:
    result = kubectl(daemon, "get", "lease", "kube-controller-manager", "-n", "kube-system",
                     "-o", "jsonpath={.spec.holderIdentity}")
    return result.stdout.strip() if result.returncode == 0 else ""


def test_leader_election_between_two_controller_managers(bare_daemon: RunningDaemon,
                                                         tmp_path: Path) -> None:
    """Of two controller-manager processes exactly one holds the Lease and acts; killed with
    SIGKILL, the other takes over within the lease duration and acts. The leader's
    LeaderElection event shows in ``kubectl get events``."""
    procs = {name: start_controller_manager(bare_daemon, name, tmp_path / f"{name}.log")
             for name in ("cm-one", "cm-two")}
    try:
        eventually(lambda: holder(bare_daemon) in procs, what="a leader")
        leader = holder(bare_daemon)
        follower = next(n for n in procs if n != leader)
        # The leader acts: a deleted namespace is finished.
        ok(bare_daemon, "create", "namespace", "first")
        ok(bare_daemon, "delete", "namespace", "first", "--wait=false")
        eventually(lambda: gone(bare_daemon, "namespace", "first"), what="first removed")
        events = ok(bare_daemon, "get", "events", "-n", "kube-system")
        assert "LeaderElection" in events and f"{leader} became leader" in events
        procs[leader].send_signal(signal.SIGKILL)
        procs[leader].wait(timeout=10)
        killed_at = time.monotonic()
        eventually(lambda: holder(bare_daemon) == follower, seconds=15,
                   what="the follower takes the lease")
        assert time.monotonic() - killed_at < 4 + 4  # lease duration plus a retry or two
        ok(bare_daemon, "create", "namespace", "second")
        ok(bare_daemon, "delete", "namespace", "second", "--wait=false")
        eventually(lambda: gone(bare_daemon, "namespace", "second"), what="second removed")
        assert procs[follower].poll() is None
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
