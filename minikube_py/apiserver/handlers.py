"""The verbs of a resource path (Kubernetes' endpoints/handlers): one method per verb.

Each handler works in the order Kubernetes' handlers do, so that nothing can fail after a
write has been committed: negotiate the answer's representation (406 before anything
happens), decode and validate the request's options (400/422), decode the body, and only then
call ``rest.py``, whose result is shaped into an object, list, Table, watch stream or Status,
in JSON, YAML or protobuf (``protobuf_responses.py``).
"""

from __future__ import annotations

from typing import Any

from minikube_py.api.access import NoReviewer, Reviewer
from minikube_py.api.codecs.body import decode_body
from minikube_py.api.errors import BadRequest, Invalid, MethodNotAllowed
from minikube_py.api.machinery import meta as metautil
from minikube_py.api.machinery.fieldselectors import check_field_selector
from minikube_py.api.machinery.patch import APPLY, MERGE, apply_patch, check_patch_type
from minikube_py.api.registry import ResourceType
from minikube_py.api.schemas.autoscaling import SCALE
from minikube_py.api.schemas.core import BINDING
from minikube_py.api.schemas.meta import DELETE_OPTIONS
from minikube_py.api.validation.base import invalid
from minikube_py.api.validation.names import is_dns1123_subdomain
from minikube_py.api.validation.structural import decode
from minikube_py.api.wire import ApiRequest, ApiResponse
from minikube_py.apiserver import protobuf_responses as pbr
from minikube_py.apiserver.conversion import converter, served
from minikube_py.apiserver.eviction import evict
from minikube_py.apiserver.freshness import require_current
from minikube_py.apiserver.negotiation import PROTOBUF, YAML, MediaType, fallback, negotiate
from minikube_py.apiserver.options import DeleteOptions, ListOptions, Query, WriteOptions
from minikube_py.apiserver.rest import Listed, RestStorage, matches
from minikube_py.apiserver.tables import partial_metadata, to_table
from minikube_py.apiserver.watch import JSON_LINES, WireFormat, open_watch
from minikube_py.util import jsonutil, yamlutil

_REQUEST_KINDS = {"list": "list", "deletecollection": "list", "watch": "watch"}


