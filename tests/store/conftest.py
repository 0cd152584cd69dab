"""The store tests' etcd: one real etcd process for the whole session (tests/helpers/etcd.py);
each test's store starts from an empty ``/registry/``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.etcd import EtcdProcess, start_etcd


@pytest.fixture(scope="session")
def etcd() -> Iterator[EtcdProcess]:
    running = start_etcd()
    yield running
    running.stop()
