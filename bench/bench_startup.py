"""Daemon start-to-ready time and idle memory: five cold starts on fresh data dirs.

Ready = the pid file is written, which the daemon does after its HTTPS listener is up and the
kubeconfig is written; the figure is confirmed by one authenticated request."""

from __future__ import annotations

import shutil
import ssl
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, percentile, rss_mb, start_daemon


def main() -> None:
    print(f"# startup benchmark on {machine()}")
    ready_times, rss = [], []
    for _ in range(5):
        proc, data, port, ready = start_daemon()
        try:
            ctx = ssl.create_default_context(cafile=str(data / "ca.crt"))
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/readyz", context=ctx) as r:
                assert r.status == 200
            time.sleep(1.0)  # idle
            rss.append(rss_mb(proc.pid))
            ready_times.append(ready)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
            shutil.rmtree(data, ignore_errors=True)
    print(f"daemon start-to-ready: median {percentile(ready_times, 50):.2f} s, "
          f"max {max(ready_times):.2f} s (cold, new data dir incl. CA and certificate)")
    print(f"daemon idle RSS: median {percentile(rss, 50):.0f} MB, max {max(rss):.0f} MB")


if __name__ == "__main__":
    main()
