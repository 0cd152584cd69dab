"""The kubelet with real Docker containers, through the real kubectl: shared localhost, init
order, env and volumes, probes, restarts and back-off, OOM, graceful deletion, logs, exec,
events, watch phases, a Deployment, a claim shared by two pods in turn, and a daemon killed
while its pods run."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from minikube_py.proxy.hostnet import interface_address
from tests.conftest import RunningDaemon
from tests.e2e.kubelet_helpers import (
    BUSYBOX,
    container,
    daemon_with_cleanup,
    docker_ok,
    kubelet_daemon,
    node_containers,
    ready,
    remove_node_containers,
    running,
    wait_pod,
)
from tests.e2e.test_kubectl import KUBECTL, kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl,
              pytest.mark.skipif(not docker_ok(), reason="no Docker engine")]

KUBECTL_129 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.29"
KUBECTL_133 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"
NODE = f"kt-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    yield from daemon_with_cleanup(tmp_path_factory.mktemp("kubelet"), NODE,
                                   "--kubelet-backoff", "1")


def apply(daemon: RunningDaemon, manifest: str) -> None:
    ok(daemon, "apply", "-f", "-", input=manifest)


def pod(name: str, containers: str, extra: str = "") -> str:
    return (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n"
            f"  terminationGracePeriodSeconds: 1\n{extra}  containers:\n{containers}")


def test_containers_of_a_pod_share_localhost_and_logs_show_it(cluster: RunningDaemon) -> None:
    apply(cluster, pod("shared", f"""\
  - name: web
    image: {BUSYBOX}
    command: [sh, -c, "mkdir -p /www && echo hello-from-web > /www/index.html && \
exec httpd -f -p 8080 -h /www"]
  - name: client
    image: {BUSYBOX}
    command: [sh, -c, "until wget -qO- localhost:8080/index.html; do sleep 0.2; done; \
sleep 3600"]
"""))
    wait_pod(cluster, "shared", running, what="Running")
    deadline = time.monotonic() + 20
    out = ""
    while time.monotonic() < deadline and "hello-from-web" not in out:
        out = kubectl(cluster, "logs", "shared", "-c", "client").stdout
        time.sleep(0.2)
    assert "hello-from-web" in out
    assert ok(cluster, "exec", "shared", "-c", "client", "--", "echo", "hi") == "hi\n"
    result = kubectl(cluster, "exec", "shared", "-c", "web", "--", "sh", "-c", "exit 7")
    assert result.returncode == 7, result.stderr
    newest = kubectl(cluster, "exec", "shared", "-c", "web", "--", "echo", "hi",
                     binary=KUBECTL_133)
    assert (newest.returncode, newest.stdout) == (0, "hi\n"), newest.stderr
    # kubectl 1.29 speaks SPDY: stdin in, stdout and stderr out, the exit code back.
    oldest = kubectl(cluster, "exec", "-i", "shared", "-c", "web", "--", "sh", "-c",
                     "cat; echo err >&2; exit 4", input="piped\n", binary=KUBECTL_129)
    assert (oldest.returncode, oldest.stdout) == (4, "piped\n"), oldest.stderr
    assert "err" in oldest.stderr
    ours = cluster.cli("exec", "shared", "-c", "client", "--", "sh", "-c", "echo hi; exit 3")
    assert (ours.returncode, ours.stdout) == (3, "hi\n"), ours.stderr
    assert "hello-from-web" in cluster.cli("logs", "shared", "-c", "client", check=True).stdout
    piped = cluster.cli("exec", "-i", "shared", "-c", "client", "--", "sh", "-c",
                        "tr a-z A-Z; exit 5", input="from stdin\n")
    assert (piped.returncode, piped.stdout) == (5, "FROM STDIN\n"), piped.stderr
    stamped = cluster.cli("logs", "shared", "-c", "client", "--timestamps", "--since", "1h",
                          check=True).stdout.splitlines()
    assert stamped and all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line)
                           for line in stamped), stamped


def test_init_containers_run_in_order_before_the_app(cluster: RunningDaemon) -> None:
    apply(cluster, pod("inits", f"""\
  - name: app
    image: {BUSYBOX}
    command: [sh, -c, "cat /work/order; sleep 3600"]
    volumeMounts: [{{name: work, mountPath: /work}}]
