"""What every CLI command shares: finding the cluster, running a coroutine, reporting errors.

A command body is an async function given a :class:`Session` (client + defaults). Any
``StatusError`` becomes one line in kubectl's words (``Error from server (NotFound): ...``)
and exit code 1; no traceback reaches the user.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from minikube_py import datadir
from minikube_py.api.errors import StatusError
from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.client import kubeconfig
from minikube_py.client.base import Client
from minikube_py.client.discovery import served_types
from minikube_py.client.http import HttpTransport

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class CliError(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


def fail(message: str) -> NoReturn:
    raise CliError(message)


@dataclass
class Session:
    client: Client
    namespace: str
    _served: Registry | None = None

    async def served(self) -> Registry:
        """Every resource the cluster serves (custom ones too), read once per command."""
        if self._served is None:
            self._served = await served_types(self.client)
        return self._served

    async def resolve_kind(self, name: str) -> ResourceType:
        """:func:`resolve_kind`, falling back to the cluster's discovery for names the
        built-in registry does not know (custom resources)."""
        rt = REGISTRY.resolve(name) or (await self.served()).resolve(name)
        if rt is None:
            fail(f'the server doesn\'t have a resource type "{name}"')
        return rt


DATA_DIR_HELP = ("The cluster's data dir (default: the cluster the last `up` started while "
                 "it runs, else $MINIKUBE_PY_HOME or ~/.minikube-py).")


def _remember_data_dir(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta["minikube_py.data_dir"] = value


def kubeconfig_option(func: F) -> F:
    """``--kubeconfig`` and ``--data-dir``: how every API command chooses its cluster, in the
    order of :mod:`minikube_py.datadir` (the data dir reaches :func:`run` by the context)."""
    func = click.option("--data-dir", type=click.Path(file_okay=False), expose_value=False,
                        callback=_remember_data_dir, help=DATA_DIR_HELP)(func)
    return click.option("--kubeconfig", "kubeconfig_file", type=click.Path(dir_okay=False),
                        default=None,
                        help="Kubeconfig of the cluster (default: --data-dir's, else "
                             "$KUBECONFIG's first file, else the current cluster's).")(func)


def kubeconfig_path(explicit: str | None, data_dir: str | None = None) -> Path:
    """The kubeconfig a command means (see :mod:`minikube_py.datadir` for the order)."""
    if data_dir is None:
        ctx = click.get_current_context(silent=True)
        data_dir = ctx.meta.get("minikube_py.data_dir") if ctx is not None else None
    return datadir.kubeconfig_path(explicit, data_dir)


def resolve_kind(name: str) -> ResourceType:
    rt = REGISTRY.resolve(name)
    if rt is None:
        fail(f'the server doesn\'t have a resource type "{name}"')
    return rt


def error_line(err: StatusError) -> str:
    if err.code == 401:
        return "error: You must be logged in to the server (Unauthorized)"
    if err.reason == "ServiceUnavailable" and err.message.startswith(
            ("the connection to the server", "unable to connect to the server")):
        return err.message
    return f"Error from server ({err.reason}): {err.message}"


def run(body: Callable[..., Awaitable[T]], *args: Any, kubeconfig_file: str | None = None,
        namespace: str | None = None, **kwargs: Any) -> T:
    """Run ``body(session, *args, **kwargs)`` against the cluster; exit 1 on any error."""

    async def main() -> T:
        try:
            config = kubeconfig.load(kubeconfig_path(kubeconfig_file))
        except kubeconfig.KubeConfigError as exc:
            raise CliError(str(exc)) from exc
        client = Client(HttpTransport(config))
        try:
            return await body(Session(client, namespace or "default"), *args, **kwargs)
        finally:
            await client.close()

    try:
        return asyncio.run(main())
    except StatusError as err:
        line = error_line(err)
        if err.code == 401:
            line += (f": the token of {kubeconfig_path(kubeconfig_file)} (users[].user.token) "
                     "was refused - is it this cluster's kubeconfig?")
        click.echo(line, err=True)
        sys.exit(1)
    except CliError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
