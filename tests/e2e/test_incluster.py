"""In-cluster config from inside a real container: a pod runs the official Python client with
``config.load_incluster_config()`` and lists the pods of its namespace.

No image has Python and there is no registry, so the pod is the project's busybox image with
the host's Python mounted in by hostPath volumes: the shared libraries (``/usr/lib``, ``/lib``,
``/lib64``), the interpreter's prefix (``sys.base_prefix``) and the venv's site-packages (on
``PYTHONPATH``). Everything else is what any pod gets: the token volume of the ServiceAccount
admission, written by the kubelet, and ``KUBERNETES_SERVICE_HOST``/``_PORT``, which without
service rules (``--without service-rules``: no iptables, another run may own them) name the
Docker bridge gateway and the proxy's port there, forwarding to the apiserver, whose
certificate carries the gateway's address.
"""

from __future__ import annotations

import json
import sys
import sysconfig
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

from tests.conftest import RunningDaemon
from tests.e2e.kubelet_helpers import BUSYBOX, daemon_with_cleanup, docker_ok

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not docker_ok(), reason="no Docker engine")]

NODE = f"ic-{uuid.uuid4().hex[:6]}"
NAMESPACE = "incluster"
SCRIPT = """
import json, os
from kubernetes import client, config
config.load_incluster_config()
ns = open("/var/run/secrets/kubernetes.io/serviceaccount/namespace").read()
pods = client.CoreV1Api().list_namespaced_pod(ns)
print(json.dumps({"host": os.environ["KUBERNETES_SERVICE_HOST"],
                  "namespace": ns, "pods": sorted(p.metadata.name for p in pods.items)}))
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    yield from daemon_with_cleanup(tmp_path_factory.mktemp("incluster"), NODE,
                                   "--without", "service-rules")


def _host_dirs() -> list[str]:
    """The host directories the interpreter needs, each mounted at the same path."""
    site = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    dirs = {"/usr/lib", "/lib", "/lib64", sys.base_prefix, *site}
    return sorted(d for d in dirs if Path(d).exists())


def _python_pod(name: str) -> client.V1Pod:
    dirs = _host_dirs()
    site = sysconfig.get_paths()["purelib"]
    volumes = [client.V1Volume(name=f"host-{i}", host_path=client.V1HostPathVolumeSource(
        path=str(Path(d).resolve()))) for i, d in enumerate(dirs)]
    mounts = [client.V1VolumeMount(name=f"host-{i}", mount_path=d, read_only=True)
              for i, d in enumerate(dirs)]
    python = str(Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}."
                 f"{sys.version_info[1]}")
    return client.V1Pod(metadata=client.V1ObjectMeta(name=name), spec=client.V1PodSpec(
        restart_policy="Never", termination_grace_period_seconds=1, volumes=volumes,
        containers=[client.V1Container(
            name="client", image=BUSYBOX, command=[python, "-c", SCRIPT],
            env=[client.V1EnvVar(name="PYTHONPATH", value=site),
                 client.V1EnvVar(name="PYTHONDONTWRITEBYTECODE", value="1")],
            volume_mounts=mounts)]))


def _grant_view(api: client.ApiClient, namespace: str) -> None:
    """Where RBAC is served, the namespace's default account may read it (ClusterRole
    ``view`` through a RoleBinding); without RBAC every authenticated user may."""
    groups = [g.name for g in client.ApisApi(api).get_api_versions().groups]
    if "rbac.authorization.k8s.io" not in groups:
        return
    client.RbacAuthorizationV1Api(api).create_namespaced_role_binding(namespace, {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "default-view"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "view"},
        "subjects": [{"kind": "ServiceAccount", "name": "default",
                      "namespace": namespace}]})


def test_official_client_in_a_pod_lists_pods_with_incluster_config(
        cluster: RunningDaemon) -> None:
    """The pod's client finds the apiserver from its environment, trusts it with the
    mounted ca.crt, authenticates with the mounted token and lists its namespace's pods."""
    api = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    try:
        core = client.CoreV1Api(api)
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NAMESPACE)))
        _grant_view(api, NAMESPACE)
        core.create_namespaced_pod(NAMESPACE, _python_pod("lister"))
        deadline = time.monotonic() + 90
        phase = ""
        while time.monotonic() < deadline:
            phase = core.read_namespaced_pod("lister", NAMESPACE).status.phase or ""
            if phase in ("Succeeded", "Failed"):
                break
            time.sleep(0.5)
        logs = core.read_namespaced_pod_log("lister", NAMESPACE)
        assert phase == "Succeeded", f"pod ended {phase!r}: {logs}"
        result = json.loads(logs.strip().splitlines()[-1])
        assert result["namespace"] == NAMESPACE
        assert result["pods"] == ["lister"]
        assert result["host"] != "10.96.0.1"  # no service rules: the bridge gateway
    finally:
        api.close()
