"""Services over real pods (Docker, the kubelet): a Deployment of three busybox httpd
replicas each serving its own pod name behind a Service. Through the Service's host URL all
three answer; scaling to one and back updates the endpoints and the proxy while a request
loop runs; a pod that fails readiness drops out; a pod reaches the Service through its
environment variables (CLUSTER-IP:PORT while the daemon's service rules are on, else the
bridge gateway and the proxy's port).
"""

from __future__ import annotations

import http.client
import json
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