""", extra=f"""\
  volumes: [{{name: work, emptyDir: {{}}}}]
  initContainers:
  - {{name: one, image: {BUSYBOX}, command: [sh, -c, "sleep 0.5; echo one >> /work/order"],
     volumeMounts: [{{name: work, mountPath: /work}}]}}
  - {{name: two, image: {BUSYBOX}, command: [sh, -c, "echo two >> /work/order"],
     volumeMounts: [{{name: work, mountPath: /work}}]}}
"""))
    got = wait_pod(cluster, "inits", running, what="Running")
    one = container(got, "one", init=True)["state"]["terminated"]
    two = container(got, "two", init=True)["state"]["terminated"]
    assert one["exitCode"] == 0 and two["exitCode"] == 0
    assert one["finishedAt"] <= two["startedAt"]
    conditions = {c["type"]: c["status"] for c in got["status"]["conditions"]}
    assert conditions["Initialized"] == "True"
    deadline = time.monotonic() + 10
    while kubectl(cluster, "logs", "inits").stdout != "one\ntwo\n" and \
            time.monotonic() < deadline:
        time.sleep(0.2)
    assert kubectl(cluster, "logs", "inits").stdout == "one\ntwo\n"


def test_env_from_configmap_and_secret_and_a_configmap_volume(cluster: RunningDaemon) -> None:
    apply(cluster, """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {COLOR: blue, greeting.txt: hello-file}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {PASSWORD: s3cret}
""")
    apply(cluster, pod("envs", f"""\
  - name: app
    image: {BUSYBOX}
    command: [sh, -c, "echo color=$COLOR pw=$PASSWORD node=$NODE svc=$KUBERNETES_SERVICE_HOST; \
cat /cfg/greeting.txt; echo; sleep 3600"]
    env:
    - {{name: PASSWORD, valueFrom: {{secretKeyRef: {{name: creds, key: PASSWORD}}}}}}
    - {{name: NODE, valueFrom: {{fieldRef: {{fieldPath: spec.nodeName}}}}}}
    envFrom: [{{configMapRef: {{name: settings}}}}]
    volumeMounts: [{{name: cfg, mountPath: /cfg}}]
""", extra="  volumes: [{name: cfg, configMap: {name: settings}}]\n"))
    wait_pod(cluster, "envs", running, what="Running")
    # The kubernetes Service's cluster IP while the proxy's rules route it; else the bridge
    # gateway, where the proxy answers for it (the kubelet's Service variables say so).
    rules_on = "service rules on" in (cluster.data_dir / "test-daemon.log").read_text()
    svc = "10.96.0.1" if rules_on else interface_address()
    want = f"color=blue pw=s3cret node={NODE} svc={svc}\nhello-file\n"
    deadline = time.monotonic() + 10
    while kubectl(cluster, "logs", "envs").stdout != want and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kubectl(cluster, "logs", "envs").stdout == want
    ok(cluster, "patch", "configmap", "settings", "-p",
       json.dumps({"data": {"greeting.txt": "changed"}}))
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        if ok(cluster, "exec", "envs", "--", "cat", "/cfg/greeting.txt") == "changed":
            break
        time.sleep(0.5)
    assert ok(cluster, "exec", "envs", "--", "cat", "/cfg/greeting.txt") == "changed"


def test_readiness_probe_on_httpd_turns_ready(cluster: RunningDaemon) -> None:
    apply(cluster, pod("readyweb", f"""\
  - name: web
    image: {BUSYBOX}
    command: [sh, -c, "sleep 2; mkdir -p /www; echo ok > /www/index.html; \
exec httpd -f -p 8080 -h /www"]
    ports: [{{containerPort: 8080, name: http}}]
    readinessProbe: {{httpGet: {{path: /index.html, port: http}}, periodSeconds: 1}}
"""))
    got = wait_pod(cluster, "readyweb", running, what="Running")
    assert not ready(got)  # the server sleeps two seconds first
    got = wait_pod(cluster, "readyweb", ready, what="Ready")
    assert container(got, "web")["ready"] is True
    assert got["status"]["podIP"].count(".") == 3


def test_liveness_failure_restarts_the_container(cluster: RunningDaemon) -> None:
    apply(cluster, pod("live", f"""\
  - name: app
    image: {BUSYBOX}
    command: [sh, -c, "touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 3600"]
    livenessProbe:
      exec: {{command: [test, -f, /tmp/healthy]}}
      periodSeconds: 1
      failureThreshold: 1
