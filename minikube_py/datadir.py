"""Data dirs: which cluster a command means, and whether its daemon runs.

A cluster is a data dir (``state.db``, certificates, ``kubeconfig``, ``daemon.pid``,
``daemon.lock``). Which one a command means, first match wins (the same for every command):

1. ``--kubeconfig FILE`` (commands that talk to the API; for ``down``/``status``: the data
   dir holding that file);
2. ``--data-dir DIR``;
3. ``$KUBECONFIG`` (its first file; as kubectl — API commands only);
4. the cluster the last ``minikube-py up`` started, while its daemon runs (``up`` remembers
   its data dir in the home dir's ``current-cluster``);
5. the home dir: ``$MINIKUBE_PY_HOME``, else ``~/.minikube-py``.

A daemon's pid file is trusted only while the data dir's lock is held (the kernel drops the
lock when the process dies, even by SIGKILL), so a stale file never names another process.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

CURRENT = "current-cluster"


def home_dir() -> Path:
    env = os.environ.get("MINIKUBE_PY_HOME")
    return Path(env).expanduser() if env else Path.home() / ".minikube-py"


def lock_path(data_dir: Path) -> Path:
    return data_dir / "daemon.lock"


def is_locked(data_dir: Path) -> bool:
    """Whether a live daemon holds ``data_dir``'s lock."""
    try:
        fd = os.open(lock_path(data_dir), os.O_RDWR)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def read_pid_file(data_dir: Path) -> tuple[int, int] | None:
    """(pid, port) from the pid file, if it parses."""
    try:
        pid, port = (data_dir / "daemon.pid").read_text().split()[:2]
        return int(pid), int(port)
    except (OSError, ValueError):
        return None


def components_ready(data_dir: Path) -> bool:
    """Whether the daemon has said, in its pid file, that its components have started."""
    try:
        return (data_dir / "daemon.pid").read_text().split()[2:3] == ["ready"]
    except OSError:
        return False


def running_pid(data_dir: Path) -> int | None:
    """The pid of the live daemon of ``data_dir``, if any."""
    info = read_pid_file(data_dir)
    if info is None or not is_locked(data_dir):
        return None
    return info[0]


def remember_current(data_dir: Path) -> None:
    """``up`` started ``data_dir``: commands without a choice mean it while it runs."""
    home = home_dir()
    with contextlib.suppress(OSError):
        home.mkdir(parents=True, exist_ok=True)
        if data_dir.resolve() == home.resolve():
            (home / CURRENT).unlink(missing_ok=True)
            return
        tmp = home / (CURRENT + ".tmp")
        tmp.write_text(f"{data_dir.resolve()}\n")
        tmp.replace(home / CURRENT)


def current_data_dir() -> Path:
    """Steps 4 and 5 of the module's order: the last ``up``'s data dir while its daemon
    runs, else the home dir."""
    home = home_dir()
    try:
        remembered = Path((home / CURRENT).read_text().strip())
    except (OSError, ValueError):
        return home
    if remembered.is_absolute() and running_pid(remembered) is not None:
        return remembered
    return home


def choose(data_dir: str | None = None, kubeconfig: str | None = None) -> Path:
    """The data dir a daemon command (``up``, ``down``, ``status``) means."""
    if kubeconfig:
        return Path(kubeconfig).expanduser().resolve().parent
    if data_dir:
        return Path(data_dir).expanduser().resolve()
    return current_data_dir().resolve()


def kubeconfig_path(kubeconfig: str | None = None, data_dir: str | None = None) -> Path:
    """The kubeconfig an API command means (steps 1 to 5)."""
    if kubeconfig:
        return Path(kubeconfig).expanduser()
    if data_dir:
        return Path(data_dir).expanduser() / "kubeconfig"
    env = os.environ.get("KUBECONFIG")
    if env:
        return Path(env.split(os.pathsep)[0]).expanduser()
    return current_data_dir() / "kubeconfig"
