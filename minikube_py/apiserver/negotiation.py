"""Content negotiation: what representation the client asked for in ``Accept``.

kubectl asks for ``application/json;as=Table;v=v1;g=meta.k8s.io, application/json`` to get
server-side tables; controllers may ask for ``as=PartialObjectMetadata(List)``; discovery
clients for ``as=APIGroupDiscoveryList``. We answer JSON always, in the first shape offered
that we serve.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaType:
    type: str
    params: dict[str, str]

    @property
    def as_(self) -> str:
        return self.params.get("as", "")


def parse_accept(accept: str) -> list[MediaType]:
    result = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";") if p.strip()]
        if not pieces:
            continue
        params = {}
        for p in pieces[1:]:
            k, _, v = p.partition("=")
            params[k.strip()] = v.strip()
        result.append(MediaType(pieces[0].lower(), params))
    return result


def wants(accept: str, shape: str, group: str = "meta.k8s.io") -> MediaType | None:
    """The first offered media type asking for ``as=shape`` of ``group``, if any."""
    for mt in parse_accept(accept):
        if mt.as_ == shape and mt.params.get("g", group) == group and mt.type in (
                "application/json", "*/*", "application/yaml"):
            return mt
    return None
