"""Custom resources end to end: a started daemon (``--without kubelet``), the official
``kubernetes`` client and the real kubectl.

A CRD with a schema, the status and scale subresources and printer columns is applied with
kubectl; then objects are checked for validation with field paths, pruning and defaults
(client), columns, short names and explain (kubectl), watch, the garbage collector and the
namespace controller on custom objects, a daemon restart, and the CRD's deletion taking its
objects and its API with it. The tests run in file order on one daemon.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from tests.conftest import ROOT, RunningDaemon, start_daemon
from tests.e2e.test_kubectl import kubectl, ok, table

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

GROUP, VERSION, PLURAL = "stable.example.com", "v1", "crontabs"
CRD_NAME = f"{PLURAL}.{GROUP}"
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": CRD_NAME},
    "spec": {
        "group": GROUP, "scope": "Namespaced",
        "names": {"plural": PLURAL, "singular": "crontab", "kind": "CronTab",
                  "shortNames": ["ct"], "categories": ["all"]},
        "versions": [{
            "name": VERSION, "served": True, "storage": True,
            "schema": {"openAPIV3Schema": {
                "type": "object", "description": "A job run on a schedule.",
                "properties": {
                    "spec": {"type": "object", "description": "What to run and when.",
                             "required": ["cronSpec"], "properties": {
                                 "cronSpec": {"type": "string", "pattern": r"^(\S+ ){4}\S+$",
                                              "description": "The cron schedule."},
                                 "image": {"type": "string", "maxLength": 40},
                                 "replicas": {"type": "integer", "minimum": 0,
                                              "default": 1},
                                 "policy": {"type": "string", "default": "Allow",
                                            "enum": ["Allow", "Forbid"]}}},
                    "status": {"type": "object", "properties": {
                        "replicas": {"type": "integer"}}}}}},
            "subresources": {"status": {}, "scale": {
                "specReplicasPath": ".spec.replicas",
                "statusReplicasPath": ".status.replicas"}},
            "additionalPrinterColumns": [
                {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
                {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}],
        }],
    },
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("crd-daemon")


@pytest.fixture(scope="module")
def running(data_dir: Path) -> Iterator[list[RunningDaemon]]:
    """The module's daemon, in a list so that the restart test can replace it."""
    holder = [start_daemon(data_dir)]
    yield holder
    holder[0].stop()


@pytest.fixture
def daemon(running: list[RunningDaemon]) -> RunningDaemon:
    return running[0]


@pytest.fixture
def api(daemon: RunningDaemon) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(daemon.kubeconfig))
    yield api_client
    api_client.close()


def crontab(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "CronTab",
            "metadata": {"name": name}, "spec": {"cronSpec": "* * * * */5", **spec}}


def eventually(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def gone(read: Callable[[], Any]) -> bool:
    try:
        read()
    except ApiException as exc:
        return exc.status == 404
    return False


def test_crd_applied_and_established(daemon: RunningDaemon) -> None:
    """kubectl applies the CRD; it becomes Established and its names are accepted."""
    assert ok(daemon, "apply", "-f", "-", input=json.dumps(CRD)) == \
        f"customresourcedefinition.apiextensions.k8s.io/{CRD_NAME} created\n"
    ok(daemon, "wait", "--for=condition=Established", f"crd/{CRD_NAME}", "--timeout=20s")
    got = json.loads(ok(daemon, "get", "crd", CRD_NAME, "-o", "json"))
    conditions = {c["type"]: c["status"] for c in got["status"]["conditions"]}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    assert got["status"]["acceptedNames"]["shortNames"] == ["ct"]
    assert got["status"]["storedVersions"] == ["v1"]


def test_official_client_reads_crds_as_its_models(api: client.ApiClient) -> None:
    """ApiextensionsV1Api creates, reads, lists and deletes CRDs: every answer fits the
    client's typed models (their required fields are there)."""
    ext = client.ApiextensionsV1Api(api)
    body = json.loads(json.dumps(CRD))
    body["metadata"]["name"] = f"gadgets.{GROUP}"
    body["spec"]["names"] = {"plural": "gadgets", "kind": "Gadget"}
    created = ext.create_custom_resource_definition(body)
    assert created.status.stored_versions == ["v1"]
    eventually(lambda: any(c.type == "Established" and c.status == "True" for c in (
        ext.read_custom_resource_definition(f"gadgets.{GROUP}").status.conditions or [])),
        "the Gadget CRD to be established")
    got = ext.read_custom_resource_definition(f"gadgets.{GROUP}")
    assert got.status.accepted_names.kind == "Gadget"
    assert got.spec.versions[0].schema.open_apiv3_schema.properties["spec"].required == \
        ["cronSpec"]
    names = [c.metadata.name for c in ext.list_custom_resource_definition().items]
    assert f"gadgets.{GROUP}" in names
    ext.delete_custom_resource_definition(f"gadgets.{GROUP}")
    eventually(lambda: gone(lambda: ext.read_custom_resource_definition(f"gadgets.{GROUP}")),
               "the Gadget CRD to go")


def test_invalid_objects_rejected_with_field_paths(api: client.ApiClient) -> None:
    """The schema's rules, each a 422 cause naming its field."""
    custom = client.CustomObjectsApi(api)
    bad = crontab("bad", cronSpec="nope", image="x" * 41, replicas=-1, policy="Maybe")
    with pytest.raises(ApiException) as err:
        custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, bad)
    assert err.value.status == 422
    causes = {c["field"]: c["message"] for c in json.loads(err.value.body)["details"]["causes"]}
    assert set(causes) == {"spec.cronSpec", "spec.image", "spec.replicas", "spec.policy"}
    assert "should match" in causes["spec.cronSpec"]
    assert "Too long" in causes["spec.image"]
    assert "greater than or equal to 0" in causes["spec.replicas"]
    with pytest.raises(ApiException) as err:
        custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, {
            "apiVersion": f"{GROUP}/{VERSION}", "kind": "CronTab",
            "metadata": {"name": "bad2"}, "spec": {}})
    assert err.value.status == 422 and "spec.cronSpec: Required value" in err.value.body


