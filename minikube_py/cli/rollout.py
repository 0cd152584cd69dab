"""``rollout`` (status, history, undo, restart, pause, resume) and ``wait``, in kubectl's
words, for Deployments (and StatefulSets/DaemonSets where kubectl supports the subcommand).

``rollout status`` prints a line each time the rollout moves (kubectl's status viewers, here
``cli/readiness.py``); ``undo`` puts a former ReplicaSet's template back (without its
pod-template-hash label), as kubectl's rollbacker does; ``restart`` sets the template
annotation ``kubectl.kubernetes.io/restartedAt``.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import click

from minikube_py.api.errors import NotFound
from minikube_py.api.machinery.patch import MERGE
from minikube_py.api.registry import REGISTRY, ResourceType
from minikube_py.cli import readiness
from minikube_py.cli.context import Session, fail, kubeconfig_option, resolve_kind, run
from minikube_py.cli.describers import pod_template, tabbed
from minikube_py.cli.printing import jsonpath, kind_name
from minikube_py.cli.resources import namespace_option
from minikube_py.util import clock

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH = "pod-template-hash"


def _target(kind: str, name: str | None) -> tuple[ResourceType, str]:
    if "/" in kind and name is None:
        kind, name = kind.split("/", 1)
    if not name:
        fail("required resource name not specified")
    rt = resolve_kind(kind)
    if (rt.group, rt.kind) not in (("apps", "Deployment"), ("apps", "StatefulSet"),
                                   ("apps", "DaemonSet")):
        fail(f'no rollout for {rt.kind.lower()}{"." + rt.group if rt.group else ""} "{name}"'
             ": only deployments, statefulsets and daemonsets roll out")
    return rt, name


def _label(rt: ResourceType, name: str) -> str:
    return f"{rt.kind.lower()}{'.' + rt.group if rt.group else ''}/{name}"


@click.group()
def rollout() -> None:
    """Manage the rollout of a Deployment, StatefulSet or DaemonSet."""


def _rollout_command(func: Any) -> Any:
    func = kubeconfig_option(namespace_option(func))
    func = click.argument("name", required=False)(func)
    return click.argument("kind")(func)


@rollout.command("status")
@click.option("--timeout", type=float, default=0.0,
              help="Seconds to wait before giving up (0: wait for good).")
@click.option("-w", "--watch/--no-watch", default=True, show_default=True,
              help="Wait for the rollout to finish; with --no-watch, say where it is once.")
@_rollout_command
def status(kind: str, name: str | None, timeout: float, watch: bool, namespace: str | None,
           kubeconfig_file: str | None) -> None:
    """Show the status of the rollout, until it is done."""
    rt, name = _target(kind, name)
    noun = rt.kind.lower()

    async def body(s: Session) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout if timeout > 0 else None
        last = ""
        while True:
            obj = await s.client.get(rt, name, s.namespace)
            try:
                done, detail = readiness.is_ready(rt.group, rt.kind, obj)
            except readiness.NotReadyForGood:
                fail(f'{noun} "{name}" exceeded its progress deadline')
            if done:
                click.echo(f'{noun} "{name}" successfully rolled out')
                return
            line = f'Waiting for {noun} "{name}" rollout to finish: {detail}...'
            if line != last:
                click.echo(line)
                last = line
            if not watch:
                return
            if deadline is not None and loop.time() > deadline:
                fail("timed out waiting for the condition")
            await asyncio.sleep(0.25)

    run(body, kubeconfig_file=kubeconfig_file, namespace=namespace)


async def _history(s: Session, rt: ResourceType, name: str) -> list[tuple[int, dict[str, Any]]]:
    """(revision, ReplicaSet) of the Deployment's sets, oldest first."""
    deployment = await s.client.get(rt, name, s.namespace)
    sets = REGISTRY.require("apps", "v1", "replicasets")
    uid = deployment["metadata"].get("uid")
    found = []
    for rs in (await s.client.list(sets, s.namespace)).get("items") or []:
        meta = rs.get("metadata") or {}
        if not any(r.get("uid") == uid and r.get("controller")
                   for r in meta.get("ownerReferences") or []):
            continue
        try:
            revision = int((meta.get("annotations") or {}).get(REVISION, ""))
        except ValueError:
            continue
        found.append((revision, rs))
    return sorted(found, key=lambda pair: pair[0])


@rollout.command("history")
@click.option("--revision", type=int, default=0, help="Show the template of this revision.")
@_rollout_command
def history(kind: str, name: str | None, revision: int, namespace: str | None,
            kubeconfig_file: str | None) -> None:
    """Show the revisions of a Deployment and what caused them."""
    rt, name = _target(kind, name)

    async def body(s: Session) -> None:
        found = await _history(s, rt, name)
        if revision:
            match = [rs for rev, rs in found if rev == revision]
            if not match:
                fail(f"unable to find the specified revision {revision}")
            template = (match[0].get("spec") or {}).get("template") or {}
            click.echo(f"{_label(rt, name)} with revision #{revision}")
            click.echo(tabbed(pod_template(template)))
            return
        click.echo(_label(rt, name))
        rows = [("REVISION", "CHANGE-CAUSE")] + [
            (str(rev), ((rs["metadata"].get("annotations") or {}).get(CHANGE_CAUSE)
                        or "<none>")) for rev, rs in found]
        width = max(len(r[0]) for r in rows) + 2
        for rev_text, cause in rows:
            click.echo(f"{rev_text.ljust(max(width, 10))}{cause}")

    run(body, kubeconfig_file=kubeconfig_file, namespace=namespace)