"""))
    got = wait_pod(cluster, "live", lambda p: container(p, "app").get("restartCount") == 1
                   and "running" in container(p, "app")["state"], seconds=40,
                   what="restarted once")
    last = container(got, "app")["lastState"]["terminated"]
    assert last["exitCode"] in (137, 143) and last["finishedAt"]
    events = ok(cluster, "get", "events", "--field-selector", "involvedObject.name=live",
                "-o", "json")
    reasons = [e["reason"] for e in json.loads(events)["items"]]
    assert "Unhealthy" in reasons and "Killing" in reasons


def test_a_crashing_container_backs_off_longer_each_time(cluster: RunningDaemon) -> None:
    """After restart N the back-off is 1 s * 2^(N-1) (the daemon runs --kubelet-backoff 1)."""
    apply(cluster, pod("crash", f"""\
  - {{name: app, image: {BUSYBOX}, command: [sh, -c, "exit 3"]}}
"""))
    seen: dict[int, str] = {}
    deadline = time.monotonic() + 40
    while len(seen) < 3 and time.monotonic() < deadline:
        status = container(wait_pod(cluster, "crash", lambda p: True), "app")
        waiting = status.get("state", {}).get("waiting", {})
        if waiting.get("reason") == "CrashLoopBackOff":
            assert status["lastState"]["terminated"]["exitCode"] == 3
            seen[status["restartCount"]] = waiting["message"]
        time.sleep(0.1)
    assert len(seen) >= 3, seen
    for count, message in seen.items():
        assert message.startswith(f"back-off {min(2 ** (count - 1), 30)}s "), seen
    table = ok(cluster, "get", "pod", "crash")
    assert "CrashLoopBackOff" in table or "Error" in table


def test_a_memory_hog_is_oomkilled(cluster: RunningDaemon) -> None:
    apply(cluster, pod("hog", f"""\
  - name: hog
    image: {BUSYBOX}
    command: [sh, -c, "head -c 300m /dev/zero | tail"]
    resources: {{limits: {{memory: 50Mi}}}}
""", extra="  restartPolicy: Never\n"))
    got = wait_pod(cluster, "hog", lambda p: p["status"].get("phase") == "Failed", seconds=30,
                   what="Failed")
    term = container(got, "hog")["state"]["terminated"]
    assert term["reason"] == "OOMKilled" and term["exitCode"] == 137
    assert got["status"]["qosClass"] == "Burstable"
    assert "OOMKilled" in ok(cluster, "get", "pod", "hog")


def test_graceful_delete_runs_prestop_and_honours_the_grace_period(
        cluster: RunningDaemon, tmp_path: Path) -> None:
    mark = tmp_path / "prestop"
    tmp_path.chmod(0o777)
    apply(cluster, pod("slowstop", f"""\
  - name: app
    image: {BUSYBOX}
    command: [sleep, "3600"]
    lifecycle: {{preStop: {{exec: {{command: [sh, -c, "echo stopping > /host/prestop"]}}}}}}
    volumeMounts: [{{name: host, mountPath: /host}}]
""", extra=f"  volumes: [{{name: host, hostPath: {{path: {tmp_path}}}}}]\n"))
    wait_pod(cluster, "slowstop", running, what="Running")
    began = time.monotonic()
    ok(cluster, "delete", "pod", "slowstop", "--grace-period=3", "--wait=false")
    assert kubectl(cluster, "get", "pod", "slowstop").returncode == 0  # still terminating
    while kubectl(cluster, "get", "pod", "slowstop").returncode == 0:
        assert time.monotonic() - began < 20
        time.sleep(0.1)
    took = time.monotonic() - began
    assert 2.5 <= took < 15, took  # sleep ignores SIGTERM: SIGKILL after the grace period
    assert mark.read_text() == "stopping\n"
    deadline = time.monotonic() + 10
    while node_containers(NODE, "--filter", "label=io.minikube-py.pod.name=slowstop"):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_describe_shows_events_in_order_and_watch_shows_phases(cluster: RunningDaemon) -> None:
    watch = subprocess.Popen([KUBECTL, "--kubeconfig", str(cluster.kubeconfig), "get", "pods",
                              "--watch", "--field-selector", "metadata.name=onceoff"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # kubectl's initial list and watch
        apply(cluster, pod("onceoff", f"""\
  - {{name: app, image: {BUSYBOX}, command: [sh, -c, "sleep 1; echo done"]}}
