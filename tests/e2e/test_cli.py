"""Our CLI against a real daemon: apply (create, then update with the same uid), get, delete,
describe, errors as one readable line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import RunningDaemon

MANIFEST = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cli-config
  namespace: default
data:
  greeting: {greeting}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cli-web
  labels: {{app: cli-web}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: cli-web}}
  template:
    metadata:
      labels: {{app: cli-web}}
    spec:
      containers:
        - name: web
          image: busybox:1.36
"""


def _write(tmp_path: Path, greeting: str, replicas: int) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(MANIFEST.format(greeting=greeting, replicas=replicas))
    return path


def _uid(daemon: RunningDaemon, kind: str, name: str) -> str:
    out = daemon.cli("get", kind, name, "-o", "json", check=True).stdout
    return str(json.loads(out)["metadata"]["uid"])


def test_apply_twice_updates_in_place(daemon: RunningDaemon, tmp_path: Path) -> None:
    """apply -f of a multi-document file creates; applying a change updates the same objects
    (same uid); applying it again reports unchanged."""
    first = daemon.cli("apply", "-f", str(_write(tmp_path, "hello", 1)), check=True)
    assert first.stdout.splitlines() == ["configmap/cli-config created",
                                         "deployment.apps/cli-web created"]
    uids = (_uid(daemon, "cm", "cli-config"), _uid(daemon, "deploy", "cli-web"))
    second = daemon.cli("apply", "-f", str(_write(tmp_path, "bonjour", 3)), check=True)
    assert second.stdout.splitlines() == ["configmap/cli-config configured",
                                          "deployment.apps/cli-web configured"]
    assert (_uid(daemon, "cm", "cli-config"), _uid(daemon, "deploy", "cli-web")) == uids
    cm = json.loads(daemon.cli("get", "configmap", "cli-config", "-o", "json").stdout)
    assert cm["data"] == {"greeting": "bonjour"}
    third = daemon.cli("apply", "-f", str(tmp_path / "app.yaml"), check=True)
    assert third.stdout.splitlines() == ["configmap/cli-config unchanged",
                                         "deployment.apps/cli-web unchanged"]


def test_apply_removes_fields_dropped_from_the_manifest(daemon: RunningDaemon,
                                                        tmp_path: Path) -> None:
    """A key removed from the manifest is removed from the object on the next apply."""
    path = tmp_path / "cm.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cli-drop}\n"
                    "data: {a: '1', b: '2'}\n")
    daemon.cli("apply", "-f", str(path), check=True)
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cli-drop}\n"
                    "data: {a: '1'}\n")
    daemon.cli("apply", "-f", str(path), check=True)
    cm = json.loads(daemon.cli("get", "cm", "cli-drop", "-o", "json").stdout)
    assert cm["data"] == {"a": "1"}


