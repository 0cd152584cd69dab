"""``up``, ``down``, ``status`` and ``snapshot``: the daemon's life cycle from the shell."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from minikube_py import datadir
from minikube_py.api import podnetwork
from minikube_py.cli.context import DATA_DIR_HELP, CliError, Session, fail, kubeconfig_option, run
from minikube_py.cli.progress import Progress
from minikube_py.config import DEFAULT_PORT, DaemonConfig, History, HistoryError
from minikube_py.util import progress as daemon_progress

READY_TIMEOUT = 30.0


# "service-rules": the proxy's iptables rules for cluster IPs (docs/ARCHITECTURE.md).
COMPONENTS = ("controller-manager", "scheduler", "nodes", "kubelet", "proxy", "service-rules")


def _config(data_dir: str | None, port: int = DEFAULT_PORT, host: str = "127.0.0.1",
            without: tuple[str, ...] = (), nodes: int = 0, nodes_file: str | None = None,
            scheduler_config: str | None = None, history: str | None = None,
            compaction_interval: float | None = None, runtime: str = "docker",
            kubelet_backoff: float | None = None,
            pod_network: str = podnetwork.DEFAULT,
            authorization_mode: str = "RBAC",
            storage: dict[str, Any] | None = None) -> DaemonConfig:
    base = Path(data_dir).expanduser() if data_dir else datadir.home_dir()
    config = DaemonConfig(data_dir=base.resolve(), port=port, host=host,
                          without=frozenset(without), nodes=nodes,
                          nodes_file=Path(nodes_file).resolve() if nodes_file else None,
                          scheduler_config=Path(scheduler_config).resolve()
                          if scheduler_config else None, runtime=runtime,
                          kubelet_backoff=kubelet_backoff, pod_network=pod_network,
                          authorization_mode=authorization_mode, **_storage(storage or {}))
    if history is not None:
        try:
            config = replace(config, history=History.parse(history))
        except HistoryError as exc:
            raise CliError(str(exc)) from None
    if compaction_interval is not None:
        if not compaction_interval > 0:
            raise CliError(f"invalid compaction interval {compaction_interval}: want seconds > 0")
        config = replace(config, compact_interval=compaction_interval)
    return config


def _storage(options: dict[str, Any]) -> dict[str, Any]:
    """DaemonConfig fields of the storage options (``storage_options``)."""
    out: dict[str, Any] = {}
    storage = options.get("storage") or "sqlite"
    if storage not in ("sqlite", "memory") and not storage.startswith(("etcd://", "etcds://")):
        raise CliError(f"invalid --storage {storage!r}: want sqlite, memory or "
                       f"etcd://HOST:PORT[,HOST:PORT...]")
    out["storage"] = storage
    for name in ("etcd_cafile", "etcd_certfile", "etcd_keyfile"):
        if options.get(name):
            if not storage.startswith(("etcd://", "etcds://")):
                raise CliError(f"--{name.replace('_', '-')} needs --storage etcd://...")
            out[name] = Path(options[name]).resolve()
    return out


def storage_options(func: Any) -> Any:
    """--storage and the etcd client's TLS files (for ``up`` and ``snapshot restore``)."""
    existing = click.Path(exists=True, dir_okay=False)
    for option in reversed([
            click.option("--storage", default="sqlite", show_default=True,
                         metavar="sqlite|memory|etcd://HOST:PORT[,...]",
                         help="Where the cluster's objects live: SQLite in the data dir, "
                              "memory (nothing survives), or an etcd cluster."),
            click.option("--etcd-cafile", type=existing, default=None,
                         help="CA bundle of the etcd servers (TLS)."),
            click.option("--etcd-certfile", type=existing, default=None,
                         help="Client certificate for etcd (TLS)."),
            click.option("--etcd-keyfile", type=existing, default=None,
                         help="Key of the client certificate for etcd.")]):
        func = option(func)
    return func


data_dir_option = click.option("--data-dir", type=click.Path(file_okay=False),
                               help="State directory (default $MINIKUBE_PY_HOME or "
                                    "~/.minikube-py).")
which_option = click.option("--data-dir", type=click.Path(file_okay=False),
                            help=DATA_DIR_HELP)
kubeconfig_dir_option = click.option("--kubeconfig", "kubeconfig_file",
                                     type=click.Path(dir_okay=False),
                                     help="A cluster's kubeconfig: the data dir holding it.")


