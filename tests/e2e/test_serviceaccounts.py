"""Service accounts against a started daemon (simulated containers) with the official client:
default accounts and root CA maps per namespace, TokenRequest tokens that authenticate as the
account (and stop when it goes, or when they expire), issuer discovery that verifies them,
the ServiceAccount admission's token volume, and the files the kubelet mounts from it."""

from __future__ import annotations

import json
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.conftest import RunningDaemon, start_daemon
from tests.e2e.test_kubectl import kubectl, ok

pytestmark = [pytest.mark.e2e]

MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
ISSUER = "https://kubernetes.default.svc.cluster.local"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    running = start_daemon(tmp_path_factory.mktemp("sa-daemon"),
                           extra=("--runtime", "sim", "--without", "service-rules"),
                           kubelet=True)
    # RBAC is on: the accounts these tests make may read (a binding a user would add too).
    subprocess.run(["kubectl", "--kubeconfig", str(running.kubeconfig), "create",
                    "clusterrolebinding", "sa-view", "--clusterrole=view",
                    "--group=system:serviceaccounts"], check=True, capture_output=True)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(daemon: RunningDaemon) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(daemon.kubeconfig))
    yield api_client
    api_client.close()


@pytest.fixture(scope="module")
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except (ApiException, AssertionError, FileNotFoundError):
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def namespace(core: client.CoreV1Api, name: str) -> str:
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def token_client(daemon: RunningDaemon, api: client.ApiClient, token: str) -> client.CoreV1Api:
    """A client of the same cluster that authenticates with ``token`` only."""
    cfg = client.Configuration()
    cfg.host = api.configuration.host
    cfg.ssl_ca_cert = api.configuration.ssl_ca_cert
    cfg.api_key = {"authorization": token}
    cfg.api_key_prefix = {"authorization": "Bearer"}
    return client.CoreV1Api(client.ApiClient(cfg))


def request_token(core: client.CoreV1Api, ns: str, name: str = "default",
                  **spec: Any) -> client.AuthenticationV1TokenRequest:
    body = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(
        audiences=spec.pop("audiences", []), **spec))
    return core.create_namespaced_service_account_token(name, ns, body)


def test_new_namespace_gets_default_account_and_root_ca(core: client.CoreV1Api,
                                                         daemon: RunningDaemon) -> None:
    """A new namespace gets the ``default`` ServiceAccount and ``kube-root-ca.crt`` with the
    cluster CA; both come back when deleted, and the CA map's data is put back when changed."""
    ns = namespace(core, "sa-new")
    ca = (daemon.data_dir / "ca.crt").read_text()
    eventually(lambda: core.read_namespaced_service_account("default", ns))
    cm = eventually(lambda: core.read_namespaced_config_map("kube-root-ca.crt", ns))
    assert cm.data == {"ca.crt": ca}
    assert "kube-apiserver" in cm.metadata.annotations["kubernetes.io/description"]
    first_uid = core.read_namespaced_service_account("default", ns).metadata.uid
    core.delete_namespaced_service_account("default", ns)
    again = eventually(lambda: core.read_namespaced_service_account("default", ns))
    assert again.metadata.uid != first_uid
    core.patch_namespaced_config_map("kube-root-ca.crt", ns, {"data": {"ca.crt": "forged"}})
    eventually(lambda: core.read_namespaced_config_map("kube-root-ca.crt", ns).data ==
               {"ca.crt": ca})
    core.delete_namespaced_config_map("kube-root-ca.crt", ns)
    eventually(lambda: core.read_namespaced_config_map("kube-root-ca.crt", ns).data ==
               {"ca.crt": ca})


