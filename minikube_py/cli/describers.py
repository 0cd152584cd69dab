"""kubectl's describers for the kinds users describe most (``kubectl describe`` in
``k8s.io/kubectl/pkg/describe``): Pod, Deployment, ReplicaSet, Service, in kubectl's layout
and words, so that moving between ``kubectl describe`` and ``minikube-py describe`` holds no
surprise. Other kinds get the generic tree of ``describe.py``.

Lines are written as kubectl writes them, with tab-separated cells aligned by a tab writer:
consecutive lines that have a tab form a block whose first column is as wide as its widest
cell plus two spaces (Go's ``tabwriter`` with padding 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from minikube_py.api.registry import REGISTRY
from minikube_py.client.base import Client

Obj = dict[str, Any]
NONE = "<none>"


def tabbed(lines: list[str]) -> str:
    """Align the first cell of each block of tab-holding lines (Go's tabwriter, padding 2)."""
    out: list[str] = []
    block: list[list[str]] = []

    def flush() -> None:
        if not block:
            return
        columns = max(len(cells) for cells in block)
        widths = [max((len(cells[i]) for cells in block if i < len(cells) - 1), default=0)
                  for i in range(columns)]
        for cells in block:
            out.append("".join(c.ljust(widths[i] + 2) if i < len(cells) - 1 else c
                               for i, c in enumerate(cells)).rstrip())
        block.clear()

    for line in lines:
        if "\t" in line:
            block.append(line.split("\t"))
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out)


def rfc1123(timestamp: str | None) -> str:
    """``2026-12-03T13:56:00Z`` as kubectl shows it: ``Thu, 03 Dec 2026 13:56:00 +0000``."""
    if not timestamp:
        return NONE
    try:
        when = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return timestamp
    return when.strftime("%a, %d %b %Y %H:%M:%S %z")


def multiline(key: str, mapping: dict[str, Any] | None, sep: str = "=") -> list[str]:
    """``Labels:\\tapp=web`` and the rest of the pairs under it (kubectl's
    printLabelsMultiline / printAnnotationsMultiline)."""
    if not mapping:
        return [f"{key}:\t{NONE}"]
    items = [f"{k}{sep}{v}" for k, v in sorted(mapping.items())]
    return [f"{key}:\t{items[0]}"] + [f"\t{item}" for item in items[1:]]


