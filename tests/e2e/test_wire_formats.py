"""The bytes real clients check, against a started daemon: Status bodies exactly as Kubernetes'
encoder writes them, and protobuf answers read by kubectl 1.32+ (its typed clients ask for
``application/vnd.kubernetes.protobuf,application/json``) and by an independent decoder.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import config, utils

from tests.conftest import RunningDaemon, start_daemon
from tests.e2e.test_kubectl import kubectl, unique
from tests.helpers import protobuf_reference as ref

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

PROTOBUF = "application/vnd.kubernetes.protobuf"


def binary(minor: int) -> str:
    return f"/usr/lib/google-cloud-sdk/bin/kubectl.1.{minor}"


def http(daemon: RunningDaemon, method: str, path: str, *, accept: str = "application/json",
         body: Any = None) -> tuple[int, str, bytes]:
    """One HTTPS request with the daemon's token: (status, content type, body bytes)."""
    context = ssl.create_default_context(cafile=str(daemon.data_dir / "ca.crt"))
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{daemon.url}{path}", method=method, data=data, headers={
        "Authorization": f"Bearer {daemon.token}", "Accept": accept,
        "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read()


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    """A daemon whose kubelet runs simulated containers (kubectl run -i waits for one to
    run and end), without the machine-wide service rules."""
    running = start_daemon(tmp_path_factory.mktemp("wire"), kubelet=True,
                           extra=("--runtime", "sim", "--without", "service-rules"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(daemon: RunningDaemon) -> Any:
    api_client = config.new_client_from_config(config_file=str(daemon.kubeconfig))
    yield api_client
    api_client.close()


def test_create_from_yaml_conflict_is_kubernetes_bytes(api: Any, tmp_path: Path) -> None:
    """The official client's create_from_yaml reports a conflict with the Status body, byte
    for byte as Kubernetes writes it (details before code, a final newline), as its own
    e2e test compares it: for a core kind and for a kind of a group."""
    manifest = tmp_path / "objs.yaml"
    cm, deploy = unique("wf-cm"), unique("wf-deploy")
    manifest.write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": cm}, "data": {"a": "1"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": deploy},
         "spec": {"selector": {"matchLabels": {"app": "x"}},
                  "template": {"metadata": {"labels": {"app": "x"}},
                               "spec": {"containers": [{"name": "c", "image": "i"}]}}}}]))
    utils.create_from_yaml(api, str(manifest))
    with pytest.raises(utils.FailToCreateError) as failed:
        utils.create_from_yaml(api, str(manifest))
    assert str(failed.value) == (
        'Error from server (Conflict): {"kind":"Status","apiVersion":"v1","metadata":{},'
        f'"status":"Failure","message":"configmaps \\"{cm}\\" already exists",'
        f'"reason":"AlreadyExists","details":{{"name":"{cm}","kind":"configmaps"}},'
        '"code":409}\n'
        'Error from server (Conflict): {"kind":"Status","apiVersion":"v1","metadata":{},'
        f'"status":"Failure","message":"deployments.apps \\"{deploy}\\" already exists",'
        f'"reason":"AlreadyExists","details":{{"name":"{deploy}","group":"apps",'
        '"kind":"deployments"},"code":409}\n')


@pytest.mark.parametrize(("method", "path", "body", "want"), [
    pytest.param("GET", "/api/v1/namespaces/default/configmaps/nope", None,
                 b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
                 b'"message":"configmaps \\"nope\\" not found","reason":"NotFound",'
                 b'"details":{"name":"nope","kind":"configmaps"},"code":404}\n',
                 id="not-found"),
    pytest.param("GET", "/apis/nope.example.com/v1/things", None,
                 b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
                 b'"message":"the server could not find the requested resource",'
                 b'"reason":"NotFound","details":{},"code":404}\n',
                 id="unknown-path"),
    pytest.param("PUT", "/api/v1/namespaces", None,
                 b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
                 b'"message":"the server does not allow this method on the requested '
                 b'resource","reason":"MethodNotAllowed","details":{},"code":405}\n',
                 id="method-not-allowed"),
])
def test_error_status_bytes(daemon: RunningDaemon, method: str, path: str, body: Any,
                            want: bytes) -> None:
    """Error bodies over HTTPS, byte for byte in Kubernetes' encoding."""
    code, ctype, raw = http(daemon, method, path, body=body)
    assert ctype == "application/json"
    assert raw == want, raw
    assert code == json.loads(raw)["code"]


