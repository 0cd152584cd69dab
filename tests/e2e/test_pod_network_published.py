"""``up --pod-network published`` (what Docker Desktop needs) with real Docker: the kubelet
publishes a pod's declared containerPort on 127.0.0.1 and records it on the pod; the proxy
and port-forward dial that address, so the Service URL and ``kubectl port-forward`` answer
without using the pod IP. (On Linux the pod IP would work too; here the published address is
recorded and answers, and the Service and port-forward work in this mode; that the proxy dials
the published address is tests/proxy/test_proxier.py's.)"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from minikube_py.api import podnetwork
from tests.conftest import RunningDaemon
from tests.e2e.kubelet_helpers import BUSYBOX, daemon_with_cleanup, docker_ok
from tests.e2e.test_kubectl import kubectl, ok
from tests.e2e.test_services_pods import get, port_forward, wait

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl,
              pytest.mark.skipif(not docker_ok(), reason="no Docker engine")]

NODE = f"kp-{uuid.uuid4().hex[:6]}"
APP = f"""\
apiVersion: v1
kind: Pod
metadata: {{name: web, labels: {{app: web}}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: {BUSYBOX}
    imagePullPolicy: Never
    command: ["sh", "-c", "echo published > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"]
    ports: [{{name: http, containerPort: 8080}}]
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
    for running in daemon_with_cleanup(tmp_path_factory.mktemp("published"), NODE,
                                       "--pod-network", "published", "--without",
                                       "service-rules"):
        ok(running, "apply", "-f", "-", input=APP)
        ok(running, "wait", "--for=condition=Ready", "pod/web", "--timeout=60s")
        yield running


def published(daemon: RunningDaemon) -> dict[int, tuple[str, int]]:
    pod = json.loads(ok(daemon, "get", "pod", "web", "-o", "json"))
    return podnetwork.published_ports(pod)


def test_the_kubelet_publishes_and_records_the_container_port(cluster: RunningDaemon) -> None:
    wait(lambda: 8080 in published(cluster))
    host, port = published(cluster)[8080]
    assert host == "127.0.0.1"
    assert get(port) == "published"
    ours = subprocess.run(["docker", "ps", "--filter", f"label=io.minikube-py.node={NODE}",
                           "--format", "{{.Ports}}"], capture_output=True, text=True,
                          check=True).stdout
    assert f"127.0.0.1:{port}->8080/tcp" in ours  # Docker's view: bound on loopback only


def test_the_service_url_and_port_forward_go_through_the_published_port(
        cluster: RunningDaemon) -> None:
    wait(lambda: 8080 in published(cluster))
    url = cluster.cli("service", "web", "--url", check=True).stdout.strip()
    wait(lambda: _answers(int(url.rsplit(":", 1)[1])))
    assert get(int(url.rsplit(":", 1)[1])) == "published"
    with port_forward(cluster, "pod/web", 8080) as local:
        assert get(local) == "published"
    result = kubectl(cluster, "get", "pod", "web", "-o",
                     "jsonpath={.metadata.annotations}")
    assert podnetwork.PUBLISHED_PORTS in result.stdout


def _answers(port: int) -> bool:
    try:
        return get(port) == "published"
    except OSError:
        return False
