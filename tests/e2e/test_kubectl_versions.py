"""Every installed kubectl minor, 1.27 to 1.33, against one started daemon: a short smoke test
each, so a change to discovery, OpenAPI or the wire formats that breaks an older or newer client
shows up here.

kubectl 1.27 and 1.28 fetch /openapi/v2 before every apply, and every minor validates the
items of a `kind: List` against it; the daemon serves the full v2 document (derived from the
v3 schemas), so every minor applies without flags.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.conftest import RunningDaemon
from tests.e2e.test_kubectl import kubectl, table

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

MINORS = range(27, 34)


def binary(minor: int) -> str:
    return f"/usr/lib/google-cloud-sdk/bin/kubectl.1.{minor}"


def ok(daemon: RunningDaemon, minor: int, *args: str, input: str | None = None) -> str:
    result = kubectl(daemon, *args, input=input, binary=binary(minor))
    assert result.returncode == 0, f"kubectl 1.{minor} {' '.join(args)}: {result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def ns(daemon: RunningDaemon) -> str:
    """One namespace for the module; object names carry the kubectl minor."""
    name = f"kv-{uuid.uuid4().hex[:8]}"
    manifest = json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    ok(daemon, 32, "apply", "-f", "-", input=manifest)
    return name


@pytest.mark.parametrize("minor", [pytest.param(m, id=f"1.{m}") for m in MINORS])
def test_get_apply_delete(daemon: RunningDaemon, ns: str, minor: int) -> None:
    """kubectl 1.<minor> lists namespaces as a table, applies a ConfigMap (created, then
    unchanged), reads it back and deletes it."""
    rows = table(ok(daemon, minor, "get", "ns"))
    assert rows[0] == ["NAME", "STATUS", "AGE"]
    assert ["default", "Active"] == next(r[:2] for r in rows if r[0] == "default")
    name = f"smoke-{minor}"
    manifest = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{a: '1'}}\n"
    assert ok(daemon, minor, "-n", ns, "apply", "-f", "-", input=manifest) == \
        f"configmap/{name} created\n"
    assert ok(daemon, minor, "-n", ns, "apply", "-f", "-", input=manifest) == \
        f"configmap/{name} unchanged\n"
    got = ok(daemon, minor, "-n", ns, "get", "cm", name, "-o", "jsonpath={.data.a}")
    assert got == "1"
    assert ok(daemon, minor, "-n", ns, "delete", "cm", name) == f'configmap "{name}" deleted\n'


@pytest.mark.parametrize("minor", [pytest.param(m, id=f"1.{m}") for m in MINORS])
def test_version_and_server_side_apply(daemon: RunningDaemon, ns: str, minor: int) -> None:
    """kubectl 1.<minor> reads the server version and creates through server-side apply."""
    server = json.loads(ok(daemon, minor, "version", "-o", "json"))["serverVersion"]
    assert re.fullmatch(r"v1\.32\.0\+minikube-py\.\S+", server["gitVersion"]), server
    assert (server["major"], server["minor"]) == ("1", "32")
    name = f"ssa-{minor}"
    manifest = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{a: '1'}}\n"
    out = ok(daemon, minor, "-n", ns, "apply", "--server-side", "-f", "-", input=manifest)
    assert out == f"configmap/{name} serverside-applied\n"


@pytest.mark.parametrize("minor", [pytest.param(m, id=f"1.{m}") for m in MINORS])
def test_create_configmap_imperatively(daemon: RunningDaemon, ns: str, minor: int) -> None:
    """`kubectl create configmap` (a typed client: JSON up to 1.31, protobuf from 1.32) creates
    the ConfigMap."""
    name = f"imp-{minor}"
    out = ok(daemon, minor, "-n", ns, "create", "configmap", name, "--from-literal=k=v")
    assert out == f"configmap/{name} created\n"
    assert ok(daemon, minor, "-n", ns, "get", "cm", name, "-o", "jsonpath={.data.k}") == "v"


@pytest.mark.parametrize("minor", [pytest.param(m, id=f"1.{m}") for m in (27, 32, 33)])
def test_reapply_a_list_from_get_output(daemon: RunningDaemon, ns: str, minor: int) -> None:
    """`kubectl get -o yaml` output (a `kind: List`) applies back unchanged: kubectl fetches
    /openapi/v2 for it, which must not fail."""
    name = f"lst-{minor}"
    manifest = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{k: v}}\n"
    ok(daemon, minor, "-n", ns, "apply", "-f", "-", input=manifest)
    listed = ok(daemon, minor, "-n", ns, "get", "cm", "--field-selector",
                f"metadata.name={name}", "-o", "yaml")
    assert "kind: List" in listed
    out = ok(daemon, minor, "-n", ns, "apply", "-f", "-", input=listed)
    assert out.strip() in (f"configmap/{name} configured", f"configmap/{name} unchanged")
