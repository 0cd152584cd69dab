"""Lists answered from the store's indexes give exactly what a scan gives, through label
changes, deletes, namespaces, pages and field selectors."""

from __future__ import annotations

import random
from typing import Any

import pytest

from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.apiserver.server import ApiServer
from tests.apiserver.test_verbs import call

MERGE = "application/merge-patch+json"
SELECTORS = ["app=a", "app in (a,b)", "app=a,tier=web", "tier", "app=a,tier!=db",
             "app notin (a)", "!tier", "app=nope", "tier=web,app in (b,c)"]


def names(listing: dict[str, Any]) -> list[str]:
    return [f"{i['metadata']['namespace']}/{i['metadata']['name']}" for i in listing["items"]]


async def everything(server: ApiServer) -> list[dict[str, Any]]:
    code, listing = await call(server, "GET", "/api/v1/configmaps")
    assert code == 200
    return list(listing["items"])


async def test_label_selector_lists_equal_a_scan(apiserver: ApiServer) -> None:
    """After random creates, label changes and deletes, every selector's result equals
    filtering the full list by hand, in every namespace and across all of them."""
    rng = random.Random(7)
    for ns in ("ns1", "ns2"):
        await call(apiserver, "POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    for i in range(120):
        ns = rng.choice(["ns1", "ns2"])
        labels = {"app": rng.choice("abc")} | ({"tier": rng.choice(["web", "db"])}
                                              if rng.random() < 0.6 else {})
        await call(apiserver, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                   {"metadata": {"name": f"c{i}", "labels": labels}})
    for obj in rng.sample(await everything(apiserver), 50):
        path = f"/api/v1/namespaces/{obj['metadata']['namespace']}/configmaps/" \
               f"{obj['metadata']['name']}"
        if rng.random() < 0.5:
            await call(apiserver, "DELETE", path)
        else:
            new = {"app": rng.choice("abc"), "tier": None if rng.random() < 0.5 else "web"}
            await call(apiserver, "PATCH", path, {"metadata": {"labels": new}}, ctype=MERGE)
    all_objects = await everything(apiserver)
    for text in SELECTORS:
        selector = LabelSelector.parse(text)
        for ns_path, ns in (("/api/v1/configmaps", None),
                            ("/api/v1/namespaces/ns1/configmaps", "ns1")):
            code, listing = await call(apiserver, "GET", ns_path, labelSelector=text)
            expected = [o for o in all_objects if selector.matches(o["metadata"].get("labels"))
                        and ns in (None, o["metadata"]["namespace"])]
            assert code == 200 and names(listing) == names({"items": expected}), text


@pytest.mark.parametrize("limit", [1, 7, 50])
async def test_indexed_selector_pages_cover_the_matches_once(apiserver: ApiServer,
                                                             limit: int) -> None:
    """Paging through an indexed selector returns each match once, in key order."""
    for i in range(40):
        await call(apiserver, "POST", "/api/v1/namespaces/default/configmaps",
                   {"metadata": {"name": f"p{i:02}", "labels": {"app": "x" if i % 3 else "y"}}})
    seen: list[str] = []
    token = ""
    while True:
        query = {"labelSelector": "app=x", "limit": str(limit)}
        if token:
            query["continue"] = token
        code, page = await call(apiserver, "GET", "/api/v1/namespaces/default/configmaps",
                                **query)
        assert code == 200
        seen += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue", "")
        if not token:
            break
    assert seen == [f"p{i:02}" for i in range(40) if i % 3]


async def test_indexed_field_selector_follows_changes(apiserver: ApiServer) -> None:
    """spec.nodeName is indexed: a pod bound later is found on its node, and only there."""
    for i in range(6):
        await call(apiserver, "POST", "/api/v1/namespaces/default/pods", {
            "metadata": {"name": f"pod{i}"},
            "spec": {"containers": [{"name": "c", "image": "i"}]}})
    for i in (1, 4):
        await call(apiserver, "POST", f"/api/v1/namespaces/default/pods/pod{i}/binding",
                   {"target": {"kind": "Node", "name": "n1"}})
    code, on_n1 = await call(apiserver, "GET", "/api/v1/pods", fieldSelector="spec.nodeName=n1")
    assert code == 200 and [p["metadata"]["name"] for p in on_n1["items"]] == ["pod1", "pod4"]
    _, unbound = await call(apiserver, "GET", "/api/v1/pods", fieldSelector="spec.nodeName=")
    assert [p["metadata"]["name"] for p in unbound["items"]] == ["pod0", "pod2", "pod3", "pod5"]
    await call(apiserver, "DELETE", "/api/v1/namespaces/default/pods/pod1",
               {"gracePeriodSeconds": 0})
    _, on_n1 = await call(apiserver, "GET", "/api/v1/pods", fieldSelector="spec.nodeName=n1")
    assert [p["metadata"]["name"] for p in on_n1["items"]] == ["pod4"]


async def test_name_field_selector_across_namespaces_and_groups(apiserver: ApiServer) -> None:
    """metadata.name selects by name in one namespace, in all of them, and for grouped
    resources (whose keys carry the group)."""
    await call(apiserver, "POST", "/api/v1/namespaces", {"metadata": {"name": "other"}})
    lease = {"metadata": {"name": "l"}, "spec": {"holderIdentity": "x"}}
    for ns in ("default", "other"):
        await call(apiserver, "POST", f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
                   lease)
    code, both = await call(apiserver, "GET", "/apis/coordination.k8s.io/v1/leases",
                            fieldSelector="metadata.name=l")
    assert code == 200 and len(both["items"]) == 2
    code, one = await call(apiserver, "GET",
                           "/apis/coordination.k8s.io/v1/namespaces/other/leases",
                           fieldSelector="metadata.name=l")
    assert [i["metadata"]["namespace"] for i in one["items"]] == ["other"]