def test_get_prints_a_table(daemon: RunningDaemon, tmp_path: Path) -> None:
    """get prints kubectl's columns; -o wide adds the wide ones; -l filters."""
    daemon.cli("apply", "-f", str(_write(tmp_path, "hi", 2)), check=True)
    out = daemon.cli("get", "deployments", check=True).stdout.splitlines()
    assert out[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert out[1].split()[:2] == ["cli-web", "0/2"]
    wide = daemon.cli("get", "deploy", "-o", "wide", check=True).stdout.splitlines()
    assert wide[0].split()[-3:] == ["CONTAINERS", "IMAGES", "SELECTOR"]
    names = daemon.cli("get", "cm", "-l", "app=none", check=True)
    assert names.stdout == "" and "No resources found" in names.stderr
    ns = daemon.cli("get", "ns", check=True).stdout
    assert "kube-system" in ns and "Active" in ns


def test_get_yaml_and_name_output(daemon: RunningDaemon, tmp_path: Path) -> None:
    """-o yaml prints the object; -o name prints kind/name."""
    daemon.cli("apply", "-f", str(_write(tmp_path, "hi", 1)), check=True)
    yaml_out = daemon.cli("get", "cm", "cli-config", "-o", "yaml", check=True).stdout
    assert "kind: ConfigMap" in yaml_out and "name: cli-config" in yaml_out
    names = daemon.cli("get", "deploy", "-o", "name", check=True).stdout.split()
    assert "deployment.apps/cli-web" in names


def test_describe_and_delete(daemon: RunningDaemon, tmp_path: Path) -> None:
    """describe shows the object's header; delete -f removes what the file defines."""
    path = _write(tmp_path, "hi", 1)
    daemon.cli("apply", "-f", str(path), check=True)
    described = daemon.cli("describe", "deploy", "cli-web", check=True).stdout
    assert described.startswith("Name:") and "cli-web" in described.splitlines()[0]
    assert "Events:" in described
    lines = [" ".join(line.split()) for line in described.splitlines()]
    assert "Selector: app=cli-web" in lines and "Labels: app=cli-web" in lines, described
    # The generic tree (kinds without a kubectl describer): field names title-cased, the
    # keys of maps as written.
    config = daemon.cli("describe", "cm", "cli-config", check=True).stdout
    config_lines = [line.strip() for line in config.splitlines()]
    assert "Data:" in config_lines and "greeting:  hi" in config_lines, config
    deleted = daemon.cli("delete", "-f", str(path), check=True).stdout.splitlines()
    assert deleted == ['configmap "cli-config" deleted', 'deployment.apps "cli-web" deleted']
    missing = daemon.cli("get", "cm", "cli-config")
    assert missing.returncode == 1
    assert missing.stderr.strip() == \
        'Error from server (NotFound): configmaps "cli-config" not found'


def test_bad_input_is_one_line_and_changes_nothing(daemon: RunningDaemon,
                                                   tmp_path: Path) -> None:
    """Bad YAML, unknown kinds and invalid objects print one line each and exit 1; the good
    documents of the same file are applied, as kubectl applies them."""
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cli-ok}\n---\n"
                       "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n")
    for path, needle in ((bad_yaml, "error parsing"), (unknown, "Widget"),
                         (invalid, "is invalid")):
        result = daemon.cli("apply", "-f", str(path))
        assert result.returncode == 1, path
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert needle in result.stderr and "Traceback" not in result.stderr
    assert daemon.cli("get", "cm", "cli-ok").returncode == 0, "the good document is applied"
    result = daemon.cli("get", "widgets")
    assert result.returncode == 1 and result.stderr.startswith("error: the server doesn't have")
    result = daemon.cli("get", "pods", "-o", "bogus")
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert 'output format "bogus"' in result.stderr


