"""RBAC in the request pipeline, in process: an ApiServer on a real SQLite store with the
RBAC authorizer on, the bootstrap policy applied, and clients acting as other users through
the in-process transport (as the daemon's components do)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minikube_py.api.access import Attributes
from minikube_py.api.errors import Forbidden, Invalid
from minikube_py.api.registry import REGISTRY
from minikube_py.api.wire import UserInfo
from minikube_py.apiserver.authorization.rules import Rule, compile_rules, uncovered
from minikube_py.apiserver.server import ApiServer
from minikube_py.client.base import Client
from minikube_py.client.local import LocalTransport
from minikube_py.daemon import bootstrap, bootstrap_policy
from minikube_py.store.sqlite import SqliteStorage as Store

Object = dict[str, Any]
GROUP = "rbac.authorization.k8s.io"
ROLES = REGISTRY.require(GROUP, "v1", "roles")
CLUSTER_ROLES = REGISTRY.require(GROUP, "v1", "clusterroles")
ROLE_BINDINGS = REGISTRY.require(GROUP, "v1", "rolebindings")
PODS = REGISTRY.require("", "v1", "pods")
SECRETS = REGISTRY.require("", "v1", "secrets")
NAMESPACES = REGISTRY.require("", "v1", "namespaces")
JANE = UserInfo("jane", ("devs", "system:authenticated"))


@pytest.fixture
async def server(store: Store) -> AsyncIterator[ApiServer]:
    server = ApiServer(store)
    server.enable_authorization("RBAC")
    await server.start()
    admin = Client(LocalTransport(server.handle))
    await bootstrap(admin)
    await bootstrap_policy(admin)
    await admin.create(NAMESPACES, {"metadata": {"name": "team"}})
    yield server
    await server.stop()


def admin_of(server: ApiServer) -> Client:
    return Client(LocalTransport(server.handle))


def as_user(server: ApiServer, user: UserInfo = JANE) -> Client:
    return Client(LocalTransport(server.handle, user=user))


def role(name: str, *rules: Object, namespace: str = "team") -> Object:
    return {"metadata": {"name": name, "namespace": namespace}, "rules": list(rules)}


def binding(name: str, role_name: str, *, kind: str = "Role", subject: Object | None = None,
            namespace: str = "team") -> Object:
    return {"metadata": {"name": name, "namespace": namespace},
            "roleRef": {"kind": kind, "name": role_name},
            "subjects": [subject or {"kind": "User", "name": "jane"}]}


def rule(verbs: list[str], resources: list[str], groups: tuple[str, ...] = ("",)) -> Object:
    return {"verbs": verbs, "apiGroups": list(groups), "resources": resources}


async def test_binding_takes_effect_on_the_next_request(server: ApiServer) -> None:
    """A user with no binding is refused with Kubernetes' words and details; once a
    RoleBinding is committed the next request in its namespace passes, others still fail."""
    jane = as_user(server)
    with pytest.raises(Forbidden) as refused:
        await jane.list(PODS, "team")
    assert refused.value.message == ('pods is forbidden: User "jane" cannot list resource '
                                     '"pods" in API group "" in the namespace "team"')
    assert refused.value.to_status()["details"] == {"kind": "pods"}
    admin = admin_of(server)
    await admin.create(ROLES, role("reader", rule(["get", "list"], ["pods"])), "team")
    await admin.create(ROLE_BINDINGS, binding("jane-reads", "reader"), "team")
    assert (await jane.list(PODS, "team"))["items"] == []
    with pytest.raises(Forbidden, match='in the namespace "default"'):
        await jane.list(PODS, "default")
    with pytest.raises(Forbidden, match='cannot get resource "pods/log"'):
        await jane.get(PODS, "p", "team", subresource="log")
    await admin.delete(ROLE_BINDINGS, "jane-reads", "team")
    with pytest.raises(Forbidden):
        await jane.list(PODS, "team")


async def test_service_account_and_group_subjects(server: ApiServer) -> None:
    """A ServiceAccount subject binds the user system:serviceaccount:<ns>:<name> (its
    namespace defaulting to the binding's), a Group subject every member."""
    admin = admin_of(server)
    await admin.create(ROLE_BINDINGS, binding(
        "sa-view", "system:aggregate-to-view", kind="ClusterRole",
        subject={"kind": "ServiceAccount", "name": "robot"}), "team")
    robot = as_user(server, UserInfo("system:serviceaccount:team:robot",
                                     ("system:serviceaccounts", "system:authenticated")))
    assert (await robot.list(PODS, "team"))["items"] == []
    await admin.create(ROLE_BINDINGS, binding(
        "devs-edit", "system:aggregate-to-edit", kind="ClusterRole",
        subject={"kind": "Group", "name": "devs"}), "team")
    jane = as_user(server)
    await jane.create(PODS, {"metadata": {"name": "p"}, "spec": {"containers": [
        {"name": "c", "image": "busybox"}]}}, "team")


async def test_escalation_needs_the_rights_or_escalate_and_bind(server: ApiServer) -> None:
    """Granting what one does not hold is 403 naming the missing rights; holding them, or
    the escalate/bind verbs, makes the same writes pass."""
    admin = admin_of(server)
    await admin.create(ROLES, role("rbac-manager", rule(["create", "update"],
                                                        ["roles", "rolebindings"], (GROUP,)),
                                   rule(["get", "list"], ["pods"])), "team")
    await admin.create(ROLE_BINDINGS, binding("jane-manages", "rbac-manager"), "team")
    jane = as_user(server)
    await jane.create(ROLES, role("pods-only", rule(["get"], ["pods"])), "team")
    with pytest.raises(Forbidden) as refused:
        await jane.create(ROLES, role("secrets", rule(["get"], ["secrets"])), "team")
    assert refused.value.message.startswith(
        'roles.rbac.authorization.k8s.io "secrets" is forbidden: user "jane" (groups=["devs" '
        '"system:authenticated"]) is attempting to grant RBAC permissions not currently held:')
    assert '{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}' in refused.value.message
    to_admin = binding("to-admin", "cluster-admin", kind="ClusterRole")
    with pytest.raises(Forbidden, match="not currently held"):
        await jane.create(ROLE_BINDINGS, to_admin, "team")
    await jane.create(ROLE_BINDINGS, binding("to-pods", "pods-only"), "team")
    await admin.create(ROLES, role("binder", {"verbs": ["bind"], "apiGroups": [GROUP],
                                              "resources": ["clusterroles"],
                                              "resourceNames": ["cluster-admin"]},
                                   {"verbs": ["escalate"], "apiGroups": [GROUP],
                                    "resources": ["roles"]}), "team")
    await admin.create(ROLE_BINDINGS, binding("jane-binds", "binder"), "team")
    await jane.create(ROLE_BINDINGS, to_admin, "team")
    await jane.create(ROLES, role("secrets", rule(["get"], ["secrets"])), "team")


async def test_role_ref_is_immutable(server: ApiServer) -> None:
    admin = admin_of(server)
    created = await admin.create(ROLE_BINDINGS, binding("b", "view", kind="ClusterRole"),
                                 "team")
    created["roleRef"]["name"] = "edit"
    with pytest.raises(Invalid, match="roleRef: Invalid value"):
        await admin.update(ROLE_BINDINGS, created)


async def test_aggregation_rule_needs_full_authority(server: ApiServer) -> None:
    """Only a holder of every right (or of escalate) may write an aggregationRule."""
    admin = admin_of(server)
    await admin.create(CLUSTER_ROLES, {"metadata": {"name": "role-writer"}, "rules": [
        rule(["create"], ["clusterroles"], (GROUP,))]})
    await admin.request("POST", REGISTRY.require(GROUP, "v1", "clusterrolebindings").path(),
                        body={"metadata": {"name": "jane-writes"},
                              "roleRef": {"kind": "ClusterRole", "name": "role-writer"},
                              "subjects": [{"kind": "User", "name": "jane"}]})
    with pytest.raises(Forbidden, match="must have cluster-admin privileges to use the "
                                        "aggregationRule"):
        await as_user(server).create(CLUSTER_ROLES, {
            "metadata": {"name": "mine"}, "rules": [],
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}})


