"""Service accounts in the apiserver: the token signer (``tokens.py``), the TokenRequest
subresource (``tokenrequest.py``), the authenticator of the tokens (``authenticator.py``) and
issuer discovery (``oidc.py``). The daemon calls :func:`install` once and puts the returned
authenticator in the chain of ``apiserver/authentication.py``; ``install`` also appends the
ServiceAccount admission plugin (``admission.py``) to the apiserver's mutating chain, so an
apiserver built without it (unit tests of the pipeline) admits pods without service accounts. The
controllers that make ``default`` accounts and ``kube-root-ca.crt`` are in ``controllers/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minikube_py.apiserver.serviceaccount import oidc
from minikube_py.apiserver.serviceaccount.admission import ServiceAccountAdmission
from minikube_py.apiserver.serviceaccount.authenticator import ServiceAccountTokenAuthenticator
from minikube_py.apiserver.serviceaccount.tokenrequest import TokenRequestHandler
from minikube_py.apiserver.serviceaccount.tokens import TokenIssuer, ensure_signing_key


def install(server: Any, data_dir: Path, *,
            external_address: str) -> ServiceAccountTokenAuthenticator:
    """Serve ``serviceaccounts/<name>/token`` and the discovery documents with the data dir's
    signing key, admit pods with the ServiceAccount plugin; return the tokens'
    authenticator."""
    issuer = TokenIssuer(ensure_signing_key(data_dir))
    server.subresource_handlers["token"] = TokenRequestHandler(issuer)
    oidc.install(server, issuer, external_address=external_address)
    # Before the users' webhooks, as Kubernetes orders ServiceAccount and
    # MutatingAdmissionWebhook: a webhook sees the pod with its token volume.
    mutating = server.rest.admission.mutating
    webhook = getattr(getattr(server, "webhooks", None), "mutate", None)
    at = next((i for i, plugin in enumerate(mutating) if plugin == webhook), len(mutating))
    mutating.insert(at, ServiceAccountAdmission(server.rest.find))
    return ServiceAccountTokenAuthenticator(issuer, server.rest.find)
