"""Helpers shared by the benchmarks: percentiles, a machine line, a daemon in a temp dir."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def machine() -> str:
    cpus = os.cpu_count()
    return f"{platform.system()} {platform.machine()}, {cpus} cores, Python " \
           f"{platform.python_version()}"


def daemon_env() -> dict[str, str]:
    """The environment a user's daemon has: with bytecode cached. (This machine sets
    PYTHONDONTWRITEBYTECODE=1, which recompiles the package at every start: +0.25-0.5 s.)"""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def start_daemon(data_dir: Path | None = None, *extra: str) -> tuple[subprocess.Popen[bytes],
                                                                    Path, int, float]:
    """Start a daemon in the foreground; return (process, data dir, port, seconds to ready).
    ``extra`` are more ``up`` options (``MINIKUBE_PY_BENCH_UP`` adds more, space-separated:
    e.g. ``--without controller-manager`` to see what the components cost)."""
    data = data_dir or Path(tempfile.mkdtemp(prefix="minikube-py-bench-"))
    if "--runtime" not in extra:  # control-plane benches: nodes registered, no pod runs
        extra = ("--without", "kubelet", *extra)
    pid_file = data / "daemon.pid"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "minikube_py.cli.main", "up",
                             "--data-dir", str(data), "--port", "0", *extra,
                             *os.environ.get("MINIKUBE_PY_BENCH_UP", "").split()],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                            env=daemon_env())
    while len(pid_file.read_text().split()) < 2 if pid_file.exists() else True:
        if proc.poll() is not None:
            raise RuntimeError("daemon exited during start")
        time.sleep(0.002)
    ready = time.perf_counter() - started
    port = int(pid_file.read_text().split()[1])
    return proc, data, port, ready


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_etcd() -> tuple[subprocess.Popen[bytes], str, Path] | None:
    """Debian's etcd on free loopback ports in a temp dir: (process, etcd://URL, data dir),
    or None when etcd is not installed (``make etcd``). Stop with :func:`stop_etcd`."""
    import shutil
    import urllib.request

    binary = shutil.which("etcd")
    if binary is None:
        print("etcd: not installed (make etcd / apt-get install etcd-server); skipped")
        return None
    data = Path(tempfile.mkdtemp(prefix="minikube-py-bench-etcd-"))
    client, peer = free_port(), free_port()
    url = f"http://127.0.0.1:{client}"
    proc = subprocess.Popen(
        [binary, "--data-dir", str(data / "etcd"), "--listen-client-urls", url,
         "--advertise-client-urls", url, "--listen-peer-urls", f"http://127.0.0.1:{peer}",
         "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
         "--initial-cluster", f"default=http://127.0.0.1:{peer}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return proc, f"etcd://127.0.0.1:{client}", data
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("etcd did not start")


def stop_etcd(etcd: tuple[subprocess.Popen[bytes], str, Path]) -> None:
    import shutil

    proc, _, data = etcd
    proc.terminate()
    proc.wait(timeout=15)
    shutil.rmtree(data, ignore_errors=True)
