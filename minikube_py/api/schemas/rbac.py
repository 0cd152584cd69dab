"""Schemas of rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding."""

from __future__ import annotations

from minikube_py.api.schema import array, obj, string
from minikube_py.api.schemas.meta import LABEL_SELECTOR, kind

_STRINGS = array(string())

POLICY_RULE = obj(
    "io.k8s.api.rbac.v1.PolicyRule",
    {
        "verbs": _STRINGS.describe("Verbs the rule allows ('*' for all)."),
        "apiGroups": _STRINGS.describe("API groups of the resources ('' is core, '*' all)."),
        "resources": _STRINGS.describe("Resources the rule applies to ('*' for all, "
                                       "'pods/log' for a subresource, '*/scale')."),
        "resourceNames": _STRINGS.describe("Names the rule is limited to (empty: all)."),
        "nonResourceURLs": _STRINGS.describe("Partial URLs ('/healthz', '/api/*') the rule "
                                             "applies to; only in ClusterRoles."),
    },
    required=("verbs",),
    description="What a role allows: verbs on resources, or on non-resource URLs.",
)

_RULES = array(POLICY_RULE, "The rules of the role.")

AGGREGATION_RULE = obj(
    "io.k8s.api.rbac.v1.AggregationRule",
    {"clusterRoleSelectors": array(LABEL_SELECTOR, "The ClusterRoles whose rules are "
                                   "aggregated into this one (any selector matching).")},
    description="How a ClusterRole is made of the rules of other ClusterRoles.",
)

ROLE_REF = obj(
    "io.k8s.api.rbac.v1.RoleRef",
    {
        "apiGroup": string("The group of the referenced role (rbac.authorization.k8s.io)."),
        "kind": string("Role or ClusterRole."),
        "name": string("The name of the referenced role."),
    },
    required=("kind", "name"),
    description="The role a binding grants.",
)

SUBJECT = obj(
    "io.k8s.api.rbac.v1.Subject",
    {
        "kind": string("User, Group or ServiceAccount."),
        "apiGroup": string("'' for ServiceAccounts, rbac.authorization.k8s.io for users and "
                           "groups."),
        "name": string("The name of the subject."),
        "namespace": string("The namespace of a ServiceAccount subject."),
    },
    required=("kind", "name"),
    description="Who a binding grants its role to.",
)

_SUBJECTS = array(SUBJECT, "Who the role is granted to.")

ROLE = kind("io.k8s.api.rbac.v1.Role", {"rules": _RULES},
            description="A namespaced set of rules, granted by RoleBindings.")
CLUSTER_ROLE = kind("io.k8s.api.rbac.v1.ClusterRole",
                    {"rules": _RULES,
                     "aggregationRule": AGGREGATION_RULE.describe(
                         "Makes the rules of this role from other ClusterRoles (a "
                         "controller writes them).")},
                    description="A cluster-wide set of rules, granted by bindings.")
ROLE_BINDING = kind("io.k8s.api.rbac.v1.RoleBinding",
                    {"subjects": _SUBJECTS, "roleRef": ROLE_REF},
                    required=("roleRef",),
                    description="Grants a Role or ClusterRole within one namespace.")
CLUSTER_ROLE_BINDING = kind("io.k8s.api.rbac.v1.ClusterRoleBinding",
                            {"subjects": _SUBJECTS, "roleRef": ROLE_REF},
                            required=("roleRef",),
                            description="Grants a ClusterRole in every namespace.")
