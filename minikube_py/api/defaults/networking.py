"""Defaulting of networking.k8s.io/v1 kinds, as pkg/apis/networking/v1/defaults.go:
NetworkPolicy ports are TCP and its policyTypes say what it has (Ingress always, Egress when
it has egress rules); IngressClass parameters are cluster-scoped unless they say otherwise."""

from __future__ import annotations

from typing import Any

from minikube_py.api.defaults.core import default, section


def default_network_policy(policy: dict[str, Any]) -> None:
    spec = section(policy, "spec")
    section(spec, "podSelector")  # a struct, not a pointer: always present
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            if not isinstance(rule, dict):
                continue
            for port in rule.get("ports") or []:
                if isinstance(port, dict):
                    default(port, "protocol", "TCP")
    if not spec.get("policyTypes"):
        types = ["Ingress"]
        if spec.get("egress"):
            types.append("Egress")
        spec["policyTypes"] = types


def default_ingress_class(ingress_class: dict[str, Any]) -> None:
    params = section(ingress_class, "spec").get("parameters")
    if isinstance(params, dict):
        default(params, "scope", "Cluster")