@rollout.command("undo")
@click.option("--to-revision", type=int, default=0,
              help="The revision to go back to (default: the one before the current).")
@_rollout_command
def undo(kind: str, name: str | None, to_revision: int, namespace: str | None,
         kubeconfig_file: str | None) -> None:
    """Roll back to a former revision."""
    rt, name = _target(kind, name)

    async def body(s: Session) -> None:
        found = await _history(s, rt, name)
        if to_revision:
            match = [rs for rev, rs in found if rev == to_revision]
        else:
            match = [rs for _rev, rs in found[-2:-1]]
        if not match:
            fail(f"unable to find specified revision {to_revision} in history"
                 if to_revision else "no rollout history found for " + _label(rt, name))
        template = copy.deepcopy((match[0].get("spec") or {}).get("template") or {})
        (template.get("metadata") or {}).get("labels", {}).pop(HASH, None)
        live = await s.client.get(rt, name, s.namespace)
        if (live.get("spec") or {}).get("template") == template:
            click.echo(f"{_label(rt, name)} skipped rollback (current template already "
                       "matches revision)")
            return
        await s.client.patch(rt, name, {"spec": {"template": template}}, s.namespace,
                             patch_type=MERGE)
        click.echo(f"{_label(rt, name)} rolled back")

    run(body, kubeconfig_file=kubeconfig_file, namespace=namespace)


def _patch_command(command_name: str, verb: str, patch: Any) -> click.Command:
    @rollout.command(command_name)
    @_rollout_command
    def command(kind: str, name: str | None, namespace: str | None,
                kubeconfig_file: str | None) -> None:
        rt, target = _target(kind, name)

        async def body(s: Session) -> None:
            await s.client.patch(rt, target, patch() if callable(patch) else patch,
                                 s.namespace, patch_type=MERGE)
            click.echo(f"{_label(rt, target)} {verb}")

        run(body, kubeconfig_file=kubeconfig_file, namespace=namespace)

    command.help = f"Mark the rollout {verb}."
    return command


restart = _patch_command("restart", "restarted", lambda: {"spec": {"template": {"metadata": {
    "annotations": {"kubectl.kubernetes.io/restartedAt": clock.rfc3339()}}}}})
pause = _patch_command("pause", "paused", {"spec": {"paused": True}})
resume = _patch_command("resume", "resumed", {"spec": {"paused": None}})


@click.command("wait")
@click.argument("target")
@click.option("--for", "condition", required=True,
              help="delete, condition=NAME[=VALUE] or jsonpath={.path}=VALUE.")
@click.option("--timeout", type=float, default=30.0, show_default=True,
              help="Seconds to wait.")
@namespace_option
@kubeconfig_option
def wait(target: str, condition: str, timeout: float, namespace: str | None,
         kubeconfig_file: str | None) -> None:
    """Wait for a condition on an object (kubectl wait)."""
    if "/" not in target:
        fail("wait needs KIND/NAME, e.g. pod/web-1")
    kind, name = target.split("/", 1)
    rt = resolve_kind(kind)

    def met(obj: dict[str, Any]) -> bool:
        if condition.startswith("condition="):
            want = condition.removeprefix("condition=")
            cond_name, _, value = want.partition("=")
            for c in (obj.get("status") or {}).get("conditions") or []:
                if str(c.get("type", "")).lower() == cond_name.lower():
                    return str(c.get("status", "")).lower() == (value or "true").lower()
            return False
        if condition.startswith("jsonpath="):
            path, _, value = condition.removeprefix("jsonpath=").rpartition("=")
            return jsonpath(obj, path) == value
        fail(f'unrecognized condition: "{condition}"')

    if condition != "delete":
        met({})  # refuse an unknown condition before anything is sent

    async def body(s: Session) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        ns = s.namespace if rt.namespaced else None
        while True:
            try:
                obj = await s.client.get(rt, name, ns)
            except NotFound:
                if condition == "delete":
                    click.echo(f"{kind_name(rt, {'metadata': {'name': name}})} condition met")
                    return
                raise
            if condition != "delete" and met(obj):
                click.echo(f"{kind_name(rt, obj)} condition met")
                return
            if loop.time() > deadline:
                fail(f"timed out waiting for the condition on {kind_name(rt, obj)}")
            await asyncio.sleep(0.2)

    run(body, kubeconfig_file=kubeconfig_file, namespace=namespace)
