"""``up``'s and ``snapshot restore``'s storage options are checked before anything starts:
an unknown backend, TLS files without etcd, ``--role apiserver`` on a store no one shares, an
etcd that does not answer — each one line, exit 1, nothing left running."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.etcd import free_port


@pytest.mark.parametrize("args, message", [
    pytest.param(["--storage", "postgres://x"], "invalid --storage", id="unknown-backend"),
    pytest.param(["--storage", "etcd://nohost"], "HOST:PORT", id="endpoint-without-port"),
    pytest.param(["--etcd-keyfile", "KEY"], "needs --storage etcd://", id="tls-without-etcd"),
    pytest.param(["--role", "apiserver"], "needs a shared store", id="role-on-sqlite"),
    pytest.param(["--storage", "etcd://127.0.0.1:PORT"], "cannot open the store",
                 id="etcd-not-answering"),
])
def test_bad_storage_options_fail_in_one_line(tmp_path: Path, args: list[str],
                                              message: str) -> None:
    """Each is refused with its reason and exit code 1."""
    (tmp_path / "KEY").write_text("x")
    args = [a.replace("KEY", str(tmp_path / "KEY")).replace("PORT", str(free_port()))
            for a in args]
    result = subprocess.run([sys.executable, "-m", "minikube_py.cli.main", "up", "--data-dir",
                             str(tmp_path / "d"), "--port", "0", *args],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
