"""Secret: sensitive data as keys and base64 values (core/v1).

The kind's strategy: what the generic REST layer asks about it (see ``api/strategy.py``).
``stringData`` is folded into ``data`` on every write, as Kubernetes' conversion does.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from minikube_py.api.defaults import core as defaults
from minikube_py.api.errors import BadRequest, Cause
from minikube_py.api.machinery.fieldselectors import selectable, strings
from minikube_py.api.printers import core as printers
from minikube_py.api.resource import ResourceType
from minikube_py.api.schemas import core as schemas
from minikube_py.api.strategy import Strategy
from minikube_py.api.validation import core as validation


def fold_string_data(obj: dict[str, Any]) -> None:
    """Fold ``stringData`` into ``data`` (base64) and check ``data`` is base64."""
    data = obj.get("data") or {}
    for key, value in data.items():
        if not isinstance(value, str):
            raise BadRequest(f"Secret in version \"v1\" cannot be handled as a Secret: "
                             f"data[{key}] must be a base64-encoded string")
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest(f"Secret in version \"v1\" cannot be handled as a Secret: "
                             f"illegal base64 data in data[{key}]") from exc
    string_data = obj.pop("stringData", None) or {}
    for key, value in string_data.items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    if data:
        obj["data"] = data


def _fields(secret: Mapping[str, Any]) -> dict[str, str]:
    return strings(secret, {"type": "type"})


class SecretStrategy(Strategy):
    fields = selectable("type", extract=_fields)
    printer = printers.SECRET

    def default(self, obj: dict[str, Any]) -> None:
        defaults.default_secret(obj)

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        fold_string_data(obj)

    def prepare_for_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        fold_string_data(new)

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        return validation.validate_secret(obj)

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        return validation.validate_secret_update(new, old)


RESOURCE = ResourceType("", "v1", "Secret", "secrets", True, schemas.SECRET,
                        strategy=SecretStrategy())
