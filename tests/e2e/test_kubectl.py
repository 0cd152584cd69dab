"""The real kubectl (the /usr/bin/kubectl wrapper, which picks kubectl 1.32 for our v1.32
server) against a started daemon: every check reads what kubectl prints, not only its exit code.

There is no scheduler or kubelet in these tests: the controller manager makes ReplicaSets and
pods for workloads, but the pods stay Pending, so nothing is ready; the assertions say so.
Every test works in a namespace of its own because the tests of this module share one daemon.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from minikube_py.nodes.registration import default_node_name
from tests.conftest import RunningDaemon, start_daemon

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

KUBECTL = "/usr/bin/kubectl"


def kubectl(daemon: RunningDaemon, *args: str, input: str | None = None,
            binary: str = KUBECTL) -> subprocess.CompletedProcess[str]:
    """Run a kubectl binary against ``daemon`` with its kubeconfig and nothing from the env."""
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    return subprocess.run([binary, "--kubeconfig", str(daemon.kubeconfig), *args],
                          capture_output=True, text=True, input=input, env=env, timeout=60,
                          check=False)


def ok(daemon: RunningDaemon, *args: str, input: str | None = None) -> str:
    """Run kubectl, insist on exit code 0 and return its stdout."""
    result = kubectl(daemon, *args, input=input)
    assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
    return result.stdout


def table(stdout: str) -> list[list[str]]:
    """Split kubectl's column output into cells (columns are two or more spaces apart)."""
    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def ns(daemon: RunningDaemon) -> Iterator[str]:
    """A fresh namespace, created through `kubectl apply` (a JSON body)."""
    name = unique("kt")
    manifest = json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert ok(daemon, "apply", "-f", "-", input=manifest) == f"namespace/{name} created\n"
    yield name


def deployment(name: str, *, replicas: int = 2, image: str = "nginx:1.25") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app: {name}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: c
          image: {image}
"""


def configmap(name: str, *, data: str = "{a: '1'}", labels: str = "{}") -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, labels: {labels}}}\n" \
           f"data: {data}\n"


WORKLOADS = """\
apiVersion: v1
kind: Pod
metadata: {{name: pod1, labels: {{app: lone}}}}
spec:
  containers: [{{name: c, image: busybox:1.36}}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {{name: rs1, labels: {{app: one}}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: one}}}}
  template:
    metadata: {{labels: {{app: one}}}}
    spec:
      containers: [{{name: c, image: nginx:1.25}}]
---
apiVersion: v1
kind: Service
metadata: {{name: svc1}}
spec:
  selector: {{app: one}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: cm1}}
