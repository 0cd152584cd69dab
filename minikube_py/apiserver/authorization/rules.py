"""PolicyRules compiled for matching (Kubernetes' ``rbac.RuleAllows``), and ``covers``: whether
one set of rules holds every right of another (``validation.Covers``, escalation's test).

A rule is compiled once when its role is indexed, so that a request costs set look-ups."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from minikube_py.api.access import Attributes

ALL = "*"


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


@dataclass(frozen=True, slots=True)
class Rule:
    verbs: frozenset[str]
    groups: frozenset[str]
    resources: frozenset[str]
    names: frozenset[str]
    urls: tuple[str, ...]
    source: dict[str, Any]

    @classmethod
    def compile(cls, rule: Any) -> Rule:
        rule = rule if isinstance(rule, dict) else {}
        return cls(frozenset(_strings(rule.get("verbs"))),
                   frozenset(_strings(rule.get("apiGroups"))),
                   frozenset(_strings(rule.get("resources"))),
                   frozenset(_strings(rule.get("resourceNames"))),
                   _strings(rule.get("nonResourceURLs")), rule)

    def allows(self, attrs: Attributes) -> bool:
        verbs = self.verbs
        if attrs.verb not in verbs and ALL not in verbs:
            return False
        if not attrs.resource_request:
            return any(url_matches(spec, attrs.path) for spec in self.urls)
        if attrs.api_group not in self.groups and ALL not in self.groups:
            return False
        resources = self.resources
        if ALL not in resources:
            sub = attrs.subresource
            combined = f"{attrs.resource}/{sub}" if sub else attrs.resource
            if combined not in resources and not (sub and f"*/{sub}" in resources):
                return False
        return not self.names or attrs.name in self.names


def url_matches(spec: str, path: str) -> bool:
    if spec == ALL or spec == path:
        return True
    return spec.endswith(ALL) and path.startswith(spec.rstrip(ALL))


def compile_rules(rules: Any) -> tuple[Rule, ...]:
    return tuple(Rule.compile(r) for r in rules) if isinstance(rules, list) else ()


# -- covers: escalation prevention -------------------------------------------------------------

def breakdown(rule: Rule) -> Iterator[Rule]:
    """One rule per group x resource x verb (x name), or per URL x verb (BreakdownRule)."""
    for group in sorted(rule.groups):
        for resource in sorted(rule.resources):
            for verb in sorted(rule.verbs):
                if rule.names:
                    for name in sorted(rule.names):
                        yield Rule(frozenset({verb}), frozenset({group}),
                                   frozenset({resource}), frozenset({name}), (), {})
                else:
                    yield Rule(frozenset({verb}), frozenset({group}), frozenset({resource}),
                               frozenset(), (), {})
    for url in rule.urls:
        for verb in sorted(rule.verbs):
            yield Rule(frozenset({verb}), frozenset(), frozenset(), frozenset(), (url,), {})


def _resources_cover(owner: frozenset[str], wanted: frozenset[str]) -> bool:
    if ALL in owner:
        return True
    for resource in wanted:
        if resource in owner:
            continue
        if "/" not in resource or f"*/{resource.split('/', 1)[1]}" not in owner:
            return False
    return True


def _urls_cover(owner: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    return all(any(url_matches(spec, url) for spec in owner) for url in wanted)


def rule_covers(owner: Rule, sub: Rule) -> bool:
    verbs = ALL in owner.verbs or sub.verbs <= owner.verbs
    groups = ALL in owner.groups or sub.groups <= owner.groups
    names = not owner.names or (bool(sub.names) and sub.names <= owner.names)
    return (verbs and groups and names and _resources_cover(owner.resources, sub.resources)
            and _urls_cover(owner.urls, sub.urls))


def uncovered(owner: Iterable[Rule], wanted: Iterable[Rule]) -> list[Rule]:
    """The atomic rules of ``wanted`` that no rule of ``owner`` holds (empty: covered)."""
    owned = list(owner)
    return [sub for rule in wanted for sub in breakdown(rule)
            if not any(rule_covers(o, sub) for o in owned)]


def compact(rule: Rule) -> str:
    """A missing right as Kubernetes' escalation message lists it."""
    def quoted(values: Iterable[str]) -> str:
        return "[" + " ".join(f'"{v}"' for v in sorted(values)) + "]"
    parts = []
    if rule.groups:
        parts.append(f"APIGroups:{quoted(rule.groups)}")
    if rule.resources:
        parts.append(f"Resources:{quoted(rule.resources)}")
    if rule.names:
        parts.append(f"ResourceNames:{quoted(rule.names)}")
    if rule.urls:
        parts.append(f"NonResourceURLs:{quoted(rule.urls)}")
    parts.append(f"Verbs:{quoted(rule.verbs)}")
    return "{" + ", ".join(parts) + "}"