def test_token_request_authenticates_as_the_account(core: client.CoreV1Api,
                                                      api: client.ApiClient,
                                                      daemon: RunningDaemon) -> None:
    """TokenRequest returns a signed JWT with Kubernetes' claims; the official client with
    only that token lists pods; once the account is deleted the token is refused (401)."""
    ns = namespace(core, "sa-token")
    core.create_namespaced_service_account(ns, client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name="robot")))
    answer = request_token(core, ns, "robot", expiration_seconds=600)
    assert answer.spec.audiences == ["https://kubernetes.default.svc.cluster.local"]
    assert answer.spec.expiration_seconds == 600
    claims = jwt.decode(answer.status.token, options={"verify_signature": False})
    uid = core.read_namespaced_service_account("robot", ns).metadata.uid
    assert claims["sub"] == f"system:serviceaccount:{ns}:robot"
    assert claims["kubernetes.io"] == {"namespace": ns,
                                       "serviceaccount": {"name": "robot", "uid": uid}}
    assert claims["exp"] - claims["iat"] == 600 and claims["nbf"] == claims["iat"]
    assert abs(answer.status.expiration_timestamp.timestamp() - claims["exp"]) <= 1
    as_robot = token_client(daemon, api, answer.status.token)
    assert as_robot.list_namespaced_pod(ns).items == []
    core.delete_namespaced_service_account("robot", ns)
    with pytest.raises(ApiException) as err:
        as_robot.list_namespaced_pod(ns)
    assert err.value.status == 401


@pytest.mark.parametrize(("spec", "status", "text"), [
    pytest.param({"expiration_seconds": 599}, 422,
                 "spec.expirationSeconds: Invalid value: 599: may not specify a duration "
                 "less than 10 minutes", id="too-short"),
    pytest.param({"bound_object_ref": client.V1BoundObjectReference(
        api_version="v1", kind="ConfigMap", name="x")}, 400,
                 "cannot bind token to object of type /v1, Kind=ConfigMap", id="bad-kind"),
    pytest.param({"bound_object_ref": client.V1BoundObjectReference(
        api_version="v1", kind="Pod", name="absent")}, 404, 'pods \\"absent\\" not found',
                 id="missing-pod"),
])
def test_token_request_refusals(core: client.CoreV1Api, spec: dict[str, Any], status: int,
                                text: str) -> None:
    """Bad TokenRequests get Kubernetes' codes and messages; nothing is issued."""
    with pytest.raises(ApiException) as err:
        request_token(core, "default", **spec)
    assert err.value.status == status and text in err.value.body


def test_token_for_missing_account_is_not_found(core: client.CoreV1Api) -> None:
    """A TokenRequest for an account that does not exist is 404."""
    with pytest.raises(ApiException) as err:
        request_token(core, "default", "nobody")
    assert err.value.status == 404


def test_expired_or_foreign_tokens_are_refused(core: client.CoreV1Api, api: client.ApiClient,
                                               daemon: RunningDaemon) -> None:
    """A token of the cluster's key that has expired, one for another audience and one
    signed by another key are all 401; the same claims, current, work."""
    key = serialization.load_pem_private_key((daemon.data_dir / "sa.key").read_bytes(),
                                             password=None)
    good = jwt.decode(request_token(core, "default").status.token,
                      options={"verify_signature": False})
    now = int(time.time())

    def signed(claims: dict[str, Any], signer: Any = key) -> str:
        return jwt.encode(claims, signer, algorithm="ES256")

    assert token_client(daemon, api, signed(good)).list_namespaced_pod("default")
    expired = dict(good, iat=now - 4000, nbf=now - 4000, exp=now - 120)
    other_audience = dict(good, aud=["https://elsewhere.example"])
    for token in (signed(expired), signed(other_audience),
                  signed(good, ec.generate_private_key(ec.SECP256R1()))):
        with pytest.raises(ApiException) as err:
            token_client(daemon, api, token).list_namespaced_pod("default")
        assert err.value.status == 401


def test_issuer_discovery_verifies_tokens(core: client.CoreV1Api, daemon: RunningDaemon) -> None:
    """Without credentials (once the issuer-discovery role is bound to unauthenticated users,
    as Kubernetes' docs say to: by default only service accounts may read it), the OpenID
    configuration names the issuer and the JWKS, whose key verifies a TokenRequest token
    (issuer and audience checked by PyJWT)."""
    ctx = ssl.create_default_context(cafile=str(daemon.data_dir / "ca.crt"))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{daemon.url}/openid/v1/jwks", context=ctx)
    assert refused.value.code == 403
    refused.value.close()
    subprocess.run(["kubectl", "--kubeconfig", str(daemon.kubeconfig), "create",
                    "clusterrolebinding", "oidc-reviewer",
                    "--clusterrole=system:service-account-issuer-discovery",
                    "--group=system:unauthenticated"], check=True, capture_output=True)
    with urllib.request.urlopen(f"{daemon.url}/.well-known/openid-configuration",
                                context=ctx) as resp:
        discovery = json.loads(resp.read())
    assert discovery["issuer"] == "https://kubernetes.default.svc.cluster.local"
    assert discovery["jwks_uri"] == f"{daemon.url}/openid/v1/jwks"
    with urllib.request.urlopen(discovery["jwks_uri"], context=ctx) as resp:
        assert resp.headers["Content-Type"] == "application/jwk-set+json"
        keys = jwt.PyJWKSet.from_dict(json.loads(resp.read()))
    token = request_token(core, "default", audiences=["vault"]).status.token
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    claims = jwt.decode(token, key.key, algorithms=discovery[
        "id_token_signing_alg_values_supported"], audience="vault", issuer=discovery["issuer"])
    assert claims["sub"] == "system:serviceaccount:default:default"


