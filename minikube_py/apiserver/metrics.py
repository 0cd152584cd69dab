"""Prometheus ``/metrics``: request counts, store revision, objects and disk size, watchers,
batches (``minikube-py status`` reads it too), and what components add through
``ApiServer.metric_sources``."""

from __future__ import annotations

from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.server import ApiServer


def install_metrics(server: ApiServer) -> None:
    async def metrics(_: ApiRequest) -> ApiResponse:
        stats = server.store.stats
        lines = [
            "# HELP apiserver_request_total Requests served since start.",
            "# TYPE apiserver_request_total counter",
            f"apiserver_request_total {server.requests_total}",
            "# HELP etcd_current_revision The store's newest revision.",
            "# TYPE etcd_current_revision gauge",
            f"etcd_current_revision {stats.revision}",
            "# HELP etcd_compact_revision Oldest revision a watch can start from.",
            "# TYPE etcd_compact_revision gauge",
            f"etcd_compact_revision {stats.compact_revision}",
            "# HELP store_commit_batches_total Transactions committed (group commit).",
            "# TYPE store_commit_batches_total counter",
            f"store_commit_batches_total {stats.batches}",
            "# HELP apiserver_registered_watchers Open watches.",
            "# TYPE apiserver_registered_watchers gauge",
            f"apiserver_registered_watchers {stats.watchers}",
            "# HELP apiserver_terminated_watchers_total Watchers dropped for not reading.",
            "# TYPE apiserver_terminated_watchers_total counter",
            f"apiserver_terminated_watchers_total {stats.dropped_watchers}",
            "# HELP apiserver_storage_objects Objects in the store.",
            "# TYPE apiserver_storage_objects gauge",
            f"apiserver_storage_objects {stats.objects}",
        ]
        if stats.db_bytes is not None:
            lines += [
                "# HELP apiserver_storage_size_bytes Size of the database file in bytes.",
                "# TYPE apiserver_storage_size_bytes gauge",
                f"apiserver_storage_size_bytes {stats.db_bytes}",
                "# HELP store_wal_size_bytes Size of the database's write-ahead log in bytes.",
                "# TYPE store_wal_size_bytes gauge",
                f"store_wal_size_bytes {stats.wal_bytes or 0}",
            ]
        for source in server.metric_sources:
            lines.extend(source())
        return ApiResponse(200, raw=("\n".join(lines) + "\n").encode(),
                           content_type="text/plain; version=0.0.4")

    server.non_resource["/metrics"] = metrics
