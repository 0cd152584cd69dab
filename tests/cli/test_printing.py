"""kubectl's output helpers: JSONPath templates and table layout."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.cli.context import CliError
from minikube_py.cli.printing import jsonpath, table_lines

LIST: dict[str, Any] = {"kind": "List", "items": [
    {"metadata": {"name": "a", "labels": {"app.kubernetes.io/name": "web"}},
     "spec": {"replicas": 2}},
    {"metadata": {"name": "b"}, "spec": {"replicas": 0}}]}


@pytest.mark.parametrize("template, expected", [
    pytest.param("{.items[*].metadata.name}", "a b", id="wildcard"),
    pytest.param("{.items[0].spec.replicas}", "2", id="index"),
    pytest.param("{.items[-1].metadata.name}", "b", id="negative-index"),
    pytest.param("{..name}", "a b", id="recursive-descent"),
    pytest.param("{.items[0].metadata.labels['app.kubernetes.io/name']}", "web",
                 id="quoted-key-with-dots"),
    pytest.param('{range .items[*]}{.metadata.name}={.spec.replicas}{"\\n"}{end}',
                 "a=2\nb=0\n", id="range-with-literal"),
    pytest.param("name: {.items[1].metadata.name}", "name: b", id="text-around"),
    pytest.param("{.items[5].metadata.name}", "", id="missing-is-empty"),
    pytest.param("'{.kind}'", "List", id="shell-quotes-stripped"),
])
def test_jsonpath(template: str, expected: str) -> None:
    """Each JSONPath form kubectl users write selects what kubectl selects."""
    assert jsonpath(LIST, template) == expected


@pytest.mark.parametrize("template", [
    pytest.param("{range .items[*]}{.metadata.name}", id="unclosed-range"),
    pytest.param("{.items[?(@.x)]}", id="filter-unsupported"),
])
def test_jsonpath_errors_are_cli_errors(template: str) -> None:
    """A template we cannot parse is a one-line CLI error, not a traceback."""
    with pytest.raises(CliError):
        jsonpath(LIST, template)


def test_table_lines_hide_wide_columns_and_align() -> None:
    """Priority-1 columns only show with -o wide; cells align under upper-cased headers."""
    table = {"columnDefinitions": [{"name": "Name", "priority": 0},
                                   {"name": "Ready", "priority": 0},
                                   {"name": "Node", "priority": 1}],
             "rows": [{"cells": ["web-1", "1/1", "n1"], "object": {"metadata": {}}},
                      {"cells": ["w", "0/1", None], "object": {"metadata": {}}}]}
    narrow, _ = table_lines(table)
    assert narrow == ["NAME    READY", "web-1   1/1", "w       0/1"]
    wide, _ = table_lines(table, wide=True)
    assert wide[0] == "NAME    READY   NODE" and wide[2] == "w       0/1     <none>"
