"""Snapshot files between backends: the SQLite store's schema is the one snapshot format.

``snapshot save`` on SQLite copies the database (online backup); on etcd it writes the
objects at one revision into a file of the same schema (no log). ``snapshot restore`` reads
either kind back: SQLite puts the file in place, etcd writes its objects (``etcd.restore``).
So a cluster moves between backends with save on one and restore on the other.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from minikube_py.store.interface import Entry

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    create_rev INTEGER NOT NULL,
    mod_rev INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
    rev INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    prev_value BLOB
);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


def write(dest: Path, entries: list[Entry], revision: int) -> None:
    """A snapshot file at ``dest`` holding ``entries`` at ``revision``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.executescript(SCHEMA)
        conn.executemany("INSERT INTO objects(key, value, create_rev, mod_rev) VALUES (?,?,?,?)",
                         [tuple(e) for e in entries])
        conn.execute("INSERT INTO meta(name, value) VALUES ('rev_floor', ?)", (revision,))
        conn.commit()
    finally:
        conn.close()
    tmp.replace(dest)


def read(path: Path) -> tuple[list[Entry], int]:
    """The objects of a snapshot file and its revision (``ValueError`` if it is none)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not {"objects", "log", "meta"} <= tables:
                raise ValueError(f"{path} is not a minikube-py store snapshot")
            rows = conn.execute("SELECT key, value, create_rev, mod_rev FROM objects "
                                "ORDER BY key").fetchall()
            rev = max(conn.execute("SELECT coalesce(max(rev), 0) FROM log").fetchone()[0],
                      conn.execute("SELECT coalesce(max(mod_rev), 0) FROM objects").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{path} is not a SQLite database: {exc}") from exc
    return [Entry(k, bytes(v), c, m) for k, v, c, m in rows], int(rev)
