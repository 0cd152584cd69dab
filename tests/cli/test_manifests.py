"""Reading manifests: every problem is one CLI error naming the file, before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from minikube_py.cli.context import CliError
from minikube_py.cli.manifests import load


@pytest.mark.parametrize("content, needle", [
    pytest.param(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n", "error parsing",
                 id="bad-yaml"),
    pytest.param(b"apiVersion: v1\nkind: 5\nmetadata: {name: x}\n", "must be strings",
                 id="kind-not-a-string"),
    pytest.param(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {1: a}\n",
                 "map keys must be strings", id="integer-map-key"),
    pytest.param(b"\xff\xfe\x00bad", "not UTF-8", id="not-utf8"),
    pytest.param(b"apiVersion: v1\nkind: ConfigMap\nmetadata: null\n", "no metadata.name",
                 id="metadata-null"),
    pytest.param(b"- a\n- b\n", "must be a YAML mapping", id="not-a-mapping"),
    pytest.param(b"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
                 "resource mapping not found", id="unknown-kind"),
])
def test_bad_manifests(tmp_path: Path, content: bytes, needle: str) -> None:
    """Each kind of bad manifest is refused with a message that names the problem."""
    path = tmp_path / "m.yaml"
    path.write_bytes(content)
    with pytest.raises(CliError, match=needle):
        load((str(path),))


def test_directories_lists_and_multiple_documents(tmp_path: Path) -> None:
    """A directory (recursive with -R), multi-document files and List kinds are flattened."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, "
        "metadata: {name: s}}\n")
    (tmp_path / "sub" / "b.json").write_text(
        '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}')
    (tmp_path / "notes.txt").write_text("ignored")
    flat = [(m.rt.kind, m.obj["metadata"]["name"]) for m in load((str(tmp_path),))]
    assert flat == [("ConfigMap", "a"), ("Secret", "s")]
    deep = [(m.rt.kind, m.obj["metadata"]["name"]) for m in load((str(tmp_path),), True)]
    assert deep == [("ConfigMap", "a"), ("Secret", "s"), ("Deployment", "d")]


def test_collected_errors_skip_bad_documents_and_files(tmp_path: Path) -> None:
    """With an errors list, each bad document or file is one entry and the good ones load."""
    (tmp_path / "a.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n---\n"
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n"
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n")
    (tmp_path / "b.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n")
    errors: list[str] = []
    loaded = load((str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"),
                   str(tmp_path / "missing.yaml")), errors=errors)
    assert [(m.rt.kind, m.obj["metadata"]["name"]) for m in loaded] == [
        ("ConfigMap", "a"), ("Secret", "s")]
    assert len(errors) == 4
    assert "has no metadata.name" in errors[0] and "Widget" in errors[1]
    assert "error parsing" in errors[2] and "does not exist" in errors[3]