class ResourceHandlers:
    """The verb handlers over one :class:`RestStorage`."""

    def __init__(self, rest: RestStorage) -> None:
        self.rest = rest
        self.protobuf_cache = pbr.MessageCache()
        # Answers the kinds that are not stored (the reviews): the apiserver's authorizer and
        # authenticators, once the daemon installs them.
        self.reviewer: Reviewer = NoReviewer()

    async def serve(self, verb: str, req: ApiRequest, rt: ResourceType, ns: str, name: str,
                    query: Query) -> ApiResponse:
        media = negotiate(req.accept, _REQUEST_KINDS.get(verb, "object"),
                          protobuf=pbr.has_protobuf(rt))
        handler = getattr(self, f"_{verb}")
        response: ApiResponse = await handler(req, rt, ns, name, query, media)
        return response

    async def serve_subresource(self, sub: str, verb: str, req: ApiRequest, rt: ResourceType,
                                ns: str, name: str, query: Query) -> ApiResponse:
        # The parent's kind for status, approval and finalize; Scale and Binding's Status
        # otherwise.
        media = negotiate(req.accept, protobuf=pbr.has_protobuf(rt))
        if sub in ("status", "finalize", "approval"):
            if verb == "get" and sub != "finalize":
                return render(media, rt, self.rest.get(rt, ns, name))
            if verb == "update":
                return await self._update(req, rt, ns, name, query, media, subresource=sub)
            if verb == "patch" and sub != "finalize":
                return await self._patch(req, rt, ns, name, query, media, subresource=sub)
        if sub == "scale" and verb in ("get", "update", "patch"):
            return await self._scale(verb, req, rt, ns, name, query, media)
        if sub == "binding" and verb == "create":
            return await self._bind(req, rt, ns, name, query, media)
        if sub == "eviction" and verb == "create":
            return await self._evict(req, rt, ns, name, query, media)
        raise MethodNotAllowed.generic()

    # -- reads -------------------------------------------------------------------------------

    async def _get(self, req: ApiRequest, rt: ResourceType, ns: str, name: str, query: Query,
                   media: MediaType) -> ApiResponse:
        if query.get("resourceVersion", "") == "":  # a quorum read, as Kubernetes' GET
            await require_current(self.rest.store)
        return render(media, rt, self.rest.get(rt, ns, name))

    def _list_options(self, rt: ResourceType, query: Query, *, watch: bool) -> ListOptions:
        opts = ListOptions.parse(query, watch=watch)
        check_field_selector(rt.strategy.fields, opts.field_selector)
        return opts

    async def _list(self, req: ApiRequest, rt: ResourceType, ns: str, name: str,
                    query: Query, media: MediaType) -> ApiResponse:
        opts = self._list_options(rt, query, watch=False)
        listed = await self.rest.list_objects(rt, ns, opts)
        if media.type == PROTOBUF:
            try:
                if media.as_ == "PartialObjectMetadataList":
                    return pbr.partial_list_response(media.version, list_meta(listed),
                                                     listed.objects())
                return pbr.list_response(rt, self.protobuf_cache, list_meta(listed),
                                         listed.entries)
            except pbr.EncodeError:
                media = fallback(media)
        return render_list(media, rt, listed, include=query.get("includeObject", "Metadata"))

    async def _watch(self, req: ApiRequest, rt: ResourceType, ns: str, name: str,
                     query: Query, media: MediaType) -> ApiResponse:
        opts = self._list_options(rt, query, watch=True)

        def match(obj: dict[str, Any]) -> bool:
            return matches(rt, obj, opts.label_selector, opts.field_selector)

        match.everything = opts.label_selector.empty() and opts.field_selector.empty()  # type: ignore[attr-defined]
        render_event = None
        if media.as_ == "Table":
            include = query.get("includeObject", "Metadata")
            api_version = f"meta.k8s.io/{media.version}"

            def render_event(obj: dict[str, Any], first: bool) -> dict[str, Any]:
                if obj.get("kind") != rt.kind:  # bookmarks pass through as they are
                    return obj
                return to_table(rt, [obj], resource_version=metautil.resource_version(obj),
                                include_object=include, with_columns=first,
                                api_version=api_version)
        elif media.as_ == "PartialObjectMetadata":
            def render_event(obj: dict[str, Any], first: bool) -> dict[str, Any]:
                return partial_metadata(obj) if obj.get("kind") == rt.kind else obj

        convert = converter(rt)
        if convert is not None:  # stored in another version: each event in the served one
            inner = render_event

            def render_event(obj: dict[str, Any], first: bool) -> dict[str, Any]:
                if obj.get("kind") == rt.kind:
                    obj = served(rt, jsonutil.copy(obj))  # events are shared: a copy
                return inner(obj, first) if inner is not None else obj

        fmt: WireFormat = JSON_LINES
        if media.type == PROTOBUF:
            fmt = pbr.ProtobufFrames(rt, self.protobuf_cache,
                                     partial=media.as_ == "PartialObjectMetadata")
        stream = await open_watch(self.rest.storage_for(rt), rt, ns, name, opts, match,
                                  render_event, req.disconnected, fmt)
        if req.method == "HEAD":
            await stream.aclose()  # type: ignore[attr-defined]
            return ApiResponse(200, raw=b"", content_type=fmt.content_type)
        return ApiResponse(200, stream=stream, content_type=fmt.content_type)

    # -- writes ------------------------------------------------------------------------------

    async def _create(self, req: ApiRequest, rt: ResourceType, ns: str, name: str,
                      query: Query, media: MediaType) -> ApiResponse:
        opts = WriteOptions.parse(query, "create")
        body = decode_body(req.body, req.content_type, rt.schema)
        if not rt.strategy.stored:
            answered = await self.rest.answer(rt, ns, body.value, opts=opts, user=req.user,
                                              reviewer=self.reviewer,
                                              duplicates=body.duplicates)
            return written_response(media, rt, answered.obj, answered.warnings, 201)
        written = await self.rest.create(rt, ns, body.value, opts=opts,
                                         manager=req.manager_for(opts.field_manager),
                                         duplicates=body.duplicates, user=req.user)
        return written_response(media, rt, written.obj, written.warnings, 201)

    async def _update(self, req: ApiRequest, rt: ResourceType, ns: str, name: str,
                      query: Query, media: MediaType, *, subresource: str = "") -> ApiResponse:
        opts = WriteOptions.parse(query, "update")
        body = decode_body(req.body, req.content_type, rt.schema)
        written = await self.rest.update(rt, ns, name, body.value, opts=opts,
                                         subresource=subresource, duplicates=body.duplicates,
                                         manager=req.manager_for(opts.field_manager))
        return written_response(media, rt, written.obj, written.warnings, 200)

    async def _patch(self, req: ApiRequest, rt: ResourceType, ns: str, name: str,
                     query: Query, media: MediaType, *, subresource: str = "") -> ApiResponse:
        ctype = req.content_type.split(";")[0].strip().lower()
        check_patch_type(ctype, strategic=rt.strategy.strategic_merge)
        opts = WriteOptions.parse(query, "patch", apply=ctype == APPLY)
        if ctype == APPLY:
            written = await self.rest.apply(rt, ns, name, req.body or b"", opts=opts,
                                            subresource=subresource, user=req.user)
        else:
            written = await self.rest.patch(rt, ns, name, req.body or b"", ctype, opts=opts,
                                            subresource=subresource,
                                            manager=req.manager_for(opts.field_manager))
        return written_response(media, rt, written.obj, written.warnings,
                                201 if written.created else 200)

    async def _delete(self, req: ApiRequest, rt: ResourceType, ns: str, name: str,
                      query: Query, media: MediaType) -> ApiResponse:
        options = DeleteOptions.parse(query, delete_body(req))
        deleted = await self.rest.delete_object(rt, ns, name, options)
        if deleted.removed and not rt.strategy.return_deleted_object:
            # As Kubernetes' registry: a Status about the object that is gone (its details'
            # kind is the resource); the object itself only while its deletion is pending.
            meta = deleted.obj.get("metadata") or {}
            details: dict[str, Any] = {"name": meta.get("name", name)}
            if rt.group:
                details["group"] = rt.group
            details["kind"] = rt.plural
            details["uid"] = meta.get("uid", "")
            status = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                      "status": "Success", "details": details}
            if media.type == PROTOBUF:
                return pbr.status_response(status, 200)
            return ApiResponse(200, status)
        return render(media, rt, deleted.obj)

    async def _deletecollection(self, req: ApiRequest, rt: ResourceType, ns: str, name: str,
                                query: Query, media: MediaType) -> ApiResponse:
        opts = self._list_options(rt, query, watch=False)
        options = DeleteOptions.parse(query, delete_body(req))
        deleted = await self.rest.delete_collection(rt, ns, opts, options)
        if media.type == PROTOBUF:
            try:
                return pbr.objects_list_response(
                    rt, {"resourceVersion": str(self.rest.store.revision)}, deleted)
            except pbr.EncodeError:
                media = fallback(media)
        return render(media, rt, {"kind": rt.list_kind, "apiVersion": rt.api_version,
                                  "metadata": {"resourceVersion": str(self.rest.store.revision)},
                                  "items": deleted})

    # -- subresources ------------------------------------------------------------------------

    async def _scale(self, verb: str, req: ApiRequest, rt: ResourceType, ns: str, name: str,
                     query: Query, media: MediaType) -> ApiResponse:
        """``autoscaling/v1 Scale`` view of a workload's replicas."""
        if verb == "get":
            return _scale_response(media, to_scale(rt, self.rest.get(rt, ns, name)))
        if verb == "update":
            opts = WriteOptions.parse(query, "update")
            new_scale = decode_body(req.body, req.content_type or "application/json",
                                    SCALE).value
        else:
            ctype = req.content_type.split(";")[0].strip().lower()
            check_patch_type(ctype, strategic=rt.strategy.strategic_merge)
            opts = WriteOptions.parse(query, "patch", apply=ctype == APPLY)
            if ctype == APPLY:
                raise BadRequest("server-side apply of the scale subresource is not supported")
            scale = to_scale(rt, self.rest.get(rt, ns, name))
            # Patched without its resourceVersion, so one shows only if the patch set it.
            del scale["metadata"]["resourceVersion"]
            new_scale, _ = apply_patch(ctype, scale, req.body or b"", SCALE)
        replicas, pinned = _check_scale(name, new_scale)
        patch: dict[str, Any] = rt.strategy.replicas_patch(replicas)
        if pinned:
            patch["metadata"] = {"resourceVersion": str(pinned)}
        written = await self.rest.patch(rt, ns, name, jsonutil.dumps(patch), MERGE,
                                        opts=opts, subresource="scale",
                                        manager=req.manager_for(opts.field_manager))
        return _scale_response(media, to_scale(rt, written.obj))

    async def _bind(self, req: ApiRequest, rt: ResourceType, ns: str, name: str,
                    query: Query, media: MediaType) -> ApiResponse:
        """``pods/binding``: set ``spec.nodeName`` of an unbound pod (the scheduler's write)."""
        opts = WriteOptions.parse(query, "create")
        body = decode_body(req.body, req.content_type, BINDING).value
        if not isinstance(body, dict):
            raise BadRequest("Binding must be a JSON object")
        target = body.get("target") or {}
        node = target.get("name") if isinstance(target, dict) else None
        if not isinstance(node, str) or not node or is_dns1123_subdomain(node):
            raise BadRequest(f"Binding must name a target node by a valid node name, got "
                             f"{node!r}")
        meta = body.get("metadata")
        uid = meta.get("uid") if isinstance(meta, dict) else None
        if not opts.dry_run:
            await self.rest.bind(rt, ns, name, node, uid=uid if isinstance(uid, str) else None)
        status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                  "code": 201}
        if media.type == PROTOBUF:
            return pbr.status_response(status, 201)
        return ApiResponse(201, status)


    async def _evict(self, req: ApiRequest, rt: ResourceType, ns: str, name: str,
                     query: Query, media: MediaType) -> ApiResponse:
        """``pods/eviction`` (policy/v1 Eviction, what ``kubectl drain`` posts): the pod's
        deletion with the Eviction's ``deleteOptions``, refused with 429 when it would break
        the pod's PodDisruptionBudget (``eviction.py``)."""
        body = decode_body(req.body, req.content_type or "application/json", None).value
        if not isinstance(body, dict):
            raise BadRequest("Eviction must be a JSON object")
        if body.get("kind") not in (None, "", "Eviction"):
            raise BadRequest(f'the body of pods/eviction is a {body.get("kind")!r}, not an '
                             "Eviction")
        meta = body.get("metadata") or {}
        if isinstance(meta, dict) and meta.get("name") not in (None, "", name):
            raise BadRequest(f'name in URL does not match name in Eviction object: '
                             f'{name} != {meta.get("name")}')
        raw = body.get("deleteOptions")
        if raw is not None and not isinstance(raw, dict):
            raise BadRequest("Eviction.deleteOptions must be a JSON object")
        if raw:
            raw = {**raw, "kind": "DeleteOptions"}
            checked = decode(DELETE_OPTIONS, raw)
            if checked.type_errors:
                raise BadRequest("Eviction.deleteOptions: " + "; ".join(checked.type_errors))
        options = DeleteOptions.parse(query, raw or None)
        code, status = await evict(self.rest, rt, ns, name, options)
        if media.type == PROTOBUF:
            return pbr.status_response(status, code)
        return ApiResponse(code, status)


