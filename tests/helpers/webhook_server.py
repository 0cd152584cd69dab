"""A real HTTPS server for tests: admission webhooks and an aggregated API (an "extension
apiserver"), aiohttp on 127.0.0.1 with a CA of its own (its PEM, base64, is the
``caBundle``), running in a thread with its own event loop so that tests using blocking
clients cannot stall it.

Webhooks (POST): ``/label`` adds the label ``webhook=seen`` (a JSONPatch) and a warning;
``/annotate`` sets the annotations to ``annotated: yes`` unless they have it; ``/break``
gives the object an invalid label; ``/deny``
refuses objects named ``deny-me``; ``/allow`` allows; ``/slow`` waits 5 s, then allows.
Every AdmissionReview request received is kept in ``requests``.

The extension API (GET): ``/apis/wardle.example.com/v1`` lists the namespaced resource
``flunders``; ``.../namespaces/{ns}/flunders`` lists one Flunder, named after the caller
(``X-Remote-User``); ``/openapi/v3`` and its document of the group-version describe it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from pathlib import Path
from typing import Any

from aiohttp import web

from minikube_py.apiserver.tls import server_context

HOSTS = ["127.0.0.1", "hook.default.svc", "wardle.default.svc"]
GROUP = "wardle.example.com"


class WebhookServer:
    def __init__(self, tmp: Path) -> None:
        self.dir = tmp
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-server", daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def ca_bundle(self) -> str:
        return base64.b64encode((self.dir / "ca.crt").read_bytes()).decode()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def start(self) -> WebhookServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("webhook server did not start")
        return self

    def stop(self) -> None:
        async def cleanup() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
            await asyncio.sleep(0.2)  # the closed keep-alive connections finish closing
        asyncio.run_coroutine_threadsafe(cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/{hook}", self._handle)
        app.router.add_get(f"/apis/{GROUP}/v1", self._resources)
        app.router.add_get(f"/apis/{GROUP}/v1/namespaces/{{ns}}/flunders", self._flunders)
        app.router.add_get("/openapi/v3", self._openapi_index)
        app.router.add_get(f"/openapi/v3/apis/{GROUP}/v1", self._openapi_document)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0,
                           ssl_context=server_context(self.dir, HOSTS))
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _handle(self, request: web.Request) -> web.Response:
        hook = request.match_info["hook"]
        review = await request.json()
        self.requests.append((hook, review))
        uid = review["request"]["uid"]
        response: dict[str, Any] = {"uid": uid, "allowed": True}
        if hook == "label":
            obj = review["request"]["object"]
            ops: list[dict[str, Any]] = []
            if not (obj.get("metadata") or {}).get("labels"):
                ops.append({"op": "add", "path": "/metadata/labels", "value": {}})
            ops.append({"op": "add", "path": "/metadata/labels/webhook", "value": "seen"})
            response.update(patchType="JSONPatch",
                            patch=base64.b64encode(json.dumps(ops).encode()).decode(),
                            warnings=["labelled by the test webhook"])
        elif hook == "annotate":
            obj = review["request"]["object"]
            if "annotated" not in ((obj.get("metadata") or {}).get("annotations") or {}):
                ops = [{"op": "add", "path": "/metadata/annotations",
                        "value": {"annotated": "yes"}}]
                response.update(patchType="JSONPatch",
                                patch=base64.b64encode(json.dumps(ops).encode()).decode())
        elif hook == "break":
            ops = [{"op": "add", "path": "/metadata/annotations",
                    "value": {"broken": "yes"}},
                   {"op": "replace", "path": "/metadata/labels", "value": {"bad key!": "x"}}]
            response.update(patchType="JSONPatch",
                            patch=base64.b64encode(json.dumps(ops).encode()).decode())
        elif hook == "deny":
            response.update(allowed=False, status={"code": 403, "reason": "Forbidden",
                                                   "message": "no objects named deny-me"})
            if review["request"]["name"] != "deny-me":
                response.update(allowed=True, status=None)
        elif hook == "slow":
            await asyncio.sleep(5)
        return web.json_response({"apiVersion": "admission.k8s.io/v1",
                                  "kind": "AdmissionReview", "response": response})

    async def _resources(self, request: web.Request) -> web.Response:
        return web.json_response({
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{GROUP}/v1",
            "resources": [{"name": "flunders", "singularName": "flunder", "namespaced": True,
                           "kind": "Flunder", "verbs": ["get", "list"]}]})

    async def _flunders(self, request: web.Request) -> web.Response:
        user = request.headers.get("X-Remote-User", "")
        return web.json_response({
            "kind": "FlunderList", "apiVersion": f"{GROUP}/v1", "metadata": {},
            "items": [{"kind": "Flunder", "apiVersion": f"{GROUP}/v1",
                       "metadata": {"name": f"for-{user.replace(':', '-')}",
                                    "namespace": request.match_info["ns"]}}]})

    async def _openapi_index(self, request: web.Request) -> web.Response:
        return web.json_response({"paths": {f"apis/{GROUP}/v1": {
            "serverRelativeURL": f"/openapi/v3/apis/{GROUP}/v1?hash=ABC"}}})

    async def _openapi_document(self, request: web.Request) -> web.Response:
        flunder = {"type": "object", "description": "A Flunder: a test kind of wardle.",
                   "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                  "metadata": {"type": "object"},
                                  "spec": {"type": "object", "description": "Its wishes.",
                                           "properties": {"reference": {"type": "string"}}}},
                   "x-kubernetes-group-version-kind": [
                       {"group": GROUP, "version": "v1", "kind": "Flunder"}]}
        gvk = {"group": GROUP, "version": "v1", "kind": "Flunder"}
        ref = {"$ref": "#/components/schemas/com.example.wardle.v1.Flunder"}
        item = {"get": {"x-kubernetes-group-version-kind": gvk, "responses": {"200": {
            "description": "OK", "content": {"application/json": {"schema": ref}}}}}}
        return web.json_response({
            "openapi": "3.0.0", "info": {"title": "wardle", "version": "v1"},
            "paths": {f"/apis/{GROUP}/v1/namespaces/{{namespace}}/flunders/{{name}}": item},
            "components": {"schemas": {"com.example.wardle.v1.Flunder": flunder}}})