data: {{a: '1', b: '2'}}
---
apiVersion: v1
kind: Secret
metadata: {{name: sec1}}
stringData: {{k: v}}
---
apiVersion: v1
kind: Event
metadata: {{name: pod1.e1}}
involvedObject: {{apiVersion: v1, kind: Pod, name: pod1, namespace: {ns}}}
reason: Testing
message: made by the test
type: Normal
source: {{component: e2e}}
firstTimestamp: "{now}"
lastTimestamp: "{now}"
count: 1
"""


@pytest.fixture(scope="module")
def workloads(daemon: RunningDaemon) -> str:
    """A namespace holding one object of each kind `get` is checked on; returns its name."""
    name = unique("kt-get")
    ok(daemon, "apply", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
    ok(daemon, "-n", name, "apply", "-f", "-",
       input=WORKLOADS.format(ns=name, now=now()) + "---\n" + deployment("web1"))
    ok(daemon, "-n", name, "wait", "--for=jsonpath={.status.replicas}=2", "deploy/web1",
       "rs/rs1", "--timeout=30s")  # the controllers have made (Pending) pods
    return name


def test_version_reports_the_minikube_py_server(daemon: RunningDaemon) -> None:
    """`kubectl version` shows the server as v1.32.0+minikube-py.<our version>, minor 32."""
    out = ok(daemon, "version")
    assert re.search(r"^Server Version: v1\.32\.0\+minikube-py\.\S+$", out, re.M), out
    server = json.loads(ok(daemon, "version", "-o", "json"))["serverVersion"]
    assert (server["major"], server["minor"]) == ("1", "32")


@pytest.mark.parametrize("row", [
    pytest.param(["pods", "po", "v1", "true", "Pod"], id="pods"),
    pytest.param(["deployments", "deploy", "apps/v1", "true", "Deployment"], id="deployments"),
    pytest.param(["namespaces", "ns", "v1", "false", "Namespace"], id="namespaces"),
    pytest.param(["services", "svc", "v1", "true", "Service"], id="services"),
    pytest.param(["configmaps", "cm", "v1", "true", "ConfigMap"], id="configmaps"),
    pytest.param(["secrets", "v1", "true", "Secret"], id="secrets-no-short-name"),
])
def test_api_resources_lists_builtin_kinds(daemon: RunningDaemon, row: list[str]) -> None:
    """`kubectl api-resources` has the usual header and one row per resource with its short
    name, group/version, scope and kind."""
    rows = table(ok(daemon, "api-resources"))
    assert rows[0] == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert row in rows[1:]


POD_COLUMNS = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
DEPLOY_COLUMNS = ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
RS_COLUMNS = ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
SVC_COLUMNS = ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
WIDE_WORKLOAD = ["CONTAINERS", "IMAGES", "SELECTOR"]


@pytest.mark.parametrize("args, header, row", [
    pytest.param(["pods"], POD_COLUMNS, ["pod1", "0/1", "Pending", "0"], id="pods"),
    pytest.param(["po", "-o", "wide"],
                 [*POD_COLUMNS, "IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
                 ["pod1", "0/1", "Pending", "0"], id="pods-wide"),
    pytest.param(["deployments"], DEPLOY_COLUMNS, ["web1", "0/2", "2", "0"], id="deployments"),
    pytest.param(["deploy", "-o", "wide"], [*DEPLOY_COLUMNS, *WIDE_WORKLOAD],
                 ["web1", "0/2", "2", "0"], id="deployments-wide"),
    pytest.param(["replicasets"], RS_COLUMNS, ["rs1", "2", "2", "0"], id="replicasets"),
    pytest.param(["rs", "-o", "wide"], [*RS_COLUMNS, *WIDE_WORKLOAD], ["rs1", "2", "2", "0"],
                 id="replicasets-wide"),
    pytest.param(["services"], SVC_COLUMNS, ["svc1", "ClusterIP"], id="services"),
    pytest.param(["svc", "-o", "wide"], [*SVC_COLUMNS, "SELECTOR"], ["svc1", "ClusterIP"],
                 id="services-wide"),
    pytest.param(["configmaps"], ["NAME", "DATA", "AGE"], ["cm1", "2"], id="configmaps"),
    pytest.param(["secrets"], ["NAME", "TYPE", "DATA", "AGE"], ["sec1", "Opaque", "1"],
                 id="secrets"),
    pytest.param(["events"], ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
                 ["Normal", "Testing", "pod/pod1", "made by the test"], id="events"),
])
def test_get_prints_the_kind_specific_columns(daemon: RunningDaemon, workloads: str,
                                              args: list[str], header: list[str],
                                              row: list[str]) -> None:
    """`kubectl get <kind>` prints the columns Kubernetes' printers define for the kind and a
    row whose cells reflect the object (nothing runs, so nothing is ready)."""
    rows = table(ok(daemon, "-n", workloads, "get", *args))
    assert rows[0] == header
    if args[0] == "events":
        matching = [cells for cells in rows[1:] if cells[1:] == row]
    else:
        matching = [cells for cells in rows[1:] if cells[:len(row)] == row]
    assert len(matching) == 1, rows
    assert len(matching[0]) == len(header), matching


def test_get_wide_shows_containers_images_and_selector(daemon: RunningDaemon,
                                                       workloads: str) -> None:
    """The wide columns of a deployment are its container names, images and selector; a
    pod's are its IP, the node the scheduler bound it to (the daemon's one virtual node),
    nominated node and readiness gates."""
    rows = table(ok(daemon, "-n", workloads, "get", "deploy", "web1", "-o", "wide"))
    assert rows[1][-3:] == ["c", "nginx:1.25", "app=web1"]

    def bound() -> str:
        return ok(daemon, "-n", workloads, "get", "pod", "pod1", "-o",
                  "jsonpath={.spec.nodeName}").strip()

    deadline = time.monotonic() + 20
    while not bound() and time.monotonic() < deadline:
        time.sleep(0.1)
    pod = table(ok(daemon, "-n", workloads, "get", "pod", "pod1", "-o", "wide"))[1]
    assert pod[-4:] == ["<none>", default_node_name(), "<none>", "<none>"]


def test_get_namespaces_lists_the_system_namespaces(daemon: RunningDaemon) -> None:
    """`kubectl get ns` lists default and kube-system as Active."""
    rows = table(ok(daemon, "get", "namespaces"))
    assert rows[0] == ["NAME", "STATUS", "AGE"]
    names = {r[0]: r[1] for r in rows[1:]}
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert names[name] == "Active"


def test_default_kubernetes_service(daemon: RunningDaemon) -> None:
    """The default namespace holds the `kubernetes` service on 10.96.0.1, port 443/TCP."""
    rows = table(ok(daemon, "get", "svc", "kubernetes", "-n", "default"))
    assert rows[0] == SVC_COLUMNS
    assert rows[1][:5] == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"]


def test_get_nodes_when_there_are_none(tmp_path: Path) -> None:
    """With no node registered (``up --without nodes``) `kubectl get nodes` says "No
    resources found" on stderr."""
    bare = start_daemon(tmp_path / "bare", extra=("--without", "nodes"))
    try:
        result = kubectl(bare, "get", "nodes")
        assert result.returncode == 0
        assert result.stdout == ""
        assert result.stderr.strip() == "No resources found"
    finally:
        bare.stop()