def delete_body(req: ApiRequest) -> dict[str, Any] | None:
    """The DeleteOptions a DELETE carries, checked against their schema (400 if they do not
    decode: a bad option never reaches the delete)."""
    if not req.body:
        return None
    body = decode_body(req.body, req.content_type, DELETE_OPTIONS).value
    if not isinstance(body, dict):
        raise BadRequest("DeleteOptions must be a JSON object")
    kind = body.get("kind")
    if kind not in (None, "", "DeleteOptions"):
        raise BadRequest(f"DeleteOptions in version \"v1\" cannot be handled as a "
                         f"DeleteOptions: the kind of the body is {kind!r}")
    body.setdefault("kind", "DeleteOptions")
    result = decode(DELETE_OPTIONS, body)
    if result.type_errors:
        raise BadRequest("DeleteOptions in version \"v1\" cannot be handled as a "
                         "DeleteOptions: " + "; ".join(result.type_errors))
    return body


def _check_scale(name: str, new_scale: Any) -> tuple[int, str | None]:
    if not isinstance(new_scale, dict):
        raise BadRequest("Scale must be a JSON object")
    result = decode(SCALE, new_scale)
    if result.type_errors:
        raise BadRequest('Scale in version "v1" cannot be handled as a Scale: '
                         + "; ".join(result.type_errors))
    replicas = (new_scale.get("spec") or {}).get("replicas", 0)
    if replicas < 0:
        raise Invalid.of("autoscaling", "Scale", name, [
            invalid("spec.replicas", replicas, "must be greater than or equal to 0")])
    given = (new_scale.get("metadata") or {}).get("name")
    if given and given != name:
        raise BadRequest(f"the name of the object ({given}) does not match the name on "
                         f"the URL ({name})")
    # A resourceVersion in the Scale is a precondition; without one the new replicas
    # apply to whatever the object is by then.
    return replicas, (new_scale.get("metadata") or {}).get("resourceVersion")


