"""What every CLI command shares: finding the cluster, running a coroutine, reporting errors.

A command body is an async function given a :class:`Session` (client + defaults). Any
``StatusError`` becomes one line in kubectl's words (``Error from server (NotFound): ...``)
and exit code 1; no traceback reaches the user.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from minikube_py.api.errors import StatusError
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.client import kubeconfig
from minikube_py.client.base import Client
from minikube_py.client.http import HttpTransport
from minikube_py.config import default_data_dir

T = TypeVar("T")


class CliError(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


def fail(message: str) -> NoReturn:
    raise CliError(message)


@dataclass
class Session:
    client: Client
    namespace: str


def kubeconfig_path(explicit: str | None, data_dir: str | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("KUBECONFIG")
    if env and not data_dir:
        return Path(env.split(os.pathsep)[0]).expanduser()
    base = Path(data_dir).expanduser() if data_dir else default_data_dir()
    return base / "kubeconfig"


def resolve_kind(name: str) -> ResourceType:
    rt = REGISTRY.resolve(name)
    if rt is None:
        fail(f'the server doesn\'t have a resource type "{name}"')
    return rt


def error_line(err: StatusError) -> str:
    if err.code == 401:
        return "error: You must be logged in to the server (Unauthorized)"
    if err.reason == "ServiceUnavailable" and "the connection to the server" in err.message:
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
        click.echo(error_line(err), err=True)
        sys.exit(1)
    except CliError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
