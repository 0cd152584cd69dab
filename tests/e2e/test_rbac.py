"""RBAC against a started daemon, with the official ``kubernetes`` client and real kubectl: a
static-token user and an impersonated ServiceAccount bound to a namespaced Role, ``kubectl
auth can-i`` (``--as``, ``--list``), ``kubectl auth whoami``, token reviews, the manifests of
RBAC kinds through ``create_from_yaml``, and the components' own narrower identities."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config, utils
from kubernetes.client.rest import ApiException

from tests.conftest import RunningDaemon, start_daemon

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

KUBECTL = "/usr/bin/kubectl"
JANE_TOKEN = "jane-static-token-for-tests"
SA = "system:serviceaccount:team:robot"

MANIFESTS = """
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: team}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: robot, namespace: team}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: leases-view
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: qa-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: Group, name: qa, apiGroup: rbac.authorization.k8s.io}
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    """A daemon whose static token file names one more user, jane (group devs)."""
    data_dir = tmp_path_factory.mktemp("rbac")
    (data_dir / "tokens.csv").write_text(f'{JANE_TOKEN},jane,jane-uid,"devs"\n')
    running = start_daemon(data_dir)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(daemon: RunningDaemon) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(config_file=str(daemon.kubeconfig))
    utils.create_from_yaml(api, yaml_objects=list(yaml.safe_load_all(MANIFESTS)))
    yield api
    api.close()


def client_with_token(daemon: RunningDaemon, token: str) -> client.ApiClient:
    configuration = client.Configuration()
    configuration.host = daemon.url
    configuration.ssl_ca_cert = str(daemon.data_dir / "ca.crt")
    configuration.api_key = {"authorization": f"Bearer {token}"}
    return client.ApiClient(configuration)


def kubectl(daemon: RunningDaemon, *args: str,
            kubeconfig: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    return subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig or daemon.kubeconfig),
                           *args], capture_output=True, text=True, env=env, timeout=60,
                          check=False)


def test_token_user_lists_pods_in_its_namespace_only(daemon: RunningDaemon,
                                                     admin: client.ApiClient) -> None:
    """jane, bound by a RoleBinding made with create_from_yaml, lists pods in team and gets
    Kubernetes' 403 Status elsewhere."""
    jane = client.CoreV1Api(client_with_token(daemon, JANE_TOKEN))
    assert jane.list_namespaced_pod("team").items == []
    with pytest.raises(ApiException) as refused:
        jane.list_namespaced_pod("default")
    assert refused.value.status == 403
    body = json.loads(refused.value.body)
    assert body["reason"] == "Forbidden"
    assert body["message"] == ('pods is forbidden: User "jane" cannot list resource "pods" in '
                               'API group "" in the namespace "default"')
    assert body["details"] == {"kind": "pods"}
    with pytest.raises(ApiException) as refused:
        jane.read_namespaced_secret("x", "team")
    assert json.loads(refused.value.body)["details"] == {"name": "x", "kind": "secrets"}


def test_impersonated_service_account_with_kubectl(daemon: RunningDaemon,
                                                   admin: client.ApiClient) -> None:
    """kubectl --as a ServiceAccount: its RoleBinding lets it list pods in team, not in
    default; can-i answers yes and no with kubectl's exit codes."""
    listed = kubectl(daemon, "get", "pods", "-n", "team", f"--as={SA}")
    assert listed.returncode == 0, listed.stderr
    refused = kubectl(daemon, "get", "pods", "-n", "default", f"--as={SA}")
    assert refused.returncode == 1
    assert (f'Error from server (Forbidden): pods is forbidden: User "{SA}" cannot list '
            'resource "pods" in API group "" in the namespace "default"') in refused.stderr
    yes = kubectl(daemon, "auth", "can-i", "list", "pods", "-n", "team", f"--as={SA}")
    assert (yes.returncode, yes.stdout.strip()) == (0, "yes")
    no = kubectl(daemon, "auth", "can-i", "delete", "pods", "-n", "team", f"--as={SA}")
    assert (no.returncode, no.stdout.strip()) == (1, "no")
    no = kubectl(daemon, "auth", "can-i", "list", "pods", "-n", "default", "--as=jane")
    assert (no.returncode, no.stdout.strip()) == (1, "no")
    assert kubectl(daemon, "auth", "can-i", "create", "clusterroles").stdout.strip() == "yes"


def test_can_i_list(daemon: RunningDaemon, admin: client.ApiClient) -> None:
    """can-i --list shows the Role's rule and the self reviews everyone may create."""
    listed = kubectl(daemon, "auth", "can-i", "--list", "-n", "team", "--as=jane")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert ["pods", "[]", "[]", "[get", "list", "watch]"] in rows
    assert ["selfsubjectaccessreviews.authorization.k8s.io", "[]", "[]", "[create]"] in rows


