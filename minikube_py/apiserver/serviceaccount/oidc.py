"""Service account issuer discovery (Kubernetes' ``pkg/serviceaccount/openidmetadata.go``):
``/.well-known/openid-configuration`` and ``/openid/v1/jwks``, non-resource paths of the
apiserver that anyone may read (``auth.PUBLIC_PATHS``), so a relying party outside the cluster
can verify a service account token with an ordinary OIDC library.
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.serviceaccount.tokens import ALGORITHM, TokenIssuer
from minikube_py.util import jsonutil

CONFIGURATION_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/openid/v1/jwks"
CACHE_CONTROL = "public, max-age=3600"


def configuration(issuer: TokenIssuer, jwks_uri: str) -> dict[str, Any]:
    return {"issuer": issuer.issuer, "jwks_uri": jwks_uri,
            "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM]}


def install(server: Any, issuer: TokenIssuer, *, external_address: str) -> None:
    """Serve the two documents; ``external_address`` (``host:port``) is where the JWKS is
    fetched from, as Kubernetes derives ``jwks_uri`` from its external address."""
    config = jsonutil.dumps(configuration(issuer, f"https://{external_address}{JWKS_PATH}"))
    keys = jsonutil.dumps(issuer.jwks())

    async def openid_configuration(_req: ApiRequest) -> ApiResponse:
        return ApiResponse(200, raw=config + b"\n", content_type="application/json",
                           headers={"Cache-Control": CACHE_CONTROL})

    async def jwks(_req: ApiRequest) -> ApiResponse:
        return ApiResponse(200, raw=keys + b"\n", content_type="application/jwk-set+json",
                           headers={"Cache-Control": CACHE_CONTROL})

    server.non_resource[CONFIGURATION_PATH] = openid_configuration
    server.non_resource[JWKS_PATH] = jwks