# -- shaping answers ---------------------------------------------------------------------------

def render(media: MediaType, rt: ResourceType, obj: dict[str, Any], *,
           include: str = "Metadata", code: int = 200) -> ApiResponse:
    """One object in the negotiated representation."""
    if media.type == PROTOBUF:
        try:
            if media.as_ == "PartialObjectMetadata":
                return pbr.message_response(pbr.PARTIAL, partial_metadata(obj), code)
            return pbr.object_response(rt, obj, code)
        except pbr.EncodeError:
            media = fallback(media)
    if media.as_ == "Table":
        body: dict[str, Any] = to_table(
            rt, [obj], resource_version=metautil.resource_version(obj), include_object=include,
            api_version=f"meta.k8s.io/{media.version}")
    elif media.as_ == "PartialObjectMetadata":
        body = partial_metadata(obj)
    else:
        body = obj
    if media.type == YAML:
        return ApiResponse(code, raw=yamlutil.dump(body), content_type=YAML)
    return ApiResponse(code, body)


def written_response(media: MediaType, rt: ResourceType, obj: dict[str, Any],
                     warnings: list[str], code: int) -> ApiResponse:
    response = render(media, rt, obj, code=code)
    response.warnings = list(warnings)
    return response


def list_meta(listed: Listed) -> dict[str, Any]:
    meta: dict[str, Any] = {"resourceVersion": str(listed.revision)}
    if listed.continue_token:
        meta["continue"] = listed.continue_token
    if listed.remaining is not None:
        meta["remainingItemCount"] = listed.remaining
    return meta