def test_whoami(daemon: RunningDaemon) -> None:
    """kubectl auth whoami: the token's user and groups, and the impersonated ones."""
    mine = kubectl(daemon, "auth", "whoami", f"--token={JANE_TOKEN}")
    assert mine.returncode == 0, mine.stderr
    assert [line.split(None, 1) for line in mine.stdout.splitlines()] == [
        ["ATTRIBUTE", "VALUE"], ["Username", "jane"], ["UID", "jane-uid"],
        ["Groups", "[devs system:authenticated]"]]
    theirs = kubectl(daemon, "auth", "whoami", f"--as={SA}", "-o", "json")
    assert json.loads(theirs.stdout)["status"]["userInfo"] == {
        "username": SA, "groups": ["system:serviceaccounts", "system:serviceaccounts:team",
                                   "system:authenticated"]}


def test_impersonation_needs_the_right(daemon: RunningDaemon, admin: client.ApiClient) -> None:
    """jane may not impersonate: 403 naming the users resource."""
    refused = kubectl(daemon, "get", "pods", "-n", "team", f"--token={JANE_TOKEN}",
                      "--as=bob")
    assert refused.returncode == 1
    assert ('users "bob" is forbidden: User "jane" cannot impersonate resource "users" in '
            'API group "" at the cluster scope') in refused.stderr


def test_token_and_access_reviews(daemon: RunningDaemon, admin: client.ApiClient) -> None:
    """TokenReview checks a token through the authenticators; SubjectAccessReview answers
    for another user, with RBAC's reason."""
    auth = client.AuthenticationV1Api(admin)
    review = auth.create_token_review(client.V1TokenReview(
        spec=client.V1TokenReviewSpec(token=JANE_TOKEN)))
    assert review.status.authenticated is True
    assert (review.status.user.username, review.status.user.groups) == (
        "jane", ["devs", "system:authenticated"])
    assert auth.create_token_review(client.V1TokenReview(
        spec=client.V1TokenReviewSpec(token="nope"))).status.authenticated is False
    authz = client.AuthorizationV1Api(admin)
    answer = authz.create_subject_access_review(client.V1SubjectAccessReview(
        spec=client.V1SubjectAccessReviewSpec(user="jane", resource_attributes=(
            client.V1ResourceAttributes(namespace="team", verb="watch", resource="pods")))))
    assert answer.status.allowed is True
    assert answer.status.reason == ('RBAC: allowed by RoleBinding "readers/team" of Role '
                                    '"pod-reader" to User "jane"')
    with pytest.raises(ApiException) as refused:
        client.AuthorizationV1Api(client_with_token(daemon, JANE_TOKEN)) \
            .create_subject_access_review(client.V1SubjectAccessReview(
                spec=client.V1SubjectAccessReviewSpec(user="x", non_resource_attributes=(
                    client.V1NonResourceAttributes(path="/", verb="get")))))
    assert refused.value.status == 403


def test_aggregated_view_grows_with_labelled_roles(daemon: RunningDaemon,
                                                   admin: client.ApiClient) -> None:
    """A ClusterRole labelled aggregate-to-view lands in view (the controller), so the qa
    group bound to view may list leases (which view alone does not grant)."""
    deadline = time.monotonic() + 10
    while True:
        can = kubectl(daemon, "auth", "can-i", "list", "leases.coordination.k8s.io", "--as=ann",
                      "--as-group=qa")
        if can.stdout.strip() == "yes" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert can.stdout.strip() == "yes", can.stderr
    view = client.RbacAuthorizationV1Api(admin).read_cluster_role("view")
    assert view.metadata.annotations["rbac.authorization.kubernetes.io/autoupdate"] == "true"
    assert any(r.resources == ["leases"] for r in view.rules)
    assert any(r.resources and "pods" in r.resources for r in view.rules)


def test_components_have_their_own_narrow_identities(daemon: RunningDaemon) -> None:
    """Each component's kubeconfig in the data dir names its own user with only its rights:
    the scheduler reads pods everywhere but not secrets; the proxy may not delete pods."""
    components = daemon.data_dir / "components"
    sched = kubectl(daemon, "auth", "whoami", kubeconfig=components / "scheduler.kubeconfig")
    assert "system:kube-scheduler" in sched.stdout
    assert kubectl(daemon, "get", "pods", "-A",
                   kubeconfig=components / "scheduler.kubeconfig").returncode == 0
    secrets = kubectl(daemon, "get", "secrets", "-A",
                      kubeconfig=components / "scheduler.kubeconfig")
    assert 'User "system:kube-scheduler" cannot list resource "secrets"' in secrets.stderr
    proxy = kubectl(daemon, "auth", "can-i", "delete", "pods",
                    kubeconfig=components / "proxy.kubeconfig")
    assert proxy.stdout.strip() == "no"
    node = kubectl(daemon, "auth", "whoami", "-o", "json",
                   kubeconfig=next(components.glob("node-registration.kubeconfig")))
    assert "system:nodes" in json.loads(node.stdout)["status"]["userInfo"]["groups"]


def test_anonymous_reads_only_public_info(daemon: RunningDaemon) -> None:
    """Without a token /version answers (system:public-info-viewer); the API is 401."""
    ctx = ssl.create_default_context(cafile=str(daemon.data_dir / "ca.crt"))
    with urllib.request.urlopen(f"{daemon.url}/version", context=ctx) as answer:
        assert json.loads(answer.read())["major"] == "1"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{daemon.url}/api/v1/pods", context=ctx)
    assert refused.value.code == 401
    refused.value.close()