def test_status_strings_are_escaped_as_go_writes_them(daemon: RunningDaemon) -> None:
    """``<``, ``>`` and ``&`` in a Status message are written as Go's encoder writes them
    (``\\u003c``...), so the body is the bytes Kubernetes would send."""
    code, _, raw = http(daemon, "POST", "/api/v1/namespaces/default/configmaps",
                        body={"apiVersion": "v1", "kind": "ConfigMap",
                              "metadata": {"name": "a<b>&c"}})
    assert code == 422
    assert b"a\\u003cb\\u003e\\u0026c" in raw and b"<" not in raw and b"&" not in raw
    assert json.loads(raw)["details"]["name"] == "a<b>&c"


def test_protobuf_get_list_and_status_over_https(daemon: RunningDaemon) -> None:
    """Accept: protobuf alone gets protobuf for a built-in kind: the object, its list, and a
    404 Status, as the independent decoder reads them."""
    name = unique("wf-pb")
    http(daemon, "POST", "/api/v1/namespaces/default/configmaps",
         body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
               "data": {"k": "v"}})
    code, ctype, raw = http(daemon, "GET", f"/api/v1/namespaces/default/configmaps/{name}",
                            accept=PROTOBUF)
    assert (code, ctype) == (200, PROTOBUF)
    _, kind, message = ref.unwrap(raw)
    assert kind == "ConfigMap"
    assert ref.to_dict(ref.parse("k8s.io.api.core.v1.ConfigMap", message))["data"] == {"k": "v"}
    code, ctype, raw = http(daemon, "GET", "/api/v1/namespaces/default/configmaps",
                            accept=PROTOBUF)
    _, kind, message = ref.unwrap(raw)
    assert (code, ctype, kind) == (200, PROTOBUF, "ConfigMapList")
    items = ref.to_dict(ref.parse("k8s.io.api.core.v1.ConfigMapList", message))["items"]
    assert name in {i["metadata"]["name"] for i in items}
    code, ctype, raw = http(daemon, "GET", "/api/v1/namespaces/default/configmaps/nope",
                            accept=PROTOBUF)
    _, kind, message = ref.unwrap(raw)
    assert (code, ctype, kind) == (404, PROTOBUF, "Status")
    assert ref.to_dict(ref.parse(f"{ref.META}.Status", message))["reason"] == "NotFound"


@pytest.mark.parametrize("minor", [pytest.param(m, id=f"1.{m}") for m in (32, 33)])
def test_kubectl_typed_clients_read_protobuf(daemon: RunningDaemon, minor: int) -> None:
    """kubectl 1.32+ typed clients (create, describe) get protobuf answers and read them:
    the created object, a describe built from protobuf gets and lists, and a protobuf
    AlreadyExists Status turned into kubectl's error line."""
    name = f"wf-typed-{minor}"

    def run(*args: str) -> Any:
        return kubectl(daemon, *args, binary=binary(minor))

    out = run("create", "deployment", name, "--image=busybox", "--replicas=2")
    assert out.returncode == 0 and out.stdout == f"deployment.apps/{name} created\n", out.stderr
    described = run("describe", "deployment", name)
    assert described.returncode == 0, described.stderr
    assert f"Name:                   {name}" in described.stdout
    assert "Replicas:               2 desired" in described.stdout
    assert "busybox" in described.stdout
    again = run("create", "deployment", name, "--image=busybox")
    assert again.returncode == 1
    assert f'deployments.apps "{name}" already exists' in again.stderr
    ns = run("describe", "namespace", "default")
    assert ns.returncode == 0 and "Status:       Active" in ns.stdout, ns.stderr
    assert run("delete", "deployment", name).returncode == 0


