"""YAML output of JSON-shaped values, as Kubernetes writes it (``Accept: application/yaml``)."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, keys in their given order, long strings unwrapped."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(value: Any) -> bytes:
    text: str = yaml.dump(value, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                          allow_unicode=True, width=1 << 30)
    return text.encode("utf-8")
