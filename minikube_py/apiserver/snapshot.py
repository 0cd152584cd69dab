"""``GET /minikube-py/v1/snapshot``: a consistent copy of the store, like ``etcdctl snapshot
save``. Taken with SQLite's online backup while writes go on."""

from __future__ import annotations

import tempfile
from pathlib import Path

from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.server import ApiServer


def install_snapshot(server: ApiServer) -> None:
    async def snapshot(_: ApiRequest) -> ApiResponse:
        with tempfile.TemporaryDirectory(prefix="minikube-py-snap-") as tmp:
            dest = Path(tmp) / "snapshot.db"
            await server.store.backup(dest)
            data = dest.read_bytes()
        return ApiResponse(200, raw=data, content_type="application/octet-stream")

    server.non_resource["/minikube-py/v1/snapshot"] = snapshot