def test_unknown_fields_pruned_and_defaults_applied(api: client.ApiClient) -> None:
    """What the schema does not name is dropped; missing fields with defaults are filled."""
    custom = client.CustomObjectsApi(api)
    body = crontab("ct-a", image="busybox", mystery={"x": 1})
    body["topLevelJunk"] = True
    created = custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, body)
    assert "mystery" not in created["spec"] and "topLevelJunk" not in created
    assert created["spec"]["replicas"] == 1 and created["spec"]["policy"] == "Allow"
    got = custom.get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "ct-a")
    assert got["spec"] == {"cronSpec": "* * * * */5", "image": "busybox", "replicas": 1,
                           "policy": "Allow"}


def test_kubectl_get_shows_printer_columns(daemon: RunningDaemon) -> None:
    """kubectl get by plural, short name and kind prints the CRD's columns."""
    for name in ("crontabs", "ct", "CronTab", f"crontabs.{GROUP}"):
        rows = table(ok(daemon, "get", name))
        assert rows[0] == ["NAME", "SPEC", "REPLICAS", "AGE"], name
        assert rows[1][:3] == ["ct-a", "* * * * */5", "1"]
    assert "crontab.stable.example.com/ct-a" in ok(daemon, "get", "all", "-o", "name")


def test_kubectl_apply_selectors_and_api_resources(daemon: RunningDaemon) -> None:
    """Server-side and client-side apply of a custom object, label selectors, and the kind
    in kubectl api-resources."""
    manifest = crontab("ct-apply", image="a")
    manifest["metadata"]["labels"] = {"tier": "x"}
    assert ok(daemon, "apply", "--server-side", "-f", "-", input=json.dumps(manifest)) == \
        "crontab.stable.example.com/ct-apply serverside-applied\n"
    other = crontab("ct-csa")
    assert ok(daemon, "apply", "-f", "-", input=json.dumps(other)) == \
        "crontab.stable.example.com/ct-csa created\n"
    other["spec"]["image"] = "b"
    assert ok(daemon, "apply", "-f", "-", input=json.dumps(other)) == \
        "crontab.stable.example.com/ct-csa configured\n"
    assert [r[0] for r in table(ok(daemon, "get", "ct", "-l", "tier=x"))[1:]] == ["ct-apply"]
    rows = table(ok(daemon, "api-resources", "--api-group", GROUP))
    assert rows[1] == ["crontabs", "ct", f"{GROUP}/{VERSION}", "true", "CronTab"]


def test_kubectl_explain_reads_the_schema(daemon: RunningDaemon) -> None:
    """kubectl explain finds the kind and its fields' descriptions in OpenAPI v3."""
    out = ok(daemon, "explain", "crontab.spec")
    assert "What to run and when." in out and "cronSpec" in out
    assert "The cron schedule." in ok(daemon, "explain", "crontabs.spec.cronSpec")