def render_list(media: MediaType, rt: ResourceType, listed: Listed, *,
                include: str) -> ApiResponse:
    meta = list_meta(listed)
    if media.as_ == "Table":
        table = to_table(rt, listed.objects(), resource_version=str(listed.revision),
                         continue_token=listed.continue_token, include_object=include,
                         api_version=f"meta.k8s.io/{media.version}")
        return _in_media(media, table)
    if media.as_ == "PartialObjectMetadataList":
        return _in_media(media, {"kind": "PartialObjectMetadataList",
                                 "apiVersion": f"meta.k8s.io/{media.version}", "metadata": meta,
                                 "items": [partial_metadata(o) for o in listed.objects()]})
    if media.type == YAML:
        return _in_media(media, {"kind": rt.list_kind, "apiVersion": rt.api_version,
                                 "metadata": meta, "items": listed.objects()})
    # The stored bytes are spliced into the answer: no decode and re-encode per item.
    # One allocation of the answer's size, with its final newline: no intermediate copies.
    items = listed.raw_items()
    parts = [b'{"kind":"', rt.list_kind.encode(), b'","apiVersion":"', rt.api_version.encode(),
             b'","metadata":', jsonutil.dumps(meta), b',"items":[']
    for i, item in enumerate(items):
        if i:
            parts.append(b",")
        parts.append(item)
    parts.append(b"]}\n")
    return ApiResponse(200, raw=b"".join(parts))


def _in_media(media: MediaType, body: dict[str, Any]) -> ApiResponse:
    if media.type == YAML:
        return ApiResponse(200, raw=yamlutil.dump(body), content_type=YAML)
    return ApiResponse(200, body)


def _scale_response(media: MediaType, scale: dict[str, Any]) -> ApiResponse:
    if media.type == PROTOBUF:
        try:
            return pbr.message_response(SCALE.name or "", scale)
        except pbr.EncodeError:
            media = fallback(media)
    if media.type == YAML:
        return ApiResponse(200, raw=yamlutil.dump(scale), content_type=YAML)
    return ApiResponse(200, scale)


def to_scale(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """The ``autoscaling/v1 Scale`` of an object, from what its strategy reads as replicas
    and selector (workloads: ``spec.replicas``; custom resources: their CRD's paths)."""
    meta = obj.get("metadata") or {}
    spec_replicas, status_replicas, selector = rt.strategy.scale_of(obj)
    return {
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                          "creationTimestamp") if k in meta},
        "spec": {"replicas": spec_replicas},
        "status": {"replicas": status_replicas, "selector": selector},
    }
