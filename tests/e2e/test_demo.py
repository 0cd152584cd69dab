"""`make demo` as a new user runs it (scripts/demo.sh): with port 6443 taken it picks a free
port and says so, deploys three web replicas and a Service, waits for the rollout, and shows
different pods answering through the Service from this machine. Real Docker; the test's
node name labels every container it makes, and they are removed afterwards."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path

from tests.e2e.kubelet_helpers import remove_node_containers

ROOT = Path(__file__).resolve().parents[2]


def test_demo_with_6443_taken(tmp_path: Path) -> None:
    node = f"demo-{uuid.uuid4().hex[:6]}"
    (tmp_path / "nodes.yaml").write_text(f"- name: {node}\n  cpu: '2'\n  memory: 4Gi\n")
    home = tmp_path / "home"
    env = dict(os.environ, MINIKUBE_PY_HOME=str(home), PY=sys.executable,
               UP_ARGS=f"--nodes-file {tmp_path / 'nodes.yaml'}")
    env.pop("KUBECONFIG", None)
    env.pop("PORT", None)
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    mk = [sys.executable, "-m", "minikube_py.cli.main"]
    try:
        with contextlib.suppress(OSError):  # taken already: the demo must cope either way
            blocker.bind(("127.0.0.1", 6443))
            blocker.listen()
        result = subprocess.run(["bash", "scripts/demo.sh"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout
        assert "port 6443 is taken: the cluster gets a free port" in out
        port = re.search(r"is up on https://127\.0\.0\.1:(\d+)", out)
        assert port is not None and port.group(1) != "6443", out
        answers = [line for line in out.split("six requests through the Service")[1]
                   .splitlines()[1:7]]
        assert len(answers) == 6 and all(a.startswith("hello from web-") for a in answers), out
        assert len(set(answers)) >= 2, f"one pod answered every request: {answers}"
    finally:
        blocker.close()
        subprocess.run([*mk, "delete", "-f", "manifests/", "--wait", "--timeout", "60"],
                       cwd=ROOT, env=env, capture_output=True, timeout=120, check=False)
        subprocess.run([*mk, "down"], cwd=ROOT, env=env, capture_output=True, timeout=60,
                       check=False)
        remove_node_containers(node)
