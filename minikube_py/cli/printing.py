"""Output as a kubectl user expects it: tables, ``-o yaml|json|name|wide|jsonpath=...``."""

from __future__ import annotations

import json
import re
from typing import Any

import click
import yaml

from minikube_py.api.registry import ResourceType
from minikube_py.cli.context import CliError


def to_yaml(obj: Any) -> str:
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True)


def kind_name(rt: ResourceType, obj: dict[str, Any]) -> str:
    """``deployment.apps/web``: the form of ``-o name`` and of apply's messages."""
    kind = rt.kind.lower() + (f".{rt.group}" if rt.group else "")
    return f"{kind}/{(obj.get('metadata') or {}).get('name', '')}"


def table_lines(table: dict[str, Any], *, wide: bool = False, namespace_column: bool = False,
                show_labels: bool = False, headers: bool = True,
                widths: list[int] | None = None) -> tuple[list[str], list[int]]:
    """Render a server-side Table as kubectl does (3-space gaps, upper-case headers)."""
    columns = table.get("columnDefinitions") or []
    keep = [i for i, c in enumerate(columns) if wide or not c.get("priority")]
    header = [columns[i]["name"].upper() for i in keep]
    rows: list[list[str]] = []
    for row in table.get("rows") or []:
        cells = row.get("cells") or []
        line = [_cell(cells[i]) if i < len(cells) else "" for i in keep]
        meta = (row.get("object") or {}).get("metadata") or {}
        if namespace_column:
            line.insert(0, meta.get("namespace", ""))
        if show_labels:
            labels = meta.get("labels") or {}
            line.append(",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>")
        rows.append(line)
    if namespace_column:
        header.insert(0, "NAMESPACE")
    if show_labels:
        header.append("LABELS")
    all_rows = ([header] if headers else []) + rows
    if widths is None:
        widths = column_widths([header, *rows])
    return aligned(all_rows, widths), widths


def column_widths(rows: list[list[str]]) -> list[int]:
    return [max((len(r[i]) for r in rows if i < len(r)), default=0)
            for i in range(max((len(r) for r in rows), default=0))]


def aligned(rows: list[list[str]], widths: list[int] | None = None) -> list[str]:
    """Columns three spaces apart, the last one unpadded, as kubectl's printers write them."""
    widths = widths if widths is not None else column_widths(rows)
    return ["   ".join(c.ljust(widths[i]) if i < len(r) - 1 else c
                       for i, c in enumerate(r)).rstrip() for r in rows]


def _cell(value: Any) -> str:
    if value is None:
        return "<none>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def echo_object(obj: Any, output: str) -> None:
    if output == "yaml":
        click.echo(to_yaml(obj), nl=False)
    elif output == "json":
        click.echo(json.dumps(obj, indent=4))
    elif output.startswith("jsonpath="):
        click.echo(jsonpath(obj, output[len("jsonpath="):]))
    else:
        raise CliError(f"unknown output format {output!r}")


_TEMPLATE = re.compile(r"\{([^{}]*)\}")


def jsonpath(obj: Any, template: str) -> str:
    """kubectl's JSONPath subset: ``{.a.b}``, ``{.items[*].metadata.name}``, ``{.a[0]}``,
    ``{.a['key.with.dots']}``, ``{range .items[*]}...{end}`` and literal text."""
    template = template.strip("'\"")
    return _render(obj, template)


def _render(obj: Any, template: str) -> str:
    out: list[str] = []
    pos = 0
    while pos < len(template):
        m = _TEMPLATE.search(template, pos)
        if m is None:
            out.append(_unescape(template[pos:]))
            break
        out.append(_unescape(template[pos:m.start()]))
        expr = m.group(1).strip()
        if expr.startswith("range "):
            end = _find_end(template, m.end())
            body = template[m.end():end]
            for item in _select(obj, expr[len("range "):].strip()):
                out.append(_render(item, body))
            pos = end + len("{end}")
            continue
        if len(expr) >= 2 and expr[0] == expr[-1] and expr[0] in "'\"":
            out.append(_unescape(expr[1:-1]))  # {"\n"}: a literal
        else:
            out.append(" ".join(_text(v) for v in _select(obj, expr)))
        pos = m.end()
    return "".join(out)


def _find_end(template: str, start: int) -> int:
    depth = 1
    for m in _TEMPLATE.finditer(template, start):
        expr = m.group(1).strip()
        if expr.startswith("range "):
            depth += 1
        elif expr == "end":
            depth -= 1
            if depth == 0:
                return m.start()
    raise CliError("error parsing jsonpath: unclosed {range}")


def _unescape(text: str) -> str:
    return text.replace("\\n", "\n").replace("\\t", "\t")


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_STEP = re.compile(r"\.\.([A-Za-z0-9_\-/$]+)|\.([A-Za-z0-9_\-/$]+)"
                   r"|\[(\*|-?\d+|'[^']*'|\"[^\"]*\")\]")


def _descend(value: Any, key: str) -> list[Any]:
    """``..key``: every value of ``key`` at any depth, in document order."""
    found: list[Any] = []
    if isinstance(value, dict):
        if key in value:
            found.append(value[key])
        for child in value.values():
            found += _descend(child, key)
    elif isinstance(value, list):
        for child in value:
            found += _descend(child, key)
    return found


def _select(obj: Any, expr: str) -> list[Any]:
    if expr.startswith("$"):
        expr = expr[1:]
    if expr in ("", "."):
        return [obj]
    current = [obj]
    pos = 0
    while pos < len(expr):
        m = _STEP.match(expr, pos)
        if m is None:
            raise CliError(f"error parsing jsonpath: unrecognized expression at {expr[pos:]!r}")
        pos = m.end()
        nxt: list[Any] = []
        if m.group(1) is not None:
            for c in current:
                nxt += _descend(c, m.group(1))
        elif m.group(2) is not None:
            for c in current:
                if isinstance(c, dict) and m.group(2) in c:
                    nxt.append(c[m.group(2)])
        else:
            sel = m.group(3)
            for c in current:
                if sel == "*":
                    nxt.extend(c.values() if isinstance(c, dict) else c or [])
                elif sel[0] in "'\"":
                    if isinstance(c, dict) and sel[1:-1] in c:
                        nxt.append(c[sel[1:-1]])
                elif isinstance(c, list):
                    i = int(sel)
                    if -len(c) <= i < len(c):
                        nxt.append(c[i])
        current = nxt
    return current
