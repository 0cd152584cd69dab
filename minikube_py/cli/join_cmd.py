"""``minikube-py join https://APISERVER --token T --ca-cert-hash sha256:H``: run this
machine's kubelet as a node of a cluster elsewhere (kubeadm join's shape).

The CA is found and checked (client/bootstrap.py), the node's client certificate asked for
with the bootstrap token and issued by the cluster's csrsigning controller, written with its
key into ``DATA_DIR/kubelet.kubeconfig`` (a later ``join`` with that file present starts
with it, without the token), and the kubelet runs as ``system:node:<name>`` until stopped.
Only the kubelet runs here: Services' proxy stays with the daemon (see docs/ARCHITECTURE.md
on what the network between the machines must provide).
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import click

from minikube_py.api import podnetwork
from minikube_py.cli.component_cmds import _run, pod_network_option
from minikube_py.cli.context import fail
from minikube_py.client import kubeconfig
from minikube_py.client.bootstrap import BootstrapError, discover, request_client_certificate


@click.command()
@click.argument("server")
@click.option("--token", "bootstrap_token", required=True, help="A bootstrap token "
              "(minikube-py token create on the cluster).")
@click.option("--ca-cert-hash", required=True, metavar="sha256:HEX",
              help="The hash of the cluster CA's public key, to trust it.")
@click.option("--node-name", default=socket.gethostname(), show_default=True,
              help="The name this node registers as.")
@click.option("--runtime", type=click.Choice(["docker", "sim"]), default="docker",
              show_default=True, help="Container runtime.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Where the node's credentials and pod volumes live "
                   "(default: $MINIKUBE_PY_HOME/join/NODE).")
@pod_network_option
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def join(server: str, bootstrap_token: str, ca_cert_hash: str, node_name: str, runtime: str,
         data_dir: str | None, pod_network: str, verbose: bool) -> None:
    """Join this machine to a cluster as a node (kubelet)."""
    from minikube_py.config import default_data_dir
    from minikube_py.kubelet.config import KubeletConfig
    from minikube_py.kubelet.kubelet import Kubelet
    from minikube_py.nodes.registration import default_nodes, node_object

    if not server.startswith("https://"):
        server = f"https://{server}"
    root = Path(data_dir) if data_dir else default_data_dir() / "join" / node_name
    root.mkdir(parents=True, exist_ok=True)
    credentials = root / "kubelet.kubeconfig"
    if not credentials.exists():
        async def bootstrap() -> None:
            ca_pem = await discover(server, ca_cert_hash)
            issued = await request_client_certificate(server, ca_pem, bootstrap_token,
                                                      node_name)
            kubeconfig.write(credentials, server=server, ca_pem=ca_pem,
                             client_cert_pem=issued.cert_pem, client_key_pem=issued.key_pem)

        try:
            asyncio.run(bootstrap())
        except BootstrapError as exc:
            fail(str(exc))
        click.echo(f"node {node_name}: client certificate issued; credentials in "
                   f"{credentials}")
    spec = default_nodes()[0]
    node = node_object(type(spec)(node_name, spec.cpu, spec.memory))
    config = KubeletConfig(node=node, root_dir=(root / "kubelet").resolve(), runtime=runtime,
                           pod_network=pod_network or podnetwork.DEFAULT)
    _run(str(credentials), verbose, lambda client: Kubelet(client, config))