def test_status_and_scale_with_kubectl(daemon: RunningDaemon) -> None:
    """kubectl scale writes spec.replicas through /scale; status stays with /status."""
    assert ok(daemon, "scale", "crontab/ct-a", "--replicas=3") == \
        "crontab.stable.example.com/ct-a scaled\n"
    got = json.loads(ok(daemon, "get", "ct", "ct-a", "-o", "json"))
    assert got["spec"]["replicas"] == 3 and got["metadata"]["generation"] == 2
    # As against Kubernetes: a strategic merge patch of a custom resource is refused (415),
    # a merge patch works.
    result = kubectl(daemon, "patch", "ct", "ct-a", "-p", '{"spec":{"replicas":4}}')
    assert result.returncode == 1
    assert "application/strategic-merge-patch+json is not supported" in result.stderr
    ok(daemon, "patch", "ct", "ct-a", "--type=merge", "-p", '{"spec":{"replicas":4}}')


def test_watch_sees_changes(api: client.ApiClient) -> None:
    """A watch of the custom resource delivers ADDED and MODIFIED events."""
    custom = client.CustomObjectsApi(api)
    listed = custom.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL)
    seen: list[tuple[str, str]] = []
    w = watch.Watch()

    def watcher() -> None:
        for event in w.stream(custom.list_namespaced_custom_object, GROUP, VERSION, "default",
                              PLURAL, resource_version=listed["metadata"]["resourceVersion"],
                              timeout_seconds=10):
            seen.append((event["type"], event["object"]["metadata"]["name"]))
            if event["type"] == "MODIFIED":
                w.stop()

    thread = threading.Thread(target=watcher, name="crontab-watch")
    thread.start()
    time.sleep(0.3)
    custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL,
                                           crontab("ct-w"))
    custom.patch_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "ct-w",
                                          {"spec": {"image": "nginx"}})
    thread.join(timeout=15)
    assert seen == [("ADDED", "ct-w"), ("MODIFIED", "ct-w")]
    selected = custom.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL,
                                                    field_selector="metadata.name=ct-w")
    assert [i["metadata"]["name"] for i in selected["items"]] == ["ct-w"]


def test_garbage_collection_of_custom_objects(api: client.ApiClient) -> None:
    """Owned custom objects go with their owner, and objects a custom object owns go
    with it."""
    core, custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
    owner = core.create_namespaced_config_map("default", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="gc-owner")))
    owned = crontab("ct-owned")
    owned["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap",
                                             "name": "gc-owner", "uid": owner.metadata.uid}]
    custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, owned)
    parent = custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL,
                                                    crontab("ct-parent"))
    core.create_namespaced_config_map("default", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="gc-child", owner_references=[client.V1OwnerReference(
            api_version=f"{GROUP}/{VERSION}", kind="CronTab", name="ct-parent",
            uid=parent["metadata"]["uid"])])))
    core.delete_namespaced_config_map("gc-owner", "default")
    eventually(lambda: gone(lambda: custom.get_namespaced_custom_object(
        GROUP, VERSION, "default", PLURAL, "ct-owned")), "the owned CronTab to go")
    custom.delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "ct-parent")
    eventually(lambda: gone(lambda: core.read_namespaced_config_map("gc-child", "default")),
               "the ConfigMap owned by a CronTab to go")


def test_namespace_deletion_removes_custom_objects(api: client.ApiClient) -> None:
    """Deleting a namespace deletes the custom objects in it, then the namespace."""
    core, custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="ct-ns")))
    custom.create_namespaced_custom_object(GROUP, VERSION, "ct-ns", PLURAL, crontab("inside"))
    core.delete_namespace("ct-ns")
    eventually(lambda: gone(lambda: core.read_namespace("ct-ns")), "the namespace to go",
               timeout=30)
    listed = custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)
    assert "ct-ns" not in {i["metadata"]["namespace"] for i in listed["items"]}


