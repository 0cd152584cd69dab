"""The commands that read and write objects: get, describe, apply, delete.

Each command resolves kind names through the registry (``po``, ``deploy``,
``deployments.apps``), talks to the daemon over HTTPS, and prints what kubectl prints.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from minikube_py.api.errors import NotFound, StatusError
from minikube_py.api.registry import ResourceType
from minikube_py.cli import manifests, readiness
from minikube_py.cli.apply import apply_one
from minikube_py.cli.context import Session, fail, kubeconfig_option, resolve_kind, run
from minikube_py.cli.describe import describe_object
from minikube_py.cli.printing import echo_object, kind_name, table_lines
from minikube_py.cli.progress import Progress
from minikube_py.client.customresources import one_version_each

TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

namespace_option = click.option("-n", "--namespace", default=None,
                                help="Namespace (default: default).")


OUTPUTS = ("", "wide", "yaml", "json", "name")


def check_output(output: str) -> None:
    """Refuse an unknown ``-o`` before anything is sent, in kubectl's words."""
    if output not in OUTPUTS and not output.startswith("jsonpath="):
        fail(f'unable to match a printer suitable for the output format "{output}", allowed '
             'formats are: json,jsonpath,name,wide,yaml')


async def _kinds(s: Session, spec: str) -> list[ResourceType]:
    result: list[ResourceType] = []
    for part in spec.split(","):
        if part == "all":
            served = await s.served()
            result.extend(rt for rt in one_version_each(list(served)) if "all" in rt.categories)
        else:
            result.append(await s.resolve_kind(part))
    return result


