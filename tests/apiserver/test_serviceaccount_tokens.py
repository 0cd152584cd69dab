"""Service account tokens in the apiserver: the signer and its checks (on a fake clock), the
authenticator's look at the cluster, the TokenRequest subresource's answers and refusals, and
the authenticator chain."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from minikube_py.api.registry import REGISTRY
from minikube_py.api.wire import SYSTEM_ADMIN, ApiRequest
from minikube_py.apiserver import serviceaccount
from minikube_py.apiserver.authentication import BearerAuthenticator, StaticTokens
from minikube_py.apiserver.server import ApiServer
from minikube_py.apiserver.serviceaccount.authenticator import ServiceAccountTokenAuthenticator
from minikube_py.apiserver.serviceaccount.tokens import (
    ISSUER,
    LEEWAY,
    BoundPod,
    TokenInvalid,
    TokenIssuer,
    ensure_signing_key,
)
from minikube_py.client.base import Client
from minikube_py.util import jsonutil

ACCOUNTS = REGISTRY.require("", "v1", "serviceaccounts")
PODS = REGISTRY.require("", "v1", "pods")
NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def issuer(clock: Clock) -> TokenIssuer:
    return TokenIssuer(ec.generate_private_key(ec.SECP256R1()), now=clock)


def issue(issuer: TokenIssuer, *, seconds: int = 600, audiences: tuple[str, ...] = (ISSUER,),
          pod: BoundPod | None = None) -> str:
    return issuer.issue(namespace="ns", name="robot", uid="sa-uid", audiences=audiences,
                        expiration_seconds=seconds, pod=pod)


def test_signing_key_is_made_once_and_private(tmp_path: Path) -> None:
    """The key is written at first use with mode 0600 and read back afterwards."""
    first = ensure_signing_key(tmp_path)
    assert stat.S_IMODE((tmp_path / "sa.key").stat().st_mode) == 0o600
    again = ensure_signing_key(tmp_path)
    assert first.private_numbers() == again.private_numbers()


def test_token_expires_after_its_lifetime_and_the_leeway(issuer: TokenIssuer,
                                                          clock: Clock) -> None:
    """A 600 s token verifies until exp + 60 s of leeway, then is refused as expired."""
    token = issue(issuer)
    clock.now = NOW + 600 + LEEWAY
    assert issuer.verify(token)["sub"] == "system:serviceaccount:ns:robot"
    clock.now += 1
    with pytest.raises(TokenInvalid, match="service account token has expired"):
        issuer.verify(token)


@pytest.mark.parametrize(("make", "why"), [
    pytest.param(lambda i: issue(i, audiences=("vault",)), "token audiences",
                 id="other-audience"),
    pytest.param(lambda i: TokenIssuer(ec.generate_private_key(ec.SECP256R1()),
                                       now=i.now).issue(
        namespace="ns", name="robot", uid="u", audiences=[ISSUER], expiration_seconds=600),
        "invalid token", id="other-key"),
    pytest.param(lambda i: issue(i)[:-4] + "AAAA", "invalid token", id="bad-signature"),
])
def test_foreign_tokens_are_refused(issuer: TokenIssuer, make: Any, why: str) -> None:
    """Another audience, another key or a damaged signature: refused with the reason."""
    with pytest.raises(TokenInvalid, match=why):
        issuer.verify(make(issuer))


def test_token_not_valid_before_nbf(issuer: TokenIssuer, clock: Clock) -> None:
    """A token whose nbf lies beyond the leeway in the future is refused."""
    token = issuer.issue(namespace="ns", name="robot", uid="u", audiences=[ISSUER],
                         expiration_seconds=3600, at=NOW + 2 * LEEWAY)
    with pytest.raises(TokenInvalid, match="not valid yet"):
        issuer.verify(token)


def test_jwks_key_verifies_and_kid_matches(issuer: TokenIssuer) -> None:
    """The JWKS's one key has the token header's kid and verifies the token."""
    token = issue(issuer)
    (key,) = jwt.PyJWKSet.from_dict(issuer.jwks()).keys
    assert key.key_id == jwt.get_unverified_header(token)["kid"] == issuer.kid
    claims = jwt.decode(token, key.key, algorithms=["ES256"], audience=ISSUER,
                        options={"verify_exp": False, "verify_iat": False,
                                 "verify_nbf": False})
    assert claims["kubernetes.io"]["serviceaccount"] == {"name": "robot", "uid": "sa-uid"}


class Objects:
    """A getter over a dict, as the apiserver's ``rest.find`` answers admission."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], dict[str, Any]] = {
            ("serviceaccounts", "ns", "robot"): {"metadata": {"name": "robot", "uid": "sa-uid"}},
            ("pods", "ns", "p"): {"metadata": {"name": "p", "uid": "pod-uid"}}}

    def __call__(self, rt: Any, namespace: str, name: str) -> dict[str, Any] | None:
        return self.items.get((rt.plural, namespace, name))