def test_get_all_namespaces_adds_the_namespace_column(daemon: RunningDaemon,
                                                      workloads: str) -> None:
    """`get -A` prefixes a NAMESPACE column, filled from each row's metadata."""
    rows = table(ok(daemon, "get", "pods", "-A"))
    assert rows[0] == ["NAMESPACE", *POD_COLUMNS]
    mine = [r for r in rows[1:] if r[:2] == [workloads, "pod1"]]
    assert len(mine) == 1, rows
    assert mine[0][2:5] == ["0/1", "Pending", "0"]


def test_get_with_label_selector(daemon: RunningDaemon, ns: str) -> None:
    """`-l` lists only the matching objects; a selector matching nothing says so."""
    ok(daemon, "-n", ns, "apply", "-f", "-",
       input=configmap("red", labels="{color: red}") + "---\n"
       + configmap("blue", labels="{color: blue}"))
    rows = table(ok(daemon, "-n", ns, "get", "cm", "-l", "color=red"))
    assert [r[0] for r in rows] == ["NAME", "red"]
    rows = table(ok(daemon, "-n", ns, "get", "cm", "-l", "color in (red,blue)"))
    assert sorted(r[0] for r in rows[1:]) == ["blue", "red"]
    none = kubectl(daemon, "-n", ns, "get", "cm", "-l", "color=green")
    assert none.stdout == "" and none.stderr.strip() == f"No resources found in {ns} namespace."


def test_get_show_labels(daemon: RunningDaemon, ns: str) -> None:
    """`--show-labels` adds a LABELS column with the labels as k=v,k=v."""
    ok(daemon, "-n", ns, "apply", "-f", "-", input=configmap("lab", labels="{a: x, b: w}"))
    rows = table(ok(daemon, "-n", ns, "get", "cm", "lab", "--show-labels"))
    assert rows[0] == ["NAME", "DATA", "AGE", "LABELS"]
    assert rows[1][0] == "lab" and rows[1][-1] == "a=x,b=w"


def test_get_sort_by_name(daemon: RunningDaemon, ns: str) -> None:
    """`--sort-by=.metadata.name` orders the rows by name whatever the creation order."""
    docs = [configmap(n, labels="{set: sorted}") for n in ("zeta", "alpha", "mid")]
    ok(daemon, "-n", ns, "apply", "-f", "-", input="---\n".join(docs))
    rows = table(ok(daemon, "-n", ns, "get", "cm", "-l", "set=sorted",
                    "--sort-by=.metadata.name"))
    assert [r[0] for r in rows] == ["NAME", "alpha", "mid", "zeta"]