@pytest.mark.parametrize("minor", [pytest.param(m, id=f"1.{m}") for m in (32, 33)])
def test_kubectl_run_waits_through_a_protobuf_watch(daemon: RunningDaemon, minor: int) -> None:
    """`kubectl run -i` lists and watches its pod with a typed client: the list comes back
    as protobuf, the watch as ``;stream=watch`` frames, and kubectl follows the pod through
    Running to completion from them (then prints its log and exits 0)."""
    name = f"wf-run-{minor}"
    script = json.dumps({"runSeconds": 1, "logs": "hello from the pod\n"})
    out = kubectl(daemon, "run", name, "--image=busybox", "--restart=Never", "-i",
                  "--pod-running-timeout=30s", f"--annotations=sim.minikube-py.io/{name}={script}",
                  "-v=8", "--", "true", binary=binary(minor))
    assert out.returncode == 0, out.stderr[-3000:]
    assert "hello from the pod" in out.stdout
    assert f"Content-Type: {PROTOBUF};stream=watch" in out.stderr
    assert "Unable to decode an event" not in out.stderr.split("hello from the pod")[0]


# -- /openapi/v2 read by kubectl ---------------------------------------------------------------

EVERY_MINOR = [pytest.param(m, id=f"1.{m}") for m in range(27, 34)]


@pytest.mark.parametrize("minor", EVERY_MINOR)
def test_kubectl_explain_reads_openapi_v2(daemon: RunningDaemon, minor: int) -> None:
    """`kubectl explain --output plaintext-openapiv2` renders fields from the protobuf v2
    document: descriptions, nested kinds, list types."""
    out = kubectl(daemon, "explain", "deployment.spec.strategy", "--output",
                  "plaintext-openapiv2", binary=binary(minor))
    assert out.returncode == 0, out.stderr
    assert "RESOURCE: strategy <Object>" in out.stdout
    assert "How old pods are replaced by new ones." in out.stdout
    assert "rollingUpdate\t<Object>" in out.stdout
    out = kubectl(daemon, "explain", "pods.spec.containers.ports", "--output",
                  "plaintext-openapiv2", binary=binary(minor))
    assert out.returncode == 0, out.stderr
    assert "RESOURCE: ports <[]Object>" in out.stdout and "containerPort\t<integer>" in out.stdout


BAD_LIST = """\
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: NAME-cm}, data: {a: "1"}}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: NAME-deploy}
  spec:
    bogusField: 3
    selector: {matchLabels: {app: x}}
    template:
      metadata: {labels: {app: x}}
      spec: {containers: [{name: c, image: i, ports: [{containerPort: "eighty"}]}]}
"""

GOOD_LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: NAME, labels: {app: NAME}}
  spec:
    replicas: 2
    strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: "25%"}}
    selector: {matchLabels: {app: NAME}}
    template:
      metadata: {labels: {app: NAME}}
      spec:
        containers:
        - name: c
          image: nginx:1.25
          env: [{name: B, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
          ports: [{containerPort: 80, name: http}]
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 1}}
          readinessProbe: {httpGet: {path: /, port: http}}
        volumes: [{name: v, emptyDir: {sizeLimit: 1Gi}}]
- apiVersion: v1
  kind: Service
  metadata: {name: NAME}
  spec: {selector: {app: NAME}, ports: [{port: 80, targetPort: http}]}
- {apiVersion: v1, kind: Secret, metadata: {name: NAME}, data: {k: dmFsdWU=}}
"""


@pytest.mark.parametrize("minor", EVERY_MINOR)
def test_kubectl_validates_a_list_against_openapi_v2(daemon: RunningDaemon, minor: int) -> None:
    """The items of a `kind: List` are validated client-side against /openapi/v2: unknown
    fields and wrong types are reported with Kubernetes' definition names and nothing is
    created; a correct list with quantities, int-or-strings and nested kinds applies."""
    name = f"wf-list-{minor}"
    bad = kubectl(daemon, "apply", "--validate=true", "-f", "-",
                  input=BAD_LIST.replace("NAME", name), binary=binary(minor))
    assert bad.returncode == 1
    assert ('ValidationError(Deployment.spec): unknown field "bogusField" in '
            "io.k8s.api.apps.v1.DeploymentSpec") in bad.stderr
    assert ("invalid type for io.k8s.api.core.v1.ContainerPort.containerPort: got "
            '"string", expected "integer"') in bad.stderr
    assert kubectl(daemon, "get", "cm", f"{name}-cm").returncode == 1, "nothing was created"
    good = kubectl(daemon, "apply", "--validate=true", "-f", "-",
                   input=GOOD_LIST.replace("NAME", name), binary=binary(minor))
    assert good.returncode == 0, good.stderr
    assert good.stdout.splitlines() == [f"deployment.apps/{name} created",
                                        f"service/{name} created", f"secret/{name} created"]