async def test_impersonation_is_checked(server: ApiServer) -> None:
    """Impersonate-User needs the impersonate verb on users; then the request runs as the
    impersonated user (in system:authenticated)."""
    from minikube_py.api.wire import ApiRequest, Impersonation
    req = ApiRequest("GET", "/api/v1/namespaces/team/pods", user=JANE,
                     impersonation=Impersonation("bob"))
    answer = await server.handle(req)
    assert answer.status == 403
    assert answer.body["message"] == ('users "bob" is forbidden: User "jane" cannot '
                                      'impersonate resource "users" in API group "" at the '
                                      'cluster scope')
    admin_req = ApiRequest("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                           body=b"{}", content_type="application/json",
                           impersonation=Impersonation("bob", ("qa",)))
    answer = await server.handle(admin_req)
    assert answer.status == 201
    assert answer.body["status"]["userInfo"] == {"username": "bob",
                                                 "groups": ["qa", "system:authenticated"]}


@pytest.mark.parametrize(("rule_", "attrs", "allowed"), [
    pytest.param(rule(["get"], ["pods"]), {"verb": "get", "resource": "pods"}, True, id="exact"),
    pytest.param(rule(["*"], ["*"], ("*",)), {"verb": "delete", "resource": "x",
                                              "api_group": "apps", "subresource": "scale"},
                 True, id="stars-cover-subresources"),
    pytest.param(rule(["get"], ["pods"]), {"verb": "get", "resource": "pods",
                                           "subresource": "log"}, False, id="sub-not-parent"),
    pytest.param(rule(["get"], ["*/scale"], ("apps",)), {"verb": "get", "api_group": "apps",
                                                         "resource": "deployments",
                                                         "subresource": "scale"},
                 True, id="star-slash-subresource"),
    pytest.param({**rule(["get"], ["pods"]), "resourceNames": ["a"]},
                 {"verb": "get", "resource": "pods", "name": "b"}, False, id="names"),
    pytest.param({"verbs": ["get"], "nonResourceURLs": ["/apis/*"]},
                 {"verb": "get", "path": "/apis/apps/v1", "resource_request": False},
                 True, id="url-prefix"),
])
def test_rule_matching(rule_: Object, attrs: Object, allowed: bool) -> None:
    fields = {"resource_request": True, **attrs}
    assert Rule.compile(rule_).allows(Attributes(user=JANE, **fields)) is allowed


