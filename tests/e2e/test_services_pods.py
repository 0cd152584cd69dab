"""Services over real pods (Docker, the kubelet): a Deployment of three busybox httpd
replicas each serving its own pod name behind a Service. Through the Service's host URL all
three answer; scaling to one and back updates the endpoints and the proxy while a request
loop runs; a pod that fails readiness drops out; a pod reaches the Service through its
environment variables (CLUSTER-IP:PORT while the daemon's service rules are on, else the
bridge gateway and the proxy's port).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import RunningDaemon
from tests.e2e.kubelet_helpers import BUSYBOX, daemon_with_cleanup, docker_ok
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl,
              pytest.mark.skipif(not docker_ok(), reason="no Docker engine")]

NODE = f"ks-{uuid.uuid4().hex[:6]}"

APP = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      terminationGracePeriodSeconds: 2
      initContainers:
      - name: page
        image: {BUSYBOX}
        imagePullPolicy: Never
        command: ["sh", "-c", "echo $POD_NAME > /www/index.html; touch /www/ready"]
        env:
        - name: POD_NAME
          valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}
        volumeMounts: [{{name: www, mountPath: /www}}]
      containers:
      - name: httpd
        image: {BUSYBOX}
        imagePullPolicy: Never
        command: ["busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
        ports: [{{name: http, containerPort: 8080}}]
        volumeMounts: [{{name: www, mountPath: /www}}]
        readinessProbe:
          exec: {{command: ["test", "-f", "/www/ready"]}}
          periodSeconds: 1
          failureThreshold: 1
      volumes: [{{name: www, emptyDir: {{}}}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  selector: {{app: web}}
  ports: [{{name: http, port: 80, targetPort: http}}]
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    for running_daemon in daemon_with_cleanup(tmp_path_factory.mktemp("svc-pods"), NODE):
        ok(running_daemon, "apply", "-f", "-", input=APP)
        wait(lambda d=running_daemon: len(ready_addresses(d)) == 3, seconds=90)  # type: ignore[misc]
        yield running_daemon


def wait(check: Callable[[], bool], *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("condition never became true")


def ready_addresses(daemon: RunningDaemon) -> list[str]:
    result = kubectl(daemon, "get", "endpoints", "web", "-o", "json")
    if result.returncode != 0:
        return []
    subsets = json.loads(result.stdout).get("subsets") or []
    return [a["ip"] for s in subsets for a in s.get("addresses") or []]


def pod_names(daemon: RunningDaemon) -> set[str]:
    out = ok(daemon, "get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}")
    return set(out.split())


def url_port(daemon: RunningDaemon) -> int:
    return int(daemon.cli("service", "web", "--url", check=True).stdout.strip().rsplit(":", 1)[1])


def get(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/", headers={"Connection": "close"})
        response = conn.getresponse()
        body = response.read().decode().strip()
        if response.status != 200:
            raise http.client.HTTPException(f"{response.status}: {body}")
        return body
    finally:
        conn.close()


def test_three_replicas_answer_through_the_service(cluster: RunningDaemon) -> None:
    """30 requests through the host URL reach each of the three pods."""
    port = url_port(cluster)
    answers = [get(port) for _ in range(30)]
    assert set(answers) == pod_names(cluster)
    assert len(set(answers)) == 3


def test_scaling_updates_the_proxy_under_a_request_loop(cluster: RunningDaemon) -> None:
    """Scaling to one and back: the proxy follows the endpoints; the loop's requests all
    succeed except the few accepted by a pod as it was being deleted."""
    port = url_port(cluster)
    failures: list[BaseException] = []
    answers: list[str] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                answers.append(get(port))
            except (OSError, http.client.HTTPException) as err:
                failures.append(err)

    worker = threading.Thread(target=loop)
    worker.start()
    try:
        ok(cluster, "scale", "deployment", "web", "--replicas=1")
        wait(lambda: len(ready_addresses(cluster)) == 1, seconds=60)
        wait(lambda: len(pod_names(cluster)) == 1, seconds=60)
        survivor = pod_names(cluster)
        time.sleep(0.5)
        mark = len(answers)
        time.sleep(0.5)
        assert set(answers[mark:]) == survivor
        ok(cluster, "scale", "deployment", "web", "--replicas=3")
        wait(lambda: len(ready_addresses(cluster)) == 3, seconds=90)
        time.sleep(0.5)
    finally:
        stop.set()
        worker.join()
    assert len(answers) > 50
    assert len(failures) <= 2, failures  # requests a pod accepted as it got SIGTERM
    assert len({get(port) for _ in range(12)}) == 3


def test_a_pod_failing_readiness_drops_out(cluster: RunningDaemon) -> None:
    """A pod whose readiness probe fails leaves the endpoints and gets no more requests;
    it comes back when the probe passes again."""
    port = url_port(cluster)
    victim = sorted(pod_names(cluster))[0]
    ok(cluster, "exec", victim, "-c", "httpd", "--", "rm", "/www/ready")
    wait(lambda: len(ready_addresses(cluster)) == 2)
    time.sleep(0.3)
    assert victim not in {get(port) for _ in range(20)}
    ok(cluster, "exec", victim, "-c", "httpd", "--", "touch", "/www/ready")
    wait(lambda: len(ready_addresses(cluster)) == 3)


def test_a_pod_reaches_the_service_through_its_environment(cluster: RunningDaemon) -> None:
    """From inside a pod, WEB_SERVICE_HOST:WEB_SERVICE_PORT answers: the cluster IP while
    the daemon's service rules are on, else the bridge gateway and the proxy's port there
    (what the kubelet's variables name when cluster IPs are not routed)."""
    ok(cluster, "rollout", "restart", "deployment", "web")  # new pods see the Service's vars
    wait(lambda: len(ready_addresses(cluster)) == 3 and len(pod_names(cluster)) == 3,
         seconds=90)
    client = sorted(pod_names(cluster))[0]
    script = ('printf "GET / HTTP/1.0\\r\\n\\r\\n" | '
              'nc -w 5 "$WEB_SERVICE_HOST" "$WEB_SERVICE_PORT" | tail -n 1')
    out = ok(cluster, "exec", client, "-c", "httpd", "--", "sh", "-c", script)
    assert out.strip() in pod_names(cluster)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def port_forward(daemon: RunningDaemon, target: str, remote: int | str,
                 binary: str = "kubectl", local: int | None = None) -> Iterator[int]:
    """``kubectl port-forward TARGET LOCAL:REMOTE`` running (``binary="minikube-py"``: ours);
    yields LOCAL once it listens (``local=0``: the one it picked)."""
    local = free_port() if local is None else local
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    command = [sys.executable, "-m", "minikube_py.cli.main"] if binary == "minikube-py" \
        else [binary]
    proc = subprocess.Popen([*command, "port-forward", "--kubeconfig", str(daemon.kubeconfig),
                             target, f"{local or ''}:{remote}"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "Forwarding from 127.0.0.1:LOCAL -> REMOTE"
        assert line.startswith("Forwarding from 127.0.0.1:"), \
            (line, proc.stderr.read() if proc.stderr else "")
        yield int(line.split()[2].rsplit(":", 1)[1])
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


@pytest.mark.parametrize("binary", ["kubectl", "/usr/lib/google-cloud-sdk/bin/kubectl.1.29"],
                         ids=["websocket", "spdy"])
def test_kubectl_port_forward_to_the_service(cluster: RunningDaemon, binary: str) -> None:
    """``kubectl port-forward svc/web LOCAL:80`` answers on 127.0.0.1:LOCAL with a pod's name,
    connection after connection (kubectl ≥ 1.31 tunnels SPDY through a websocket; 1.29
    upgrades the connection to SPDY/3.1)."""
    with port_forward(cluster, "svc/web", 80, binary) as local:
        answers = {get(local) for _ in range(5)}
    assert len(answers) == 1 and answers <= pod_names(cluster)


def test_port_forward_carries_a_large_body_and_reports_a_closed_port(
        cluster: RunningDaemon) -> None:
    """8 MiB through a forwarded pod port arrive whole; a port nobody listens on gives kubectl
    the kubelet's error and the next connection still works."""
    pod = sorted(pod_names(cluster))[0]
    body = b"\0" * (8 << 20)
    with port_forward(cluster, f"pod/{pod}", 8080) as local:
        ok(cluster, "exec", pod, "-c", "httpd", "--", "sh", "-c",
           f"head -c {8 << 20} /dev/zero > /www/big")
        conn = http.client.HTTPConnection("127.0.0.1", local, timeout=30)
        conn.request("GET", "/big")
        got = conn.getresponse().read()
        conn.close()
        assert got == body
    with port_forward(cluster, f"pod/{pod}", 9) as local:
        with socket.create_connection(("127.0.0.1", local), timeout=10) as sock:
            sock.settimeout(10)
            assert sock.recv(10) == b""  # the pod refused: kubectl closes the connection


OFFICIAL_PORT_FORWARD = """
import sys, time
from kubernetes import client, config
from kubernetes.stream import portforward
api = client.CoreV1Api(config.new_client_from_config(config_file=sys.argv[1]))
forward = portforward(api.connect_get_namespaced_pod_portforward, sys.argv[2], "default",
                      ports="8080,9")
sock = forward.socket(8080)
sock.settimeout(10)
sock.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")
reply = b""
while chunk := sock.recv(65536):
    reply += chunk
deadline = time.monotonic() + 10
while forward.error(9) is None and time.monotonic() < deadline:
    time.sleep(0.05)
print(reply.decode().splitlines()[0])
print(reply.decode().strip().splitlines()[-1])
print(forward.error(9))
"""


def test_the_official_client_port_forwards_over_websocket_channels(
        cluster: RunningDaemon) -> None:
    """kubernetes.stream.portforward (the v4.channel.k8s.io websocket protocol: a data and an
    error channel per port) reaches the pod's port; a closed port reports an error. (In a
    process of its own: websocket-client leaves sockets to the garbage collector.)"""
    pod = sorted(pod_names(cluster))[0]
    run = subprocess.run([sys.executable, "-c", OFFICIAL_PORT_FORWARD, str(cluster.kubeconfig),
                          pod], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    status, body, error = run.stdout.splitlines()[:3]
    assert status.startswith("HTTP/1.") and " 200 " in status + " "
    assert body == pod
    assert error.startswith(f"error forwarding port 9 to pod default/{pod}")


def test_our_port_forward_to_a_named_service_port(cluster: RunningDaemon) -> None:
    """``minikube-py port-forward svc/web :http``: a free local port, the Service's named port
    translated to the pod's named target port, a pod's name answering."""
    with port_forward(cluster, "svc/web", "http", "minikube-py", local=0) as local:
        assert get(local) in pod_names(cluster)
    bad = cluster.cli("port-forward", "svc/web", "8080:81")
    assert bad.returncode == 1 and bad.stderr.strip() == \
        "error: Service web does not have a service port 81", bad.stderr
