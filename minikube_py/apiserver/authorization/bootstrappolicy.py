"""The default roles and bindings every cluster has (Kubernetes' ``bootstrappolicy``), made
or brought up to date at daemon start.

- User-facing roles: ``cluster-admin``; ``admin``, ``edit`` and ``view``, made of the
  ``system:aggregate-to-*`` roles through the ``rbac.authorization.k8s.io/aggregate-to-*``
  labels (the clusterrole-aggregation controller writes their rules; ``view`` is part of
  ``edit``, ``edit`` of ``admin``); ``system:discovery``, ``system:basic-user`` (the self
  reviews), ``system:public-info-viewer`` (health and version, for anyone),
  ``system:monitoring`` (``/metrics``, for the group of that name),
  ``system:service-account-issuer-discovery`` (the OIDC documents, for service accounts)
  and ``system:auth-delegator`` (token and access reviews, bound by whoever needs it).
- Component roles: ``system:kube-controller-manager`` (one role covering every controller
  we run: they all run as that user), ``system:kube-scheduler``, ``system:node`` (granted to
  the group ``system:nodes``; each kubelet is ``system:node:<name>`` in it),
  ``system:node-proxier`` (``system:kube-proxy``) plus ``system:minikube-py:service-ports``
  (the proxy publishes its host ports on Services).

Everything carries ``rbac.authorization.kubernetes.io/autoupdate: "true"``: at each start a
missing object is created, and one that is present and still says ``true`` gets back the
rules (roles) or subjects (bindings) it lacks, as Kubernetes' reconciler adds them. Setting
the annotation to ``false`` keeps a changed default as the user left it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

AUTOUPDATE = "rbac.authorization.kubernetes.io/autoupdate"
AGGREGATE_TO = "rbac.authorization.k8s.io/aggregate-to-"
GROUP = "rbac.authorization.k8s.io"
READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
EVENTS = ["create", "patch", "update"]

CONTROLLER_MANAGER_USER = "system:kube-controller-manager"
SCHEDULER_USER = "system:kube-scheduler"
PROXY_USER = "system:kube-proxy"
NODES_GROUP = "system:nodes"
NODE_PREFIX = "system:node:"
KUBELET_CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet"
CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client"
SIGNED_HERE = [KUBELET_CLIENT_SIGNER, CLIENT_SIGNER]


def rule(verbs: Iterable[str], groups: Iterable[str], resources: Iterable[str],
         names: Iterable[str] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"verbs": list(verbs), "apiGroups": list(groups),
                           "resources": list(resources)}
    if names:
        out["resourceNames"] = list(names)
    return out


def urls(verbs: Iterable[str], paths: Iterable[str]) -> dict[str, Any]:
    return {"verbs": list(verbs), "nonResourceURLs": list(paths)}


def _meta(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults",
                                     **(labels or {})},
            "annotations": {AUTOUPDATE: "true"}}


def cluster_role(name: str, rules: list[dict[str, Any]], *,
                 labels: dict[str, str] | None = None,
                 aggregate: str = "") -> dict[str, Any]:
    role: dict[str, Any] = {"apiVersion": f"{GROUP}/v1", "kind": "ClusterRole",
                            "metadata": _meta(name, labels), "rules": rules}
    if aggregate:
        role["aggregationRule"] = {"clusterRoleSelectors": [
            {"matchLabels": {f"{AGGREGATE_TO}{aggregate}": "true"}}]}
    return role


def cluster_role_binding(name: str, role: str, subjects: list[tuple[str, str]]) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/v1", "kind": "ClusterRoleBinding",
            "metadata": _meta(name),
            "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": role},
            "subjects": [{"kind": kind, "apiGroup": GROUP, "name": who}
                         for kind, who in subjects]}


_VIEW = [
    rule(READ, [""], ["configmaps", "endpoints", "persistentvolumeclaims",
                      "persistentvolumeclaims/status", "pods", "replicationcontrollers",
                      "replicationcontrollers/scale", "serviceaccounts", "services",
                      "services/status"]),
    rule(READ, [""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log",
                      "pods/status", "replicationcontrollers/status", "resourcequotas",
                      "resourcequotas/status"]),
    rule(READ, [""], ["namespaces"]),
    rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
    rule(READ, ["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status",
                          "deployments", "deployments/scale", "deployments/status",
                          "replicasets", "replicasets/scale", "replicasets/status",
                          "statefulsets", "statefulsets/scale", "statefulsets/status"]),
    rule(READ, ["autoscaling"], ["horizontalpodautoscalers",
                                 "horizontalpodautoscalers/status"]),
    rule(READ, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
    rule(READ, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
    rule(READ, ["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"]),
]
_EDIT = [
    rule(["impersonate"], [""], ["serviceaccounts"]),
    rule(WRITE, [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
    rule(["create"], [""], ["pods/eviction"]),
    rule(WRITE, [""], ["configmaps", "events", "persistentvolumeclaims",
                       "replicationcontrollers", "replicationcontrollers/scale", "secrets",
                       "serviceaccounts", "services", "services/proxy"]),
    rule(["create"], [""], ["serviceaccounts/token"]),
    rule(WRITE, ["apps"], ["daemonsets", "deployments", "deployments/rollback",
                           "deployments/scale", "replicasets", "replicasets/scale",
                           "statefulsets", "statefulsets/scale"]),
    rule(WRITE, ["autoscaling"], ["horizontalpodautoscalers"]),
    rule(WRITE, ["batch"], ["cronjobs", "jobs"]),
    rule(WRITE, ["policy"], ["poddisruptionbudgets"]),
    rule(WRITE, ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
    rule(WRITE, ["coordination.k8s.io"], ["leases"]),
    rule(READ, [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets",
                      "services/proxy"]),
]
_ADMIN = [
    rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
    rule([*READ, *WRITE], [GROUP], ["rolebindings", "roles"]),
]
_DISCOVERY = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi",
              "/openapi/*", "/readyz", "/version", "/version/"]
_PUBLIC_INFO = ["/healthz", "/livez", "/readyz", "/version", "/version/"]
_REVIEWS = [rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"])]

_CONTROLLER_MANAGER = [
    # The garbage collector and the namespace controller work on every resource.
    rule(["delete", "deletecollection", "get", "list", "patch", "update", "watch"], ["*"],
         ["*"]),
    rule(["create"], [""], ["configmaps", "endpoints", "events", "persistentvolumeclaims",
                            "persistentvolumes", "pods", "secrets", "serviceaccounts",
                            "serviceaccounts/token"]),
    rule(["create"], ["apps"], ["controllerrevisions", "replicasets"]),
    rule(["create"], ["batch"], ["jobs"]),
    rule(["create"], ["discovery.k8s.io"], ["endpointslices"]),
    rule(["create"], ["coordination.k8s.io"], ["leases"]),
    rule(EVENTS, ["events.k8s.io"], ["events"]),
    # The HPA controller reads and writes every workload's scale and reads pod metrics
    # (system:controller:horizontal-pod-autoscaler's rules; the first rule covers them too).
    rule(["get", "update"], ["*"], ["*/scale"]),
    rule(["get", "list"], ["metrics.k8s.io"], ["pods"]),
    # csrapproving approves kubelets' client certificates; csrsigning signs for its signers.
    rule(["approve"], ["certificates.k8s.io"], ["signers"], [KUBELET_CLIENT_SIGNER]),
    rule(["sign"], ["certificates.k8s.io"], ["signers"], SIGNED_HERE),
    # The clusterrole-aggregation controller writes rules it does not hold itself.
    rule(["escalate"], [GROUP], ["clusterroles"]),
    *_REVIEWS,
]
_SCHEDULER = [
    rule(EVENTS, ["", "events.k8s.io"], ["events"]),
    rule(["create", "get", "update"], ["coordination.k8s.io"], ["leases"]),
    rule(READ, [""], ["nodes", "namespaces", "services", "replicationcontrollers",
                      "persistentvolumeclaims", "persistentvolumes"]),
    rule(["delete", "get", "list", "watch"], [""], ["pods"]),
    rule(["create"], [""], ["bindings", "pods/binding"]),
    rule(["patch", "update"], [""], ["pods/status"]),
    rule(READ, ["apps"], ["replicasets", "statefulsets"]),
    rule(READ, ["policy"], ["poddisruptionbudgets"]),
    rule(READ, ["storage.k8s.io"], ["storageclasses", "csinodes", "csidrivers",
                                    "csistoragecapacities"]),
    rule(READ, ["scheduling.k8s.io"], ["priorityclasses"]),
    *_REVIEWS,
]
_NODE = [
    *_REVIEWS,
    rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
    rule(READ, [""], ["services"]),
    rule(["create", "get", "list", "watch", "patch", "update"], [""], ["nodes"]),
    rule(["patch", "update"], [""], ["nodes/status"]),
    rule(EVENTS, ["", "events.k8s.io"], ["events"]),
    # patch: the published-ports annotation (api/podnetwork.py); NodeRestriction keeps a
    # kubelet to the pods bound to it.
    rule(["create", "delete", "get", "list", "patch", "watch"], [""], ["pods"]),
    rule(["patch", "update"], [""], ["pods/status"]),
    rule(["create", "get", "list", "watch"], ["certificates.k8s.io"],
         ["certificatesigningrequests"]),
    rule(["create"], [""], ["pods/eviction"]),
    rule(READ, [""], ["configmaps", "secrets"]),
    rule(["get"], [""], ["endpoints", "persistentvolumeclaims", "persistentvolumes"]),
    rule(["get", "patch", "update"], [""], ["persistentvolumeclaims/status"]),
    rule(["create"], [""], ["serviceaccounts/token"]),
    rule(["create", "delete", "get", "patch", "update"], ["coordination.k8s.io"], ["leases"]),
    rule(READ, ["node.k8s.io"], ["runtimeclasses"]),
    rule(READ, ["storage.k8s.io"], ["csidrivers", "csinodes"]),
]
_NODE_PROXIER = [
    rule(["list", "watch"], [""], ["services", "endpoints"]),
    # On a published pod network the proxy dials the ports the kubelets publish on pods.
    rule(["list", "watch"], [""], ["pods"]),
    rule(READ, [""], ["nodes"]),
    rule(EVENTS, ["", "events.k8s.io"], ["events"]),
    rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
]

CLUSTER_ROLES: list[dict[str, Any]] = [
    cluster_role("cluster-admin", [rule(["*"], ["*"], ["*"]), urls(["*"], ["*"])]),
    cluster_role("system:discovery", [urls(["get"], _DISCOVERY)]),
    cluster_role("system:basic-user", [
        rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews",
                                                    "selfsubjectrulesreviews"]),
        rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"])]),
    cluster_role("system:public-info-viewer", [urls(["get"], _PUBLIC_INFO)]),
    cluster_role("system:monitoring", [urls(["get"], [
        "/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*",
        "/healthz/*"])]),
    cluster_role("system:service-account-issuer-discovery", [urls(["get"], [
        "/.well-known/openid-configuration", "/.well-known/openid-configuration/",
        "/openid/v1/jwks", "/openid/v1/jwks/"])]),
    cluster_role("system:auth-delegator", _REVIEWS),
    cluster_role("admin", [], aggregate="admin"),
    cluster_role("edit", [], aggregate="edit", labels={f"{AGGREGATE_TO}admin": "true"}),
    cluster_role("view", [], aggregate="view", labels={f"{AGGREGATE_TO}edit": "true"}),
    cluster_role("system:aggregate-to-admin", _ADMIN,
                 labels={f"{AGGREGATE_TO}admin": "true"}),
    cluster_role("system:aggregate-to-edit", _EDIT, labels={f"{AGGREGATE_TO}edit": "true"}),
    cluster_role("system:aggregate-to-view", _VIEW, labels={f"{AGGREGATE_TO}view": "true"}),
    cluster_role("system:kube-controller-manager", _CONTROLLER_MANAGER),
    cluster_role("system:kube-scheduler", _SCHEDULER),
    cluster_role("system:node", _NODE),
    cluster_role("system:node-proxier", _NODE_PROXIER),
    cluster_role("system:minikube-py:service-ports", [rule(["patch"], [""], ["services"])]),
    # Bound by whoever may approve requests for these signers (with update on
    # certificatesigningrequests/approval), as Kubernetes ships them.
    *(cluster_role(f"system:certificates.k8s.io:{signer.split('/')[1]}-approver",
                   [rule(["approve"], ["certificates.k8s.io"], ["signers"], [signer])])
      for signer in SIGNED_HERE),
    # A joining machine: its bootstrap token asks for the node's client certificate.
    cluster_role("system:node-bootstrapper", [rule(["create", "get", "list", "watch"],
                                                   ["certificates.k8s.io"],
                                                   ["certificatesigningrequests"])]),
    # Anyone may read where the cluster is and its CA (kubeadm's cluster-info Role; here a
    # ClusterRole limited to that one name, which only kube-public holds).
    cluster_role("system:minikube-py:cluster-info", [rule(["get"], [""], ["configmaps"],
                                                          ["cluster-info"])]),
]

CLUSTER_ROLE_BINDINGS: list[dict[str, Any]] = [
    cluster_role_binding("cluster-admin", "cluster-admin", [("Group", "system:masters")]),
    cluster_role_binding("system:discovery", "system:discovery",
                         [("Group", "system:authenticated")]),
    cluster_role_binding("system:basic-user", "system:basic-user",
                         [("Group", "system:authenticated")]),
    cluster_role_binding("system:public-info-viewer", "system:public-info-viewer",
                         [("Group", "system:authenticated"),
                          ("Group", "system:unauthenticated")]),
    cluster_role_binding("system:monitoring", "system:monitoring",
                         [("Group", "system:monitoring")]),
    cluster_role_binding("system:service-account-issuer-discovery",
                         "system:service-account-issuer-discovery",
                         [("Group", "system:serviceaccounts")]),
    cluster_role_binding("system:kube-controller-manager", "system:kube-controller-manager",
                         [("User", CONTROLLER_MANAGER_USER)]),
    cluster_role_binding("system:kube-scheduler", "system:kube-scheduler",
                         [("User", SCHEDULER_USER)]),
    cluster_role_binding("system:node", "system:node", [("Group", NODES_GROUP)]),
    cluster_role_binding("system:node-proxier", "system:node-proxier", [("User", PROXY_USER)]),
    cluster_role_binding("system:minikube-py:service-ports",
                         "system:minikube-py:service-ports", [("User", PROXY_USER)]),
    cluster_role_binding("system:node-bootstrapper", "system:node-bootstrapper",
                         [("Group", "system:bootstrappers")]),
    cluster_role_binding("system:minikube-py:cluster-info", "system:minikube-py:cluster-info",
                         [("Group", "system:unauthenticated"),
                          ("Group", "system:authenticated")]),
]


def reconciled(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any] | None:
    """``current`` with what it lacks of ``wanted`` (rules of a role that is not aggregated,
    subjects of a binding), or None when nothing is to change or it must not be changed
    (its autoupdate annotation is no longer ``true``)."""
    annotations = (current.get("metadata") or {}).get("annotations") or {}
    if annotations.get(AUTOUPDATE, "true") != "true":
        return None
    field = "subjects" if wanted["kind"].endswith("Binding") else "rules"
    if field == "rules" and wanted.get("aggregationRule") is not None:
        changed = current.get("aggregationRule") != wanted["aggregationRule"]
        if not changed:
            return None
        updated = dict(current)
        updated["aggregationRule"] = wanted["aggregationRule"]
        return updated
    have = list(current.get(field) or [])
    missing = [item for item in wanted[field] if item not in have]
    if not missing:
        return None
    updated = dict(current)
    updated[field] = have + missing
    return updated
