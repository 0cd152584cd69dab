"""The official ``kubernetes`` Python client against a real daemon over TLS with the token."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from tests.conftest import RunningDaemon


@pytest.fixture(scope="module")
def api(daemon: RunningDaemon) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(daemon.kubeconfig))
    yield api_client
    api_client.close()


def _cm(name: str, labels: dict[str, str] | None = None) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels),
                              data={"k": "v"})


def test_create_get_list_delete(api: client.ApiClient) -> None:
    """Create, get, list with a label selector, delete: the ordinary client round trip."""
    core = client.CoreV1Api(api)
    created = core.create_namespaced_config_map("default", _cm("pc-a", {"app": "a"}))
    core.create_namespaced_config_map("default", _cm("pc-b", {"app": "b"}))
    assert created.metadata.uid and created.metadata.resource_version
    got = core.read_namespaced_config_map("pc-a", "default")
    assert got.data == {"k": "v"} and got.metadata.uid == created.metadata.uid
    listed = core.list_namespaced_config_map("default", label_selector="app in (a)")
    assert [i.metadata.name for i in listed.items] == ["pc-a"]
    core.delete_namespaced_config_map("pc-a", "default")
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("pc-a", "default")
    assert err.value.status == 404


def test_replace_with_stale_resource_version_conflicts(api: client.ApiClient) -> None:
    """replace with an old resourceVersion fails with 409 Conflict."""
    core = client.CoreV1Api(api)
    first = core.create_namespaced_config_map("default", _cm("pc-stale"))
    first.data = {"k": "1"}
    core.replace_namespaced_config_map("pc-stale", "default", first)
    first.data = {"k": "2"}  # still carries the old resourceVersion
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("pc-stale", "default", first)
    assert err.value.status == 409 and "Conflict" in err.value.body


def test_deployment_round_trip(api: client.ApiClient) -> None:
    """An apps/v1 Deployment created by the client comes back defaulted."""
    apps = client.AppsV1Api(api)
    body = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="pc-web"),
        spec=client.V1DeploymentSpec(
            replicas=2, selector=client.V1LabelSelector(match_labels={"app": "pc-web"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "pc-web"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c",
                                                                     image="nginx:1.25")]))))
    created = apps.create_namespaced_deployment("default", body)
    assert created.spec.strategy.type == "RollingUpdate"
    assert created.spec.template.spec.containers[0].image_pull_policy == "IfNotPresent"
    scaled = apps.patch_namespaced_deployment_scale("pc-web", "default",
                                                    {"spec": {"replicas": 5}})
    assert scaled.spec.replicas == 5


def test_watch_from_older_resource_version(api: client.ApiClient) -> None:
    """A watch from an older resourceVersion replays every change after it, in order."""
    core = client.CoreV1Api(api)
    start = core.list_namespaced_config_map("default").metadata.resource_version
    for i in range(3):
        core.create_namespaced_config_map("default", _cm(f"pc-w{i}", {"watch": "yes"}))
    core.delete_namespaced_config_map("pc-w0", "default")
    seen: list[tuple[str, str]] = []
    w = watch.Watch()
    timer = threading.Timer(10, w.stop)
    timer.start()
    try:
        for event in w.stream(core.list_namespaced_config_map, "default",
                              label_selector="watch=yes", resource_version=start,
                              timeout_seconds=10):
            seen.append((event["type"], event["object"].metadata.name))
            if len(seen) == 4:
                w.stop()
    finally:
        timer.cancel()
    assert seen == [("ADDED", "pc-w0"), ("ADDED", "pc-w1"), ("ADDED", "pc-w2"),
                    ("DELETED", "pc-w0")]


def test_invalid_object_is_422_with_causes(api: client.ApiClient) -> None:
    """An invalid object is refused with 422 and the field named in the causes."""
    core = client.CoreV1Api(api)
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("default", _cm("Not_Valid"))
    assert err.value.status == 422 and "metadata.name" in err.value.body