def test_minikube_py_cli_resolves_custom_resources(daemon: RunningDaemon) -> None:
    """Our own CLI applies custom objects and finds the kind by plural and short name."""
    result = daemon.cli("apply", "-f", "-", input=json.dumps(crontab("ct-cli")))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "crontab.stable.example.com/ct-cli created\n"
    result = daemon.cli("apply", "-f", "-", input=json.dumps({
        "apiVersion": "nope.example.com/v1", "kind": "Nope", "metadata": {"name": "n"}}))
    assert result.returncode == 1
    assert 'resource mapping not found for kind "Nope"' in result.stderr
    for name in ("crontabs", "ct"):
        result = daemon.cli("get", name)
        assert result.returncode == 0, result.stderr
        rows = table(result.stdout)
        assert rows[0] == ["NAME", "SPEC", "REPLICAS", "AGE"]
        assert "ct-a" in [r[0] for r in rows[1:]]


def test_custom_objects_survive_a_restart(running: list[RunningDaemon],
                                          data_dir: Path) -> None:
    """A CRD and its objects written before a restart are served after it."""
    running[0].stop()
    running[0] = start_daemon(data_dir)
    api_client = config.new_client_from_config(config_file=str(running[0].kubeconfig))
    try:
        got = client.CustomObjectsApi(api_client).get_namespaced_custom_object(
            GROUP, VERSION, "default", PLURAL, "ct-a")
        assert got["spec"]["replicas"] == 4
    finally:
        api_client.close()


def test_deleting_the_crd_removes_objects_and_api(daemon: RunningDaemon,
                                                  api: client.ApiClient) -> None:
    """kubectl delete crd waits for the cleanup; afterwards the kind is not served."""
    assert ok(daemon, "delete", "crd", CRD_NAME, "--timeout=30s") == \
        f'customresourcedefinition.apiextensions.k8s.io "{CRD_NAME}" deleted\n'
    result = kubectl(daemon, "get", "crontabs")
    assert result.returncode != 0  # NotFound (kubectl's discovery cache still knows the name)
    assert "the server could not find the requested resource" in result.stderr or \
        'the server doesn\'t have a resource type "crontabs"' in result.stderr
    groups = client.ApisApi(api).get_api_versions()
    assert GROUP not in [g.name for g in groups.groups]
    # The objects went with it: the same CRD made again serves none.
    ok(daemon, "apply", "-f", "-", input=json.dumps(CRD))
    ok(daemon, "wait", "--for=condition=Established", f"crd/{CRD_NAME}", "--timeout=20s")
    listed = client.CustomObjectsApi(api).list_cluster_custom_object(GROUP, VERSION, PLURAL)
    assert listed["items"] == []
    ok(daemon, "delete", "crd", CRD_NAME, "--timeout=30s")


def test_controller_manager_in_its_own_process_collects_custom_objects(
        tmp_path: Path) -> None:
    """``minikube-py controller-manager --kubeconfig`` in another process learns the CRD over
    HTTPS: its garbage collector deletes a custom object whose owner went, and an object a
    custom object owned."""
    bare = start_daemon(tmp_path / "bare", extra=("--without", "controller-manager"))
    log = open(tmp_path / "controller-manager.log", "ab")
    manager = subprocess.Popen(
        [sys.executable, "-m", "minikube_py.cli.main", "controller-manager", "--kubeconfig",
         str(bare.kubeconfig)], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    log.close()
    api_client = config.new_client_from_config(config_file=str(bare.kubeconfig))
    try:
        ok(bare, "apply", "-f", "-", input=json.dumps(CRD))
        ok(bare, "wait", "--for=condition=Established", f"crd/{CRD_NAME}", "--timeout=20s")
        core, custom = client.CoreV1Api(api_client), client.CustomObjectsApi(api_client)
        owner = core.create_namespaced_config_map("default", client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="owner")))
        owned = crontab("owned")
        owned["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap",
                                                 "name": "owner", "uid": owner.metadata.uid}]
        parent = custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL,
                                                        crontab("parent"))
        custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, owned)
        core.create_namespaced_config_map("default", client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="child", owner_references=[
                client.V1OwnerReference(api_version=f"{GROUP}/{VERSION}", kind="CronTab",
                                        name="parent", uid=parent["metadata"]["uid"])])))
        core.delete_namespaced_config_map("owner", "default")
        custom.delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "parent")
        eventually(lambda: gone(lambda: custom.get_namespaced_custom_object(
            GROUP, VERSION, "default", PLURAL, "owned")), "the owned CronTab to go", 30)
        eventually(lambda: gone(lambda: core.read_namespaced_config_map("child", "default")),
                   "the CronTab's ConfigMap to go", 30)
    finally:
        api_client.close()
        manager.terminate()
        manager.wait(timeout=15)
        bare.stop()