class LineReader:
    """Reads whole lines from a child's stdout without blocking past a deadline."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.fd = proc.stdout.fileno()
        self.buffer = b""

    def line(self, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"no line within {timeout}s; have {self.buffer!r}")
            chunk = os.read(self.fd, 4096)
            if not chunk:
                raise AssertionError(f"kubectl closed its output; have {self.buffer!r}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def row(self, name: str, timeout: float = 10.0) -> list[str]:
        """The cells of the next row for object ``name``, skipping rows of other objects."""
        while True:
            cells = re.split(r"\s{2,}", self.line(timeout).strip())
            if cells[0] == name:
                return cells


def test_get_watch_prints_a_row_for_each_change(daemon: RunningDaemon, ns: str) -> None:
    """`kubectl get cm -w` prints the current rows, then a new row when an object changes."""
    ok(daemon, "-n", ns, "apply", "-f", "-", input=configmap("watched", data="{a: '1'}"))
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    proc = subprocess.Popen([KUBECTL, "--kubeconfig", str(daemon.kubeconfig), "-n", ns,
                             "get", "cm", "-w"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    try:
        reader = LineReader(proc)
        assert re.split(r"\s{2,}", reader.line()) == ["NAME", "DATA", "AGE"]
        assert reader.row("watched")[1] == "1"
        ok(daemon, "-n", ns, "patch", "cm", "watched", "--type=merge",
           "-p", '{"data":{"b":"2"}}')
        assert reader.row("watched")[1] == "2"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()


def test_apply_directory_created_configured_unchanged(daemon: RunningDaemon, ns: str,
                                                      tmp_path: Path) -> None:
    """`apply -f dir` creates every object, reports only changed ones as configured, and
    unchanged ones as unchanged."""
    (tmp_path / "cm.yaml").write_text(configmap("app-config", data="{greeting: hello}"))
    (tmp_path / "web.yaml").write_text(deployment("app-web"))
    lines = ok(daemon, "-n", ns, "apply", "-f", str(tmp_path)).splitlines()
    assert lines == ["configmap/app-config created", "deployment.apps/app-web created"]
    (tmp_path / "cm.yaml").write_text(configmap("app-config", data="{greeting: bonjour}"))
    lines = ok(daemon, "-n", ns, "apply", "-f", str(tmp_path)).splitlines()
    assert lines == ["configmap/app-config configured", "deployment.apps/app-web unchanged"]
    lines = ok(daemon, "-n", ns, "apply", "-f", str(tmp_path)).splitlines()
    assert lines == ["configmap/app-config unchanged", "deployment.apps/app-web unchanged"]
    data = ok(daemon, "-n", ns, "get", "cm", "app-config", "-o", "jsonpath={.data.greeting}")
    assert data == "bonjour"


def test_apply_server_side_and_a_conflicting_manager(daemon: RunningDaemon, ns: str) -> None:
    """`apply --server-side` creates and reports serverside-applied; a second field manager
    changing the same field gets the conflict naming the owner, and --force-conflicts wins."""
    out = ok(daemon, "-n", ns, "apply", "--server-side", "-f", "-",
             input=configmap("ssa", data="{a: '1'}"))
    assert out == "configmap/ssa serverside-applied\n"
    conflict = kubectl(daemon, "-n", ns, "apply", "--server-side", "--field-manager=other",
                       "-f", "-", input=configmap("ssa", data="{a: '2'}"))
    assert conflict.returncode == 1
    assert conflict.stderr.startswith(
        'error: Apply failed with 1 conflict: conflict with "kubectl": .data.a\n'), \
        conflict.stderr
    assert "--force-conflicts" in conflict.stderr
    forced = ok(daemon, "-n", ns, "apply", "--server-side", "--field-manager=other",
                "--force-conflicts", "-f", "-", input=configmap("ssa", data="{a: '2'}"))
    assert forced == "configmap/ssa serverside-applied\n"
    assert ok(daemon, "-n", ns, "get", "cm", "ssa", "-o", "jsonpath={.data.a}") == "2"


def test_create_an_existing_object_is_already_exists(daemon: RunningDaemon, ns: str,
                                                     tmp_path: Path) -> None:
    """`kubectl create -f` of an object that exists prints the AlreadyExists line, exit 1."""
    path = tmp_path / "dup.yaml"
    path.write_text(configmap("dup"))
    assert ok(daemon, "-n", ns, "create", "-f", str(path)) == "configmap/dup created\n"
    again = kubectl(daemon, "-n", ns, "create", "-f", str(path))
    assert again.returncode == 1
    assert again.stderr == ('Error from server (AlreadyExists): error when creating '
                            f'"{path}": configmaps "dup" already exists\n')


@pytest.mark.parametrize("args, printed", [
    pytest.param(["namespace", "{name}"], "namespace/{name} created", id="namespace"),
    pytest.param(["configmap", "{name}", "--from-literal=k=v"], "configmap/{name} created",
                 id="configmap"),
    pytest.param(["secret", "generic", "{name}", "--from-literal=k=v"], "secret/{name} created",
                 id="secret"),
    pytest.param(["deployment", "{name}", "--image=nginx:1.25"],
                 "deployment.apps/{name} created", id="deployment"),
])
def test_imperative_create(daemon: RunningDaemon, ns: str, args: list[str],
                           printed: str) -> None:
    """`kubectl create <kind> <name> ...` (typed clients; 1.32 sends protobuf bodies) creates
    the object and the object can be read back."""
    name = unique("imp")
    out = ok(daemon, "-n", ns, "create", *[a.format(name=name) for a in args])
    assert out == printed.format(name=name) + "\n"
    got = ok(daemon, "-n", ns, "get", args[0], name, "-o", "jsonpath={.metadata.name}")
    assert got == name


def test_delete_file_and_delete_pod(daemon: RunningDaemon, ns: str, tmp_path: Path) -> None:
    """`delete -f` and `delete pod x` print `<kind> "x" deleted` once the object is gone."""
    path = tmp_path / "gone.yaml"
    path.write_text(configmap("gone-cm") + "---\n" + deployment("gone-web"))
    ok(daemon, "-n", ns, "apply", "-f", str(path))
    assert ok(daemon, "-n", ns, "delete", "-f", str(path)).splitlines() == [
        'configmap "gone-cm" deleted', 'deployment.apps "gone-web" deleted']
    ok(daemon, "-n", ns, "run", "victim", "--image=busybox:1.36")
    assert ok(daemon, "-n", ns, "delete", "pod", "victim") == 'pod "victim" deleted\n'
    missing = kubectl(daemon, "-n", ns, "get", "pod", "victim")
    assert missing.returncode == 1
    assert missing.stderr == 'Error from server (NotFound): pods "victim" not found\n'


def test_scale_deployment(daemon: RunningDaemon, ns: str) -> None:
    """`scale --replicas` sets spec.replicas through the scale subresource; with
    --current-replicas it only acts when the precondition holds."""
    ok(daemon, "-n", ns, "apply", "-f", "-", input=deployment("web"))
    assert ok(daemon, "-n", ns, "scale", "deploy", "web", "--replicas=3") == \
        "deployment.apps/web scaled\n"
    assert ok(daemon, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}") == "3"
    ok(daemon, "-n", ns, "scale", "deploy", "web", "--current-replicas=3", "--replicas=4")
    assert ok(daemon, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}") == "4"
    stale = kubectl(daemon, "-n", ns, "scale", "deploy", "web", "--current-replicas=3",
                    "--replicas=5")
    assert stale.returncode == 1
    assert stale.stderr == "error: Expected replicas to be 3, was 4\n"


def test_label_and_annotate(daemon: RunningDaemon, ns: str) -> None:
    """`label` and `annotate` add metadata that `-o jsonpath` then reads back."""
    ok(daemon, "-n", ns, "apply", "-f", "-", input=deployment("meta"))
    assert ok(daemon, "-n", ns, "label", "deploy", "meta", "tier=frontend") == \
        "deployment.apps/meta labeled\n"
    assert ok(daemon, "-n", ns, "annotate", "deploy", "meta", "owner=team-a") == \
        "deployment.apps/meta annotated\n"
    got = ok(daemon, "-n", ns, "get", "deploy", "meta", "-o",
             "jsonpath={.metadata.labels.tier}/{.metadata.annotations.owner}")
    assert got == "frontend/team-a"
    taken = kubectl(daemon, "-n", ns, "label", "deploy", "meta", "tier=backend")
    assert taken.returncode == 1
    assert "'tier' already has a value (frontend), and --overwrite is false" in taken.stderr


def test_set_image(daemon: RunningDaemon, ns: str) -> None:
    """`set image deploy/web c=img:2` changes the container's image in the template."""
    ok(daemon, "-n", ns, "apply", "-f", "-", input=deployment("web"))
    assert ok(daemon, "-n", ns, "set", "image", "deploy/web", "c=img:2") == \
        "deployment.apps/web image updated\n"
    got = ok(daemon, "-n", ns, "get", "deploy", "web", "-o",
             "jsonpath={.spec.template.spec.containers[*].image}")
    assert got == "img:2"


