"""The Kubernetes service environment variables (pkg/kubelet/envvars/envvars.go).

Every container gets, for every Service of its namespace that exists when it starts (and has
a cluster IP), the Docker-links-style variables ``{NAME}_SERVICE_HOST``, ``{NAME}_SERVICE_PORT``,
``{NAME}_SERVICE_PORT_{PORTNAME}``, ``{NAME}_PORT``, ``{NAME}_PORT_{P}_{PROTO}`` and its
``_PROTO``/``_PORT``/``_ADDR``. A pure function of the service list, shared with the proxy work.

Where cluster IPs are not routed to the proxy (its service rules are off: not root, ``up
--without service-rules``, or another daemon owns them), :func:`via_gateway` rewrites the
Services first so that the variables name the Docker bridge gateway and the port the proxy
listens on there for each Service port: the in-cluster config of a client
(``KUBERNETES_SERVICE_HOST``/``_PORT``) then reaches the apiserver through the proxy all the
same.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

# The proxy's PORTS_ANNOTATION (proxy/proxier.py), where it listens for each port of a
# Service (on 127.0.0.1 and the bridge gateway alike); siblings do not import each other.
PROXY_PORTS_ANNOTATION = "proxy.minikube-py.io/ports"


def _env_name(name: str) -> str:
    return name.upper().replace("-", "_")


def _has_cluster_ip(service: dict[str, Any]) -> bool:
    ip = (service.get("spec") or {}).get("clusterIP")
    return bool(ip) and ip != "None"


def service_env(services: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    """The variables of ``services`` in envvars.go's order (services sorted by name)."""
    out: list[tuple[str, str]] = []
    chosen = sorted((s for s in services if _has_cluster_ip(s)),
                    key=lambda s: str((s.get("metadata") or {}).get("name")))
    for service in chosen:
        name = _env_name(str(service["metadata"]["name"]))
        spec = service.get("spec") or {}
        host = str(spec["clusterIP"])
        ports = spec.get("ports") or []
        out.append((f"{name}_SERVICE_HOST", host))
        if ports:
            out.append((f"{name}_SERVICE_PORT", str(ports[0].get("port"))))
        for port in ports:
            if port.get("name"):
                out.append((f"{name}_SERVICE_PORT_{_env_name(str(port['name']))}",
                            str(port.get("port"))))
        if ports:
            first = ports[0]
            proto = str(first.get("protocol") or "TCP").lower()
            out.append((f"{name}_PORT", f"{proto}://{host}:{first.get('port')}"))
        for port in ports:
            proto_upper = str(port.get("protocol") or "TCP").upper()
            proto = proto_upper.lower()
            prefix = f"{name}_PORT_{port.get('port')}_{proto_upper}"
            out.append((prefix, f"{proto}://{host}:{port.get('port')}"))
            out.append((f"{prefix}_PROTO", proto))
            out.append((f"{prefix}_PORT", str(port.get("port"))))
            out.append((f"{prefix}_ADDR", host))
    return out


def via_gateway(service: dict[str, Any], gateway: str) -> dict[str, Any]:
    """``service`` as pods reach it without cluster-IP rules: its cluster IP replaced by
    ``gateway`` and each port by the proxy's port for it. A Service the proxy has not
    published yet (or without a cluster IP) is returned as it is."""
    meta = service.get("metadata") or {}
    try:
        published = json.loads((meta.get("annotations") or {}).get(PROXY_PORTS_ANNOTATION, ""))
    except ValueError:
        return service
    if not isinstance(published, dict) or not _has_cluster_ip(service):
        return service
    out = copy.deepcopy(service)
    out["spec"]["clusterIP"] = gateway
    for port in out["spec"].get("ports") or []:
        key = str(port.get("name") or port.get("port"))
        if isinstance(published.get(key), int):
            port["port"] = published[key]
    return out