def _chosen(data_dir: str | None, kubeconfig_file: str | None) -> DaemonConfig:
    """The config of the cluster a ``down``/``status`` means (datadir's order)."""
    return _config(str(datadir.choose(data_dir, kubeconfig_file)))


@click.command()
@data_dir_option
@click.option("--port", type=int, default=None,
              help=f"HTTPS port of the apiserver (0 picks a free one).  [default: "
                   f"{DEFAULT_PORT}]")
@click.option("--listen", "host", default="127.0.0.1", show_default=True,
              help="Address to listen on.")
@click.option("--detach", is_flag=True, help="Run in the background; return once ready.")
@click.option("--without", multiple=True, type=click.Choice(COMPONENTS),
              help="A component not to run in the daemon (e.g. to run it on its own).")
@click.option("--nodes", "node_count", type=click.IntRange(min=0), default=0,
              help="Register N virtual nodes (node-1 ...) of the machine's size "
                   "(default: one node named after the host).")
@click.option("--nodes-file", type=click.Path(exists=True, dir_okay=False),
              help="YAML list of virtual nodes: name, cpu, memory, pods, resources, labels, "
                   "taints, conditions.")
@click.option("--scheduler-config", type=click.Path(exists=True, dir_okay=False),
              help="A KubeSchedulerConfiguration file for the scheduler.")
@click.option("--history", default=None, metavar="WINDOW",
              help="Watch history compaction keeps: a duration (5m), a count of revisions "
                   "(10000) or both (5m,10000), whichever keeps less.  [default: 5m,10000]")
@click.option("--compaction-interval", type=float, default=None, metavar="SECONDS",
              help="Seconds between compactions of the history.  [default: 60]")
@click.option("--runtime", type=click.Choice(["docker", "sim"]), default="docker",
              show_default=True,
              help="The kubelets' container runtime: real containers in the local Docker "
                   "engine, or simulated ones (no processes).")
@click.option("--kubelet-backoff", type=click.FloatRange(min=0.05), default=None,
              envvar="MINIKUBE_PY_KUBELET_BACKOFF", metavar="SECONDS",
              help="First CrashLoopBackOff delay; it doubles up to 30x (300 s).  [default: 10]")
@click.option("--pod-network", type=click.Choice(podnetwork.MODES), default=podnetwork.DEFAULT,
              show_default=True,
              help="How the host reaches pods: their IPs (routed, Linux), or every declared "
                   "containerPort published on 127.0.0.1 (published, for Docker Desktop).")
@click.option("--authorization-mode", type=click.Choice(["RBAC", "AlwaysAllow"]),
              default="RBAC", show_default=True,
              help="How requests are authorized: RBAC roles and bindings, or everything "
                   "allowed to every authenticated user (benchmarks, debugging).")
@storage_options
@click.option("--role", type=click.Choice(["all", "apiserver"]), default="all",
              show_default=True,
              help="apiserver: serve the API only (components run in another daemon on the "
                   "same etcd).")
@click.option("--leader-elect-lease-duration", "lease_duration", type=click.FloatRange(min=1),
              default=15.0, show_default=True, metavar="SECONDS",
              help="Lease of the controller manager and scheduler (elected on etcd), and of "
                   "this apiserver in the kubernetes Endpoints.")
