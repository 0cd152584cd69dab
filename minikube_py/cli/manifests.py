"""Reading manifests: ``-f FILE|DIR|-``, multi-document YAML or JSON, ``-R`` for sub-dirs.

Every document is checked before anything is sent. As kubectl does, a bad document (one
without ``kind``/``apiVersion`` or a name, a kind the cluster does not serve, a file that is
not YAML) is reported with its file and skipped when the caller collects ``errors`` — the
good documents are still applied, and the command exits 1 at the end; without ``errors``
the first problem stops the command. ``List`` documents are flattened.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from minikube_py.api.registry import REGISTRY, Registry, ResourceType
from minikube_py.cli.context import CliError, fail
from minikube_py.util import jsonutil

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class Manifest:
    source: str
    rt: ResourceType
    obj: dict[str, Any]


def _files(path: str, recursive: bool) -> list[tuple[str, str]]:
    if path == "-":
        return [("<stdin>", sys.stdin.read())]
    p = Path(path)
    if p.is_dir():
        pattern = "**/*" if recursive else "*"
        found = sorted(f for f in p.glob(pattern) if f.is_file() and f.suffix in SUFFIXES)
        return [(str(f), _read(f)) for f in found]
    if not p.exists():
        fail(f'the path "{path}" does not exist')
    return [(str(p), _read(p))]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"error reading {path}: not UTF-8 text")
    except OSError as exc:
        fail(f"error reading {path}: {exc.strerror}")


def load(paths: tuple[str, ...], recursive: bool = False, *,
         errors: list[str] | None = None,
         unknown: list[tuple[str, dict[str, Any]]] | None = None) -> list[Manifest]:
    """The objects of ``paths``; with ``errors``, bad documents are listed there, not fatal;
    with ``unknown``, documents of kinds the built-in registry does not know (custom
    resources) are put there as (source, document), for :func:`resolve` in a session."""
    result: list[Manifest] = []

    def problem(message: str) -> None:
        if errors is None:
            fail(message)
        errors.append(message)

    for path in paths:
        try:
            files = _files(path, recursive)
        except CliError as exc:
            problem(str(exc))
            continue
        for source, text in files:
            try:
                docs = list(yaml.safe_load_all(text))
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" line {mark.line + 1}" if mark is not None else ""
                what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                problem(f"error parsing {source}:{where}: {what}")
                continue
            for doc in docs:
                try:
                    result.extend(_flatten(source, doc, unknown))
                except CliError as exc:
                    problem(str(exc))
    if not result and not errors and not unknown:
        fail("no objects passed to apply")
    return result


def _flatten(source: str, doc: Any,
             unknown: list[tuple[str, dict[str, Any]]] | None = None) -> list[Manifest]:
    if doc is None:
        return []
    if not isinstance(doc, dict):
        fail(f"error validating {source}: a manifest must be a YAML mapping")
    kind, api_version = doc.get("kind"), doc.get("apiVersion")
    if not isinstance(kind, str | None) or not isinstance(api_version, str | None):
        fail(f"error validating data in {source}: kind and apiVersion must be strings")
    if kind and kind.endswith("List") and isinstance(doc.get("items"), list):
        return [m for item in doc["items"] for m in _flatten(source, item, unknown)]
    if not kind or not api_version:
        missing = "kind" if not kind else "apiVersion"
        fail(f'error validating data in {source}: {missing} not set')
    rt = REGISTRY.by_kind(str(api_version), str(kind))
    if rt is None and unknown is not None:
        unknown.append((source, doc))
        return []
    return [_manifest(source, rt, doc)]


def resolve(unknown: list[tuple[str, dict[str, Any]]], served: Registry,
            errors: list[str]) -> list[Manifest]:
    """The documents :func:`load` left for later, by the kinds the cluster serves now."""
    result = []
    for source, doc in unknown:
        try:
            result.append(_manifest(source, served.by_kind(doc["apiVersion"], doc["kind"]),
                                    doc))
        except CliError as exc:
            errors.append(str(exc))
    return result


def _manifest(source: str, rt: ResourceType | None, doc: dict[str, Any]) -> Manifest:
    kind, api_version = doc.get("kind"), doc.get("apiVersion")
    if rt is None:
        fail(f'resource mapping not found for kind "{kind}" in version "{api_version}" '
             f'({source}): ensure CRDs are installed first')
    if not isinstance(doc.get("metadata"), dict) or not (
            doc["metadata"].get("name") or doc["metadata"].get("generateName")):
        fail(f"error validating {source}: {kind} has no metadata.name")
    try:
        jsonutil.dumps(doc)
    except (TypeError, ValueError) as exc:
        fail(f"error converting {source} to JSON: {exc} (map keys must be strings)")
    return Manifest(source, rt, doc)