@pytest.mark.parametrize("patch_type, patch, path, expected", [
    pytest.param("strategic",
                 '{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"img:3"}]}}}}',
                 "{.spec.template.spec.containers[*].name}={.spec.template.spec"
                 ".containers[*].image}", "c=img:3", id="strategic-merges-containers-by-name"),
    pytest.param("merge", '{"spec":{"replicas":5}}', "{.spec.replicas}", "5", id="merge"),
    pytest.param("json", '[{"op":"replace","path":"/spec/replicas","value":6}]',
                 "{.spec.replicas}", "6", id="json"),
])
def test_patch_types(daemon: RunningDaemon, ns: str, patch_type: str, patch: str, path: str,
                     expected: str) -> None:
    """`kubectl patch --type=strategic|merge|json` applies the patch; a repeat is a no-op."""
    ok(daemon, "-n", ns, "apply", "-f", "-", input=deployment("web"))
    out = ok(daemon, "-n", ns, "patch", "deploy", "web", f"--type={patch_type}", "-p", patch)
    assert out == "deployment.apps/web patched\n"
    assert ok(daemon, "-n", ns, "get", "deploy", "web", "-o", f"jsonpath={path}") == expected
    if patch_type != "json":
        again = ok(daemon, "-n", ns, "patch", "deploy", "web", f"--type={patch_type}",
                   "-p", patch)
        assert again == "deployment.apps/web patched (no change)\n"


