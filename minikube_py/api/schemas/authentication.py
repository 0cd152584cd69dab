"""Schema of the authentication.k8s.io/v1 TokenRequest that ``serviceaccounts/token`` takes
and answers with (the apiserver's TokenRequest subresource; nothing of it is stored)."""

from __future__ import annotations

from minikube_py.api.schema import array, int64, obj, string, timestamp
from minikube_py.api.schemas.meta import kind

BOUND_OBJECT_REFERENCE = obj(
    "io.k8s.api.authentication.v1.BoundObjectReference",
    {
        "apiVersion": string("API version of the referent."),
        "kind": string("Kind of the referent: Pod, Secret or Node."),
        "name": string("Name of the referent."),
        "uid": string("UID of the referent."),
    },
    description="The object a token is bound to: the token dies with it.",
)

TOKEN_REQUEST_SPEC = obj(
    "io.k8s.api.authentication.v1.TokenRequestSpec",
    {
        "audiences": array(string(), "Who the token is meant for (the apiserver's own "
                                     "audiences when empty)."),
        "boundObjectRef": BOUND_OBJECT_REFERENCE.describe(
            "An object the token is bound to: it stops working when that object is deleted."),
        "expirationSeconds": int64("Requested lifetime of the token in seconds (at least 600)."),
    },
    required=("audiences",),
    description="What a token is asked for: audiences, lifetime, bound object.",
)

TOKEN_REQUEST_STATUS = obj(
    "io.k8s.api.authentication.v1.TokenRequestStatus",
    {
        "expirationTimestamp": timestamp("When the returned token expires."),
        "token": string("The opaque bearer token."),
    },
    required=("token", "expirationTimestamp"),
    description="The issued token and when it expires.",
)

TOKEN_REQUEST = kind(
    "io.k8s.api.authentication.v1.TokenRequest",
    {
        "spec": TOKEN_REQUEST_SPEC.describe("What the token is asked for."),
        "status": TOKEN_REQUEST_STATUS.describe("The issued token, filled in by the server."),
    },
    required=("spec",),
    description="Requests a token for a service account (serviceaccounts/token).",
)