@click.option("--node-monitor-grace-period", type=click.FloatRange(min=1), default=40.0,
              show_default=True, metavar="SECONDS",
              help="How long a node may be silent (no Lease renewal, no status) before the "
                   "node lifecycle controller marks it Unknown and taints it unreachable.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def up(data_dir: str | None, port: int | None, host: str, detach: bool,
       without: tuple[str, ...],
       node_count: int, nodes_file: str | None, scheduler_config: str | None,
       history: str | None, compaction_interval: float | None, runtime: str,
       kubelet_backoff: float | None, pod_network: str, authorization_mode: str,
       storage: str, etcd_cafile: str | None, etcd_certfile: str | None,
       etcd_keyfile: str | None, role: str, lease_duration: float,
       node_monitor_grace_period: float, verbose: bool) -> None:
    """Start the cluster (foreground unless --detach)."""
    from minikube_py import daemon

    if node_count and nodes_file:
        fail("--nodes and --nodes-file exclude each other")
    config = _config(data_dir, DEFAULT_PORT if port is None else port, host, without,
                     node_count, nodes_file, scheduler_config, history, compaction_interval,
                     runtime, kubelet_backoff, pod_network, authorization_mode,
                     storage={"storage": storage, "etcd_cafile": etcd_cafile,
                              "etcd_certfile": etcd_certfile, "etcd_keyfile": etcd_keyfile})
    if role != "all" and not config.shared_store:
        fail("--role apiserver needs a shared store (--storage etcd://...)")
    config = replace(config, role=role, lease_duration=lease_duration,
                     node_monitor_grace_period=node_monitor_grace_period)
    pid = daemon.running_pid(config)
    if pid is not None:
        running_port = (datadir.read_pid_file(config.data_dir) or (pid, 0))[1]
        where = f"https://127.0.0.1:{running_port}"
        if port not in (None, 0, running_port):
            fail(f"minikube-py is already running for {config.data_dir} on {where} (pid "
                 f"{pid}), not on port {port}: run `minikube-py down` first to move it")
        if detach:
            click.echo(f"minikube-py is already running on {where} (pid {pid}); "
                       f"kubeconfig: {config.kubeconfig}")
            return
        fail(f"minikube-py is already running for {config.data_dir} on {where} (pid {pid})")
    if detach:
        _start_detached(config, verbose)
        return
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(daemon.Daemon(config).run_until_signalled())
    except daemon.DaemonError as exc:
        fail(str(exc))
    except Exception as exc:  # logged with its traceback above; the user gets one line
        logging.getLogger("minikube_py").exception("daemon failed")
        fail(f"daemon failed: {exc}")


def _start_detached(config: DaemonConfig, verbose: bool) -> None:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    config.pid_file.unlink(missing_ok=True)
    args = [sys.executable, "-m", "minikube_py.cli.main", "up", "--data-dir",
            str(config.data_dir), "--port", str(config.port), "--listen", config.host]
    for name in sorted(config.without):
        args += ["--without", name]
    if config.nodes:
        args += ["--nodes", str(config.nodes)]
    if config.nodes_file:
        args += ["--nodes-file", str(config.nodes_file)]
    if config.scheduler_config:
        args += ["--scheduler-config", str(config.scheduler_config)]
    args += ["--runtime", config.runtime, "--pod-network", config.pod_network,
             "--authorization-mode", config.authorization_mode]
    if config.kubelet_backoff:
        args += ["--kubelet-backoff", str(config.kubelet_backoff)]
    args += ["--history", config.history.flag(), "--compaction-interval",
             str(config.compact_interval), "--storage", config.storage, "--role", config.role,
             "--leader-elect-lease-duration", str(config.lease_duration),
             "--node-monitor-grace-period", str(config.node_monitor_grace_period)]
    for name in ("etcd_cafile", "etcd_certfile", "etcd_keyfile"):
        if getattr(config, name):
            args += [f"--{name.replace('_', '-')}", str(getattr(config, name))]
    if verbose:
        args.append("--verbose")
    with open(config.log_file, "ab") as log_file:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log_file,
                                stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + READY_TIMEOUT
    steps = _DaemonSteps(config.log_file)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            steps.progress.done("failed")
            tail = config.log_file.read_text(errors="replace").strip().splitlines()[-1:]
            fail(f"daemon exited ({proc.returncode}): {tail[0] if tail else 'see log'} "
                 f"(log: {config.log_file})")
        steps.follow()
        info = datadir.read_pid_file(config.data_dir)
        if info is not None and datadir.components_ready(config.data_dir):
            steps.progress.done()
            click.echo(f"minikube-py is up on https://{_shown_host(config.host)}:{info[1]} "
                       f"(pid {proc.pid}). kubeconfig: {config.kubeconfig}")
            click.echo(f"  export KUBECONFIG={config.kubeconfig}   # for kubectl")
            return
        time.sleep(0.05)
    steps.progress.done("gave up")
    proc.terminate()
    fail(f"daemon did not become ready in {READY_TIMEOUT:.0f}s (log: {config.log_file})")


