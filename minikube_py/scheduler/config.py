"""KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1), the ``--config FILE`` of
``minikube-py scheduler``: profiles, their plugins per extension point (``multiPoint`` and
each point's ``enabled``/``disabled``, ``*`` disabling every default), score weights,
``pluginConfig`` arguments, ``percentageOfNodesToScore`` and HTTP ``extenders``.

:func:`build_profiles` turns a configuration into one :class:`Framework` per scheduler name;
the plugins start from the default set (``plugins.DEFAULT_PLUGINS``) as kube-scheduler's do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from minikube_py.scheduler import plugins, preemption
from minikube_py.scheduler.framework import (
    CONFIG_POINTS,
    POINTS,
    Framework,
    Handle,
    Plugin,
    PluginFactory,
    points_of,
)

API_VERSION = "kubescheduler.config.k8s.io/v1"
KIND = "KubeSchedulerConfiguration"
DEFAULT_SCHEDULER_NAME = "default-scheduler"

FACTORIES: dict[str, PluginFactory] = {**plugins.REGISTRY, preemption.NAME: preemption.new}


class ConfigError(ValueError):
    """The configuration file is not one we can run; the message says where."""


@dataclass
class SchedulerConfig:
    profiles: list[dict[str, Any]] = field(default_factory=lambda: [{}])
    extenders: list[dict[str, Any]] = field(default_factory=list)
    percentage_of_nodes_to_score: int = 0


def load(path: str | Path) -> SchedulerConfig:
    try:
        doc = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read scheduler config {path}: {exc}") from exc
    return parse(doc)


def parse(doc: Any) -> SchedulerConfig:
    if not isinstance(doc, dict):
        raise ConfigError("a KubeSchedulerConfiguration must be a mapping")
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != KIND:
        raise ConfigError(f"expected apiVersion {API_VERSION} kind {KIND}, got "
                          f"{doc.get('apiVersion')} {doc.get('kind')}")
    profiles = doc.get("profiles") or [{}]
    if not isinstance(profiles, list) or not all(isinstance(p, dict) for p in profiles):
        raise ConfigError("profiles must be a list of mappings")
    names = [p.get("schedulerName") or DEFAULT_SCHEDULER_NAME for p in profiles]
    if len(set(names)) != len(names):
        raise ConfigError(f"duplicate profile schedulerName in {names}")
    for profile in profiles:
        for entry in _plugin_entries(profile):
            if entry != "*" and entry not in FACTORIES:
                raise ConfigError(f"unknown plugin {entry!r} in profile "
                                  f"{profile.get('schedulerName') or DEFAULT_SCHEDULER_NAME}")
    extenders = doc.get("extenders") or []
    for ext in extenders:
        if not isinstance(ext, dict) or not ext.get("urlPrefix"):
            raise ConfigError("every extender needs a urlPrefix")
    return SchedulerConfig(profiles, extenders, int(doc.get("percentageOfNodesToScore") or 0))


def _plugin_entries(profile: Mapping[str, Any]) -> list[str]:
    names = []
    for point in (profile.get("plugins") or {}).values():
        for key in ("enabled", "disabled"):
            names += [str(p.get("name")) for p in (point or {}).get(key) or ()]
    return names


def build_profiles(config: SchedulerConfig, handle: Handle) -> dict[str, Framework]:
    return {p.get("schedulerName") or DEFAULT_SCHEDULER_NAME: build_framework(p, config, handle)
            for p in config.profiles}


def build_framework(profile: Mapping[str, Any], config: SchedulerConfig,
                    handle: Handle) -> Framework:
    settings = profile.get("plugins") or {}
    args = {str(pc.get("name")): pc.get("args") or {}
            for pc in profile.get("pluginConfig") or ()}
    weights = {name: weight for name, weight in plugins.DEFAULT_PLUGINS if weight}
    enabled = [name for name, _ in plugins.DEFAULT_PLUGINS]
    multi = settings.get("multiPoint") or {}
    enabled = _apply(enabled, multi, weights)
    instances: dict[str, Plugin] = {}

    def instance(name: str) -> Plugin:
        if name not in instances:
            instances[name] = FACTORIES[name](args.get(name, {}), handle)
        return instances[name]

    points: dict[str, list[Plugin]] = {p: [] for p in POINTS}
    for name in enabled:
        plugin = instance(name)
        for point in points_of(plugin):
            points[point].append(plugin)
    for config_point, point in CONFIG_POINTS.items():
        block = settings.get(config_point)
        if not block:
            continue
        names = [p.name for p in points[point]]
        names = _apply(names, block, weights)
        points[point] = [instance(n) for n in names]
        missing = [n for n in names if point not in points_of(instances[n])]
        if missing:
            raise ConfigError(f"plugin(s) {missing} do not implement {config_point}")
    score_names = {p.name for p in points["score"]}
    weights = {n: w for n, w in weights.items() if n in score_names}
    percentage = int(profile.get("percentageOfNodesToScore") or
                     config.percentage_of_nodes_to_score or 0)
    return Framework(profile.get("schedulerName") or DEFAULT_SCHEDULER_NAME, points, weights,
                     percentage_of_nodes_to_score=percentage)


def _apply(names: list[str], block: Mapping[str, Any], weights: dict[str, int]) -> list[str]:
    disabled = {str(p.get("name")) for p in block.get("disabled") or ()}
    out = [] if "*" in disabled else [n for n in names if n not in disabled]
    for entry in block.get("enabled") or ():
        name = str(entry.get("name"))
        if entry.get("weight") is not None:
            weights[name] = int(entry["weight"])
        if name in out:
            out.remove(name)  # an explicit enable moves the plugin to the end, in order
        out.append(name)
    return out
