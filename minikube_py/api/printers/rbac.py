"""Table printers of rbac.authorization.k8s.io kinds (kubectl's columns: roles print NAME and
CREATED AT, the built-in default; bindings their role and, wide, their subjects)."""

from __future__ import annotations

from typing import Any

from minikube_py.api.printers.base import AGE, Column, Obj, age_of, name_of, simple, wide


def subjects_strings(obj: Obj) -> tuple[str, str, str]:
    """Users, groups and service accounts (``ns/name``) of a binding, as rbac.SubjectsStrings."""
    users: list[str] = []
    groups: list[str] = []
    accounts: list[str] = []
    for subject in obj.get("subjects") or []:
        kind = subject.get("kind")
        if kind == "User":
            users.append(str(subject.get("name", "")))
        elif kind == "Group":
            groups.append(str(subject.get("name", "")))
        elif kind == "ServiceAccount":
            accounts.append(f"{subject.get('namespace', '')}/{subject.get('name', '')}")
    return ", ".join(users), ", ".join(groups), ", ".join(accounts)


def _row(obj: Obj, now: Any) -> list[Any]:
    ref = obj.get("roleRef") or {}
    return [name_of(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", age_of(obj, now),
            *subjects_strings(obj)]


BINDING = simple((
    Column("Role", description="RoleRef can reference a Role in the current namespace or a "
           "ClusterRole in the global namespace."),
    AGE,
    wide("Users", "Users in the roleBinding"),
    wide("Groups", "Groups in the roleBinding"),
    wide("ServiceAccounts", "ServiceAccounts in the roleBinding"),
), _row)