def test_authenticated_user_and_groups(issuer: TokenIssuer) -> None:
    """A good token is the account's user, with the service account groups and the pod."""
    auth = ServiceAccountTokenAuthenticator(issuer, Objects())
    user = auth.authenticate("Bearer " + issue(issuer, pod=BoundPod("p", "pod-uid")))
    assert user is not None
    assert user.name == "system:serviceaccount:ns:robot" and user.uid == "sa-uid"
    assert user.groups == ("system:serviceaccounts", "system:serviceaccounts:ns",
                           "system:authenticated")
    extra = dict(user.extra)
    assert extra["authentication.kubernetes.io/pod-name"] == ("p",)
    assert extra["authentication.kubernetes.io/pod-uid"] == ("pod-uid",)


@pytest.mark.parametrize("change", [
    pytest.param(lambda o: o.items.pop(("serviceaccounts", "ns", "robot")), id="account-gone"),
    pytest.param(lambda o: o.items[("serviceaccounts", "ns", "robot")]["metadata"].update(
        uid="other"), id="account-recreated"),
    pytest.param(lambda o: o.items.pop(("pods", "ns", "p")), id="pod-gone"),
    pytest.param(lambda o: o.items[("pods", "ns", "p")]["metadata"].update(uid="other"),
                 id="pod-recreated"),
    pytest.param(lambda o: o.items[("pods", "ns", "p")]["metadata"].update(
        deletionTimestamp="2027-01-15T07:00:00Z"), id="pod-deleted-an-hour-ago"),
])
def test_tokens_die_with_their_account_and_pod(issuer: TokenIssuer, change: Any) -> None:
    """Deleting (or recreating) the account or the bound pod ends the token."""
    objects = Objects()
    auth = ServiceAccountTokenAuthenticator(issuer, objects)
    token = "Bearer " + issue(issuer, pod=BoundPod("p", "pod-uid"))
    assert auth.authenticate(token) is not None
    change(objects)
    assert auth.authenticate(token) is None


def test_terminating_pod_keeps_its_token_for_a_grace(issuer: TokenIssuer, clock: Clock) -> None:
    """A pod whose deletion time passed less than 60 s ago still authenticates."""
    objects = Objects()
    objects.items[("pods", "ns", "p")]["metadata"]["deletionTimestamp"] = \
        "2027-01-15T08:00:00Z"  # NOW
    clock.now = NOW + 30
    auth = ServiceAccountTokenAuthenticator(issuer, objects)
    token = "Bearer " + issuer.issue(namespace="ns", name="robot", uid="sa-uid",
                                     audiences=[ISSUER], expiration_seconds=3600,
                                     pod=BoundPod("p", "pod-uid"))
    assert auth.authenticate(token) is not None
    clock.now += 60
    assert auth.authenticate(token) is None


