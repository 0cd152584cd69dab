"""Every command's help, as a new user reads it: a one-line summary that fits the command
list, named arguments, a description for every option, and examples in kubectl's style."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from minikube_py.cli.main import cli


def commands(group: click.Group = cli, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix}{name} ")
    return found


ALL = commands()


@pytest.mark.parametrize(("name", "command"), ALL, ids=[n for n, _ in ALL])
def test_a_summary_that_fits_the_list(name: str, command: click.Command) -> None:
    summary = command.get_short_help_str(limit=55)
    assert command.short_help, f"{name}: no short_help (click would cut the docstring)"
    assert summary == command.short_help and len(summary) <= 55, summary
    assert not summary.endswith(("...", "e.g.", ",")), summary


@pytest.mark.parametrize(("name", "command"), ALL, ids=[n for n, _ in ALL])
def test_every_option_says_what_it_does(name: str, command: click.Command) -> None:
    for param in command.params:
        if isinstance(param, click.Option) and "--help" not in param.opts:
            assert param.help, f"{name} {param.opts[0]} has no help"


@pytest.mark.parametrize(("name", "command"), ALL, ids=[n for n, _ in ALL])
def test_examples_and_named_arguments(name: str, command: click.Command) -> None:
    result = CliRunner().invoke(cli, [*name.split(), "--help"], prog_name="minikube-py")
    assert result.exit_code == 0, result.output
    if not isinstance(command, click.Group):
        assert "Examples:" in result.output, f"{name} --help has no examples"
        assert "minikube-py " + name in result.output.split("Examples:")[1]
        usage = result.output.splitlines()[0]
        assert "ARGS" not in usage, usage


def test_get_says_which_cluster_and_how_to_name_things() -> None:
    result = CliRunner().invoke(cli, ["get", "--help"], prog_name="minikube-py")
    assert result.output.startswith("Usage: minikube-py get [OPTIONS] KIND[,KIND...] [NAME]...")
    assert "$KUBECONFIG" in result.output
