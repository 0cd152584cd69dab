"""The DaemonSet strategy's template generation (the annotation
``deprecated.daemonset.template.generation`` the DaemonSet controller labels pods with)."""

from __future__ import annotations

import copy
from typing import Any

from minikube_py.api.kinds.apps.daemonset import RESOURCE, TEMPLATE_GENERATION


def ds(image: str) -> dict[str, Any]:
    return {"metadata": {"name": "agent"},
            "spec": {"selector": {"matchLabels": {"app": "a"}},
                     "template": {"metadata": {"labels": {"app": "a"}},
                                  "spec": {"containers": [{"name": "a", "image": image}]}}}}


def generation(obj: dict[str, Any]) -> str:
    return str(obj["metadata"]["annotations"][TEMPLATE_GENERATION])


def test_template_generation_counts_template_changes() -> None:
    """1 on create; kept by an update that leaves the template alone (even one that drops
    the annotation); one more when the template changes."""
    strategy = RESOURCE.strategy
    created = ds("a:1")
    strategy.prepare_for_create(created)
    assert generation(created) == "1"
    same = copy.deepcopy(created)
    same["spec"]["minReadySeconds"] = 5
    del same["metadata"]["annotations"]
    strategy.prepare_for_update(same, created)
    assert generation(same) == "1"
    changed = ds("a:2")
    strategy.prepare_for_update(changed, same)
    assert generation(changed) == "2"
