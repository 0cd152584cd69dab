"""``minikube-py token create|list|delete``: bootstrap tokens, as ``kubeadm token`` manages
them (Secrets ``kube-system/bootstrap-token-<id>``, apiserver/bootstraptokens.py).
``create --print-join-command`` prints the ``minikube-py join`` line for another machine,
with the hash of the cluster CA that the joining side checks."""

from __future__ import annotations

import datetime as dt

import click

from minikube_py.api.errors import NotFound
from minikube_py.api.registry import REGISTRY
from minikube_py.apiserver import bootstraptokens as tokens
from minikube_py.cli.context import CliError, Session, kubeconfig_option, kubeconfig_path, run
from minikube_py.cli.printing import aligned
from minikube_py.client import kubeconfig
from minikube_py.client.bootstrap import ca_cert_hash
from minikube_py.util import clock

SECRETS = REGISTRY.require("", "v1", "secrets")


@click.group()
def token() -> None:
    """Manage bootstrap tokens (for `minikube-py join`)."""


@token.command("create")
@click.option("--ttl", default="24h", show_default=True,
              help="How long the token is valid (0: forever).")
@click.option("--description", default="", help="What the token is for.")
@click.option("--print-join-command", is_flag=True,
              help="Print the whole `minikube-py join` command, not only the token.")
@kubeconfig_option
def token_create(ttl: str, description: str, print_join_command: bool,
                 kubeconfig_file: str | None) -> None:
    """Create a bootstrap token."""
    seconds = clock.parse_duration(ttl) if ttl not in ("0", "0s") else 0.0
    if seconds is None:
        raise click.BadParameter(f'invalid duration "{ttl}" (e.g. 1h, 24h, 30m)',
                                 param_hint="--ttl")
    lifetime = dt.timedelta(seconds=seconds) if seconds else None
    value = tokens.new_token()

    async def body(s: Session) -> None:
        await s.client.create(SECRETS, tokens.token_secret(value, ttl=lifetime,
                                                           description=description),
                              tokens.NAMESPACE)
        if not print_join_command:
            click.echo(value)
            return
        try:
            config = kubeconfig.load(kubeconfig_path(kubeconfig_file))
        except kubeconfig.KubeConfigError as exc:
            raise CliError(str(exc)) from exc
        click.echo(f"minikube-py join {config.server} --token {value} --ca-cert-hash "
                   f"{ca_cert_hash(config.ca_pem)}")

    run(body, kubeconfig_file=kubeconfig_file)


@token.command("list")
@kubeconfig_option
def token_list(kubeconfig_file: str | None) -> None:
    """List the bootstrap tokens."""

    async def body(s: Session) -> None:
        listed = await s.client.list(SECRETS, tokens.NAMESPACE,
                                     field_selector=f"type={tokens.SECRET_TYPE}")
        rows = [["TOKEN", "EXPIRES", "DESCRIPTION"]]
        for secret in listed.get("items") or []:
            rows.append([tokens.field(secret, "token-id") + ".<secret>",
                         tokens.field(secret, "expiration") or "<forever>",
                         tokens.field(secret, "description") or "<none>"])
        click.echo("\n".join(aligned(rows)))

    run(body, kubeconfig_file=kubeconfig_file)


@token.command("delete")
@click.argument("token_id")
@kubeconfig_option
def token_delete(token_id: str, kubeconfig_file: str | None) -> None:
    """Delete a bootstrap token (by its id, or the whole token)."""
    token_id = token_id.split(".", 1)[0]

    async def body(s: Session) -> None:
        try:
            await s.client.delete(SECRETS, tokens.PREFIX + token_id, tokens.NAMESPACE)
        except NotFound:
            raise CliError(f'bootstrap token "{token_id}" not found') from None
        click.echo(f'bootstrap token "{token_id}" deleted')

    run(body, kubeconfig_file=kubeconfig_file)
