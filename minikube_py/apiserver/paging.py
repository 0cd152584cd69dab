"""Continue tokens of paged lists (Kubernetes' storage.EncodeContinue / DecodeContinue).

A token carries the revision the first page was read at and the key to start after, relative
to the list's key prefix (so a token cannot reach outside the collection it came from). Every
later page is read at that same revision: the pages of one list are one snapshot. A revision
of -1 means "continue at the latest revision": it is what a 410 for an expired token offers,
for clients that accept an inconsistent remainder.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from minikube_py.api.errors import BadRequest, Gone
from minikube_py.util import jsonutil

LATEST = -1

CONTINUE_EXPIRED = ("The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter, or use "
                    "the continue token in this response to retrieve the remainder of the "
                    "results. Continuing with the provided token results in an inconsistent "
                    "list - objects that were created, modified, or deleted between the time "
                    "the first chunk was returned and now may show up in the list.")


@dataclass(frozen=True)
class ContinueToken:
    revision: int  # LATEST (-1) for an inconsistent continuation
    start: str  # the first key of the next page is the first key > prefix + start


def encode_continue(revision: int, last_key: str, prefix: str) -> str:
    """A token for the page after ``last_key`` (a full key under ``prefix``)."""
    raw = jsonutil.dumps({"v": "meta.k8s.io/v1", "rv": revision,
                          "start": last_key[len(prefix):] + "\x00"})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> ContinueToken:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = jsonutil.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(data, dict) or data.get("v") != "meta.k8s.io/v1":
            raise ValueError("wrong version")
        revision, start = data["rv"], data["start"]
        if not isinstance(revision, int) or isinstance(revision, bool) or \
                not isinstance(start, str):
            raise ValueError("wrong field types")
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error) as exc:
        raise BadRequest("continue key is not valid: incorrect encoded start resourceVersion "
                         "(version meta.k8s.io/v1)") from exc
    if revision == 0 or revision < LATEST:
        raise BadRequest("continue key is not valid: incorrect encoded start resourceVersion "
                         "(version meta.k8s.io/v1)")
    if start.startswith("/") or "/../" in f"/{start}/" or "/./" in f"/{start}/":
        raise BadRequest("continue key is not valid: path traversal is not allowed")
    return ContinueToken(revision, start)


def expired(start: str, prefix: str) -> Gone:
    """410 for a token whose revision is compacted, carrying a token that continues at the
    latest revision from the same key."""
    err = Gone(CONTINUE_EXPIRED)
    raw = jsonutil.dumps({"v": "meta.k8s.io/v1", "rv": LATEST, "start": start})
    err.metadata = {"continue": base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    return err
