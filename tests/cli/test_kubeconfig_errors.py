"""Every way a kubeconfig can be broken is one line naming the file and the field, exit 1,
no traceback: through ``kubeconfig.load`` and through the CLI a user runs."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from minikube_py.apiserver.tls import ensure_ca
from minikube_py.client import kubeconfig


def good() -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
    }


def with_(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = good()
    node: Any = doc
    for step in path[:-1]:
        node = node[step]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


CASES = [
    pytest.param("missing", None, "no kubeconfig at", id="missing-file"),
    pytest.param("text", "a: [b\n", "is not valid YAML at line", id="bad-yaml"),
    pytest.param("text", "- just\n- a list\n", "is not a kubeconfig", id="not-a-mapping"),
    pytest.param("text", "", "is not a kubeconfig", id="empty-file"),
    pytest.param("doc", with_(("current-context",), KeyError), "has no current-context",
                 id="no-current-context"),
    pytest.param("doc", with_(("current-context",), "other"),
                 'context "other" (current-context) is not in contexts', id="unknown-context"),
    pytest.param("doc", with_(("contexts",), None), "has no contexts list", id="no-contexts"),
    pytest.param("doc", with_(("contexts", 0, "context", "user"), KeyError),
                 'context "c" names no user (contexts[c].context.user)', id="context-no-user"),
    pytest.param("doc", with_(("contexts", 0, "context", "cluster"), "gone"),
                 'cluster "gone" (contexts[c].context.cluster) is not in clusters',
                 id="unknown-cluster"),
    pytest.param("doc", with_(("users", 0, "name"), "someone-else"),
                 'user "u" (contexts[c].context.user) is not in users', id="unknown-user"),
    pytest.param("doc", with_(("users", 0, "user"), None), 'user "u" is empty (users[u].user)',
                 id="user-null"),
    pytest.param("doc", with_(("users", 0, "user"), {"username": "x"}),
                 'user "u" has no token (users[u].user.token)', id="user-without-token"),
    pytest.param("doc", with_(("users", 0, "user"), {"client-certificate": "/nonexistent/c",
                                                     "client-key": "/nonexistent/k"}),
                 "names a client-certificate that cannot be read: /nonexistent/c",
                 id="unreadable-client-certificate"),
    pytest.param("doc", with_(("users", 0, "user"), {"client-certificate-data": "Zm9v"}),
                 'user "u" needs both client-certificate and client-key (users[u].user)',
                 id="certificate-without-key"),
    pytest.param("doc", with_(("clusters", 0, "cluster", "server"), KeyError),
                 'cluster "k" has no server URL (clusters[k].cluster.server', id="no-server"),
    pytest.param("doc", with_(("clusters", 0, "cluster", "certificate-authority"),
                              "/nonexistent/ca.crt"),
                 "names a certificate authority that cannot be read: /nonexistent/ca.crt: no "
                 "such file or directory (clusters[k].cluster.certificate-authority)",
                 id="ca-file-missing"),
    pytest.param("doc", with_(("clusters", 0, "cluster", "certificate-authority-data"),
                              "!!!not base64"),
                 "certificate-authority-data that is not base64", id="ca-data-not-base64"),
    pytest.param("doc", with_(("clusters", 0, "cluster", "certificate-authority-data"),
                              base64.b64encode(b"not a certificate").decode()),
                 "not a PEM certificate (clusters[k].cluster.certificate-authority-data)",
                 id="ca-data-not-pem"),
]


def write(tmp_path: Path, how: str, content: Any) -> Path:
    path = tmp_path / "kubeconfig"
    if how == "text":
        path.write_text(content)
    elif how == "doc":
        path.write_text(yaml.safe_dump(content))
    return path


@pytest.mark.parametrize(("how", "content", "words"), CASES)
def test_load_names_the_file_and_the_field(tmp_path: Path, how: str, content: Any,
                                           words: str) -> None:
    path = write(tmp_path, how, content)
    with pytest.raises(kubeconfig.KubeConfigError) as err:
        kubeconfig.load(path)
    message = str(err.value)
    assert str(path) in message and words in message, message
    assert "\n" not in message


def test_a_good_kubeconfig_loads_with_a_ca_file_relative_to_it(tmp_path: Path) -> None:
    crt, _key = ensure_ca(tmp_path)  # a real CA certificate, made as the daemon makes it
    path = write(tmp_path, "doc", with_(("clusters", 0, "cluster", "certificate-authority"),
                                        crt.name))
    config = kubeconfig.load(path)
    assert config.token == "t" and config.ca_pem == crt.read_bytes()


@pytest.mark.parametrize(("how", "content", "words"), CASES)
def test_the_cli_says_one_line_and_exits_1(tmp_path: Path, how: str, content: Any,
                                           words: str) -> None:
    path = write(tmp_path, how, content)
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    result = subprocess.run([sys.executable, "-m", "minikube_py.cli.main", "get", "pods",
                             "--kubeconfig", str(path)], capture_output=True, text=True,
                            env=env, timeout=60, check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(("error: kubeconfig ", "error: no kubeconfig at")), lines
    assert words in lines[0] and "Traceback" not in result.stderr
