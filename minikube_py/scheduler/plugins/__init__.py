"""The in-tree plugins, by name (kube-scheduler's ``framework/plugins/registry.go``), and the
default profile: which plugins run at which extension point, and the score weights."""

from __future__ import annotations

from minikube_py.scheduler.framework import PluginFactory
from minikube_py.scheduler.plugins import (
    balancedallocation,
    defaultbinder,
    imagelocality,
    interpodaffinity,
    nodeaffinity,
    nodename,
    nodeports,
    noderesourcesfit,
    nodeunschedulable,
    podtopologyspread,
    tainttoleration,
    volumebinding,
    volumezone,
)

REGISTRY: dict[str, PluginFactory] = {
    nodeunschedulable.NAME: nodeunschedulable.new,
    nodename.NAME: nodename.new,
    tainttoleration.NAME: tainttoleration.new,
    nodeaffinity.NAME: nodeaffinity.new,
    nodeports.NAME: nodeports.new,
    noderesourcesfit.NAME: noderesourcesfit.new,
    volumebinding.NAME: volumebinding.new,
    volumezone.NAME: volumezone.new,
    podtopologyspread.NAME: podtopologyspread.new,
    interpodaffinity.NAME: interpodaffinity.new,
    balancedallocation.NAME: balancedallocation.new,
    imagelocality.NAME: imagelocality.new,
    defaultbinder.NAME: defaultbinder.new,
}

# The default plugins in kube-scheduler's order, with their score weights (0: no score).
DEFAULT_PLUGINS: list[tuple[str, int]] = [
    (nodeunschedulable.NAME, 0),
    (nodename.NAME, 0),
    (tainttoleration.NAME, 3),
    (nodeaffinity.NAME, 2),
    (nodeports.NAME, 0),
    (noderesourcesfit.NAME, 1),
    (volumebinding.NAME, 0),
    (volumezone.NAME, 0),
    (podtopologyspread.NAME, 2),
    (interpodaffinity.NAME, 2),
    ("DefaultPreemption", 0),
    (balancedallocation.NAME, 1),
    (imagelocality.NAME, 1),
    (defaultbinder.NAME, 0),
]