""", extra="  restartPolicy: Never\n"))
        wait_pod(cluster, "onceoff", lambda p: p["status"].get("phase") == "Succeeded",
                 what="Succeeded")
        time.sleep(0.5)
    finally:
        watch.terminate()
        out, _ = watch.communicate(timeout=10)
    statuses = [line.split()[2] for line in out.splitlines()[1:] if line.strip()]
    assert statuses[0] == "Pending", out
    assert "Running" in statuses and statuses[-1] == "Completed", out
    assert statuses.index("Running") < statuses.index("Completed")
    described = ok(cluster, "describe", "pod", "onceoff")
    events = described[described.index("Events:"):]
    order = [events.index(word) for word in ("Scheduled", "Created", "Started")]
    assert order == sorted(order), events
    assert "kubelet" in events


def test_a_deployment_of_three_httpd_replicas_becomes_ready(cluster: RunningDaemon) -> None:
    manifest = (Path(__file__).parents[2] / "manifests" / "demo.yaml").read_text()
    ok(cluster, "apply", "-f", "-", input=manifest)
    ok(cluster, "scale", "deployment/web", "-n", "demo", "--replicas=3")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        dep = json.loads(ok(cluster, "get", "deployment", "web", "-n", "demo", "-o", "json"))
        if dep.get("status", {}).get("readyReplicas") == 3:
            break
        time.sleep(0.3)
    pods = json.loads(ok(cluster, "get", "pods", "-n", "demo", "-o", "json"))["items"]
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    assert len(live) == 3 and all(running(p) and ready(p) for p in live)
    ok(cluster, "delete", "namespace", "demo", "--wait=false")


def test_a_daemon_killed_while_pods_run_adopts_them(tmp_path: Path) -> None:
    node = f"kt-{uuid.uuid4().hex[:6]}"
    first = kubelet_daemon(tmp_path, node)
    try:
        ok(first, "apply", "-f", "-", input=pod("keeper", f"""\
  - {{name: app, image: {BUSYBOX}, command: [sleep, "3600"]}}
  - {{name: side, image: {BUSYBOX}, command: [sleep, "3600"]}}
"""))
        wait_pod(first, "keeper", running, what="Running")
        before = sorted(node_containers(node))
        assert len(before) == 3  # the sandbox and two containers
        first.stop(signal.SIGKILL)
        ok_again = kubelet_daemon(tmp_path, node)
        try:
            time.sleep(3)  # a few relists and syncs: nothing may be restarted or duplicated
            wait_pod(ok_again, "keeper", running, what="Running")
            assert sorted(node_containers(node)) == before
            got = wait_pod(ok_again, "keeper", running)
            assert all(c["restartCount"] == 0 for c in got["status"]["containerStatuses"])
            ids = {c["containerID"].removeprefix("docker://")
                   for c in got["status"]["containerStatuses"]}
            assert ids <= set(before)
        finally:
            ok_again.stop()
    finally:
        first.stop()
        remove_node_containers(node)


def test_a_claim_keeps_what_one_pod_wrote_for_the_next(cluster: RunningDaemon) -> None:
    """A claim of the default class: a pod writes a file into it, a second pod reads it."""
    mount = """\
    volumeMounts: [{name: d, mountPath: /data}]
"""
    volume = ("  restartPolicy: Never\n"
              "  volumes: [{name: d, persistentVolumeClaim: {claimName: kept}}]\n")
    apply(cluster, "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: kept}\n"
          "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}\n")
    apply(cluster, pod("writer", f"""\
  - name: w
    image: {BUSYBOX}
    command: [sh, -c, "echo kept-across-pods > /data/note"]
{mount}""", volume))
    wait_pod(cluster, "writer", lambda p: p["status"].get("phase") == "Succeeded",
             what="Succeeded")
    apply(cluster, pod("reader", f"""\
  - name: r
    image: {BUSYBOX}
    command: [cat, /data/note]
{mount}""", volume))
    wait_pod(cluster, "reader", lambda p: p["status"].get("phase") == "Succeeded",
             what="Succeeded")
    assert kubectl(cluster, "logs", "reader").stdout.strip() == "kept-across-pods"
    ok(cluster, "delete", "pod", "writer", "reader", "--wait=true")
    ok(cluster, "delete", "pvc", "kept", "--wait=true")
