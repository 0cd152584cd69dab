"""Schemas of the review kinds: authorization.k8s.io/v1 (SubjectAccessReview and its self,
local and rules variants) and authentication.k8s.io/v1 (TokenReview, SelfSubjectReview)."""

from __future__ import annotations

from minikube_py.api.schema import array, boolean, map_of, obj, string
from minikube_py.api.schemas.meta import kind

_STRINGS = array(string())

RESOURCE_ATTRIBUTES = obj(
    "io.k8s.api.authorization.v1.ResourceAttributes",
    {
        "namespace": string("The namespace of the action ('' is all namespaces for "
                            "namespaced resources)."),
        "verb": string("A kubernetes resource API verb: get, list, watch, create, ..."),
        "group": string("The API group of the resource ('*' means all)."),
        "version": string("The API version of the resource ('*' means all)."),
        "resource": string("The resource ('*' means all)."),
        "subresource": string("The subresource ('' means none)."),
        "name": string("The name of the object ('' means all)."),
    },
    description="The attributes of a request on a resource.",
)
NON_RESOURCE_ATTRIBUTES = obj(
    "io.k8s.api.authorization.v1.NonResourceAttributes",
    {"path": string("The URL path of the request."),
     "verb": string("The standard HTTP verb.")},
    description="The attributes of a request on a non-resource path.",
)
_SELF_SPEC_FIELDS = {
    "resourceAttributes": RESOURCE_ATTRIBUTES.describe("The action on a resource."),
    "nonResourceAttributes": NON_RESOURCE_ATTRIBUTES.describe("The action on a path."),
}
SELF_SUBJECT_ACCESS_REVIEW_SPEC = obj(
    "io.k8s.api.authorization.v1.SelfSubjectAccessReviewSpec", _SELF_SPEC_FIELDS,
    description="The action to check for the requesting user (exactly one of the two).")
SUBJECT_ACCESS_REVIEW_SPEC = obj(
    "io.k8s.api.authorization.v1.SubjectAccessReviewSpec",
    {**_SELF_SPEC_FIELDS,
     "user": string("The user to test for."),
     "groups": _STRINGS.describe("The groups to test for."),
     "uid": string("The uid of the user."),
     "extra": map_of(_STRINGS, "Extra attributes of the user.")},
    description="The action and the user to check it for.")
SUBJECT_ACCESS_REVIEW_STATUS = obj(
    "io.k8s.api.authorization.v1.SubjectAccessReviewStatus",
    {"allowed": boolean("Whether the action is allowed."),
     "denied": boolean("Whether the action is explicitly denied."),
     "reason": string("Why it is allowed or denied."),
     "evaluationError": string("An error while the authorizer checked.")},
    description="The decision.")

SELF_SUBJECT_ACCESS_REVIEW = kind(
    "io.k8s.api.authorization.v1.SelfSubjectAccessReview",
    {"spec": SELF_SUBJECT_ACCESS_REVIEW_SPEC, "status": SUBJECT_ACCESS_REVIEW_STATUS},
    required=("spec",),
    description="Checks whether the current user can perform an action (kubectl auth can-i).")
SUBJECT_ACCESS_REVIEW = kind(
    "io.k8s.api.authorization.v1.SubjectAccessReview",
    {"spec": SUBJECT_ACCESS_REVIEW_SPEC, "status": SUBJECT_ACCESS_REVIEW_STATUS},
    required=("spec",),
    description="Checks whether a user or group can perform an action.")
LOCAL_SUBJECT_ACCESS_REVIEW = kind(
    "io.k8s.api.authorization.v1.LocalSubjectAccessReview",
    {"spec": SUBJECT_ACCESS_REVIEW_SPEC, "status": SUBJECT_ACCESS_REVIEW_STATUS},
    required=("spec",),
    description="Checks whether a user or group can perform an action in a namespace.")

_RESOURCE_RULE = obj(
    "io.k8s.api.authorization.v1.ResourceRule",
    {"verbs": _STRINGS, "apiGroups": _STRINGS, "resources": _STRINGS,
     "resourceNames": _STRINGS},
    description="Verbs allowed on resources.")
_NON_RESOURCE_RULE = obj(
    "io.k8s.api.authorization.v1.NonResourceRule",
    {"verbs": _STRINGS, "nonResourceURLs": _STRINGS},
    description="Verbs allowed on non-resource URLs.")
SELF_SUBJECT_RULES_REVIEW = kind(
    "io.k8s.api.authorization.v1.SelfSubjectRulesReview",
    {"spec": obj("io.k8s.api.authorization.v1.SelfSubjectRulesReviewSpec",
                 {"namespace": string("The namespace to list the rules of.")},
                 description="The namespace."),
     "status": obj("io.k8s.api.authorization.v1.SubjectRulesReviewStatus",
                   {"resourceRules": array(_RESOURCE_RULE),
                    "nonResourceRules": array(_NON_RESOURCE_RULE),
                    "incomplete": boolean("Whether the list may be missing rules."),
                    "evaluationError": string("An error while the rules were gathered.")},
                   description="The rules.")},
    required=("spec",),
    description="Lists what the current user can do in a namespace (kubectl auth can-i "
                "--list).")

USER_INFO = obj(
    "io.k8s.api.authentication.v1.UserInfo",
    {"username": string("The name of the user."),
     "uid": string("The uid of the user."),
     "groups": _STRINGS.describe("The groups of the user."),
     "extra": map_of(_STRINGS, "Extra attributes of the user.")},
    description="A user's identity.")
TOKEN_REVIEW = kind(
    "io.k8s.api.authentication.v1.TokenReview",
    {"spec": obj("io.k8s.api.authentication.v1.TokenReviewSpec",
                 {"token": string("The opaque bearer token."),
                  "audiences": _STRINGS.describe("Audiences the token must be for.")},
                 description="The token to check."),
     "status": obj("io.k8s.api.authentication.v1.TokenReviewStatus",
                   {"authenticated": boolean("Whether the token is valid."),
                    "user": USER_INFO.describe("Who the token stands for."),
                    "audiences": _STRINGS.describe("The audiences the token is good for."),
                    "error": string("Why the token could not be checked.")},
                   description="The result.")},
    required=("spec",),
    description="Checks a bearer token through the apiserver's authenticators.")
SELF_SUBJECT_REVIEW = kind(
    "io.k8s.api.authentication.v1.SelfSubjectReview",
    {"status": obj("io.k8s.api.authentication.v1.SelfSubjectReviewStatus",
                   {"userInfo": USER_INFO.describe("Who the requester is.")},
                   description="The requester.")},
    description="Tells the requester who the apiserver takes them for (kubectl auth whoami).")
