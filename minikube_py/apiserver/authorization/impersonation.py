"""Impersonation: ``Impersonate-User``/``-Group``/``-Uid``/``-Extra-*`` make a request run as
another user, once the requester may ``impersonate`` each of them (Kubernetes'
WithImpersonation filter): users (or, for ``system:serviceaccount:<ns>:<name>``, that
ServiceAccount), groups, uids (``authentication.k8s.io``) and ``userextras/<key>``.

The impersonated user is in ``system:authenticated`` (``system:unauthenticated`` for
``system:anonymous``); a service account without explicit groups gets its fixed ones.
"""

from __future__ import annotations

from minikube_py.api.access import Attributes
from minikube_py.api.errors import BadRequest
from minikube_py.api.wire import Impersonation, UserInfo
from minikube_py.apiserver.authorization.attributes import forbidden
from minikube_py.apiserver.authorization.policy import SA_PREFIX
from minikube_py.apiserver.authorization.rbac import Authorizer

AUTHENTICATED, UNAUTHENTICATED = "system:authenticated", "system:unauthenticated"
ANONYMOUS = "system:anonymous"


def service_account_groups(namespace: str) -> tuple[str, ...]:
    return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}")


def _check(authorizer: Authorizer, attrs: Attributes) -> None:
    decision = authorizer.authorize(attrs)
    if not decision.allowed:
        raise forbidden(attrs, decision.reason)


def impersonate(authorizer: Authorizer, requester: UserInfo, wanted: Impersonation) -> UserInfo:
    """The user the request runs as; 403 naming the first thing it may not impersonate."""
    if not wanted.user:
        raise BadRequest("requested impersonation of groups, uid or extra without "
                         "impersonating a user")

    def may(resource: str, name: str, *, group: str = "", namespace: str = "",
            subresource: str = "") -> None:
        _check(authorizer, Attributes(user=requester, verb="impersonate",
                                      resource_request=True, api_group=group,
                                      resource=resource, subresource=subresource,
                                      namespace=namespace, name=name))

    groups = list(wanted.groups)
    if wanted.user.startswith(SA_PREFIX) and wanted.user.count(":") == 3:
        namespace, name = wanted.user[len(SA_PREFIX):].split(":")
        may("serviceaccounts", name, namespace=namespace)
        if not groups:
            groups = list(service_account_groups(namespace))
    else:
        may("users", wanted.user)
    for group in wanted.groups:
        may("groups", group)
    if wanted.uid:
        may("uids", wanted.uid, group="authentication.k8s.io")
    for key, values in wanted.extra:
        for value in values:
            may("userextras", value, group="authentication.k8s.io", subresource=key)
    if wanted.user == ANONYMOUS:
        if UNAUTHENTICATED not in groups:
            groups.append(UNAUTHENTICATED)
    elif AUTHENTICATED not in groups and UNAUTHENTICATED not in groups:
        groups.append(AUTHENTICATED)
    return UserInfo(wanted.user, tuple(groups), uid=wanted.uid, extra=wanted.extra)
