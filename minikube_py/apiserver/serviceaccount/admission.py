"""The ServiceAccount admission plugin (Kubernetes' ``plugin/pkg/admission/serviceaccount``),
a mutating plugin of ``apiserver/admission.py``'s chain that :func:`install` adds.

For a pod being created (not through a subresource):

- ``spec.serviceAccountName`` defaults to ``default`` (or the deprecated
  ``spec.serviceAccount`` when only that is given; both are then the same, as the v1
  conversion writes them);
- the account must exist, else 403 ``error looking up service account <ns>/<name>:
  serviceaccount "<name>" not found`` (the ``default`` account is looked for ten times over
  one to two seconds, as Kubernetes does: the controller creates it just after the namespace);
- the account's ``imagePullSecrets`` are the pod's when it names none;
- unless ``automountServiceAccountToken`` is false (the pod's, else the account's), the
  projected volume ``kube-api-access-<5 random>`` (a bound token of 3607 s at ``token``, the
  ``kube-root-ca.crt`` ConfigMap's ``ca.crt``, the namespace from the downward API) is added
  and mounted read-only at :data:`MOUNT_PATH` in every init and app container that has no
  mount there yet.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from minikube_py.api.errors import Forbidden
from minikube_py.api.machinery.meta import random_suffix
from minikube_py.api.registry import REGISTRY
from minikube_py.apiserver.admission import Getter, WriteContext

DEFAULT_ACCOUNT = "default"
VOLUME_PREFIX = "kube-api-access-"
MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"
TOKEN_EXPIRATION = 3607  # Kubernetes' WarnOnlyBoundTokenExpirationSeconds
DEFAULT_MODE = 0o644
DEFAULT_ACCOUNT_ATTEMPTS = 10

PODS = REGISTRY.require("", "v1", "pods")
SERVICE_ACCOUNTS = REGISTRY.require("", "v1", "serviceaccounts")


def token_volume(name: str) -> dict[str, Any]:
    """The projected volume of an automounted token (Kubernetes' TokenVolumeSource)."""
    return {"name": name, "projected": {"defaultMode": DEFAULT_MODE, "sources": [
        {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION, "path": "token"}},
        {"configMap": {"name": ROOT_CA_CONFIGMAP, "items": [{"key": "ca.crt",
                                                              "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}}


class ServiceAccountAdmission:
    def __init__(self, get: Getter, *, retry_interval: tuple[float, float] = (0.1, 0.2)) -> None:
        self.get = get
        self.retry_interval = retry_interval

    async def __call__(self, ctx: WriteContext) -> None:
        if ctx.rt is not PODS or ctx.operation != "CREATE" or ctx.subresource or \
                not isinstance(ctx.obj, dict):
            return
        spec = ctx.obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        name = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or
                   DEFAULT_ACCOUNT)
        spec["serviceAccountName"] = spec["serviceAccount"] = name
        account = await self._account(ctx.namespace, name)
        if account is None:
            raise Forbidden(f'pods "{ctx.name}" is forbidden: error looking up service '
                            f'account {ctx.namespace}/{name}: serviceaccount "{name}" not '
                            'found', name=ctx.name, kind="pods")
        if not spec.get("imagePullSecrets") and account.get("imagePullSecrets"):
            spec["imagePullSecrets"] = [{"name": s.get("name")}
                                        for s in account["imagePullSecrets"]
                                        if isinstance(s, dict)]
        if _automount(spec, account):
            mount_token(spec)

    async def _account(self, namespace: str, name: str) -> dict[str, Any] | None:
        attempts = DEFAULT_ACCOUNT_ATTEMPTS if name == DEFAULT_ACCOUNT else 1
        interval = random.uniform(*self.retry_interval)
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(interval)
            found = self.get(SERVICE_ACCOUNTS, namespace, name)
            if found is not None:
                return found
        return None


def _automount(spec: dict[str, Any], account: dict[str, Any]) -> bool:
    if spec.get("automountServiceAccountToken") is not None:
        return bool(spec["automountServiceAccountToken"])
    if account.get("automountServiceAccountToken") is not None:
        return bool(account["automountServiceAccountToken"])
    return True


def mount_token(spec: dict[str, Any]) -> None:
    """Mount the token volume in every container without a mount at :data:`MOUNT_PATH`
    (reusing a ``kube-api-access-*`` volume the pod already has), adding the volume when a
    container needed it."""
    volumes = spec.get("volumes")
    if not isinstance(volumes, list):
        volumes = []
    existing = next((v["name"] for v in volumes if isinstance(v, dict) and
                     str(v.get("name") or "").startswith(VOLUME_PREFIX)), None)
    volume_name = existing or VOLUME_PREFIX + random_suffix()
    needed = False
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            if not isinstance(container, dict):
                continue
            mounts = container.get("volumeMounts")
            if not isinstance(mounts, list):
                mounts = container["volumeMounts"] = []
            if any(isinstance(m, dict) and m.get("mountPath") == MOUNT_PATH for m in mounts):
                continue
            mounts.append({"name": volume_name, "readOnly": True, "mountPath": MOUNT_PATH})
            needed = True
    if needed and existing is None:
        volumes.append(token_volume(volume_name))
        spec["volumes"] = volumes