def test_a_file_with_bad_documents_applies_the_good_ones(daemon: RunningDaemon,
                                                         tmp_path: Path) -> None:
    """As kubectl: the good documents are applied, each bad one is reported (every invalid
    field of an invalid object), exit 1."""
    path = tmp_path / "mixed.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mixed-1}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: mixed-bad}\nspec:\n"
        "  template:\n    metadata: {labels: {app: x}}\n    spec: {containers: [{name: c}]}\n"
        "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mixed-2}\n")
    result = daemon.cli("apply", "-f", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["configmap/mixed-1 created", "configmap/mixed-2 created"]
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2, result.stderr
    assert errors[0].startswith('error: resource mapping not found for kind "Widget"')
    assert errors[1] == (
        f'Error from server (Invalid): error when applying "{path}": Deployment.apps '
        '"mixed-bad" is invalid: [spec.selector: Required value, '
        "spec.template.spec.containers[0].image: Required value]")
    assert daemon.cli("get", "deploy", "mixed-bad").returncode == 1


def test_status_and_cluster_down_message(daemon: RunningDaemon, tmp_path: Path) -> None:
    """status reports a running daemon; a CLI pointed at a stopped cluster says so in one line."""
    result = daemon.cli("status", "--data-dir", str(daemon.data_dir), check=True)
    assert "Running" in result.stdout
    empty = tmp_path / "nowhere"
    result = daemon.cli("get", "pods", "--kubeconfig", str(empty / "kubeconfig"))
    assert result.returncode == 1 and "no kubeconfig" in result.stderr


def test_scale_label_annotate_and_jsonpath(daemon: RunningDaemon, tmp_path: Path) -> None:
    """scale, label (refusing to overwrite without --overwrite), annotate, read back with
    -o jsonpath."""
    daemon.cli("apply", "-f", str(_write(tmp_path, "hi", 1)), check=True)
    assert daemon.cli("scale", "deploy", "cli-web", "--replicas=3", check=True).stdout == \
        "deployment.apps/cli-web scaled\n"
    stale = daemon.cli("scale", "deploy/cli-web", "--current-replicas=9", "--replicas=1")
    assert stale.returncode == 1 and "Expected replicas to be 9, was 3" in stale.stderr
    daemon.cli("label", "deploy", "cli-web", "tier=front", check=True)
    refused = daemon.cli("label", "deploy", "cli-web", "tier=back")
    assert refused.returncode == 1 and "--overwrite is false" in refused.stderr
    daemon.cli("label", "deploy/cli-web", "tier=back", "--overwrite", check=True)
    daemon.cli("annotate", "deploy", "cli-web", "note=hello", check=True)
    out = daemon.cli("get", "deploy", "cli-web", "-o",
                     "jsonpath={.spec.replicas} {.metadata.labels.tier} "
                     "{.metadata.annotations.note}", check=True).stdout
    assert out.strip() == "3 back hello"
    daemon.cli("label", "deploy", "cli-web", "tier-", check=True)
    out = daemon.cli("get", "deploy", "cli-web", "-o", "jsonpath={.metadata.labels}").stdout
    assert "tier" not in out


def test_edit_replaces_with_the_edited_object(daemon: RunningDaemon, tmp_path: Path) -> None:
    """edit opens $EDITOR on the YAML and PUTs the result; no change means no write."""
    daemon.cli("apply", "-f", str(_write(tmp_path, "hi", 1)), check=True)
    script = tmp_path / "editor.sh"
    script.write_text("#!/bin/sh\nsed -i 's/greeting: hi/greeting: edited/' \"$1\"\n")
    script.chmod(0o755)
    out = daemon.cli("edit", "cm", "cli-config", check=True,
                     env={"EDITOR": str(script)}).stdout
    assert out.strip() == "configmap/cli-config edited"
    out = daemon.cli("edit", "cm/cli-config", check=True, env={"EDITOR": "true"}).stdout
    assert "no changes made" in out
    cm = json.loads(daemon.cli("get", "cm", "cli-config", "-o", "json").stdout)
    assert cm["data"]["greeting"] == "edited"


def test_api_resources_and_explain(daemon: RunningDaemon) -> None:
    """api-resources lists served kinds from discovery; explain reads the OpenAPI schema."""
    rows = daemon.cli("api-resources", check=True).stdout.splitlines()
    assert rows[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert ["deployments", "deploy", "apps/v1", "true", "Deployment"] in [r.split() for r in rows]
    explained = daemon.cli("explain", "deployment.spec", check=True).stdout
    assert "KIND:       Deployment" in explained and "replicas\t<integer>" in explained
    assert "selector\t<LabelSelector> -required-" in explained
    missing = daemon.cli("explain", "deployment.spec.nope")
    assert missing.returncode == 1 and 'field "nope" does not exist' in missing.stderr


def test_get_watch_prints_a_row_per_change(daemon: RunningDaemon) -> None:
    """get -w prints the table, then one row for each change as it happens."""
    env = dict(os.environ, MINIKUBE_PY_HOME=str(daemon.data_dir))
    env.pop("KUBECONFIG", None)
    with subprocess.Popen([sys.executable, "-m", "minikube_py.cli.main", "get", "cm", "-w",
                           "-l", "watched=yes"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, env=env) as proc:
        assert proc.stdout is not None
        try:
            time.sleep(1.0)  # let the watch start before the change
            manifest = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cli-watched\n"
                        "  labels: {watched: 'yes'}\ndata: {a: '1'}\n")
            daemon.cli("apply", "-f", "-", input=manifest, check=True)
            header = proc.stdout.readline()
            row = proc.stdout.readline()
        finally:
            proc.terminate()
    assert header.split() == ["NAME", "DATA", "AGE"]
    assert row.split()[:2] == ["cli-watched", "1"]


def test_up_detach_status_down(tmp_path: Path) -> None:
    """up --detach returns once the API answers; status says Running; down stops it."""
    home = tmp_path / "home"
    env = dict(os.environ, MINIKUBE_PY_HOME=str(home))
    env.pop("KUBECONFIG", None)

    def mk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "minikube_py.cli.main", *args],
                              capture_output=True, text=True, env=env, timeout=60, check=False)

    up = mk("up", "--detach", "--port", "0", "--history", "3", "--compaction-interval", "0.2")
    try:
        assert up.returncode == 0 and "is up" in up.stdout, up.stderr
        assert (home / "kubeconfig").exists()
        assert mk("get", "ns").returncode == 0
        manifest = tmp_path / "cms.yaml"
        manifest.write_text("".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                    f"  name: c{i}\ndata:\n  a: b\n" for i in range(5)))
        assert mk("apply", "-f", str(manifest)).returncode == 0
        deadline = time.monotonic() + 20
        while True:  # the store's figures, and compaction keeping 3 revisions of history
            status = mk("status")
            assert status.returncode == 0 and "Running" in status.stdout
            store = re.search(r"store: ([\d,]+) objects, revision ([\d,]+), compacted to "
                              r"([\d,]+)", status.stdout)
            assert store is not None, status.stdout
            objects, rev, compacted = (int(g.replace(",", "")) for g in store.groups())
            if compacted == rev - 3 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert compacted == rev - 3 and objects >= 5 + 4, status.stdout
        assert re.search(r"disk: database \d+(\.\d)? [KM]iB, write-ahead log", status.stdout)
    finally:
        down = mk("down")
    assert down.returncode == 0 and "stopped" in down.stdout
    stopped = mk("status")
    assert stopped.returncode == 1 and "Stopped" in stopped.stdout
    assert not (home / "daemon.pid").exists(), "a clean shutdown removes the pid file"