class _DaemonSteps:
    """The steps a starting daemon announces in its log (util/progress.py), shown as they
    come: a turning line on a terminal, plain lines otherwise (cli/progress.py)."""

    def __init__(self, log_file: Path) -> None:
        self.log_file = log_file
        self.offset = log_file.stat().st_size if log_file.exists() else 0
        self.progress = Progress()
        self._partial = b""

    def follow(self) -> None:
        try:
            with open(self.log_file, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except OSError:
            return
        self.offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            what = daemon_progress.parse(line.decode(errors="replace"))
            if what is not None:
                self.progress.start(what, quiet_for=0.0)
        self.progress.tick()


@click.command()
@which_option
@kubeconfig_dir_option
@click.option("--timeout", type=float, default=30.0, show_default=True,
              help="Seconds to wait for a clean stop before the daemon is killed.")
def down(data_dir: str | None, kubeconfig_file: str | None, timeout: float) -> None:
    """Stop the cluster's daemon (its state stays in the data dir)."""
    from minikube_py import daemon

    config = _chosen(data_dir, kubeconfig_file)
    pid = daemon.running_pid(config)
    if pid is None:
        click.echo(f"minikube-py is not running (data dir {config.data_dir})")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            click.echo("minikube-py stopped")
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    click.echo("minikube-py did not stop in time; killed")


@click.command()
@which_option
@kubeconfig_dir_option
def status(data_dir: str | None, kubeconfig_file: str | None) -> None:
    """Say whether the daemon runs, where, and what its store holds."""
    from minikube_py import daemon

    config = _chosen(data_dir, kubeconfig_file)
    pid = daemon.running_pid(config)
    if pid is None:
        click.echo(f"minikube-py: Stopped (data dir {config.data_dir})")
        sys.exit(1)

    async def probe(session: Session) -> tuple[dict[str, Any], bytes]:
        version = await session.client.request("GET", "/version")
        metrics = await session.client.request("GET", "/metrics")
        return version, metrics if isinstance(metrics, bytes) else b""

    info, metrics = run(probe, kubeconfig_file=str(config.kubeconfig))
    figures = parse_metrics(metrics)
    click.echo(f"minikube-py: Running (pid {pid})")
    click.echo(f"apiserver: {info.get('gitVersion')} on port "
               f"{(daemon.read_pid_file(config) or (0, 0))[1]}")
    if "apiserver_storage_objects" in figures:
        click.echo(f"store: {figures['apiserver_storage_objects']:,.0f} objects, revision "
                   f"{figures.get('etcd_current_revision', 0):,.0f}, compacted to "
                   f"{figures.get('etcd_compact_revision', 0):,.0f}")
    if "apiserver_storage_size_bytes" in figures:
        click.echo(f"disk: database {_mib(figures['apiserver_storage_size_bytes'])}, "
                   f"write-ahead log {_mib(figures.get('store_wal_size_bytes', 0))} "
                   f"({config.db_path})")
    click.echo(f"kubeconfig: {config.kubeconfig}")


def _shown_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host


def parse_metrics(text: bytes) -> dict[str, float]:
    """The unlabelled samples of a Prometheus text exposition."""
    figures: dict[str, float] = {}
    for line in text.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#") and "{" not in parts[0]:
            try:
                figures[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return figures


def _mib(value: float) -> str:
    if value < 1024 * 1024:
        return f"{value / 1024:.0f} KiB"
    return f"{value / (1024 * 1024):.1f} MiB"


@click.group()
def snapshot() -> None:
    """Save or restore the whole store (like etcdctl snapshot)."""


@snapshot.command("save")
@click.argument("file", type=click.Path(dir_okay=False))
@kubeconfig_option
def snapshot_save(file: str, kubeconfig_file: str | None) -> None:
    """Write a consistent copy of the running cluster's store to FILE."""

    async def save(session: object) -> bytes:
        return await session.client.request(  # type: ignore[attr-defined,no-any-return]
            "GET", "/minikube-py/v1/snapshot", accept="application/octet-stream")

    data = run(save, kubeconfig_file=kubeconfig_file)
    Path(file).write_bytes(data)
    size = len(data)
    click.echo(f"Snapshot saved at {file} ({size} bytes)")


@snapshot.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@data_dir_option
@storage_options
def snapshot_restore(file: str, data_dir: str | None, storage: str, etcd_cafile: str | None,
                     etcd_certfile: str | None, etcd_keyfile: str | None) -> None:
    """Replace the store with FILE (stop the daemon first)."""
    from minikube_py import daemon

    config = _config(data_dir, storage={
        "storage": storage, "etcd_cafile": etcd_cafile, "etcd_certfile": etcd_certfile,
        "etcd_keyfile": etcd_keyfile})
    try:
        rev = daemon.restore_snapshot(config, Path(file))
    except (daemon.DaemonError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    where = config.storage if config.shared_store else config.db_path
    flag = f" --storage {config.storage}" if config.shared_store else ""
    click.echo(f"Restored {file} into {where} (revision {rev}); "
               f"start the cluster with: minikube-py up{flag}")