async def test_chain_tries_each_authenticator(issuer: TokenIssuer) -> None:
    """The chain finds the admin token first, a service account token second, and nothing
    for garbage; issuer discovery is public."""
    chain = BearerAuthenticator([StaticTokens.admin("admin-token"),
                                 ServiceAccountTokenAuthenticator(issuer, Objects())])
    assert await chain.authenticate("Bearer admin-token") == SYSTEM_ADMIN
    user = await chain.authenticate("Bearer " + issue(issuer))
    assert user is not None and user.name == "system:serviceaccount:ns:robot"
    assert "system:authenticated" in user.groups
    assert await chain.authenticate("Bearer a.b.c") is None
    assert await chain.authenticate("Basic " + issue(issuer)) is None
    assert chain.is_public("/openid/v1/jwks")
    assert chain.is_public("/.well-known/openid-configuration")
    assert not chain.is_public("/api/v1/pods")


# -- the TokenRequest subresource, through the apiserver's pipeline ---------------------------

@pytest.fixture
def sa_server(apiserver: ApiServer, tmp_path: Path) -> ServiceAccountTokenAuthenticator:
    return serviceaccount.install(apiserver, tmp_path, external_address="127.0.0.1:1")


async def post_token(server: ApiServer, body: dict[str, Any], name: str = "default",
                     accept: str = "") -> tuple[int, Any]:
    resp = await server.handle(ApiRequest(
        "POST", f"/api/v1/namespaces/default/serviceaccounts/{name}/token",
        body=jsonutil.dumps(body), content_type="application/json", accept=accept))
    return resp.status, resp.body if resp.raw is None else resp.raw


async def test_token_request_answer(apiserver: ApiServer,
                                    sa_server: ServiceAccountTokenAuthenticator) -> None:
    """201 with the request filled in: name, namespace, audiences, lifetime, the token."""
    status, body = await post_token(apiserver, {"spec": {"audiences": ["a", "b"]}})
    assert status == 201
    assert body["kind"] == "TokenRequest" and body["apiVersion"] == "authentication.k8s.io/v1"
    assert body["metadata"]["name"] == "default" and body["metadata"]["namespace"] == "default"
    assert body["spec"] == {"audiences": ["a", "b"], "expirationSeconds": 3600,
                            "boundObjectRef": None}
    claims = jwt.decode(body["status"]["token"], options={"verify_signature": False})
    assert claims["aud"] == ["a", "b"] and claims["exp"] - claims["iat"] == 3600


async def test_pod_bound_kubelet_token_is_extended(
        apiserver: ApiServer, client: Client,
        sa_server: ServiceAccountTokenAuthenticator) -> None:
    """A pod-bound 3607 s token is signed for a year with warnafter at 3607 s; the answer
    still says 3607 s, and the token authenticates with the pod in its extra."""
    pod = await client.create(PODS, {"metadata": {"name": "web", "namespace": "default"},
                                     "spec": {"containers": [{"name": "c", "image": "x"}]}})
    status, body = await post_token(apiserver, {"spec": {
        "expirationSeconds": 3607, "boundObjectRef": {
            "apiVersion": "v1", "kind": "Pod", "name": "web", "uid": pod["metadata"]["uid"]}}})
    assert status == 201
    claims = jwt.decode(body["status"]["token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 365 * 24 * 3600
    assert claims["kubernetes.io"]["warnafter"] - claims["iat"] == 3607
    assert claims["kubernetes.io"]["pod"] == {"name": "web", "uid": pod["metadata"]["uid"]}
    user = sa_server.authenticate("Bearer " + body["status"]["token"])
    assert user is not None and dict(user.extra)[
        "authentication.kubernetes.io/pod-name"] == ("web",)


@pytest.mark.parametrize(("body", "code", "message"), [
    pytest.param({"metadata": {"name": "other"}, "spec": {}}, 422,
                 'TokenRequest.authentication.k8s.io "default" is invalid: metadata.name: '
                 'Invalid value: "other": must match the service account name if specified',
                 id="name-mismatch"),
    pytest.param({"spec": {"expirationSeconds": 2**32 + 1}}, 422,
                 "may not specify a duration larger than 2^32 seconds", id="too-long"),
    pytest.param({"spec": {"expirationSeconds": "soon"}}, 400,
                 "cannot be handled as a TokenRequest", id="wrong-type"),
    pytest.param({"spec": {"boundObjectRef": {"apiVersion": "v1", "kind": "Pod",
                                              "name": "web", "uid": "not-its-uid"}}}, 409,
                 "the UID in the bound object reference (not-its-uid) does not match",
                 id="pod-uid-mismatch"),
    pytest.param({"spec": {"boundObjectRef": {"apiVersion": "v1", "kind": "Pod",
                                              "name": "other-sa"}}}, 400,
                 'cannot bind token for serviceaccount "default" to pod running with '
                 "different serviceaccount name.", id="pod-of-another-account"),
])
async def test_token_request_refusals(apiserver: ApiServer, client: Client,
                                      sa_server: ServiceAccountTokenAuthenticator,
                                      body: dict[str, Any], code: int, message: str) -> None:
    """Refusals carry Kubernetes' codes and words."""
    await client.create(PODS, {"metadata": {"name": "web", "namespace": "default"},
                               "spec": {"containers": [{"name": "c", "image": "x"}]}})
    await client.create(ACCOUNTS, {"metadata": {"name": "robot", "namespace": "default"}})
    await client.create(PODS, {"metadata": {"name": "other-sa", "namespace": "default"},
                               "spec": {"serviceAccountName": "robot",
                                        "containers": [{"name": "c", "image": "x"}]}})
    status, answer = await post_token(apiserver, body)
    assert status == code and message in answer["message"], answer


async def test_token_subresource_is_create_only(apiserver: ApiServer,
                                                sa_server: ServiceAccountTokenAuthenticator
                                                ) -> None:
    """GET of serviceaccounts/x/token is 405; YAML is answered when asked for."""
    resp = await apiserver.handle(ApiRequest(
        "GET", "/api/v1/namespaces/default/serviceaccounts/default/token"))
    assert resp.status == 405
    status, raw = await post_token(apiserver, {"spec": {}}, accept="application/yaml")
    assert status == 201 and b"kind: TokenRequest" in raw


# -- ServiceAccount admission ------------------------------------------------------------------

def _pod(name: str, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "x"}], **spec}}