def test_up_with_a_bad_history_fails_in_one_line(tmp_path: Path) -> None:
    """An unparseable --history is one line, non-zero, and starts nothing."""
    result = subprocess.run([sys.executable, "-m", "minikube_py.cli.main", "up", "--data-dir",
                             str(tmp_path / "d"), "--port", "0", "--history", "5 minutes"],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 1 and not (tmp_path / "d").exists()
    assert result.stderr.strip().splitlines() == [
        "error: invalid history '5 minutes': '5 minutes' is neither a duration (like 90s, 5m, "
        "1h30m) nor a count of revisions"]


def test_up_on_a_busy_port_fails_in_one_line(daemon: RunningDaemon, tmp_path: Path) -> None:
    """up on a port already in use exits at once with one line, leaving no process behind."""
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    result = subprocess.run([sys.executable, "-m", "minikube_py.cli.main", "up", "--data-dir",
                             str(tmp_path / "other"), "--port", str(daemon.port)],
                            capture_output=True, text=True, env=env, timeout=30, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: cannot listen on")


def _mk(env: dict[str, str]) -> Any:
    def mk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "minikube_py.cli.main", *args],
                              capture_output=True, text=True, env=env, timeout=60, check=False)
    return mk


def test_commands_follow_the_cluster_up_started(tmp_path: Path) -> None:
    """After `up --data-dir D`, get, status and down without a choice mean D; --kubeconfig and
    --data-dir choose explicitly; a second `up` on another port says where it runs, exit 1."""
    home, data = tmp_path / "home", tmp_path / "elsewhere"
    env = dict(os.environ, MINIKUBE_PY_HOME=str(home))
    env.pop("KUBECONFIG", None)
    mk = _mk(env)
    up = mk("up", "--detach", "--port", "0", "--data-dir", str(data))
    try:
        assert up.returncode == 0, up.stderr
        port = int((data / "daemon.pid").read_text().split()[1])
        assert f"is up on https://127.0.0.1:{port}" in up.stdout
        assert mk("get", "ns").returncode == 0
        assert mk("get", "ns", "--data-dir", str(data)).returncode == 0
        assert mk("get", "ns", "--kubeconfig", str(data / "kubeconfig")).returncode == 0
        status = mk("status")
        assert status.returncode == 0 and f"on port {port}" in status.stdout, status.stdout
        again = mk("up", "--detach", "--data-dir", str(data), "--port", str(port + 1))
        assert again.returncode == 1
        assert again.stderr.strip().splitlines() == [
            f"error: minikube-py is already running for {data} on https://127.0.0.1:{port} "
            f"(pid {up.stdout.split('(pid ')[1].split(')')[0]}), not on port {port + 1}: run "
            "`minikube-py down` first to move it"]
        same = mk("up", "--detach", "--data-dir", str(data))
        assert same.returncode == 0 and f"already running on https://127.0.0.1:{port}" in \
            same.stdout
    finally:
        down = mk("down")
    assert down.returncode == 0 and "stopped" in down.stdout, down.stdout + down.stderr
    assert mk("status").returncode == 1


