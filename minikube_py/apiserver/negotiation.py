"""Content negotiation: which representation the client asked for in ``Accept``.

kubectl asks for ``application/json;as=Table;v=v1;g=meta.k8s.io, application/json`` to get
server-side tables; controllers may ask for ``as=PartialObjectMetadata(List)``; discovery
clients for ``as=APIGroupDiscoveryList``. Media ranges are tried in the client's order of
preference (``q``); the first one we can produce wins. Nothing acceptable is 406
NotAcceptable, decided before the request does anything, so a write is never committed and then
answered with an error.

Kinds with a protobuf form (every built-in kind: its definition is in
``api/codecs/protobuf_fields.py``) are also served as ``application/vnd.kubernetes.protobuf``,
which client-go's typed clients (kubectl 1.32+ ``create``, ``describe``...) prefer; watches
then stream ``application/vnd.kubernetes.protobuf;stream=watch``. Kinds without one (custom
resources) answer such a client in JSON if it accepts JSON too, else 406, as Kubernetes does.
``as=PartialObjectMetadata(List)`` may be protobuf too; ``as=Table`` is JSON or YAML only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from minikube_py.api.errors import InternalError, NotAcceptable

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
META_GROUP = "meta.k8s.io"
# The representations of a resource besides the object itself, per kind of request.
CONVERSIONS = {
    "object": ("Table", "PartialObjectMetadata"),
    "list": ("Table", "PartialObjectMetadataList"),
    "watch": ("Table", "PartialObjectMetadata"),
}
CONVERSION_VERSIONS = ("v1", "v1beta1")
# Conversions also served in protobuf (client-go's metadata informers ask for them so).
PROTOBUF_CONVERSIONS = frozenset({"PartialObjectMetadata", "PartialObjectMetadataList"})
STREAMING = frozenset({"watch"})  # shapes only streaming serializers (JSON lines) can write


@dataclass(frozen=True)
class MediaType:
    type: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def as_(self) -> str:
        return self.params.get("as", "")

    @property
    def version(self) -> str:
        return self.params.get("v", "v1")


def parse_accept(accept: str) -> list[MediaType]:
    """Media ranges in order of preference (higher ``q`` first, then as written); ``q=0``
    ranges are dropped."""
    ranked: list[tuple[float, int, MediaType]] = []
    for index, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";") if p.strip()]
        if not pieces:
            continue
        params: dict[str, str] = {}
        for p in pieces[1:]:
            k, _, v = p.partition("=")
            params[k.strip().lower()] = v.strip().strip('"')
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            q = 1.0
        if q <= 0:
            continue
        ranked.append((-q, index, MediaType(pieces[0].lower(), params)))
    ranked.sort(key=lambda t: (t[0], t[1]))
    return [mt for _, _, mt in ranked]


def wants(accept: str, shape: str, group: str = META_GROUP) -> MediaType | None:
    """The first offered media type asking for ``as=shape`` of ``group``, if any."""
    for mt in parse_accept(accept):
        if mt.as_ == shape and mt.params.get("g", group) == group and mt.type in (
                JSON, "*/*", YAML):
            return mt
    return None


@lru_cache(maxsize=256)
def negotiate(accept: str, request_shape: str = "object", *,
              protobuf: bool = False) -> MediaType:
    """The representation to answer a resource request with (``request_shape``: object, list
    or watch; ``protobuf``: the kind has a protobuf form). Raises 406 when nothing offered can
    be produced. Clients send the same few Accept headers over and over, so answers are cached
    (a MediaType is never changed)."""
    serializers: tuple[str, ...] = (JSON,) if request_shape in STREAMING else (JSON, YAML)
    if protobuf:
        serializers += (PROTOBUF,)
    offers = parse_accept(accept) if accept.strip() else [MediaType(JSON)]
    for mt in offers:
        chosen = _serializer(mt.type, serializers)
        if chosen is None:
            continue
        if chosen == PROTOBUF:
            if not mt.as_:
                return MediaType(PROTOBUF, _fallback(accept, request_shape))
            if mt.as_ in PROTOBUF_CONVERSIONS and _convertible(mt, request_shape):
                return MediaType(PROTOBUF, {"as": mt.as_, "v": mt.version, "g": META_GROUP,
                                            **_fallback(accept, request_shape, mt.as_)})
            continue  # no Table in protobuf: kubectl asks for tables in JSON
        if not mt.as_:
            if mt.type in ("*/*", "application/*") and mt.params:
                continue  # parameters on a wildcard ask for something we cannot tell
            return MediaType(chosen)
        if _convertible(mt, request_shape):
            return MediaType(chosen, {k: v for k, v in mt.params.items()
                                      if k in ("as", "v", "g")})
    accepted = ", ".join(serializers)
    raise NotAcceptable(f"only the following media types are accepted: {accepted}")


def _fallback(accept: str, request_shape: str, shape: str = "") -> dict[str, str]:
    """What to answer a protobuf client with if an object cannot be encoded (a bug, logged):
    the serializer it accepts next for the same shape (``as``), if any."""
    try:
        other = negotiate(accept, request_shape, protobuf=False)
    except NotAcceptable:
        return {}
    return {"fallback": other.type} if other.as_ == shape else {}


def fallback(media: MediaType) -> MediaType:
    """The media type to use instead of protobuf (see :func:`_fallback`); 500 if none."""
    other = media.params.get("fallback")
    if not other:
        raise InternalError("Internal error occurred: the object cannot be encoded as "
                            "protobuf, and the client accepts nothing else")
    return MediaType(other, {k: v for k, v in media.params.items() if k in ("as", "v", "g")})


def prefers_protobuf(accept: str, request_shape: str = "object") -> bool:
    """Whether a resource request for a kind with a protobuf form is answered in protobuf
    (errors included: Kubernetes writes them in the negotiated serializer)."""
    if PROTOBUF not in accept:
        return False
    try:
        return negotiate(accept, request_shape, protobuf=True).type == PROTOBUF
    except NotAcceptable:
        return False


def _serializer(media: str, serializers: tuple[str, ...]) -> str | None:
    if media in ("*/*", "application/*"):
        return JSON
    return media if media in serializers else None


def _convertible(mt: MediaType, request_shape: str) -> bool:
    return (mt.params.get("g", "") == META_GROUP and mt.version in CONVERSION_VERSIONS
            and mt.as_ in CONVERSIONS[request_shape])