def test_describe_deployment_shows_its_events(daemon: RunningDaemon, ns: str) -> None:
    """`describe deployment` prints Name, Replicas and an Events section holding the Event
    whose involvedObject is the deployment."""
    ok(daemon, "-n", ns, "apply", "-f", "-", input=deployment("web", replicas=2))
    uid = ok(daemon, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.uid}")
    event = {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.e2e1", "namespace": ns},
        "involvedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                           "namespace": ns, "uid": uid},
        "reason": "ScalingReplicaSet", "message": "Scaled up replica set web-abc to 2",
        "type": "Normal", "source": {"component": "deployment-controller"},
        "firstTimestamp": now(), "lastTimestamp": now(), "count": 1,
    }
    assert ok(daemon, "create", "-f", "-", input=json.dumps(event)) == \
        "event/web.e2e1 created\n"
    ok(daemon, "-n", ns, "wait", "--for=jsonpath={.status.replicas}=2", "deploy/web",
       "--timeout=30s")
    out = ok(daemon, "-n", ns, "describe", "deployment", "web")
    assert re.search(r"^Name:\s+web$", out, re.M)
    assert re.search(r"^Namespace:\s+" + ns + "$", out, re.M)
    assert re.search(r"^Replicas:\s+2 desired \| 2 updated \| 2 total \| 0 available \| "
                     r"2 unavailable$", out, re.M), out
    events = table(out[out.index("\nEvents:"):])
    assert events[1] == ["Type", "Reason", "Age", "From", "Message"]
    ours = [row for row in events[3:] if row[-1] == "Scaled up replica set web-abc to 2"]
    assert len(ours) == 1, events
    assert ours[0][:2] == ["Normal", "ScalingReplicaSet"]
    assert ours[0][3] == "deployment-controller"


