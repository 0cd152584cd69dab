"""Commands that change one aspect of an object: scale, label, annotate, edit.

Each sends the smallest write kubectl would (a merge patch, or a PUT after ``edit``) and
prints kubectl's one-line outcome (``deployment.apps/web scaled``).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import click
import yaml

from minikube_py.api.machinery.patch import MERGE
from minikube_py.cli.context import Session, fail, kubeconfig_option, resolve_kind, run
from minikube_py.cli.printing import kind_name, to_yaml
from minikube_py.cli.resources import namespace_option


def _target(kind: str, name: str | None) -> tuple[str, str]:
    if name is None:
        if "/" not in kind:
            fail("you must specify a resource name, e.g. deployment/web")
        kind, name = kind.split("/", 1)
    return kind, name


@click.command()
@click.argument("kind")
@click.argument("name", required=False)
@click.option("--replicas", type=int, required=True, help="The new desired replicas.")
@click.option("--current-replicas", type=int, default=None,
              help="Only scale if the current replicas are this many.")
@namespace_option
@kubeconfig_option
def scale(kind: str, name: str | None, replicas: int, current_replicas: int | None,
          namespace: str | None, kubeconfig_file: str | None) -> None:
    """Set the replicas of a Deployment, ReplicaSet or StatefulSet."""
    kind, name = _target(kind, name)
    rt = resolve_kind(kind)
    if "scale" not in rt.subresources:
        fail(f"{rt.group_resource} cannot be scaled")
    if replicas < 0:
        fail("The --replicas=COUNT flag is required, and COUNT must be greater than or equal "
             "to 0")

    async def body(s: Session) -> None:
        ns = s.namespace if rt.namespaced else None
        if current_replicas is not None:
            current = await s.client.get(rt, name, ns, subresource="scale")
            if current["spec"].get("replicas", 0) != current_replicas:
                fail(f"Expected replicas to be {current_replicas}, was "
                     f"{current['spec'].get('replicas', 0)}")
            current["spec"]["replicas"] = replicas
            await s.client.update(rt, current, subresource="scale")
        else:
            await s.client.patch(rt, name, {"spec": {"replicas": replicas}}, ns,
                                 subresource="scale", field_manager="minikube-py-scale")
        click.echo(f"{kind_name(rt, {'metadata': {'name': name}})} scaled")

    run(body, kubeconfig_file=kubeconfig_file, namespace=namespace)


def _pairs(items: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    sets: dict[str, str] = {}
    removes: list[str] = []
    for item in items:
        if item.endswith("-") and "=" not in item:
            removes.append(item[:-1])
        elif "=" in item:
            key, value = item.split("=", 1)
            sets[key] = value
        else:
            fail(f"invalid argument {item!r}: use key=value to set or key- to remove")
    return sets, removes


def _meta_command(name_: str, field: str, verb: str) -> click.Command:
    @click.command(name=name_)
    @click.argument("kind")
    @click.argument("args", nargs=-1, required=True)
    @click.option("--overwrite", is_flag=True, help="Allow changing existing values.")
    @namespace_option
    @kubeconfig_option
    def command(kind: str, args: tuple[str, ...], overwrite: bool, namespace: str | None,
                kubeconfig_file: str | None) -> None:
        name: str | None = None
        if "/" in kind:
            kind, name = kind.split("/", 1)
        elif args and "=" not in args[0] and not args[0].endswith("-"):
            name, args = args[0], args[1:]
        if not name:
            fail("you must specify a resource name")
        rt = resolve_kind(kind)
        sets, removes = _pairs(args)

        async def body(s: Session) -> None:
            ns = s.namespace if rt.namespaced else None
            live = await s.client.get(rt, name, ns)
            current: dict[str, str] = (live.get("metadata") or {}).get(field) or {}
            for key, value in sets.items():
                if key in current and current[key] != value and not overwrite:
                    fail(f"'{key}' already has a value ({current[key]}), and --overwrite is "
                         "false")
            change: dict[str, Any] = dict(sets)
            change.update({key: None for key in removes})
            patch = {"metadata": {field: change,
                                  "resourceVersion": live["metadata"]["resourceVersion"]}}
            await s.client.patch(rt, name, patch, ns, patch_type=MERGE)
            click.echo(f"{kind_name(rt, live)} {verb}")

        run(body, kubeconfig_file=kubeconfig_file, namespace=namespace)

    command.help = f"Update the {field} of an object (key=value to set, key- to remove)."
    return command


label = _meta_command("label", "labels", "labeled")
annotate = _meta_command("annotate", "annotations", "annotated")


@click.command()
@click.argument("kind")
@click.argument("name", required=False)
@namespace_option
@kubeconfig_option
def edit(kind: str, name: str | None, namespace: str | None,
         kubeconfig_file: str | None) -> None:
    """Edit an object in $EDITOR and replace it with the result."""
    kind, name = _target(kind, name)
    rt = resolve_kind(kind)

    async def fetch(s: Session) -> dict[str, Any]:
        return await s.client.get(rt, name, s.namespace if rt.namespaced else None)

    live = run(fetch, kubeconfig_file=kubeconfig_file, namespace=namespace)
    original = to_yaml(live)
    edited = _edit_text(original)
    if edited.strip() == original.strip():
        click.echo("Edit cancelled, no changes made.")
        return
    try:
        obj = yaml.safe_load(edited)
    except yaml.YAMLError as exc:
        fail(f"the edited file is not valid YAML: {str(exc).splitlines()[0]}")
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict) or \
            not obj["metadata"].get("name"):
        fail("the edited file must hold one object with metadata.name")
    if rt.namespaced:
        obj["metadata"].setdefault("namespace", live["metadata"].get("namespace"))

    async def replace(s: Session) -> None:
        await s.client.update(rt, obj)
        click.echo(f"{kind_name(rt, live)} edited")

    run(replace, kubeconfig_file=kubeconfig_file, namespace=namespace)


def _edit_text(text: str) -> str:
    editor = os.environ.get("KUBE_EDITOR") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
        path = Path(f.name)
    try:
        result = subprocess.run([*shlex.split(editor), str(path)], check=False)
        if result.returncode != 0:
            fail(f"editor {editor!r} exited with code {result.returncode}")
        return path.read_text()
    finally:
        path.unlink(missing_ok=True)
