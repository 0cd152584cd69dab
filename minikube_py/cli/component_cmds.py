"""``controller-manager``, ``scheduler``, ``kubelet`` and ``proxy``: one
component in its own process, against a cluster given by a kubeconfig.

The process talks to the apiserver over HTTPS like any other client, runs until SIGINT or
SIGTERM, and then stops cleanly (a leader releases its lease, so another takes over at once).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from minikube_py.api import podnetwork
from minikube_py.cli.context import CliError, fail, kubeconfig_option, kubeconfig_path
from minikube_py.client import kubeconfig
from minikube_py.client.base import Client
from minikube_py.client.http import HttpTransport
from minikube_py.util.component import Component

F = TypeVar("F", bound=Callable[..., Any])


async def _serve(component: Component) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await component.start()
    try:
        while not stop.is_set():
            problem = component.health()
            if problem:
                logging.getLogger(__name__).error("%s unhealthy: %s", component.name, problem)
            try:
                await asyncio.wait_for(stop.wait(), 10)
            except TimeoutError:
                continue
    finally:
        await component.stop()


def _client(kubeconfig_file: str | None) -> Client:
    try:
        config = kubeconfig.load(kubeconfig_path(kubeconfig_file))
    except kubeconfig.KubeConfigError as exc:
        raise CliError(str(exc)) from exc
    return Client(HttpTransport(config))


def _run(kubeconfig_file: str | None, verbose: bool,
         make: Callable[[Client], Component]) -> None:
    """Serve ``make(client)`` until SIGINT/SIGTERM; every failure is one CLI line."""
    from minikube_py.kubelet.runtime.errors import RuntimeUnavailable

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        client = _client(kubeconfig_file)
        try:
            await _serve(make(client))
        finally:
            await client.close()

    try:
        asyncio.run(main())
    except RuntimeUnavailable as err:
        fail(f"no container runtime: {err} (start the Docker engine, or use --runtime sim)")
    except CliError as err:
        fail(str(err))
    except KeyboardInterrupt:
        sys.exit(130)


def _leader_election(lease: str) -> Callable[[F], F]:
    """The leader election options of a component that may run several times."""
    def decorate(func: F) -> F:
        for option in reversed([
            click.option("--leader-elect", is_flag=True,
                         help=f"Act only while holding the {lease} Lease, so that several "
                              "of these may run."),
            click.option("--identity", default="",
                         help="Leader election identity (default: host_pid)."),
            click.option("--lease-duration", type=float, default=15.0, show_default=True,
                         help="Seconds a leader's lease lasts without renewal."),
            click.option("--renew-deadline", type=float, default=10.0, show_default=True,
                         help="Seconds a leader keeps trying to renew before it steps down."),
            click.option("--retry-period", type=float, default=2.0, show_default=True,
                         help="Seconds between attempts to acquire or renew the lease."),
        ]):
            func = option(func)
        return func
    return decorate


@click.command("controller-manager")
@kubeconfig_option
@click.option("--controllers", default="*", show_default=True,
              help="Comma-separated controllers to run (* for all).")
@_leader_election("kube-system/kube-controller-manager")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def controller_manager(kubeconfig_file: str | None, controllers: str, leader_elect: bool,
                       identity: str, lease_duration: float, renew_deadline: float,
                       retry_period: float, verbose: bool) -> None:
    """Run the controller manager in its own process against a cluster."""
    from minikube_py.controllers.manager import ControllerManager

    _run(kubeconfig_file, verbose, lambda client: ControllerManager(
        client, controllers=controllers.split(","), leader_elect=leader_elect,
        identity=identity, lease_duration=lease_duration, renew_deadline=renew_deadline,
        retry_period=retry_period))


@click.command("scheduler")
@kubeconfig_option
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="A KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) file.")
@_leader_election("kube-system/kube-scheduler")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def scheduler(kubeconfig_file: str | None, config_file: str | None, leader_elect: bool,
              identity: str, lease_duration: float, renew_deadline: float,
              retry_period: float, verbose: bool) -> None:
    """Run the scheduler in its own process against a cluster."""
    from minikube_py.scheduler import config as scheduler_config
    from minikube_py.scheduler.scheduler import Scheduler

    try:
        config = scheduler_config.load(config_file) if config_file else None
    except scheduler_config.ConfigError as exc:
        fail(str(exc))
    _run(kubeconfig_file, verbose, lambda client: Scheduler(
        client, config=config, leader_elect=leader_elect, identity=identity,
        lease_duration=lease_duration, renew_deadline=renew_deadline,
        retry_period=retry_period))


pod_network_option = click.option(
    "--pod-network", type=click.Choice(podnetwork.MODES), default=podnetwork.DEFAULT,
    show_default=True, help="How the host reaches pods: their IPs (routed, Linux) or ports "
                            "published on 127.0.0.1 (published, Docker Desktop).")


@click.command("kubelet")
@kubeconfig_option
@click.option("--node-name", required=True, help="The node this kubelet registers and runs.")
@click.option("--runtime", type=click.Choice(["docker", "sim"]), default="docker",
              show_default=True, help="Container runtime.")
@click.option("--root-dir", type=click.Path(file_okay=False), default=None,
              help="Where pod volumes live (default: $MINIKUBE_PY_HOME/kubelet/NODE).")
@click.option("--backoff", type=click.FloatRange(min=0.05), default=10.0, show_default=True,
              help="First CrashLoopBackOff delay in seconds.")
@pod_network_option
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def kubelet(kubeconfig_file: str | None, node_name: str, runtime: str, root_dir: str | None,
            backoff: float, pod_network: str, verbose: bool) -> None:
    """Run one node's kubelet in its own process (pods/log and pods/exec do not reach it)."""
    from pathlib import Path

    from minikube_py.config import default_data_dir
    from minikube_py.kubelet.config import KubeletConfig
    from minikube_py.kubelet.kubelet import Kubelet
    from minikube_py.nodes.registration import default_nodes, node_object

    spec = default_nodes()[0]
    node = node_object(type(spec)(node_name, spec.cpu, spec.memory))
    root = Path(root_dir) if root_dir else default_data_dir() / "kubelet" / node_name
    config = KubeletConfig(node=node, root_dir=root.resolve(), runtime=runtime,
                           pod_network=pod_network, backoff=backoff,
                           max_backoff=max(backoff, 300.0))
    _run(kubeconfig_file, verbose, lambda client: Kubelet(client, config))


@click.command("proxy")
@kubeconfig_option
@click.option("--no-service-rules", is_flag=True,
              help="Do not install the iptables rules that make cluster IPs reachable.")
@pod_network_option
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def proxy(kubeconfig_file: str | None, no_service_rules: bool, pod_network: str,
          verbose: bool) -> None:
    """Run the service proxy in its own process against a cluster (start the daemon with
    --without proxy)."""
    from minikube_py.apiserver.allocators import SERVICE_CIDR
    from minikube_py.proxy.proxier import build_proxier

    _run(kubeconfig_file, verbose, lambda client: build_proxier(
        client, service_cidr=str(SERVICE_CIDR), rules=not no_service_rules,
        pod_network=pod_network))
