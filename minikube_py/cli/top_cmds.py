"""``minikube-py top pod|node``: kubectl top over the resource metrics API
(``metrics.k8s.io/v1beta1``, served from the kubelets' usage samples, kubelet/metrics.py).

Columns and units as kubectl prints them: CPU in millicores (``250m``), memory in MiB
(``64Mi``); ``top node`` adds the share of the node's allocatable.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import click

from minikube_py.api.errors import ServiceUnavailable
from minikube_py.api.registry import REGISTRY
from minikube_py.api.validation.names import parse_quantity
from minikube_py.cli.context import CliError, Session, kubeconfig_option, run
from minikube_py.cli.printing import aligned
from minikube_py.cli.resources import namespace_option

POD_METRICS = REGISTRY.require("metrics.k8s.io", "v1beta1", "pods")
NODE_METRICS = REGISTRY.require("metrics.k8s.io", "v1beta1", "nodes")
NODES = REGISTRY.require("", "v1", "nodes")
Object = dict[str, Any]


def _amount(usage: Object, key: str) -> Fraction:
    return parse_quantity(usage.get(key, "0")) or Fraction(0)


def millicores(value: Fraction) -> str:
    return f"{int(value * 1000)}m"


def mebibytes(value: Fraction) -> str:
    return f"{int(value / (1 << 20))}Mi"


async def _metrics(s: Session, rt: Any, namespace: str | None, name: str,
                   selector: str) -> list[Object]:
    try:
        if name:
            return [await s.client.get(rt, name, namespace)]
        return list((await s.client.list(rt, namespace, label_selector=selector))
                    .get("items") or [])
    except ServiceUnavailable:
        raise CliError("Metrics API not available") from None


def pod_rows(items: list[Object], *, containers: bool, all_namespaces: bool) -> list[list[str]]:
    head = (["NAMESPACE"] if all_namespaces else []) + \
        (["POD", "NAME"] if containers else ["NAME"]) + ["CPU(cores)", "MEMORY(bytes)"]
    rows = [head]
    for item in items:
        meta = item["metadata"]
        lead = [meta.get("namespace", "")] if all_namespaces else []
        if containers:
            for c in item.get("containers") or []:
                usage = c.get("usage") or {}
                rows.append([*lead, meta["name"], c["name"], millicores(_amount(usage, "cpu")),
                             mebibytes(_amount(usage, "memory"))])
        else:
            cpu = sum((_amount(c.get("usage") or {}, "cpu")
                       for c in item.get("containers") or []), Fraction(0))
            memory = sum((_amount(c.get("usage") or {}, "memory")
                          for c in item.get("containers") or []), Fraction(0))
            rows.append([*lead, meta["name"], millicores(cpu), mebibytes(memory)])
    return rows


def _percent(used: Fraction, total: Fraction | None) -> str:
    return f"{int(used * 100 / total)}%" if total else "<unknown>"


@click.group()
def top() -> None:
    """Show CPU and memory use of pods or nodes."""


@top.command("pod")
@click.argument("name", required=False, default="")
@click.option("-A", "--all-namespaces", is_flag=True, help="Pods of every namespace.")
@click.option("-l", "--selector", default="", help="Label selector (e.g. app=web).")
@click.option("--containers", is_flag=True, help="One line per container.")
@namespace_option
@kubeconfig_option
def top_pod(name: str, all_namespaces: bool, selector: str, containers: bool,
            namespace: str | None, kubeconfig_file: str | None) -> None:
    """Show CPU and memory use of pods."""

    async def body(s: Session) -> None:
        ns = None if all_namespaces else s.namespace
        items = await _metrics(s, POD_METRICS, ns, name, selector)
        if not items:
            where = "" if all_namespaces else f" in {s.namespace} namespace"
            raise CliError(f"Metrics not available for pod{'s' if not name else ''}"
                           f"{' ' + name if name else ''}{where}")
        items.sort(key=lambda m: (m["metadata"].get("namespace", ""), m["metadata"]["name"]))
        click.echo("\n".join(aligned(pod_rows(
            items, containers=containers, all_namespaces=all_namespaces))))

    run(body, kubeconfig_file=kubeconfig_file, namespace=namespace)


@top.command("node")
@click.argument("name", required=False, default="")
@click.option("-l", "--selector", default="", help="Label selector (e.g. zone=a).")
@kubeconfig_option
def top_node(name: str, selector: str, kubeconfig_file: str | None) -> None:
    """Show CPU and memory use of nodes."""

    async def body(s: Session) -> None:
        items = await _metrics(s, NODE_METRICS, None, name, selector)
        nodes = {n["metadata"]["name"]: n for n in
                 (await s.client.list(NODES, label_selector=selector)).get("items") or []}
        rows = [["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]]
        for item in sorted(items, key=lambda m: m["metadata"]["name"]):
            usage = item.get("usage") or {}
            allocatable = ((nodes.get(item["metadata"]["name"]) or {}).get("status") or {}) \
                .get("allocatable") or {}
            cpu, memory = _amount(usage, "cpu"), _amount(usage, "memory")
            rows.append([item["metadata"]["name"], millicores(cpu),
                         _percent(cpu, parse_quantity(allocatable.get("cpu", "0"))),
                         mebibytes(memory),
                         _percent(memory, parse_quantity(allocatable.get("memory", "0")))])
        if len(rows) == 1:
            raise CliError("metrics not available yet")
        click.echo("\n".join(aligned(rows)))

    run(body, kubeconfig_file=kubeconfig_file)
