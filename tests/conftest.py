"""Shared fixtures: an in-process apiserver on a real SQLite file, and a real daemon process.

Every daemon a test starts lives in its own temporary data dir, listens on a free loopback
port and is stopped (SIGTERM, then SIGKILL) when the test is done.

``MINIKUBE_PY_TEST_STORAGE=etcd`` runs every daemon the tests start on etcd instead of
SQLite (``up --storage etcd://``): one real etcd per data dir (so a restarted daemon finds its
state), started on free loopback ports and removed at the end of the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.local import LocalTransport
from minikube_py.daemon import bootstrap
from minikube_py.store.sqlite import SqliteStorage as Store
from tests.helpers.etcd import etcd_for
from tests.helpers.etcd import stop_all as stop_all_etcds

ROOT = Path(__file__).resolve().parent.parent
_HOME: tempfile.TemporaryDirectory[str] | None = None


def pytest_configure(config: pytest.Config) -> None:
    """The whole run gets its own home dir ($MINIKUBE_PY_HOME): the daemons and CLIs that
    tests start never read or write the user's ~/.minikube-py (``up`` remembers the cluster
    it started there)."""
    global _HOME
    _HOME = tempfile.TemporaryDirectory(prefix="minikube-py-test-home-")
    os.environ["MINIKUBE_PY_HOME"] = _HOME.name


def pytest_unconfigure(config: pytest.Config) -> None:
    stop_all_etcds()
    if _HOME is not None:
        _HOME.cleanup()


def _storage_args(data_dir: Path, extra: tuple[str, ...]) -> tuple[str, ...]:
    """``MINIKUBE_PY_TEST_STORAGE=etcd``: the daemon on its data dir's own etcd."""
    if os.environ.get("MINIKUBE_PY_TEST_STORAGE") != "etcd" or "--storage" in extra:
        return ()
    return ("--storage", etcd_for(data_dir).url)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "state.db", synchronous="NORMAL")
    yield s
    await s.close()


@pytest.fixture
async def apiserver(store: Store) -> AsyncIterator[ApiServer]:
    server = ApiServer(store)
    await bootstrap(Client(LocalTransport(server.handle)))
    yield server
    await server.close()  # its client sessions (webhooks, aggregation)


@pytest.fixture
def client(apiserver: ApiServer) -> Client:
    """A client on the in-process transport (the path controllers take)."""
    return Client(LocalTransport(apiserver.handle))


@dataclass
class RunningDaemon:
    data_dir: Path
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    @property
    def token(self) -> str:
        return (self.data_dir / "token").read_text().strip()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def cli(self, *args: str, input: str | None = None, check: bool = False,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run our CLI against this daemon (``env`` adds variables)."""
        env = dict(os.environ, MINIKUBE_PY_HOME=str(self.data_dir), **(env or {}))
        env.pop("KUBECONFIG", None)
        result = subprocess.run([sys.executable, "-m", "minikube_py.cli.main", *args],
                                capture_output=True, text=True, input=input, env=env,
                                timeout=60, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"minikube-py {' '.join(args)} failed: {result.stderr}")
        return result

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                return self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait(timeout=15)


def start_daemon(data_dir: Path, *, extra: tuple[str, ...] = (),
                 kubelet: bool = False) -> RunningDaemon:
    """Start ``minikube-py up`` in the foreground as a child process; wait until ready.

    Without ``kubelet`` the nodes are registered Ready by the stand-in registration and no pod
    runs (``--without kubelet``): tests of the control plane stay off the container engine."""
    if not kubelet and "kubelet" not in extra:
        extra = ("--without", "kubelet", *extra)
    data_dir.mkdir(parents=True, exist_ok=True)
    pid_file = data_dir / "daemon.pid"
    pid_file.unlink(missing_ok=True)
    log = open(data_dir / "test-daemon.log", "ab")  # the child keeps its own copy
    proc = subprocess.Popen(
        [sys.executable, "-m", "minikube_py.cli.main", "up", "--data-dir", str(data_dir),
         "--port", "0", *extra, *_storage_args(data_dir, extra)], stdout=log,
        stderr=subprocess.STDOUT, cwd=ROOT)
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            proc.wait()
            raise RuntimeError(f"daemon exited: {(data_dir / 'test-daemon.log').read_text()}")
        if pid_file.exists():
            parts = pid_file.read_text().split()
            if len(parts) >= 2:
                return RunningDaemon(data_dir, proc, int(parts[1]))
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    raise RuntimeError("daemon did not become ready in 30 s")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    """A real daemon process shared by the tests of one module."""
    running = start_daemon(tmp_path_factory.mktemp("daemon"))
    yield running
    running.stop()