def _split_targets(args: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """``pods a b`` / ``pods/a deploy/b`` / ``deploy,svc`` -> (kinds, names) groups; the kinds
    are resolved in the session (custom resources through the cluster's discovery)."""
    if not args:
        fail("you must specify the type of resource to get")
    if all("/" in a for a in args):
        return [(a.split("/", 1)[0], [a.split("/", 1)[1]]) for a in args]
    return [(args[0], list(args[1:]))]


async def _resolved(s: Session, groups: list[tuple[str, list[str]]]
                    ) -> list[tuple[list[ResourceType], list[str]]]:
    return [(await _kinds(s, spec), names) for spec, names in groups]


@click.command()
@click.argument("args", nargs=-1, required=True)
@namespace_option
@click.option("-A", "--all-namespaces", is_flag=True, help="List across all namespaces.")
@click.option("-l", "--selector", default="", help="Label selector, e.g. app=web.")
@click.option("--field-selector", default="", help="Field selector, e.g. status.phase=Running.")
@click.option("-o", "--output", default="", help="wide|yaml|json|name|jsonpath=TEMPLATE")
@click.option("-w", "--watch", is_flag=True, help="After listing, watch for changes.")
@click.option("--show-labels", is_flag=True, help="Show labels as the last column.")
@kubeconfig_option
def get(args: tuple[str, ...], namespace: str | None, all_namespaces: bool, selector: str,
        field_selector: str, output: str, watch: bool, show_labels: bool,
        kubeconfig_file: str | None) -> None:
    """Display one or many resources."""
    check_output(output)
    groups = _split_targets(args)
    run(_get, groups, all_namespaces, selector, field_selector, output, watch, show_labels,
        kubeconfig_file=kubeconfig_file, namespace=namespace)


async def _get(s: Session, targets: list[tuple[str, list[str]]], all_ns: bool,
               selector: str, field_selector: str, output: str, watch: bool,
               show_labels: bool) -> None:
    groups = await _resolved(s, targets)
    tabular = output in ("", "wide")
    multi = sum(len(kinds) for kinds, _ in groups) > 1
    printed = 0
    collected: list[dict[str, Any]] = []
    for kinds, names in groups:
        for rt in kinds:
            ns = None if (all_ns or not rt.namespaced) else s.namespace
            accept = TABLE_ACCEPT if tabular else "application/json"
            if names:
                for name in names:
                    obj = await s.client.request("GET", rt.path(ns, name), accept=accept)
                    printed += _emit(rt, obj, output, multi, all_ns and rt.namespaced,
                                     show_labels, collected, printed == 0)
            else:
                query = {k: v for k, v in (("labelSelector", selector),
                                           ("fieldSelector", field_selector)) if v}
                listing = await s.client.request("GET", rt.path(ns), query=query,
                                                 accept=accept)
                printed += _emit(rt, listing, output, multi, all_ns and rt.namespaced,
                                 show_labels, collected, printed == 0)
                if watch and not multi:
                    await _watch(s, rt, ns, query, listing, output, all_ns, show_labels)
    if not tabular and output != "name":
        if len(collected) == 1 and not _was_list(groups):
            echo_object(collected[0], output)
        elif collected or output:
            echo_object({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
                         "items": collected}, output)
    if printed == 0 and tabular:
        where = "" if all_ns else f" in {s.namespace} namespace"
        click.echo(f"No resources found{where}.", err=True)


def _was_list(groups: list[tuple[list[ResourceType], list[str]]]) -> bool:
    return any(not names for _, names in groups) or sum(len(n) for _, n in groups) > 1


def _emit(rt: ResourceType, answer: dict[str, Any], output: str, multi: bool, ns_col: bool,
          show_labels: bool, collected: list[dict[str, Any]], first: bool) -> int:
    if output in ("", "wide"):
        if not answer.get("rows"):
            return 0
        if multi:
            prefix = rt.kind.lower() + (f".{rt.group}" if rt.group else "") + "/"
            for row in answer["rows"]:
                row["cells"][0] = prefix + str(row["cells"][0])
        lines, _ = table_lines(answer, wide=output == "wide", namespace_column=ns_col,
                               show_labels=show_labels)
        if not first:
            click.echo("")
        click.echo("\n".join(lines))
        return len(answer["rows"])
    items = answer.get("items") if "items" in answer else [answer]
    for item in items or []:
        item.setdefault("kind", rt.kind)
        item.setdefault("apiVersion", rt.api_version)
        if output == "name":
            click.echo(kind_name(rt, item))
        collected.append(item)
    return len(items or [])


async def _watch(s: Session, rt: ResourceType, ns: str | None, query: dict[str, str],
                 listing: dict[str, Any], output: str, all_ns: bool, show_labels: bool) -> None:
    rv = (listing.get("metadata") or {}).get("resourceVersion", "")
    tabular = output in ("", "wide")
    widths = None
    if tabular and listing.get("rows"):
        _, widths = table_lines(listing, wide=output == "wide",
                                namespace_column=all_ns and rt.namespaced,
                                show_labels=show_labels)
    columns = listing.get("columnDefinitions") if tabular else None
    async for event in s.client.watch(rt, ns, resource_version=rv,
                                      label_selector=query.get("labelSelector", ""),
                                      field_selector=query.get("fieldSelector", ""),
                                      accept=TABLE_ACCEPT if tabular else "application/json"):
        if event.get("type") in ("BOOKMARK",):
            continue
        if event.get("type") == "ERROR":
            fail((event.get("object") or {}).get("message", "watch failed"))
        obj = event.get("object") or {}
        if tabular:
            if obj.get("columnDefinitions"):
                columns = obj["columnDefinitions"]
            obj["columnDefinitions"] = columns or []
            lines, widths = table_lines(obj, wide=output == "wide",
                                        namespace_column=all_ns and rt.namespaced,
                                        show_labels=show_labels, headers=widths is None,
                                        widths=widths)
            click.echo("\n".join(lines))
        elif output == "name":
            click.echo(kind_name(rt, obj))
        else:
            echo_object(obj, output)
        sys.stdout.flush()


@click.command()
@click.option("-f", "--filename", "files", multiple=True, required=True,
              help="File, directory or - for stdin.")
@click.option("-R", "--recursive", is_flag=True, help="Walk directories recursively.")
@click.option("--wait", is_flag=True,
              help="Then wait until each object is ready (rolled out, pods Ready, jobs done).")
@click.option("--timeout", type=float, default=300.0, show_default=True,
              help="Seconds --wait waits in all.")
@namespace_option
@kubeconfig_option
def apply(files: tuple[str, ...], recursive: bool, wait: bool, timeout: float,
          namespace: str | None, kubeconfig_file: str | None) -> None:
    """Create or update objects from manifests (client-side apply).

    As kubectl: every good object is applied; each bad one is reported at the end, and then
    the command exits 1. With --wait, each applied object is then waited for, as kubectl
    rollout status and kubectl wait judge readiness."""
    problems: list[str] = []
    unknown: list[tuple[str, dict[str, Any]]] = []
    loaded = manifests.load(files, recursive, errors=problems, unknown=unknown)

    async def body(s: Session) -> list[str]:
        refused: list[str] = []
        applied: list[tuple[ResourceType, str | None, str]] = []
        if unknown:  # custom resources: by the kinds the cluster serves
            loaded.extend(manifests.resolve(unknown, await s.served(), problems))
        for m in loaded:
            try:
                outcome = await apply_one(s.client, m, s.namespace)
            except StatusError as err:
                if err.reason == "ServiceUnavailable":
                    raise  # the cluster, not this object: stop here
                refused.append(f"Error from server ({err.reason}): error when applying "
                               f'"{m.source}": {err.message}')
                continue
            click.echo(f"{kind_name(m.rt, m.obj)} {outcome}")
            ns = (m.obj["metadata"].get("namespace") or s.namespace) if m.rt.namespaced \
                else None
            applied.append((m.rt, ns, m.obj["metadata"]["name"]))
        if wait:
            await _wait_ready(s, applied, timeout)
        return refused

    refused = run(body, kubeconfig_file=kubeconfig_file, namespace=namespace) \
        if loaded or unknown else []
    for line in [f"error: {p}" for p in problems] + refused:
        click.echo(line, err=True)
    if problems or refused:
        sys.exit(1)


@click.command()
@click.argument("args", nargs=-1)
@click.option("-f", "--filename", "files", multiple=True, help="Delete what these files define.")
@click.option("-R", "--recursive", is_flag=True,
              help="Also read the files of sub-directories of -f DIR.")
@namespace_option
@click.option("-l", "--selector", default="", help="Delete all objects matching the selector.")
@click.option("--all", "all_", is_flag=True, help="Delete all objects of the kind.")
@click.option("--cascade", type=click.Choice(["background", "foreground", "orphan"]),
              default="background", show_default=True,
              help="What happens to dependents: deleted after (background) or before "
                   "(foreground) the owner, or kept (orphan).")
@click.option("--grace-period", type=int, default=None,
              help="Seconds a pod gets to stop (0: at once).")
@click.option("--ignore-not-found", is_flag=True,
              help="Say nothing of objects that do not exist.")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Wait until the objects are gone.")
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds --wait waits for the objects to be gone.")
@kubeconfig_option
def delete(args: tuple[str, ...], files: tuple[str, ...], recursive: bool,
           namespace: str | None, selector: str, all_: bool, cascade: str,
           grace_period: int | None, ignore_not_found: bool, wait: bool, timeout: float,
           kubeconfig_file: str | None) -> None:
    """Delete objects by file, by kind and name, or by selector."""
    targets: list[tuple[ResourceType, str | None, str]] = []
    if files:
        for m in manifests.load(files, recursive):
            ns = (m.obj["metadata"].get("namespace") or namespace or "default") \
                if m.rt.namespaced else None
            targets.append((m.rt, ns, m.obj["metadata"]["name"]))
    elif not args:
        fail("you must provide one or more resources by argument or filename")
    policy = cascade.capitalize()

    async def body(s: Session) -> None:
        todo = list(targets)
        if args:
            for kinds, names in await _resolved(s, _split_targets(args)):
                for rt in kinds:
                    ns = s.namespace if rt.namespaced else None
                    if names:
                        todo += [(rt, ns, n) for n in names]
                    elif selector or all_:
                        listing = await s.client.list(rt, ns, label_selector=selector)
                        todo += [(rt, ns, i["metadata"]["name"]) for i in listing["items"]]
                    else:
                        fail("resource(s) were provided, but no name was specified")
        gone: list[tuple[ResourceType, str | None, str]] = []
        for rt, ns, name in todo:
            try:
                await s.client.delete(rt, name, ns, propagation_policy=policy,
                                      grace_period_seconds=grace_period)
            except NotFound:
                if ignore_not_found or files:
                    if not ignore_not_found:
                        click.echo(f'Error from server (NotFound): {rt.group_resource} '
                                   f'"{name}" not found', err=True)
                    continue
                raise
            click.echo(f'{rt.kind.lower()}{"." + rt.group if rt.group else ""} "{name}" '
                       "deleted")
            gone.append((rt, ns, name))
        if wait:
            await _wait_gone(s, gone, timeout)

    run(body, kubeconfig_file=kubeconfig_file, namespace=namespace)


async def _wait_gone(s: Session, objs: list[tuple[ResourceType, str | None, str]],
                     limit: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    progress = Progress()
    for rt, ns, name in objs:
        progress.start(f'waiting for {rt.group_resource} "{name}" to be deleted')
        while True:
            try:
                await s.client.get(rt, name, ns)
            except NotFound:
                break
            if loop.time() > deadline:
                progress.done("timed out")
                fail(f'timed out waiting for {rt.group_resource} "{name}" to be deleted')
            progress.tick()
            await asyncio.sleep(0.2)
        progress.done("deleted")


async def _wait_ready(s: Session, objs: list[tuple[ResourceType, str | None, str]],
                      limit: float) -> None:
    """Each object ready in turn (readiness.py), with progress; fail at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    progress = Progress()
    for rt, ns, name in objs:
        label = f"{rt.kind.lower()}{'.' + rt.group if rt.group else ''}/{name}"
        progress.start(f"waiting for {label}")
        while True:
            obj = await s.client.get(rt, name, ns)
            try:
                ready, detail = readiness.is_ready(rt.group, rt.kind, obj)
            except readiness.NotReadyForGood as why:
                progress.done("failed")
                fail(f"{label} will not be ready: {why}")
            if ready:
                progress.done(detail)
                break
            if loop.time() > deadline:
                progress.done("timed out")
                fail(f"timed out waiting for {label}: {detail}")
            progress.tick(detail)
            await asyncio.sleep(0.25)


@click.command()
@click.argument("kind")
@click.argument("names", nargs=-1)
@namespace_option
@click.option("-l", "--selector", default="", help="Describe the objects matching this selector.")
@kubeconfig_option
def describe(kind: str, names: tuple[str, ...], namespace: str | None, selector: str,
             kubeconfig_file: str | None) -> None:
    """Show details of objects, with their events."""
    rt = resolve_kind(kind)

    async def body(s: Session) -> None:
        ns = s.namespace if rt.namespaced else None
        if names:
            objs = [await s.client.get(rt, n, ns) for n in names]
        else:
            objs = (await s.client.list(rt, ns, label_selector=selector))["items"]
        for i, obj in enumerate(objs):
            if i:
                click.echo("\n")
            click.echo(await describe_object(s.client, rt, obj))

    run(body, kubeconfig_file=kubeconfig_file, namespace=namespace)
