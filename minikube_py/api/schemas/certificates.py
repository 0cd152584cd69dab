"""Schema of certificates.k8s.io/v1 CertificateSigningRequest."""

from __future__ import annotations

from minikube_py.api.schema import array, integer, map_of, obj, string, timestamp
from minikube_py.api.schemas.meta import kind

CONDITION = obj(
    "io.k8s.api.certificates.v1.CertificateSigningRequestCondition",
    {
        "type": string("Approved, Denied or Failed (others are allowed)."),
        "status": string("True, False or Unknown (Approved, Denied and Failed are True)."),
        "reason": string("A brief reason for the request's state."),
        "message": string("A human-readable message about the request's state."),
        "lastUpdateTime": timestamp("When this condition was last updated."),
        "lastTransitionTime": timestamp("When this condition last changed status."),
    },
    required=("type", "status"),
    description="A condition of a CertificateSigningRequest.",
)

SPEC = obj(
    "io.k8s.api.certificates.v1.CertificateSigningRequestSpec",
    {
        "request": string("A PEM \"CERTIFICATE REQUEST\" block, base64-encoded in JSON.",
                          format="byte"),
        "signerName": string("The signer asked to issue the certificate (a qualified name)."),
        "expirationSeconds": integer("The validity asked for, at least 600 seconds."),
        "usages": array(string(), "Key usages asked for (e.g. client auth)."),
        "username": string("Who created the request (set by the apiserver)."),
        "uid": string("The uid of who created the request (set by the apiserver)."),
        "groups": array(string(), "The groups of who created the request (set by the "
                                  "apiserver)."),
        "extra": map_of(array(string()), "Extra attributes of who created the request."),
    },
    required=("request", "signerName"),
    description="The certificate request.",
)

STATUS = obj(
    "io.k8s.api.certificates.v1.CertificateSigningRequestStatus",
    {
        "conditions": array(CONDITION, "Approved, Denied and Failed conditions.",
                            merge_key="type"),
        "certificate": string("The issued certificate (PEM), base64-encoded in JSON.",
                              format="byte"),
    },
    description="Whether the request is approved, and the certificate issued.",
)

CERTIFICATE_SIGNING_REQUEST = kind(
    "io.k8s.api.certificates.v1.CertificateSigningRequest",
    {"spec": SPEC.describe("The request; immutable after creation."),
     "status": STATUS.describe("Approval and the issued certificate.")},
    required=("spec",),
    description="A request for an x509 certificate, approved and then issued by a signer.",
)