async def test_admission_waits_for_the_default_account(
        apiserver: ApiServer, client: Client,
        sa_server: ServiceAccountTokenAuthenticator) -> None:
    """A pod in a namespace whose ``default`` account comes a moment later is admitted."""
    namespaces = REGISTRY.require("", "v1", "namespaces")
    await client.create(namespaces, {"metadata": {"name": "fresh"}})

    async def account_later() -> None:
        await asyncio.sleep(0.3)
        await client.create(ACCOUNTS, {"metadata": {"name": "default", "namespace": "fresh"}})

    later = asyncio.ensure_future(account_later())
    pod = await client.create(PODS, dict(_pod("early"), metadata={"name": "early",
                                                                  "namespace": "fresh"}))
    await later
    assert pod["spec"]["serviceAccountName"] == "default"


async def test_admission_keeps_existing_mounts_and_volume(
        client: Client, sa_server: ServiceAccountTokenAuthenticator) -> None:
    """A container with its own mount at the token path is left alone; a pod that already
    has a ``kube-api-access-*`` volume gets no second one; pull secrets come from the
    account; the deprecated ``serviceAccount`` is honoured and kept equal."""
    await client.create(ACCOUNTS, {"metadata": {"name": "puller", "namespace": "default"},
                                   "imagePullSecrets": [{"name": "registry"}]})
    pod = await client.create(PODS, _pod(
        "own", serviceAccount="puller",
        volumes=[{"name": "kube-api-access-mine", "emptyDir": {}}, {"name": "own",
                                                                    "emptyDir": {}}],
        containers=[{"name": "a", "image": "x", "volumeMounts": [
            {"name": "own", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]},
            {"name": "b", "image": "x"}]))
    spec = pod["spec"]
    assert spec["serviceAccountName"] == spec["serviceAccount"] == "puller"
    assert spec["imagePullSecrets"] == [{"name": "registry"}]
    assert [v["name"] for v in spec["volumes"]] == ["kube-api-access-mine", "own"]
    assert [m["name"] for m in spec["containers"][0]["volumeMounts"]] == ["own"]
    assert spec["containers"][1]["volumeMounts"] == [{
        "name": "kube-api-access-mine", "readOnly": True,
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
