"""Services end to end through a real daemon and its proxy, with test HTTP servers on
127.0.0.1 as the endpoints of Services without a selector (Endpoints written through the
API): the host URL from ``minikube-py service --url`` answers, round robin over three
backends, ClientIP affinity pins one, an endpoint removed mid-loop fails no request, a long
transfer survives an endpoint change, deleting the Service closes its listener, a NodePort
answers on 127.0.0.1:<nodePort>, and the proxy runs as its own process too.
"""

from __future__ import annotations

import http.client
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunningDaemon, start_daemon

pytestmark = pytest.mark.e2e

BIG = 8 * 1024 * 1024


class Backend:
    """An HTTP server on 127.0.0.1 answering its name (``/big``: 8 MiB, slowly)."""

    def __init__(self, name: str) -> None:
        self.name = name
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/big":
                    self.send_response(200)
                    self.send_header("Content-Length", str(BIG))
                    self.end_headers()
                    chunk = b"x" * 65536
                    for _ in range(BIG // len(chunk)):
                        self.wfile.write(chunk)
                        time.sleep(0.002)
                    return
                body = backend.name.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    running = start_daemon(tmp_path_factory.mktemp("services"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def backends() -> Iterator[list[Backend]]:
    started = [Backend(n) for n in ("a", "b", "c")]
    yield started
    for b in started:
        b.close()


def apply(daemon: RunningDaemon, *objs: dict[str, object]) -> None:
    daemon.cli("apply", "-f", "-", input="\n---\n".join(json.dumps(o) for o in objs),
               check=True)


def service(name: str, **spec: object) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"ports": [{"name": "http", "port": 80}], **spec}}


def endpoints(name: str, backends: list[Backend]) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name},
            "subsets": [{"addresses": [{"ip": "127.0.0.1"}],
                         "ports": [{"name": "http", "port": b.port}]} for b in backends]}


def get(port: int, path: str = "/") -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def url_port(daemon: RunningDaemon, name: str) -> int:
    result = daemon.cli("service", name, "--url", check=True)
    url = result.stdout.strip().splitlines()[0]
    assert url.startswith("http://127.0.0.1:"), url
    return int(url.rsplit(":", 1)[1])


def eventually(check: Callable[[], bool], *, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("condition never became true")


def test_round_robin_through_the_host_url(daemon: RunningDaemon,
                                          backends: list[Backend]) -> None:
    """30 requests through the Service URL reach the three backends ten times each."""
    apply(daemon, service("rr"), endpoints("rr", backends))
    port = url_port(daemon, "rr")
    eventually(lambda: get(port) in "abc")
    answers = [get(port) for _ in range(30)]
    assert {n: answers.count(n) for n in "abc"} == {"a": 10, "b": 10, "c": 10}


def test_client_ip_affinity_pins_one_backend(daemon: RunningDaemon,
                                             backends: list[Backend]) -> None:
    """With sessionAffinity ClientIP every request from the host reaches one backend."""
    apply(daemon, service("sticky", sessionAffinity="ClientIP"), endpoints("sticky", backends))
    port = url_port(daemon, "sticky")
    eventually(lambda: get(port) in "abc")
    assert len({get(port) for _ in range(30)}) == 1


def test_endpoint_removed_mid_loop_fails_nothing(daemon: RunningDaemon,
                                                 backends: list[Backend]) -> None:
    """A request loop across an Endpoints change sees no failure; afterwards the removed
    backend gets nothing."""
    apply(daemon, service("shrink"), endpoints("shrink", backends))
    port = url_port(daemon, "shrink")
    eventually(lambda: len({get(port) for _ in range(6)}) == 3)
    failures: list[BaseException] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                get(port)
            except (OSError, http.client.HTTPException) as err:
                failures.append(err)

    worker = threading.Thread(target=loop)
    worker.start()
    try:
        apply(daemon, endpoints("shrink", backends[:2]))
        eventually(lambda: "c" not in {get(port) for _ in range(6)})
    finally:
        stop.set()
        worker.join()
    assert failures == []
    assert set(get(port) for _ in range(10)) == {"a", "b"}


def test_long_transfer_survives_endpoint_change(daemon: RunningDaemon,
                                                backends: list[Backend]) -> None:
    """An 8 MiB download that started on a backend completes after that backend leaves the
    Endpoints."""
    apply(daemon, service("bulk"), endpoints("bulk", backends[:1]))
    port = url_port(daemon, "bulk")
    eventually(lambda: get(port) == "a")
    sizes: list[int] = []
    download = threading.Thread(target=lambda: sizes.append(len(get(port, "/big"))))
    download.start()
    time.sleep(0.2)
    apply(daemon, endpoints("bulk", backends[1:2]))
    eventually(lambda: get(port) == "b")
    download.join(timeout=60)
    assert sizes == [BIG]


def test_deleting_the_service_closes_its_listener(daemon: RunningDaemon,
                                                  backends: list[Backend]) -> None:
    """Once the Service is deleted, its port refuses connections."""
    apply(daemon, service("gone"), endpoints("gone", backends))
    port = url_port(daemon, "gone")
    eventually(lambda: get(port) in "abc")
    daemon.cli("delete", "service", "gone", check=True)

    def refused() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except ConnectionRefusedError:
            return True
        return False
    eventually(refused)


def test_node_port_answers_on_loopback(daemon: RunningDaemon, backends: list[Backend]) -> None:
    """A NodePort Service answers on 127.0.0.1:<nodePort>, the URL `service --url` prints."""
    apply(daemon, service("np", type="NodePort"), endpoints("np", backends[:1]))
    got = json.loads(daemon.cli("get", "service", "np", "-o", "json", check=True).stdout)
    node_port = got["spec"]["ports"][0]["nodePort"]
    assert url_port(daemon, "np") == node_port
    eventually(lambda: get(node_port) == "a")


def test_get_svc_shows_ports(daemon: RunningDaemon, backends: list[Backend]) -> None:
    """`get svc` shows TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S) with the node port."""
    apply(daemon, service("shown", type="NodePort"), endpoints("shown", backends[:1]))
    out = daemon.cli("get", "svc", "shown", check=True).stdout
    header, row = out.splitlines()[:2]
    assert header.split()[:5] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)"]
    cells = row.split()
    assert cells[1] == "NodePort" and cells[2].startswith("10.96.")
    assert cells[4].startswith("80:3") and cells[4].endswith("/TCP")


