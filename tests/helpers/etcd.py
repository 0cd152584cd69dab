"""A real etcd process for tests: Debian's ``etcd`` (package etcd-server) on free loopback
ports, its data in a temporary dir removed after; stopped with SIGTERM (then SIGKILL)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EtcdProcess:
    proc: subprocess.Popen[bytes]
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"etcd://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def start_etcd() -> EtcdProcess:
    """Start etcd and wait until it answers; skip the test where etcd is not installed."""
    binary = shutil.which("etcd")
    if binary is None:
        pytest.skip("etcd is not installed (apt-get install etcd-server)")
    data = Path(tempfile.mkdtemp(prefix="minikube-py-test-etcd-"))
    client, peer = free_port(), free_port()
    url = f"http://127.0.0.1:{client}"
    log = open(data / "etcd.log", "ab")  # the child keeps its own copy
    proc = subprocess.Popen(
        [binary, "--name", "test", "--data-dir", str(data / "etcd"),
         "--listen-client-urls", url, "--advertise-client-urls", url,
         "--listen-peer-urls", f"http://127.0.0.1:{peer}",
         "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
         "--initial-cluster", f"test=http://127.0.0.1:{peer}",
         "--experimental-watch-progress-notify-interval", "1s"],
        stdout=log, stderr=subprocess.STDOUT)
    log.close()
    running = EtcdProcess(proc, data, client)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (data / "etcd.log").read_text(errors="replace")
            running.stop()
            raise RuntimeError(f"etcd exited: {log[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as resp:
                if resp.status == 200:
                    return running
        except OSError:
            time.sleep(0.05)
    running.stop()
    raise RuntimeError("etcd did not answer in 20 s")