def test_wrong_token_and_refused_connection_say_what_failed(daemon: RunningDaemon,
                                                            tmp_path: Path) -> None:
    """A kubeconfig with another token names the file; a server that is not there is named
    in words, not as an exception class."""
    doc = yaml.safe_load(daemon.kubeconfig.read_text())
    doc["users"][0]["user"]["token"] = "not-the-token"
    wrong = tmp_path / "wrong"
    wrong.write_text(yaml.safe_dump(doc))
    result = daemon.cli("get", "pods", "--kubeconfig", str(wrong))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: You must be logged in to the server (Unauthorized): the token of "
        f"{wrong} (users[].user.token) was refused - is it this cluster's kubeconfig?"]
    doc["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:9"  # discard: nothing there
    gone = tmp_path / "gone"
    gone.write_text(yaml.safe_dump(doc))
    result = daemon.cli("get", "pods", "--kubeconfig", str(gone))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "the connection to the server 127.0.0.1:9 was refused - is the cluster up? "
        "(minikube-py status)"]


def _deployment(name: str, replicas: int, extra_label: str = "") -> str:
    labels = f"{{app: {name}{', ' + extra_label if extra_label else ''}}}"
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
            f"  replicas: {replicas}\n  selector: {{matchLabels: {{app: {name}}}}}\n"
            f"  template:\n    metadata: {{labels: {labels}}}\n"
            f"    spec: {{containers: [{{name: web, image: busybox:1.36}}]}}\n")