def selector_text(selector: dict[str, Any] | None) -> str:
    if not selector:
        return NONE
    labels = selector.get("matchLabels") if "matchLabels" in selector or \
        "matchExpressions" in selector else selector
    parts = [f"{k}={v}" for k, v in sorted((labels or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, values = expr.get("operator", ""), ",".join(expr.get("values") or [])
        key = expr.get("key", "")
        parts.append({"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
                      "Exists": key, "DoesNotExist": f"!{key}"}.get(op, key))
    return ",".join(parts) or NONE


def header(obj: Obj, *, namespaced: bool = True, created: bool = False) -> list[str]:
    meta = obj.get("metadata") or {}
    lines = [f"Name:\t{meta.get('name', '')}"]
    if namespaced:
        lines.append(f"Namespace:\t{meta.get('namespace', '')}")
    if created:
        lines.append(f"CreationTimestamp:\t{rfc1123(meta.get('creationTimestamp'))}")
    lines += multiline("Labels", meta.get("labels"))
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                   if k != "kubectl.kubernetes.io/last-applied-configuration"}
    lines += multiline("Annotations", annotations, ": ")
    return lines


def _ports(container: Obj) -> tuple[str, str]:
    ports = container.get("ports") or []
    if not ports:
        return NONE, NONE
    port = ", ".join(f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in ports)
    host = ", ".join(f"{p.get('hostPort', 0)}/{p.get('protocol', 'TCP')}" for p in ports)
    return port, host


def _env(container: Obj) -> list[str]:
    env = container.get("env") or []
    if not env and not container.get("envFrom"):
        return [f"    Environment:\t{NONE}"]
    lines = ["    Environment:"]
    for var in env:
        value = var.get("value")
        if value is None and "valueFrom" in var:
            source = var["valueFrom"]
            if "fieldRef" in source:
                value = f"({source['fieldRef'].get('apiVersion', 'v1')}:" \
                        f"{source['fieldRef'].get('fieldPath')})"
            elif "configMapKeyRef" in source:
                ref = source["configMapKeyRef"]
                value = f"<set to the key '{ref.get('key')}' of config map '{ref.get('name')}'>"
            elif "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                value = f"<set to the key '{ref.get('key')}' in secret '{ref.get('name')}'>"
            else:
                value = "<set from another source>"
        lines.append(f"      {var.get('name')}:\t{value or ''}")
    for source in container.get("envFrom") or []:
        kind = "ConfigMap" if "configMapRef" in source else "Secret"
        ref = source.get("configMapRef") or source.get("secretRef") or {}
        lines.append(f"      {ref.get('name')}\t{kind}\tOptional: "
                     f"{'true' if ref.get('optional') else 'false'}")
    return lines


def _mounts(container: Obj) -> list[str]:
    mounts = container.get("volumeMounts") or []
    if not mounts:
        return [f"    Mounts:\t{NONE}"]
    lines = ["    Mounts:"]
    for m in mounts:
        mode = "ro" if m.get("readOnly") else "rw"
        lines.append(f"      {m.get('mountPath')} from {m.get('name')} ({mode})")
    return lines


def _state(state: Obj | None, key: str) -> list[str]:
    if not state:
        return [f"    {key}:\tWaiting"]
    (name, detail), = list(state.items())[:1] or [("waiting", {})]
    lines = [f"    {key}:\t{name.capitalize()}"]
    detail = detail or {}
    if detail.get("reason"):
        lines.append(f"      Reason:\t{detail['reason']}")
    if detail.get("message"):
        lines.append(f"      Message:\t{detail['message']}")
    if "exitCode" in detail:
        lines.append(f"      Exit Code:\t{detail['exitCode']}")
    if detail.get("startedAt"):
        lines.append(f"      Started:\t{rfc1123(detail['startedAt'])}")
    if detail.get("finishedAt"):
        lines.append(f"      Finished:\t{rfc1123(detail['finishedAt'])}")
    return lines


def containers(spec: Obj, statuses: list[Obj] | None, title: str = "Containers") -> list[str]:
    items = spec.get("initContainers" if title == "Init Containers" else "containers") or []
    if not items:
        return []
    by_name = {s.get("name"): s for s in statuses or []}
    lines = [f"{title}:"]
    for c in items:
        lines.append(f"  {c.get('name')}:")
        status = by_name.get(c.get("name"))
        if statuses is not None:
            lines.append(f"    Container ID:\t{(status or {}).get('containerID', '')}")
        lines.append(f"    Image:\t{c.get('image', '')}")
        if statuses is not None:
            lines.append(f"    Image ID:\t{(status or {}).get('imageID', '')}")
        port, host = _ports(c)
        lines.append(f"    Port:\t{port}")
        lines.append(f"    Host Port:\t{host}")
        if c.get("command"):
            lines.append("    Command:")
            lines += [f"      {part}" for part in c["command"]]
        if c.get("args"):
            lines.append("    Args:")
            lines += [f"      {part}" for part in c["args"]]
        if statuses is not None:
            st = status or {}
            lines += _state(st.get("state"), "State")
            if st.get("lastState"):
                lines += _state(st["lastState"], "Last State")
            lines.append(f"    Ready:\t{'True' if st.get('ready') else 'False'}")
            lines.append(f"    Restart Count:\t{st.get('restartCount', 0)}")
        for kind in ("limits", "requests"):
            values = (c.get("resources") or {}).get(kind)
            if values:
                lines.append(f"    {kind.capitalize()}:")
                lines += [f"      {k}:\t{v}" for k, v in sorted(values.items())]
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if c.get(probe):
                lines.append(f"    {probe[:-5].capitalize()}:\t{_probe(c[probe])}")
        lines += _env(c)
        lines += _mounts(c)
    return lines


def _probe(probe: Obj) -> str:
    if "httpGet" in probe:
        get = probe["httpGet"]
        what = f"http-get {get.get('scheme', 'HTTP').lower()}://{get.get('host', '')}:" \
               f"{get.get('port')}{get.get('path', '/')}"
    elif "tcpSocket" in probe:
        what = f"tcp-socket :{probe['tcpSocket'].get('port')}"
    elif "exec" in probe:
        what = "exec [" + " ".join(probe["exec"].get("command") or []) + "]"
    else:
        what = "unknown"
    return (f"{what} delay={probe.get('initialDelaySeconds', 0)}s timeout="
            f"{probe.get('timeoutSeconds', 1)}s period={probe.get('periodSeconds', 10)}s "
            f"#success={probe.get('successThreshold', 1)} "
            f"#failure={probe.get('failureThreshold', 3)}")


def volumes(spec: Obj) -> list[str]:
    vols = spec.get("volumes") or []
    if not vols:
        return [f"Volumes:\t{NONE}"]
    lines = ["Volumes:"]
    for v in vols:
        lines.append(f"  {v.get('name')}:")
        kind = next((k for k in v if k != "name"), "")
        source = v.get(kind) or {}
        if kind == "projected" and isinstance(source, dict):
            lines += projected_volume(source)
            continue
        lines.append(f"    Type:\t{kind}")
        for key, value in source.items() if isinstance(source, dict) else []:
            if not isinstance(value, dict | list):
                lines.append(f"    {key[:1].upper() + key[1:]}:\t{value}")
    return lines


def _go_bool(value: Any) -> str:
    """A *bool as Go's %v prints it: ``<nil>`` when unset."""
    return "<nil>" if value is None else ("true" if value else "false")


def projected_volume(source: Obj) -> list[str]:
    """kubectl's printProjectedVolumeSource (every pod's token volume is one)."""
    lines = ["    Type:\tProjected (a volume that contains injected data from multiple sources)"]
    for item in source.get("sources") or []:
        if item.get("secret"):
            lines += [f"    SecretName:\t{item['secret'].get('name', '')}",
                      f"    SecretOptionalName:\t{_go_bool(item['secret'].get('optional'))}"]
        elif item.get("downwardAPI"):
            lines.append("    DownwardAPI:\ttrue")
        elif item.get("configMap"):
            lines += [f"    ConfigMapName:\t{item['configMap'].get('name', '')}",
                      f"    ConfigMapOptional:\t{_go_bool(item['configMap'].get('optional'))}"]
        elif item.get("serviceAccountToken"):
            seconds = item["serviceAccountToken"].get("expirationSeconds", 3600)
            lines.append(f"    TokenExpirationSeconds:\t{seconds}")
    return lines


def scheduling(spec: Obj) -> list[str]:
    selector = spec.get("nodeSelector")
    lines = [f"Node-Selectors:\t{selector_text(selector) if selector else NONE}"]
    tolerations = spec.get("tolerations") or []
    texts = []
    for t in tolerations:
        text = t.get("key", "")
        if t.get("value"):
            text += f"={t['value']}"
        if t.get("effect"):
            text += f":{t['effect']}"
        if t.get("operator") == "Exists":
            text += " op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {t['tolerationSeconds']}s"
        texts.append(text)
    lines.append(f"Tolerations:\t{texts[0] if texts else NONE}")
    lines += [f"\t{text}" for text in texts[1:]]
    return lines


def pod_template(template: Obj) -> list[str]:
    spec, meta = template.get("spec") or {}, template.get("metadata") or {}
    lines = ["Pod Template:"]
    lines += ["  " + line for line in multiline("Labels", meta.get("labels"))]
    if meta.get("annotations"):
        lines += ["  " + line for line in multiline("Annotations", meta["annotations"], ": ")]
    for line in containers(spec, None, "Init Containers") + containers(spec, None):
        # kubectl's template layout: the section two deeper, the names one, fields as is
        if not line.startswith(" "):
            lines.append("  " + line)
        elif not line.startswith("   "):
            lines.append(" " + line)
        else:
            lines.append(line)
    lines += ["  " + line for line in volumes(spec) + scheduling(spec)]
    return lines


def conditions_table(obj: Obj, columns: tuple[str, ...] = ("Type", "Status", "Reason")) -> \
        list[str]:
    conds = (obj.get("status") or {}).get("conditions") or []
    if not conds:
        return []
    rows = [list(columns), ["-" * len(c) for c in columns]]
    rows += [[str(c.get(col[:1].lower() + col[1:], "")) for col in columns] for c in conds]
    # Tab cells: the table shares its tab writer block with the lines that follow, as in
    # kubectl (so "Type" is as wide as "OldReplicaSets:" there).
    return ["Conditions:"] + ["  " + "\t".join(r) for r in rows]


async def describe_pod(client: Client, obj: Obj) -> list[str]:
    spec, status, meta = obj.get("spec") or {}, obj.get("status") or {}, obj["metadata"]
    lines = [f"Name:\t{meta.get('name')}", f"Namespace:\t{meta.get('namespace')}",
             f"Priority:\t{spec.get('priority', 0)}"]
    if spec.get("priorityClassName"):
        lines.append(f"Priority Class Name:\t{spec['priorityClassName']}")
    lines.append(f"Service Account:\t{spec.get('serviceAccountName', 'default')}")
    node = spec.get("nodeName")
    lines.append(f"Node:\t{node + '/' + status.get('hostIP', '') if node else NONE}")
    if status.get("startTime"):
        lines.append(f"Start Time:\t{rfc1123(status['startTime'])}")
    lines += multiline("Labels", meta.get("labels"))
    lines += multiline("Annotations", meta.get("annotations"), ": ")
    if meta.get("deletionTimestamp"):
        lines.append(f"Status:\tTerminating (lasts {meta.get('deletionGracePeriodSeconds')}s)")
    else:
        lines.append(f"Status:\t{status.get('phase', 'Pending')}")
    if status.get("reason"):
        lines.append(f"Reason:\t{status['reason']}")
    if status.get("message"):
        lines.append(f"Message:\t{status['message']}")
    lines.append(f"IP:\t{status.get('podIP', '')}")
    ips = [ip.get("ip", "") for ip in status.get("podIPs") or []]
    lines.append(f"IPs:\t{NONE}" if not ips else "IPs:")
    lines += [f"  IP:\t{ip}" for ip in ips]
    owner = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
    if owner:
        lines.append(f"Controlled By:\t{owner.get('kind')}/{owner.get('name')}")
    lines += containers(spec, status.get("initContainerStatuses") or [], "Init Containers")
    lines += containers(spec, status.get("containerStatuses") or [])
    lines += conditions_table(obj, ("Type", "Status"))
    lines += volumes(spec)
    lines.append(f"QoS Class:\t{status.get('qosClass', 'BestEffort')}")
    lines += scheduling(spec)
    return lines


async def _owned_sets(client: Client, obj: Obj) -> list[Obj]:
    rs = REGISTRY.require("apps", "v1", "replicasets")
    meta = obj["metadata"]
    items = (await client.list(rs, meta.get("namespace"))).get("items") or []
    return [r for r in items if any(o.get("uid") == meta.get("uid") and o.get("controller")
                                    for o in (r.get("metadata") or {}).get("ownerReferences")
                                    or [])]


async def describe_deployment(client: Client, obj: Obj) -> list[str]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    lines = header(obj, created=True)
    strategy = spec.get("strategy") or {}
    lines += [f"Selector:\t{selector_text(spec.get('selector'))}",
              f"Replicas:\t{spec.get('replicas', 1)} desired | "
              f"{status.get('updatedReplicas', 0)} updated | {status.get('replicas', 0)} total"
              f" | {status.get('availableReplicas', 0)} available | "
              f"{status.get('unavailableReplicas', 0)} unavailable",
              f"StrategyType:\t{strategy.get('type', 'RollingUpdate')}",
              f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}"]
    rolling = strategy.get("rollingUpdate")
    if rolling:
        lines.append(f"RollingUpdateStrategy:\t{rolling.get('maxUnavailable')} max "
                     f"unavailable, {rolling.get('maxSurge')} max surge")
    lines += pod_template(spec.get("template") or {})
    lines += conditions_table(obj)
    sets = await _owned_sets(client, obj)
    revision = (obj["metadata"].get("annotations") or {}).get(
        "deployment.kubernetes.io/revision")
    new = [r for r in sets if (r["metadata"].get("annotations") or {}).get(
        "deployment.kubernetes.io/revision") == revision]
    old = [r for r in sets if r not in new and (r.get("spec") or {}).get("replicas")]

    def created(r: Obj) -> str:
        return f"{r['metadata']['name']} ({(r.get('status') or {}).get('replicas', 0)}/" \
               f"{(r.get('spec') or {}).get('replicas', 0)} replicas created)"

    lines.append(f"OldReplicaSets:\t{', '.join(created(r) for r in old) or NONE}")
    lines.append(f"NewReplicaSet:\t{created(new[0]) if new else NONE}")
    return lines


async def describe_replicaset(client: Client, obj: Obj) -> list[str]:
    spec, status, meta = obj.get("spec") or {}, obj.get("status") or {}, obj["metadata"]
    lines = header(obj)
    lines.insert(2, f"Selector:\t{selector_text(spec.get('selector'))}")
    owner = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
    if owner:
        lines.append(f"Controlled By:\t{owner.get('kind')}/{owner.get('name')}")
    lines.append(f"Replicas:\t{status.get('replicas', 0)} current / {spec.get('replicas', 1)}"
                 " desired")
    phases = await _pod_phases(client, obj)
    lines.append(f"Pods Status:\t{phases['Running']} Running / {phases['Pending']} Waiting / "
                 f"{phases['Succeeded']} Succeeded / {phases['Failed']} Failed")
    lines += pod_template(spec.get("template") or {})
    lines += conditions_table(obj)
    return lines


async def _pod_phases(client: Client, owner: Obj) -> dict[str, int]:
    """Phases of the pods ``owner`` controls (kubectl's getPodStatusForController)."""
    pods = REGISTRY.require("", "v1", "pods")
    meta = owner["metadata"]
    selector = selector_text((owner.get("spec") or {}).get("selector"))
    listing = await client.list(pods, meta.get("namespace"),
                                label_selector="" if selector == NONE else selector)
    counts = dict.fromkeys(("Running", "Pending", "Succeeded", "Failed"), 0)
    for pod in listing.get("items") or []:
        refs = (pod.get("metadata") or {}).get("ownerReferences") or []
        if any(r.get("uid") == meta.get("uid") and r.get("controller") for r in refs):
            phase = (pod.get("status") or {}).get("phase") or "Pending"
            counts[phase] = counts.get(phase, 0) + 1
    return counts


async def describe_service(client: Client, obj: Obj) -> list[str]:
    spec = obj.get("spec") or {}
    lines = header(obj)
    lines.append(f"Selector:\t{selector_text(spec.get('selector'))}")
    lines.append(f"Type:\t{spec.get('type', 'ClusterIP')}")
    if spec.get("ipFamilyPolicy"):
        lines.append(f"IP Family Policy:\t{spec['ipFamilyPolicy']}")
    if spec.get("ipFamilies"):
        lines.append(f"IP Families:\t{','.join(spec['ipFamilies'])}")
    lines.append(f"IP:\t{spec.get('clusterIP', NONE)}")
    lines.append(f"IPs:\t{','.join(spec.get('clusterIPs') or []) or spec.get('clusterIP', NONE)}")
    endpoints = await _endpoints(client, obj)
    for port in spec.get("ports") or []:
        proto = port.get("protocol", "TCP")
        lines.append(f"Port:\t{port.get('name') or '<unset>'}  {port.get('port')}/{proto}")
        lines.append(f"TargetPort:\t{port.get('targetPort', port.get('port'))}/{proto}")
        if port.get("nodePort"):
            lines.append(f"NodePort:\t{port.get('name') or '<unset>'}  "
                         f"{port['nodePort']}/{proto}")
        lines.append(f"Endpoints:\t{NONE if endpoints is None else endpoints}")
    lines.append(f"Session Affinity:\t{spec.get('sessionAffinity', 'None')}")
    if spec.get("internalTrafficPolicy"):
        lines.append(f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}")
    return lines


async def _endpoints(client: Client, obj: Obj) -> str | None:
    """kubectl's formatEndpoints: ``ip:port,...``; empty for an Endpoints object without
    addresses; None (shown ``<none>``) when there is no Endpoints object."""
    rt = REGISTRY.require("", "v1", "endpoints")
    meta = obj["metadata"]
    try:
        ep = await client.get(rt, meta["name"], meta.get("namespace"))
    except Exception:  # no Endpoints object (yet): kubectl shows <none>
        return None
    addresses = [f"{a.get('ip')}:{p.get('port')}" for subset in ep.get("subsets") or []
                 for a in subset.get("addresses") or [] for p in subset.get("ports") or []]
    return ",".join(addresses)


Describer = Callable[[Client, Obj], Awaitable[list[str]]]
DESCRIBERS: dict[tuple[str, str], Describer] = {
    ("", "Pod"): describe_pod,
    ("apps", "Deployment"): describe_deployment,
    ("apps", "ReplicaSet"): describe_replicaset,
    ("", "Service"): describe_service,
}