def test_covers_breaks_rules_down() -> None:
    """Owner rules cover a wanted rule when each verb x resource x name is held."""
    owner = compile_rules([rule(["get", "list"], ["pods", "*/status"]),
                           {"verbs": ["get"], "nonResourceURLs": ["/healthz/*"]}])
    assert uncovered(owner, compile_rules([rule(["get"], ["pods", "pods/status"])])) == []
    missing = uncovered(owner, compile_rules([rule(["get", "delete"], ["pods"]),
                                              {"verbs": ["get"],
                                               "nonResourceURLs": ["/healthz/etcd", "/x"]}]))
    assert [(sorted(m.verbs), sorted(m.resources), m.urls) for m in missing] == [
        (["delete"], ["pods"], ()), (["get"], [], ("/x",))]


async def test_rules_review_lists_the_users_rules(server: ApiServer) -> None:
    """SelfSubjectRulesReview: the rules of the cluster and the namespace's bindings."""
    admin = admin_of(server)
    await admin.create(ROLES, role("reader", rule(["get"], ["secrets"])), "team")
    await admin.create(ROLE_BINDINGS, binding("jane-reads", "reader"), "team")
    review = await as_user(server).request(
        "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        body={"spec": {"namespace": "team"}})
    rules = review["status"]["resourceRules"]
    assert {"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"]} in rules
    assert {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]} in rules
    assert {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version",
                                                  "/version/"]} in \
        review["status"]["nonResourceRules"]


async def test_local_access_review_and_non_resource_self_review(server: ApiServer) -> None:
    """LocalSubjectAccessReview answers within its namespace only; a SelfSubjectAccessReview
    about a path answers from the non-resource rules (public info: yes; /metrics: no)."""
    admin = admin_of(server)
    path = "/apis/authorization.k8s.io/v1/namespaces/team/localsubjectaccessreviews"
    spec = {"user": "jane", "resourceAttributes": {"namespace": "team", "verb": "get",
                                                   "resource": "pods"}}
    answer = await admin.request("POST", path, body={"spec": spec})
    assert answer["status"] == {"allowed": False}
    with pytest.raises(Invalid, match=r"must match metadata\.namespace"):
        await admin.request("POST", path, body={"spec": {
            **spec, "resourceAttributes": {**spec["resourceAttributes"], "namespace": "x"}}})
    jane = as_user(server)
    ssar = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    for url, allowed in (("/version", True), ("/metrics", False)):
        got = await jane.request("POST", ssar, body={"spec": {"nonResourceAttributes": {
            "path": url, "verb": "get"}}})
        assert got["status"]["allowed"] is allowed, url


async def test_always_allow_mode(store: Store) -> None:
    """--authorization-mode AlwaysAllow: any authenticated user may do anything."""
    server = ApiServer(store)
    server.enable_authorization("AlwaysAllow")
    await server.start()
    try:
        await bootstrap(admin_of(server))
        assert (await as_user(server).list(SECRETS, "default"))["items"] == []
    finally:
        await server.stop()