def _pod(name: str, **spec: Any) -> client.V1Pod:
    return client.V1Pod(metadata=client.V1ObjectMeta(name=name), spec=client.V1PodSpec(
        containers=[client.V1Container(name="c", image="busybox")],
        init_containers=[client.V1Container(name="init", image="busybox")], **spec))


def _volume_dir(daemon: RunningDaemon, uid: str, plugin: str, name: str, file: str) -> Path:
    """The kubelet's directory of a pod's volume, once ``file`` is written in it."""
    def written() -> Path | None:
        found = list((daemon.data_dir / "kubelet").glob(f"*/pods/{uid}/volumes/{plugin}/{name}"))
        return found[0] if found and (found[0] / file).exists() else None
    found: Path = eventually(written)
    return found


def test_admission_adds_token_volume_and_kubelet_mounts_it(core: client.CoreV1Api,
                                                           api: client.ApiClient,
                                                           daemon: RunningDaemon) -> None:
    """A pod gets ``serviceAccountName: default`` and the projected ``kube-api-access-*``
    volume mounted read-only in every container; the kubelet writes its token (bound to the
    pod, authenticating as the account until the pod is deleted), ca.crt and namespace."""
    pod = core.create_namespaced_pod("default", _pod("sa-mounted"))
    assert pod.spec.service_account_name == "default"
    (volume,) = [v for v in pod.spec.volumes if v.name.startswith("kube-api-access-")]
    assert len(volume.name) == len("kube-api-access-") + 5
    sources = volume.projected.sources
    assert sources[0].service_account_token.expiration_seconds == 3607
    assert sources[0].service_account_token.path == "token"
    assert sources[1].config_map.name == "kube-root-ca.crt"
    assert sources[2].downward_api.items[0].field_ref.field_path == "metadata.namespace"
    for c in (*pod.spec.init_containers, *pod.spec.containers):
        assert [(m.name, m.mount_path, m.read_only) for m in c.volume_mounts] == \
            [(volume.name, MOUNT, True)]
    files = _volume_dir(daemon, pod.metadata.uid, "projected", volume.name, "token")
    assert (files / "namespace").read_text() == "default"
    assert (files / "ca.crt").read_text() == (daemon.data_dir / "ca.crt").read_text()
    token = (files / "token").read_text()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["kubernetes.io"]["pod"] == {"name": "sa-mounted", "uid": pod.metadata.uid}
    assert claims["kubernetes.io"]["warnafter"] - claims["iat"] == 3607
    as_pod = token_client(daemon, api, token)
    assert "sa-mounted" in [p.metadata.name for p in as_pod.list_namespaced_pod("default").items]
    core.delete_namespaced_pod("sa-mounted", "default", grace_period_seconds=0)
    eventually(lambda: not [p for p in core.list_namespaced_pod("default").items
                            if p.metadata.name == "sa-mounted"])
    with pytest.raises(ApiException) as err:
        as_pod.list_namespaced_pod("default")
    assert err.value.status == 401


def test_automount_false_and_missing_account(core: client.CoreV1Api) -> None:
    """``automountServiceAccountToken: false`` (pod, or account) adds no volume; a pod naming
    an account that does not exist is refused with Kubernetes' 403."""
    pod = core.create_namespaced_pod("default", _pod("sa-nomount",
                                                     automount_service_account_token=False))
    assert not pod.spec.volumes and not pod.spec.containers[0].volume_mounts
    core.create_namespaced_service_account("default", client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name="quiet"), automount_service_account_token=False))
    quiet = core.create_namespaced_pod("default", _pod("sa-quiet",
                                                       service_account_name="quiet"))
    assert not quiet.spec.volumes
    with pytest.raises(ApiException) as err:
        core.create_namespaced_pod("default", _pod("sa-ghost", service_account_name="ghost"))
    assert err.value.status == 403
    assert 'pods \\"sa-ghost\\" is forbidden: error looking up service account ' \
        'default/ghost: serviceaccount \\"ghost\\" not found' in err.value.body