def test_proxy_as_its_own_process(tmp_path: Path, backends: list[Backend]) -> None:
    """`minikube-py proxy --kubeconfig F` serves the Services of a daemon run without one."""
    daemon = start_daemon(tmp_path / "d", extra=("--without", "proxy"))
    proc = subprocess.Popen([sys.executable, "-m", "minikube_py.cli.main", "proxy",
                             "--kubeconfig", str(daemon.kubeconfig), "--no-service-rules"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        apply(daemon, service("solo"), endpoints("solo", backends[:1]))
        port = url_port(daemon, "solo")
        eventually(lambda: get(port) == "a")
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        daemon.stop()


def _rules_active(cluster_ip: str) -> bool:
    """The daemon's DNAT for this cluster IP and its reject rule for the range are in place
    (only then may a test send packets to a service address)."""
    try:
        nat = subprocess.run(["iptables", "-w", "-t", "nat", "-S", "MINIKUBE-PY-SERVICES"],
                             capture_output=True, text=True, timeout=10)
        reject = subprocess.run(["iptables", "-w", "-S", "MINIKUBE-PY-REJECT"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return f"-d {cluster_ip}/32" in nat.stdout and "REJECT" in reject.stdout


def _docker_ok() -> bool:
    try:
        return subprocess.run(["docker", "image", "inspect", "minikube-py/busybox:local"],
                              capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_container_reaches_cluster_ip(daemon: RunningDaemon, backends: list[Backend]) -> None:
    """A container this test starts reaches CLUSTER-IP:80 (redirected to the proxy on the
    bridge gateway); an address of the range no Service holds is refused at once."""
    apply(daemon, service("cip"), endpoints("cip", backends[:1]))
    got = json.loads(daemon.cli("get", "service", "cip", "-o", "json", check=True).stdout)
    cluster_ip = got["spec"]["clusterIP"]
    url_port(daemon, "cip")
    if not _docker_ok():
        pytest.skip("no Docker or no local busybox image")
    try:
        eventually(lambda: _rules_active(cluster_ip), seconds=10)
    except AssertionError:
        pytest.skip("the service rules are off here (no root or no iptables)")
    # busybox nc, not wget: the local image's static wget crashes on name-service set-up.
    def nc(ip: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", "run", "--rm", "minikube-py/busybox:local", "sh", "-c",
             f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {ip} 80"],
            capture_output=True, text=True, timeout=60)
    result = nc(cluster_ip)
    assert result.returncode == 0 and result.stdout.splitlines()[-1] == "a", result
    refused = nc("10.96.255.254")
    assert refused.returncode != 0 and "refused" in refused.stderr.lower(), refused