def test_apply_wait_waits_for_the_rollout_and_says_so(daemon: RunningDaemon,
                                                      tmp_path: Path) -> None:
    """apply --wait returns once the Deployment is rolled out (a stand-in kubelet marks its
    pods Ready), with progress lines on stderr; a Deployment that cannot become ready makes
    it fail at its timeout, naming what it waited for."""
    fake = subprocess.Popen([sys.executable, "-m", "tests.helpers.fake_kubelet",
                             str(daemon.kubeconfig)], cwd=Path(__file__).resolve().parents[2],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert fake.stdout is not None and fake.stdout.readline().strip() == "ready"
        path = tmp_path / "web.yaml"
        path.write_text(_deployment("cli-wait", 3))
        result = daemon.cli("apply", "-f", str(path), "--wait", "--timeout", "60")
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == ["deployment.apps/cli-wait created"]
        ready = json.loads(daemon.cli("get", "deploy", "cli-wait", "-o", "json",
                                      check=True).stdout)["status"]
        assert ready.get("availableReplicas") == 3 and ready.get("updatedReplicas") == 3
        stuck = tmp_path / "stuck.yaml"
        stuck.write_text(_deployment("cli-stuck", 1, "fake-kubelet: never-ready"))
        result = daemon.cli("apply", "-f", str(stuck), "--wait", "--timeout", "2")
        assert result.returncode == 1
        assert result.stderr.strip().splitlines()[-1].startswith(
            "error: timed out waiting for deployment.apps/cli-stuck: "), result.stderr
        assert "waiting for deployment.apps/cli-stuck..." in result.stderr
    finally:
        fake.terminate()
        fake.wait(timeout=15)
        if fake.stdout is not None:
            fake.stdout.close()


def test_describe_reads_as_kubectl_describe(daemon: RunningDaemon, tmp_path: Path) -> None:
    """For the kinds users describe most, our describe prints what kubectl's does, line for
    line (up to the events' ages)."""
    path = tmp_path / "same.yaml"
    path.write_text(_deployment("cli-same", 2) + "---\napiVersion: v1\nkind: Service\n"
                    "metadata: {name: cli-same}\nspec: {selector: {app: cli-same}, ports: "
                    "[{port: 80, targetPort: 8080}]}\n")
    daemon.cli("apply", "-f", str(path), check=True)
    deadline = time.monotonic() + 20
    while "NewReplicaSet:   cli-same-" not in daemon.cli("describe", "deploy", "cli-same",
                                                       check=True).stdout:
        assert time.monotonic() < deadline, "the Deployment got no ReplicaSet"
        time.sleep(0.2)
    for kind in ("deployment", "service", "replicaset"):
        name = "cli-same" if kind != "replicaset" else json.loads(daemon.cli(
            "get", "rs", "-l", "app=cli-same", "-o", "json", check=True).stdout)[
            "items"][0]["metadata"]["name"]
        ours = daemon.cli("describe", kind, name, check=True).stdout
        theirs = subprocess.run(["kubectl", "--kubeconfig", str(daemon.kubeconfig),
                                 "describe", kind, name], capture_output=True, text=True,
                                timeout=60, check=True).stdout

        def comparable(text: str) -> list[str]:
            lines = [line.rstrip() for line in text.splitlines() if line.strip()]
            if "Events:" in text and not text.rstrip().endswith("<none>"):
                lines = lines[:next(i for i, x in enumerate(lines) if x.startswith("Events:"))]
            return lines

        assert comparable(ours) == comparable(theirs), f"{kind}:\n{ours}\n---\n{theirs}"


def test_rollout_and_wait(daemon: RunningDaemon, tmp_path: Path) -> None:
    """rollout status waits and reports success; a new image makes revision 2; undo puts
    revision 1's template back; restart, pause and resume do what kubectl's do; wait meets a
    condition and a deletion."""
    fake = subprocess.Popen([sys.executable, "-m", "tests.helpers.fake_kubelet",
                             str(daemon.kubeconfig)], cwd=Path(__file__).resolve().parents[2],
                            stdout=subprocess.PIPE, text=True)

    def image() -> str:
        out = daemon.cli("get", "deploy", "cli-roll", "-o",
                         "jsonpath={.spec.template.spec.containers[0].image}", check=True)
        return out.stdout.strip()

    try:
        assert fake.stdout is not None and fake.stdout.readline().strip() == "ready"
        path = tmp_path / "roll.yaml"
        path.write_text(_deployment("cli-roll", 2))
        daemon.cli("apply", "-f", str(path), check=True)
        status = daemon.cli("rollout", "status", "deployment/cli-roll", "--timeout", "60")
        assert status.returncode == 0, status.stderr
        assert status.stdout.splitlines()[-1] == 'deployment "cli-roll" successfully rolled out'
        path.write_text(_deployment("cli-roll", 2).replace("busybox:1.36", "busybox:1.37"))
        daemon.cli("apply", "-f", str(path), check=True)
        daemon.cli("rollout", "status", "deploy", "cli-roll", "--timeout", "60", check=True)
        history = daemon.cli("rollout", "history", "deployment/cli-roll", check=True).stdout
        assert history.splitlines() == ["deployment.apps/cli-roll", "REVISION  CHANGE-CAUSE",
                                        "1         <none>", "2         <none>"], history
        undo = daemon.cli("rollout", "undo", "deployment/cli-roll", check=True)
        assert undo.stdout.strip() == "deployment.apps/cli-roll rolled back"
        assert image() == "busybox:1.36"
        daemon.cli("rollout", "status", "deployment/cli-roll", "--timeout", "60", check=True)
        revisions = daemon.cli("rollout", "history", "deployment/cli-roll", check=True).stdout
        assert [line.split()[0] for line in revisions.splitlines()[2:]] == ["2", "3"]
        assert daemon.cli("rollout", "restart", "deployment/cli-roll", check=True).stdout \
            .strip() == "deployment.apps/cli-roll restarted"
        restarted = daemon.cli("get", "deploy", "cli-roll", "-o", "jsonpath={.spec.template."
                               "metadata.annotations}", check=True).stdout
        assert "kubectl.kubernetes.io/restartedAt" in restarted
        daemon.cli("rollout", "pause", "deployment/cli-roll", check=True)
        assert daemon.cli("get", "deploy", "cli-roll", "-o", "jsonpath={.spec.paused}",
                          check=True).stdout.strip() == "true"
        daemon.cli("rollout", "resume", "deployment/cli-roll", check=True)
        assert daemon.cli("get", "deploy", "cli-roll", "-o", "jsonpath={.spec.paused}",
                          check=True).stdout.strip() in ("", "false")
        met = daemon.cli("wait", "deployment/cli-roll", "--for", "condition=Available",
                         "--timeout", "60", check=True)
        assert met.stdout.strip() == "deployment.apps/cli-roll condition met"
        daemon.cli("delete", "deployment", "cli-roll", "--no-wait", check=True)
        gone = daemon.cli("wait", "deployment/cli-roll", "--for", "delete", "--timeout", "30",
                          check=True)
        assert gone.stdout.strip() == "deployment.apps/cli-roll condition met"
        bad = daemon.cli("rollout", "status", "configmap/cli-config")
        assert bad.returncode == 1 and "only deployments, statefulsets and daemonsets" in \
            bad.stderr
    finally:
        fake.terminate()
        fake.wait(timeout=15)
        if fake.stdout is not None:
            fake.stdout.close()


@pytest.mark.skipif(shutil.which("docker") is None or subprocess.run(
    ["docker", "info"], capture_output=True, check=False).returncode != 0,
    reason="no Docker engine")
def test_up_detach_shows_the_steps_it_waits_for(tmp_path: Path) -> None:
    """A first start makes the pause image: ``up --detach`` says so while it waits (plain
    lines when stderr is no terminal) and returns once the kubelet has started."""
    image = f"minikube-py/pause:progress-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, MINIKUBE_PY_HOME=str(tmp_path / "home"),
               MINIKUBE_PY_PAUSE_IMAGE=image)
    env.pop("KUBECONFIG", None)
    node = f"kprog-{uuid.uuid4().hex[:6]}"
    (tmp_path / "nodes.yaml").write_text(f"- name: {node}\n")

    def mk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "minikube_py.cli.main", *args],
                              capture_output=True, text=True, env=env, timeout=90, check=False)

    try:
        up = mk("up", "--detach", "--port", "0", "--nodes-file", str(tmp_path / "nodes.yaml"))
        assert up.returncode == 0 and "is up" in up.stdout, up.stderr
        lines = up.stderr.splitlines()
        assert f"creating the pause image {image} from the local busybox (first start; " \
               "nothing is pulled)..." in lines, up.stderr
        assert any(line.startswith(f"creating the pause image {image}") and
                   re.search(r": done \(\d+\.\ds\)$", line) for line in lines), up.stderr
        assert subprocess.run(["docker", "image", "inspect", image], capture_output=True,
                              check=False).returncode == 0
    finally:
        mk("down")
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True, check=False)