def test_downward_api_volume(core: client.CoreV1Api, daemon: RunningDaemon) -> None:
    """A downwardAPI volume holds the pod's labels, name and a container's cpu limit."""
    pod = _pod("sa-downward", automount_service_account_token=False, volumes=[
        client.V1Volume(name="info", downward_api=client.V1DownwardAPIVolumeSource(items=[
            client.V1DownwardAPIVolumeFile(path="labels", field_ref=client.V1ObjectFieldSelector(
                field_path="metadata.labels")),
            client.V1DownwardAPIVolumeFile(path="name", field_ref=client.V1ObjectFieldSelector(
                field_path="metadata.name")),
            client.V1DownwardAPIVolumeFile(
                path="cpu", resource_field_ref=client.V1ResourceFieldSelector(
                    container_name="c", resource="limits.cpu", divisor="1m"))]))])
    pod.metadata.labels = {"b": "2", "a": "1"}
    pod.spec.containers[0].resources = client.V1ResourceRequirements(limits={"cpu": "250m"})
    created = core.create_namespaced_pod("default", pod)
    files = _volume_dir(daemon, created.metadata.uid, "downward-api", "info", "cpu")
    assert (files / "labels").read_text() == 'a="1"\nb="2"'
    assert (files / "name").read_text() == "sa-downward"
    assert (files / "cpu").read_text() == "250"


@pytest.mark.kubectl
def test_kubectl_create_token_bound_to_a_pod(core: client.CoreV1Api, api: client.ApiClient,
                                             daemon: RunningDaemon) -> None:
    """``kubectl create token`` (its TokenRequest sent as protobuf by kubectl 1.32+) with an
    audience, a duration and a pod binding prints a token with those claims; ``kubectl
    --token`` with it works; ``--duration 5m`` gets Kubernetes' refusal."""
    pod = core.create_namespaced_pod("default", _pod("sa-bound"))
    token = ok(daemon, "create", "token", "default", "--audience", ISSUER, "--audience",
               "vault", "--duration", "20m", "--bound-object-kind", "Pod",
               "--bound-object-name", "sa-bound").strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == [ISSUER, "vault"] and claims["exp"] - claims["iat"] == 1200
    assert claims["kubernetes.io"]["pod"] == {"name": "sa-bound", "uid": pod.metadata.uid}
    assert "sa-bound" in ok(daemon, "--token", token, "get", "pods", "-o", "name")
    refused = kubectl(daemon, "create", "token", "default", "--duration", "5m")
    assert refused.returncode == 1
    assert "may not specify a duration less than 10 minutes" in refused.stderr


def test_running_pod_keeps_its_status_when_a_volume_source_goes(core: client.CoreV1Api) -> None:
    """A running pod whose ConfigMap is deleted stays Running with its IP (a FailedMount
    event says why its files are no longer refreshed), as a kubelet keeps running pods."""
    core.create_namespaced_config_map("default", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="sa-files"), data={"k": "v"}))
    pod = _pod("sa-keeps", volumes=[client.V1Volume(
        name="files", config_map=client.V1ConfigMapVolumeSource(name="sa-files"))])
    pod.spec.init_containers = None  # a simulated init container runs until told to end
    core.create_namespaced_pod("default", pod)
    running = eventually(lambda: (p := core.read_namespaced_pod("sa-keeps", "default"))
                         .status.phase == "Running" and p)
    core.delete_namespaced_config_map("sa-files", "default")
    core.patch_namespaced_pod("sa-keeps", "default", {"metadata": {"labels": {"poke": "1"}}})
    eventually(lambda: [e for e in core.list_namespaced_event(
        "default", field_selector="involvedObject.name=sa-keeps").items
        if e.reason == "FailedMount"])
    now = core.read_namespaced_pod("sa-keeps", "default")
    assert now.status.phase == "Running" and now.status.pod_ip == running.status.pod_ip
    assert all(c.state.running for c in now.status.container_statuses)
