"""``api-resources`` and ``explain``: what the cluster serves, read from the cluster itself
(discovery and the OpenAPI v3 documents), as kubectl reads them."""

from __future__ import annotations

import textwrap
from typing import Any

import click

from minikube_py.cli.context import Session, fail, kubeconfig_option, resolve_kind, run


@click.command("api-resources")
@click.option("--namespaced", type=bool, default=None, help="Only (non-)namespaced kinds.")
@click.option("-o", "--output", type=click.Choice(["", "wide", "name"]), default="",
              help="wide: more columns; name: group/resource only.")
@kubeconfig_option
def api_resources(namespaced: bool | None, output: str, kubeconfig_file: str | None) -> None:
    """List the resource types the cluster serves."""

    async def body(s: Session) -> None:
        rows: list[list[str]] = []
        paths = ["/api/v1"]
        groups = await s.client.request("GET", "/apis")
        for group in groups.get("groups") or []:
            paths.append(f"/apis/{group['preferredVersion']['groupVersion']}")
        for path in paths:
            listing = await s.client.request("GET", path)
            gv = listing.get("groupVersion", "v1")
            for r in listing.get("resources") or []:
                if "/" in r["name"] or (namespaced is not None and r["namespaced"] != namespaced):
                    continue
                row = [r["name"], ",".join(r.get("shortNames") or []), gv,
                       str(r["namespaced"]).lower(), r["kind"]]
                if output == "wide":
                    row.append(",".join(r.get("verbs") or []))
                rows.append(row)
        rows.sort(key=lambda r: (r[2].split("/")[0] if "/" in r[2] else "", r[0]))
        if output == "name":
            for r in rows:
                group = r[2].split("/")[0] if "/" in r[2] else ""
                click.echo(f"{r[0]}.{group}" if group else r[0])
            return
        header = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
        if output == "wide":
            header.append("VERBS")
        table = [header, *rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(header))]
        for r in table:
            click.echo("   ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip())

    run(body, kubeconfig_file=kubeconfig_file)


@click.command()
@click.argument("target")
@kubeconfig_option
def explain(target: str, kubeconfig_file: str | None) -> None:
    """Describe a kind or one of its fields, e.g. ``deployment.spec.replicas``."""
    kind_name, *path = target.split(".")
    rt = resolve_kind(kind_name)

    async def body(s: Session) -> None:
        index = await s.client.request("GET", "/openapi/v3")
        gv = f"apis/{rt.group}/{rt.version}" if rt.group else f"api/{rt.version}"
        entry = (index.get("paths") or {}).get(gv)
        if entry is None:
            fail(f"the server has no OpenAPI document for {gv}")
        doc = await s.client.request("GET", entry["serverRelativeURL"].split("?")[0])
        schemas = (doc.get("components") or {}).get("schemas") or {}
        name, node = _find_kind(schemas, rt.group, rt.version, rt.kind)
        description = node.get("description", "")
        for i, part in enumerate(path):
            props = _resolve(schemas, node).get("properties") or {}
            if part not in props:
                fail(f'field "{part}" does not exist')
            field = props[part]
            description = field.get("description", "")
            node = _resolve(schemas, field)
            if node.get("type") == "array":
                node = _resolve(schemas, node.get("items") or {})
            name = _type_name(field, schemas) if i == len(path) - 1 else name
        click.echo(f"GROUP:      {rt.group}" if rt.group else "", nl=bool(rt.group))
        click.echo(f"KIND:       {rt.kind}")
        click.echo(f"VERSION:    {rt.version}\n")
        if path:
            click.echo(f"FIELD: {path[-1]} <{name}>\n")
        click.echo("DESCRIPTION:")
        click.echo(textwrap.indent(textwrap.fill(description or "<empty>", 76), "    "))
        props = _resolve(schemas, node).get("properties") or {}
        if props:
            required = set(_resolve(schemas, node).get("required") or [])
            click.echo("    \nFIELDS:")
            for key in sorted(props):
                mark = " -required-" if key in required else ""
                click.echo(f"  {key}\t<{_type_name(props[key], schemas)}>{mark}")
                text = props[key].get("description", "")
                if text:
                    click.echo(textwrap.indent(textwrap.fill(text, 72), "    "))
                click.echo("")

    run(body, kubeconfig_file=kubeconfig_file)


def _find_kind(schemas: dict[str, Any], group: str, version: str,
               kind: str) -> tuple[str, dict[str, Any]]:
    for schema in schemas.values():
        for gvk in schema.get("x-kubernetes-group-version-kind") or []:
            if (gvk.get("group"), gvk.get("version"), gvk.get("kind")) == (group, version, kind):
                return kind, schema
    fail(f"the server has no schema for {kind}")


def _resolve(schemas: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    for _ in range(10):
        ref = node.get("$ref")
        if ref is None and node.get("allOf"):
            ref = node["allOf"][0].get("$ref")
        if ref is None:
            return node
        node = schemas.get(ref.rsplit("/", 1)[-1], {})
    return node


def _type_name(node: dict[str, Any], schemas: dict[str, Any]) -> str:
    ref = node.get("$ref") or ((node.get("allOf") or [{}])[0]).get("$ref")
    if ref:
        return str(ref.rsplit(".", 1)[-1])
    kind = node.get("type", "Object")
    if kind == "array":
        return f"[]{_type_name(node.get('items') or {}, schemas)}"
    if kind == "object" and "additionalProperties" in node:
        return f"map[string]{_type_name(node['additionalProperties'], schemas)}"
    return {"integer": "integer", "string": "string", "boolean": "boolean",
            "number": "number", "object": "Object"}.get(kind, str(kind))
