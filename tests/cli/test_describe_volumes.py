"""``describe pod`` shows the token volume every pod has as kubectl prints it."""

from __future__ import annotations

from minikube_py.apiserver.serviceaccount.admission import token_volume
from minikube_py.cli.describers import volumes


def test_token_volume_as_kubectl_describes_it() -> None:
    """Projected sources: token lifetime, the root CA map (optional unset: <nil>), the
    downward API; a secret source with its optional flag."""
    vol = token_volume("kube-api-access-abcde")
    vol["projected"]["sources"].append({"secret": {"name": "s", "optional": True}})
    assert volumes({"volumes": [vol]}) == [
        "Volumes:",
        "  kube-api-access-abcde:",
        "    Type:\tProjected (a volume that contains injected data from multiple sources)",
        "    TokenExpirationSeconds:\t3607",
        "    ConfigMapName:\tkube-root-ca.crt",
        "    ConfigMapOptional:\t<nil>",
        "    DownwardAPI:\ttrue",
        "    SecretName:\ts",
        "    SecretOptionalName:\ttrue",
    ]
