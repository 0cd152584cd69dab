"""A request as the authorizer sees it, and the Status of a refusal.

The verb is the request info's (``get``/``list``/``watch`` by the path's shape and
``watch=true``, ``deletecollection`` for a DELETE of a collection, ``patch``, ...); a
non-resource request is the lower-cased method on its path. As Kubernetes' RequestInfo: a
Namespace object's namespace is its own name, and a list or watch selecting
``metadata.name=N`` is about the object N (so ``resourceNames`` rules cover ``get -w``).
"""

from __future__ import annotations

from collections.abc import Mapping

from minikube_py.api.access import Attributes
from minikube_py.api.errors import Forbidden
from minikube_py.api.wire import UserInfo
from minikube_py.apiserver.requestinfo import RequestInfo

_NAME_SELECTOR = "metadata.name="


def from_request(user: UserInfo, info: RequestInfo, query: Mapping[str, str]) -> Attributes:
    if not info.is_resource:
        return Attributes(user=user, verb=info.verb, resource_request=False, path=info.path)
    namespace, name = info.namespace, info.name
    if info.resource == "namespaces" and not info.group and name:
        namespace = name
    if not name and info.verb in ("list", "watch"):
        selector = query.get("fieldSelector", "")
        if selector.startswith(_NAME_SELECTOR) and "," not in selector:
            name = selector[len(_NAME_SELECTOR):]
    return Attributes(user=user, verb=info.verb, resource_request=True, namespace=namespace,
                      api_group=info.group, api_version=info.version, resource=info.resource,
                      subresource=info.subresource, name=name)


def forbidden_message(attrs: Attributes) -> str:
    """``User "x" cannot list resource "pods" in API group "" in the namespace "default"``."""
    user = attrs.user.name
    if not attrs.resource_request:
        return f'User "{user}" cannot {attrs.verb} path "{attrs.path}"'
    resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    where = (f'in the namespace "{attrs.namespace}"' if attrs.namespace
             else "at the cluster scope")
    return (f'User "{user}" cannot {attrs.verb} resource "{resource}" in API group '
            f'"{attrs.api_group}" {where}')


def forbidden(attrs: Attributes, reason: str = "") -> Forbidden:
    """The 403 of a refused request, as Kubernetes' responsewriters.Forbidden writes it."""
    why = forbidden_message(attrs) + (f": {reason}" if reason else "")
    return forbidden_error(attrs.api_group, attrs.resource, attrs.name, why)


def forbidden_error(group: str, resource: str, name: str, why: str) -> Forbidden:
    """apierrors.NewForbidden: ``pods "x" is forbidden: ...`` with details {group, kind,
    name} (the details are the resource's, ``kind`` being its plural)."""
    if not resource:
        return Forbidden(f"forbidden: {why}")
    label = f"{resource}.{group}" if group else resource
    if name:
        return Forbidden(f'{label} "{name}" is forbidden: {why}', name=name, group=group,
                         kind=resource)
    return Forbidden(f"{label} is forbidden: {why}", group=group, kind=resource)
