"""Settings of a daemon and where its files live.

The data dir (``--data-dir``, else ``$MINIKUBE_PY_HOME``, else ``~/.minikube-py``) holds the
store (``state.db``), the CA and serving certificate, the admin token, the kubeconfig, the pid
file and, for a detached daemon, its log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from minikube_py.api import podnetwork
from minikube_py.datadir import home_dir
from minikube_py.store.history import History, HistoryError

__all__ = ["DEFAULT_PORT", "DaemonConfig", "History", "HistoryError", "default_data_dir"]

DEFAULT_PORT = 6443


def default_data_dir() -> Path:
    """The home dir: ``$MINIKUBE_PY_HOME``, else ``~/.minikube-py``."""
    return home_dir()


@dataclass(frozen=True)
class DaemonConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    synchronous: str = "FULL"  # SQLite fsync per commit; NORMAL trades power-loss safety
    compact_interval: float = 60.0  # seconds between compactions of the log
    history: History = field(default_factory=History)  # what compaction keeps (--history)
    # Components not to run in the daemon (run elsewhere, e.g. "controller-manager").
    without: frozenset[str] = frozenset()
    # Virtual nodes the daemon registers: N of the machine's size, or those of a nodes file
    # (neither: one node named after the host).
    nodes: int = 0
    nodes_file: Path | None = None
    scheduler_config: Path | None = None  # a KubeSchedulerConfiguration file
    runtime: str = "docker"  # the kubelets' container runtime: docker | sim
    kubelet_backoff: float | None = None  # CrashLoopBackOff's first delay (default 10 s)
    pod_network: str = podnetwork.DEFAULT  # how the host reaches pods: routed | published
    authorization_mode: str = "RBAC"  # RBAC | AlwaysAllow (--authorization-mode)
    # The store: "sqlite" (state.db in the data dir), "memory", or etcd://HOST:PORT[,...]
    # with TLS client files for https endpoints.
    storage: str = "sqlite"
    etcd_cafile: Path | None = None
    etcd_certfile: Path | None = None
    etcd_keyfile: Path | None = None
    # "all": apiserver and components; "apiserver": serve the API only (another daemon on the
    # same etcd runs the components).
    role: str = "all"
    # The controller manager's and scheduler's Leases (elected whenever the store is shared).
    lease_duration: float = 15.0
    # The node lifecycle controller's --node-monitor-grace-period (seconds).
    node_monitor_grace_period: float = 40.0

    @property
    def shared_store(self) -> bool:
        """Another apiserver may write the same store (etcd)."""
        return self.storage.startswith("etcd")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "state.db"

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "daemon.pid"

    @property
    def component_kubeconfigs(self) -> Path:
        """Where each component's own kubeconfig is written (``<component>.kubeconfig``)."""
        return self.data_dir / "components"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "daemon.log"