def test_explain_deployment_spec(daemon: RunningDaemon) -> None:
    """`explain deployment.spec` lists the spec's FIELDS with their types."""
    out = ok(daemon, "explain", "deployment.spec")
    assert re.search(r"^KIND:\s+Deployment$", out, re.M)
    assert re.search(r"^VERSION:\s+v1$", out, re.M)
    fields = out[out.index("FIELDS:"):]
    assert re.search(r"^  replicas\t<integer>$", fields, re.M)
    assert re.search(r"^  selector\t<LabelSelector> -required-$", fields, re.M)
    assert re.search(r"^  template\t<PodTemplateSpec> -required-$", fields, re.M)


def test_get_all_lists_the_all_category(daemon: RunningDaemon, workloads: str) -> None:
    """`get all` lists pods, services, deployments and replicasets with kind-prefixed names."""
    out = ok(daemon, "-n", workloads, "get", "all")
    names = {row[0] for row in table(out)}
    assert {"pod/pod1", "service/svc1", "deployment.apps/web1", "replicaset.apps/rs1"} <= names
    defaults = table(ok(daemon, "-n", "default", "get", "all"))
    assert ["service/kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"] == \
        defaults[1][:5]


INVALID = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  replicas: -1
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: other}}
    spec:
      containers: [{name: c}]
"""


@pytest.mark.parametrize("verb", ["apply", "create"])
def test_invalid_manifest_lists_the_field_errors(daemon: RunningDaemon, ns: str,
                                                 verb: str) -> None:
    """An invalid Deployment is refused with `The Deployment "bad" is invalid:` and one line
    per field error; kubectl exits 1."""
    result = kubectl(daemon, "-n", ns, verb, "-f", "-", input=INVALID)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].rstrip() == 'The Deployment "bad" is invalid:'
    assert "* spec.replicas: Invalid value: -1: must be greater than or equal to 0" in lines
    assert "* spec.template.spec.containers[0].image: Required value" in lines
    assert any(line.startswith("* spec.template.metadata.labels: Invalid value:")
               and "`selector` does not match template `labels`" in line for line in lines)


@pytest.mark.parametrize("args", [
    pytest.param(["apply"], id="apply"),
    pytest.param(["create"], id="create"),
    pytest.param(["apply", "--server-side"], id="server-side-apply"),
])
def test_unknown_field_is_a_strict_decoding_error(daemon: RunningDaemon, ns: str,
                                                  args: list[str]) -> None:
    """kubectl's default validation is Strict: an unknown field fails with the server's
    `strict decoding error: unknown field`, and nothing is created."""
    manifest = configmap("strict") + "bogus: 1\n"
    result = kubectl(daemon, "-n", ns, *args, "-f", "-", input=manifest)
    assert result.returncode == 1
    assert result.stderr.startswith("Error from server (BadRequest): ")
    assert 'strict decoding error: unknown field "bogus"' in result.stderr
    assert kubectl(daemon, "-n", ns, "get", "cm", "strict").returncode == 1


def test_wait_for_jsonpath(daemon: RunningDaemon, ns: str) -> None:
    """`kubectl wait --for=jsonpath=...` returns at once when the field already matches and
    times out (exit 1) when it does not."""
    ok(daemon, "-n", ns, "apply", "-f", "-", input=deployment("web", replicas=2))
    met = ok(daemon, "-n", ns, "wait", "--for=jsonpath={.spec.replicas}=2", "deploy/web",
             "--timeout=10s")
    assert met == "deployment.apps/web condition met\n"
    unmet = kubectl(daemon, "-n", ns, "wait", "--for=jsonpath={.spec.replicas}=9",
                    "deploy/web", "--timeout=1s")
    assert unmet.returncode == 1
    assert "timed out waiting for the condition on deployments/web" in unmet.stderr


def test_get_raw_healthz(daemon: RunningDaemon) -> None:
    """`kubectl get --raw /healthz` prints the body `ok`."""
    assert ok(daemon, "get", "--raw", "/healthz") == "ok"
