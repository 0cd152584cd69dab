"""``service NAME [--url]``: where a Service answers from the host (minikube's ``service``).

NodePort and LoadBalancer Services answer on ``127.0.0.1:<nodePort>``; every other Service
with a cluster IP on the port the proxy chose for it, which the proxy publishes on the
Service (annotation ``proxy.minikube-py.io/ports``, see ``proxy/proxier.py``). A fresh
Service may not have it yet: the command waits ``--wait`` seconds for it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import click

from minikube_py.api.errors import NotFound
from minikube_py.cli.context import Session, fail, kubeconfig_option, resolve_kind, run
from minikube_py.cli.resources import namespace_option
from minikube_py.proxy.proxier import port_key, published_ports

NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


def service_urls(service: dict[str, Any], *, scheme: str = "http") -> list[str] | None:
    """The host URLs of a Service's TCP ports, or None while the proxy has not published
    them. Raises CliError for Services the proxy does not serve."""
    spec, meta = service.get("spec") or {}, service.get("metadata") or {}
    where = f"{meta.get('namespace')}/{meta.get('name')}"
    if spec.get("type") == "ExternalName":
        fail(f"service {where} is of type ExternalName ({spec.get('externalName')}): it has "
             "no proxy address")
    if spec.get("clusterIP") == "None":
        fail(f"service {where} is headless (clusterIP: None): it has no proxy address; "
             "reach its pods directly")
    ports = [p for p in spec.get("ports") or [] if (p.get("protocol") or "TCP") == "TCP"]
    if not ports:
        fail(f"service {where} has no TCP ports")
    if spec.get("type") in NODE_PORT_TYPES and all(p.get("nodePort") for p in ports):
        return [f"{scheme}://127.0.0.1:{p['nodePort']}" for p in ports]
    published = published_ports(service)
    if not all(port_key(p) in published for p in ports):
        return None
    return [f"{scheme}://127.0.0.1:{published[port_key(p)]}" for p in ports]


@click.command()
@click.argument("name")
@click.option("--url", is_flag=True, help="Print the URLs only (one per port).")
@click.option("--https", is_flag=True, help="Print https:// URLs.")
@click.option("--wait", "wait_seconds", type=float, default=10.0, show_default=True,
              help="Seconds to wait for the proxy to publish the Service's ports.")
@namespace_option
@kubeconfig_option
def service(name: str, url: bool, https: bool, wait_seconds: float, namespace: str | None,
            kubeconfig_file: str | None) -> None:
    """Print the URLs where a Service answers from this machine."""
    rt = resolve_kind("services")

    async def body(s: Session) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while True:
            try:
                svc = await s.client.get(rt, name, s.namespace)
            except NotFound:
                fail(f'service "{name}" not found in namespace "{s.namespace}"')
            urls = service_urls(svc, scheme="https" if https else "http")
            if urls is not None:
                break
            if loop.time() >= deadline:
                fail(f"service {s.namespace}/{name} has no proxy listener (is the proxy "
                     "running? `minikube-py up` runs it unless --without proxy)")
            await asyncio.sleep(0.2)
        if url:
            for line in urls:
                click.echo(line)
            return
        ports = [p for p in (svc.get("spec") or {}).get("ports") or []
                 if (p.get("protocol") or "TCP") == "TCP"]
        click.echo(f"{'NAMESPACE':<12}{'NAME':<24}{'TARGET PORT':<14}URL")
        for port, line in zip(ports, urls, strict=True):
            target = port.get("name") or port.get("targetPort") or port.get("port")
            click.echo(f"{s.namespace:<12}{name:<24}{target!s:<14}{line}")

    run(body, kubeconfig_file=kubeconfig_file, namespace=namespace)
