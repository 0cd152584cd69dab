"""The ``minikube-py`` command: daemon life cycle and kubectl-like object commands."""

from __future__ import annotations

import sys

import click

from minikube_py import __version__
from minikube_py.cli import (
    component_cmds,
    daemon_cmds,
    discovery_cmds,
    edits,
    helptext,
    join_cmd,
    pod_cmds,
    portforward_cmd,
    resources,
    rollout,
    service_cmds,
    token_cmds,
    top_cmds,
)
from minikube_py.cli.context import CliError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="minikube-py")
def cli() -> None:
    """A whole Kubernetes cluster in one Python process, for your laptop."""


for command in (daemon_cmds.up, daemon_cmds.down, daemon_cmds.status, daemon_cmds.snapshot,
                component_cmds.controller_manager, component_cmds.scheduler,
                component_cmds.kubelet, component_cmds.proxy, pod_cmds.logs, pod_cmds.exec_,
                portforward_cmd.port_forward,
                resources.get, resources.apply, resources.delete, resources.describe,
                edits.scale, edits.label, edits.annotate, edits.edit,
                discovery_cmds.api_resources, discovery_cmds.explain,
                rollout.rollout, rollout.wait, service_cmds.service, top_cmds.top,
                token_cmds.token, join_cmd.join):
    cli.add_command(command)
helptext.document(cli)


def main() -> None:
    try:
        cli()
    except CliError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
