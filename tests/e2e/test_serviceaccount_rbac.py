"""A ServiceAccount bound to a namespaced Role, through a token from TokenRequest (issue 14's
RBAC and service-account paths together): the official client with only that token lists
pods in its namespace and gets Kubernetes' 403 in another; ``kubectl auth can-i --as`` agrees;
deleting the RoleBinding takes the right away on the next request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.conftest import RunningDaemon, start_daemon
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]
SA = "system:serviceaccount:team:robot"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    running = start_daemon(tmp_path_factory.mktemp("sa-rbac"))
    yield running
    running.stop()


def test_a_role_bound_account_reads_its_namespace_only(daemon: RunningDaemon) -> None:
    admin = config.new_client_from_config(config_file=str(daemon.kubeconfig))
    core, rbac = client.CoreV1Api(admin), client.RbacAuthorizationV1Api(admin)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="team")))
    core.create_namespaced_service_account("team", client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name="robot")))
    rbac.create_namespaced_role("team", client.V1Role(
        metadata=client.V1ObjectMeta(name="pod-reader"),
        rules=[client.V1PolicyRule(api_groups=[""], resources=["pods"],
                                   verbs=["get", "list", "watch"])]))
    rbac.create_namespaced_role_binding("team", client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name="robot-reads-pods"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role",
                                  name="pod-reader"),
        subjects=[client.RbacV1Subject(kind="ServiceAccount", name="robot",
                                       namespace="team")]))
    token = core.create_namespaced_service_account_token(
        "robot", "team", client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=600))).status.token

    cfg = client.Configuration()
    cfg.host = admin.configuration.host
    cfg.ssl_ca_cert = admin.configuration.ssl_ca_cert
    cfg.api_key, cfg.api_key_prefix = {"authorization": token}, {"authorization": "Bearer"}
    robot_api = client.ApiClient(cfg)
    robot = client.CoreV1Api(robot_api)
    try:
        assert robot.list_namespaced_pod("team").items == []
        with pytest.raises(ApiException) as refused:
            robot.list_namespaced_pod("default")
        assert refused.value.status == 403
        assert f'User \\"{SA}\\" cannot list resource \\"pods\\" in API group \\"\\" in the ' \
               'namespace \\"default\\"' in refused.value.body
        assert ok(daemon, "auth", "can-i", "list", "pods", "-n", "team", "--as", SA) \
            .strip() == "yes"
        no = kubectl(daemon, "auth", "can-i", "list", "pods", "-n", "default", "--as", SA)
        assert (no.returncode, no.stdout.strip()) == (1, "no")
        rbac.delete_namespaced_role_binding("robot-reads-pods", "team")
        with pytest.raises(ApiException) as gone:
            robot.list_namespaced_pod("team")
        assert gone.value.status == 403
    finally:
        robot_api.close()
        admin.close()
