"""OpenAPI v3 of aggregated APIServices, inside the apiserver's: the ``/openapi/v3`` index
also lists each available aggregated group-version whose Service publishes a document, and
``/openapi/v3/apis/<group>/<version>`` of one is fetched from the Service, as Kubernetes'
aggregator merges them; so ``kubectl explain`` and kubectl's validation know their kinds.

:func:`install_aggregated_openapi` wraps the handlers ``apiserver/openapi.py`` installed
(the daemon calls it after ``install_openapi``); local group-versions are answered as before.
"""

from __future__ import annotations

import hashlib

from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver.server import ApiServer, NonResourceHandler
from minikube_py.util import jsonutil


def install_aggregated_openapi(server: ApiServer) -> None:
    local_index = server.non_resource["/openapi/v3"]
    local_document = server.non_resource["/openapi/v3/*"]
    aggregator = server.aggregator

    async def index(req: ApiRequest) -> ApiResponse:
        response = await local_index(req)
        remote = aggregator.openapi_documents()
        if response.status != 200 or response.raw is None or not remote:
            return response
        merged = jsonutil.loads(response.raw)
        for (group, version), url in sorted(remote.items()):
            digest = hashlib.sha256(url.encode()).hexdigest().upper()
            merged["paths"][f"apis/{group}/{version}"] = {
                "serverRelativeURL": f"/openapi/v3/apis/{group}/{version}?hash={digest}"}
        return ApiResponse(200, raw=jsonutil.dumps(merged), headers=dict(response.headers))

    async def document(req: ApiRequest) -> ApiResponse:
        parts = req.path.strip("/").split("/")  # openapi, v3, apis, group, version
        if len(parts) == 5 and parts[2] == "apis" and \
                (parts[3], parts[4]) in aggregator.openapi_documents():
            raw = await aggregator.fetch_openapi(parts[3], parts[4])
            if raw is not None:
                return ApiResponse(200, raw=raw, headers={"Cache-Control": "no-cache, private"})
        return await local_document(req)

    wrapped: dict[str, NonResourceHandler] = {"/openapi/v3": index, "/openapi/v3/*": document}
    server.non_resource.update(wrapped)
