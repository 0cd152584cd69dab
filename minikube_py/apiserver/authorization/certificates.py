"""Who may ask for, approve and sign which certificates: Kubernetes' CertificateApproval,
CertificateSigning and CertificateSubjectRestriction admission plugins, one validating
plugin here.

RBAC on ``certificatesigningrequests`` says who may touch a request at all; these checks
follow the request's ``spec.signerName``, so that a user allowed to approve kubelet
renewals cannot thereby approve a request for any other signer:

- an ``/approval`` write needs the ``approve`` verb on ``signers`` (group
  ``certificates.k8s.io``) named after the signer, or ``<domain>/*`` for every signer of
  that domain;
- a ``/status`` write that changes ``status.certificate`` needs ``sign`` the same way;
- a request for ``kubernetes.io/kube-apiserver-client`` may not ask for the
  ``system:masters`` group (a certificate in that group is cluster-admin and passes every
  authorizer), whoever creates it.

Members of ``system:masters`` pass the first two (the authorizer allows them everything).
"""

from __future__ import annotations

from typing import Any

from cryptography.x509.oid import NameOID

from minikube_py.api.access import Attributes
from minikube_py.api.validation.certificates import parse_request
from minikube_py.api.wire import UserInfo
from minikube_py.apiserver.admission import WriteContext
from minikube_py.apiserver.authorization.attributes import forbidden_error
from minikube_py.apiserver.authorization.rbac import Authorizer

GROUP = "certificates.k8s.io"
RESOURCE = "certificatesigningrequests"
CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client"
MASTERS = "system:masters"


def signer_of(obj: dict[str, Any] | None) -> str:
    return str(((obj or {}).get("spec") or {}).get("signerName") or "")


def _certificate(obj: dict[str, Any] | None) -> str:
    return str(((obj or {}).get("status") or {}).get("certificate") or "")


class CertificateAdmission:
    """The three checks on certificate signing requests (see the module's docstring)."""

    def __init__(self, authorizer: Authorizer) -> None:
        self.authorizer = authorizer

    async def __call__(self, ctx: WriteContext) -> None:
        if ctx.rt.group != GROUP or ctx.rt.plural != RESOURCE:
            return
        if ctx.operation == "CREATE" and not ctx.subresource:
            self._subject_restriction(ctx)
        elif ctx.operation == "UPDATE" and ctx.subresource == "approval":
            signer = signer_of(ctx.old) or signer_of(ctx.obj)
            if not self.allowed(ctx.user, "approve", signer):
                raise _forbidden(ctx, "user not permitted to approve requests with "
                                      f'signerName "{signer}"')
        elif ctx.operation == "UPDATE" and ctx.subresource == "status":
            if _certificate(ctx.obj) == _certificate(ctx.old):
                return
            signer = signer_of(ctx.old) or signer_of(ctx.obj)
            if not self.allowed(ctx.user, "sign", signer):
                raise _forbidden(ctx, "user not permitted to sign requests with "
                                      f'signerName "{signer}"')

    def allowed(self, user: UserInfo, verb: str, signer: str) -> bool:
        """``verb`` on the signer by its name, or on every signer of its domain."""
        names = [signer]
        if "/" in signer:
            names.append(signer.split("/", 1)[0] + "/*")
        return any(self.authorizer.authorize(Attributes(
            user=user, verb=verb, resource_request=True, api_group=GROUP, api_version="v1",
            resource="signers", name=name)).allowed for name in names)

    @staticmethod
    def _subject_restriction(ctx: WriteContext) -> None:
        if signer_of(ctx.obj) != CLIENT_SIGNER:
            return
        request = parse_request(((ctx.obj or {}).get("spec") or {}).get("request"))
        if request is None:
            return  # validation answers an unparseable request with its 422
        organizations = request.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        if any(o.value == MASTERS for o in organizations):
            raise _forbidden(ctx, f"use of {CLIENT_SIGNER} signer with {MASTERS} group is "
                                  "not allowed")


def _forbidden(ctx: WriteContext, why: str) -> Exception:
    return forbidden_error(GROUP, RESOURCE, ctx.name, why)