async def test_node_restriction(server: ApiServer) -> None:
    """A kubelet's identity writes only its own Node and the status of pods bound to it."""
    nodes = REGISTRY.require("", "v1", "nodes")
    admin = admin_of(server)
    await admin.create(nodes, {"metadata": {"name": "n2"}})
    pod = {"metadata": {"name": "p"}, "spec": {"nodeName": "n2", "containers": [
        {"name": "c", "image": "busybox"}]}}
    await admin.create(PODS, pod, "team")
    kubelet = as_user(server, UserInfo("system:node:n1", ("system:nodes",
                                                          "system:authenticated")))
    await kubelet.create(nodes, {"metadata": {"name": "n1"}})
    with pytest.raises(Forbidden, match='node "n1" is not allowed to modify node "n2"'):
        await kubelet.patch(nodes, "n2", {"metadata": {"labels": {"a": "b"}}})
    with pytest.raises(Forbidden, match="can only create mirror pods"):
        await kubelet.create(PODS, {**pod, "metadata": {"name": "q"}}, "team")
    with pytest.raises(Forbidden, match="can only update pod status for pods with "
                                        r"spec\.nodeName set to itself"):
        await kubelet.patch(PODS, "p", {"status": {"phase": "Running"}}, "team",
                            subresource="status")
    with pytest.raises(Forbidden, match="can only delete pods"):
        await kubelet.delete(PODS, "p", "team")


async def test_bootstrap_policy_reconciles_while_autoupdate(server: ApiServer) -> None:
    """At each start the defaults are put back: a second run changes nothing; a default that
    lost rules gets them back while its autoupdate annotation says true, not after."""
    admin = admin_of(server)
    before = await admin.get(CLUSTER_ROLES, "system:basic-user")
    await bootstrap_policy(admin)
    assert (await admin.get(CLUSTER_ROLES, "system:basic-user"))["metadata"][
        "resourceVersion"] == before["metadata"]["resourceVersion"]
    stripped = {**before, "rules": before["rules"][:1]}
    await admin.update(CLUSTER_ROLES, stripped)
    await bootstrap_policy(admin)
    assert (await admin.get(CLUSTER_ROLES, "system:basic-user"))["rules"] == before["rules"]
    kept = await admin.get(CLUSTER_ROLES, "system:basic-user")
    kept["rules"] = kept["rules"][:1]
    kept["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"] = "false"
    await admin.update(CLUSTER_ROLES, kept)
    await bootstrap_policy(admin)
    assert (await admin.get(CLUSTER_ROLES, "system:basic-user"))["rules"] == kept["rules"]


async def test_policy_index_follows_the_store_and_relists_after_overflow() -> None:
    """The index sees a committed binding before the next decision, and rebuilds itself
    from a fresh list when its watch was dropped."""
    import asyncio

    from minikube_py.apiserver.authorization.policy import PolicyIndex
    from minikube_py.store.memory import MemoryStorage

    store = await MemoryStorage.open()
    index = PolicyIndex(store)
    await index.start()
    try:
        await store.create(ROLES.key("ns", "r"), {"metadata": {"name": "r", "namespace": "ns"},
                                                  "rules": [rule(["get"], ["pods"])]})
        await store.create(ROLE_BINDINGS.key("ns", "b"), {
            "metadata": {"name": "b", "namespace": "ns"},
            "roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "jane"}]})
        index.sync()
        assert [b.name for b, _, _ in index.grants(JANE, "ns")] == ["b"]
        for watcher in index._watchers:
            watcher._sub.drop()  # as the broadcaster drops a watcher that fell behind
        await store.create(ROLE_BINDINGS.key("ns", "c"), {
            "metadata": {"name": "c", "namespace": "ns"},
            "roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "Group", "name": "devs"}]})
        for _ in range(50):
            await asyncio.sleep(0.05)
            index.sync()
            if len(index.grants(JANE, "ns")) == 2:
                break
        assert sorted(b.name for b, _, _ in index.grants(JANE, "ns")) == ["b", "c"]
    finally:
        await index.stop()
        await store.close()


async def test_binding_to_a_missing_role_says_so(server: ApiServer) -> None:
    """A refusal names a bound role that does not exist, as RBAC's evaluation error."""
    await admin_of(server).create(ROLE_BINDINGS, binding("typo", "pod-raeder"), "team")
    with pytest.raises(Forbidden) as refused:
        await as_user(server).list(PODS, "team")
    assert refused.value.message == (
        'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the '
        'namespace "team": RBAC: role.rbac.authorization.k8s.io "pod-raeder" not found')
