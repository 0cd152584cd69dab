"""``snapshot save`` from a running daemon and ``snapshot restore`` into a stopped one."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import start_daemon


def test_snapshot_save_and_restore_round_trip(tmp_path: Path) -> None:
    """State saved in a snapshot comes back after later changes once it is restored."""
    data = tmp_path / "data"
    daemon = start_daemon(data)
    try:
        manifest = tmp_path / "cm.yaml"
        manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}\n"
                            "data: {v: '1'}\n")
        daemon.cli("apply", "-f", str(manifest), check=True)
        snap = tmp_path / "snap.db"
        saved = daemon.cli("snapshot", "save", str(snap), check=True)
        assert "Snapshot saved" in saved.stdout and snap.stat().st_size > 0
        daemon.cli("delete", "cm", "keep", check=True)
        refused = daemon.cli("snapshot", "restore", str(snap), "--data-dir", str(data))
        assert refused.returncode == 1 and "running" in refused.stderr
    finally:
        daemon.stop()
    bogus = tmp_path / "bogus.db"
    bogus.write_text("nope")
    result = daemon.cli("snapshot", "restore", str(bogus), "--data-dir", str(data))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    daemon.cli("snapshot", "restore", str(snap), "--data-dir", str(data), check=True)
    again = start_daemon(data)
    try:
        cm = json.loads(again.cli("get", "cm", "keep", "-o", "json", check=True).stdout)
        assert cm["data"] == {"v": "1"}
    finally:
        again.stop()
