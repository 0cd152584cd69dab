"""Label and field selectors: grammar, canonical strings, matching and per-kind fields, with the
expected values taken from Kubernetes' own behaviour (k8s.io/apimachinery labels and fields)."""

from __future__ import annotations

from typing import Any

import pytest

from minikube_py.api import errors
from minikube_py.api.machinery.fieldselectors import DEFAULT_FIELDS, FieldSelector, SelectableFields
from minikube_py.api.machinery.fieldselectors import check_field_selector as check_rules
from minikube_py.api.machinery.fieldselectors import object_fields as fields_of
from minikube_py.api.machinery.selectors import LabelSelector
from minikube_py.api.registry import REGISTRY


def rules(group: str, kind: str) -> SelectableFields:
    """A kind's selectable fields: its strategy's."""
    found = [rt for rt in REGISTRY if rt.group == group and rt.kind == kind]
    return found[0].strategy.fields if found else DEFAULT_FIELDS


def object_fields(group: str, kind: str, obj: dict[str, Any]) -> dict[str, str]:
    return fields_of(rules(group, kind), obj)


def check_field_selector(group: str, kind: str, selector: FieldSelector) -> None:
    check_rules(rules(group, kind), selector)


# --- LabelSelector.parse -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        pytest.param("", "", id="empty-selects-everything"),
        pytest.param("  \t", "", id="blank-selects-everything"),
        pytest.param("a=b", "a=b", id="equals"),
        pytest.param("a==b", "a==b", id="double-equals-kept"),
        pytest.param("a!=b", "a!=b", id="not-equals"),
        pytest.param("a=", "a=", id="equals-empty-value"),
        pytest.param("a", "a", id="exists"),
        pytest.param("!a", "!a", id="does-not-exist"),
        pytest.param("b=1,a=2", "a=2,b=1", id="sorted-by-key"),
        pytest.param("a in (z,y,y)", "a in (y,z)", id="set-values-sorted-and-deduplicated"),
        pytest.param("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()",
                     id="empty-set-members-are-empty-strings"),
        pytest.param("in in (in)", "in in (in)", id="keyword-as-key-and-value"),
        pytest.param(" a = b , c ", "a=b,c", id="whitespace-ignored"),
        pytest.param("example.com/app=web", "example.com/app=web", id="prefixed-key"),
        pytest.param("a>1,b<20", "a>1,b<20", id="greater-and-less-than"),
        pytest.param("a=b,c!=d,e in (x,y),f notin (z),g,!h,i==j",
                     "a=b,c!=d,e in (x,y),f notin (z),g,!h,i==j", id="every-operator"),
    ],
)
def test_parse_gives_canonical_string(text: str, canonical: str) -> None:
    """A valid selector parses, and prints back in Kubernetes' canonical form."""
    assert str(LabelSelector.parse(text)) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, "
                     "!=, gt, lt", id="missing-operator"),
        pytest.param("a=b c", "found 'c', expected: ',' or 'end of string'", id="missing-comma"),
        pytest.param("a=b,", "found '', expected: identifier after ','", id="trailing-comma"),
        pytest.param(",a", "found ',', expected: !, identifier, or 'end of string'",
                     id="leading-comma"),
        pytest.param("a in b", "unable to parse requirement: found 'b' expected: '('",
                     id="in-without-parenthesis"),
        pytest.param("a in (b", "unable to parse requirement: found '', expected: ',' or ')'",
                     id="unclosed-parenthesis"),
        pytest.param("!a=b", "found '=', expected: ',' or 'end of string'",
                     id="does-not-exist-with-value"),
        pytest.param("x=-bad", 'unable to parse requirement: values[0][x]: Invalid value: "-bad": '
                     "a valid label must be an empty string or consist of alphanumeric "
                     "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                     "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
                     "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                     id="value-starts-with-dash"),
        pytest.param("x=" + "v" * 64, 'unable to parse requirement: values[0][x]: Invalid value: "'
                     + "v" * 64 + '": must be no more than 63 characters',
                     id="value-longer-than-63"),
        pytest.param("a/b/c=d", 'unable to parse requirement: <nil>: Invalid value: "a/b/c": a '
                     "qualified name must consist of alphanumeric characters, '-', '_' or '.', "
                     "and must start and end with an alphanumeric character (e.g. 'MyName',  or "
                     "'my.name',  or '123-abc', regex used for validation is "
                     "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
                     "prefix and '/' (e.g. 'example.com/MyName')", id="key-with-two-slashes"),
        pytest.param("Bad_Prefix/x=y", 'unable to parse requirement: <nil>: Invalid value: '
                     '"Bad_Prefix/x": prefix part a lowercase RFC 1123 subdomain must consist of '
                     "lower case alphanumeric characters, '-' or '.', and must start and end "
                     "with an alphanumeric character (e.g. 'example.com', regex used for "
                     r"validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*"
                     r"[a-z0-9])?)*')", id="key-prefix-not-dns-subdomain"),
        pytest.param("a>b", 'unable to parse requirement: values[0]: Invalid value: "b": for '
                     "'Gt', 'Lt' operators, the value must be an integer", id="gt-not-integer"),
    ],
)
def test_parse_rejects_bad_selector(text: str, message: str) -> None:
    """A bad selector is a 400 whose message is the one Kubernetes gives."""
    with pytest.raises(errors.BadRequest) as caught:
        LabelSelector.parse(text)
    assert caught.value.message == message
    assert caught.value.to_status()["code"] == 400


def test_parse_reports_name_part_errors_together() -> None:
    """An invalid key name part lists every reason, joined by "; " as Kubernetes does."""
    with pytest.raises(errors.BadRequest) as caught:
        LabelSelector.parse("example.com/=x")
    assert "name part must be non-empty; name part must consist of" in caught.value.message


# --- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        pytest.param("a=b", {"a": "b"}, True, id="equals-match"),
        pytest.param("a=b", {"a": "c"}, False, id="equals-other-value"),
        pytest.param("a=b", {}, False, id="equals-missing-key"),
        pytest.param("a!=b", {"a": "b"}, False, id="not-equals-same-value"),
        pytest.param("a!=b", {}, True, id="not-equals-missing-key-matches"),
        pytest.param("a in (x,y)", {"a": "y"}, True, id="in-match"),
        pytest.param("a in (x,y)", {"a": "z"}, False, id="in-other-value"),
        pytest.param("a in (x,y)", {}, False, id="in-missing-key"),
        pytest.param("a notin (x)", {"a": "x"}, False, id="notin-listed-value"),
        pytest.param("a notin (x)", {"a": "z"}, True, id="notin-other-value"),
        pytest.param("a notin (x)", {}, True, id="notin-missing-key-matches"),
        pytest.param("a", {"a": ""}, True, id="exists-empty-value"),
        pytest.param("a", {"b": "a"}, False, id="exists-missing"),
        pytest.param("!a", {}, True, id="does-not-exist-missing"),
        pytest.param("!a", {"a": "1"}, False, id="does-not-exist-present"),
        pytest.param("a=", {"a": ""}, True, id="equals-empty-value"),
        pytest.param("a>5", {"a": "6"}, True, id="gt-greater"),
        pytest.param("a>5", {"a": "5"}, False, id="gt-equal"),
        pytest.param("a>5", {"a": "six"}, False, id="gt-not-a-number"),
        pytest.param("a<5", {"a": "4"}, True, id="lt-less"),
        pytest.param("a=b,c", {"a": "b"}, False, id="all-requirements-needed"),
        pytest.param("a=b,c", {"a": "b", "c": "d"}, True, id="all-requirements-met"),
        pytest.param("", None, True, id="everything-matches-no-labels"),
    ],
)
def test_matches(text: str, labels: dict[str, str] | None, expected: bool) -> None:
    """Each operator matches labels exactly as Kubernetes' Requirement.Matches does."""
    assert LabelSelector.parse(text).matches(labels) is expected


def test_requires_exact_match() -> None:
    """A single-valued equality or ``in`` names the one value a key must have."""
    selector = LabelSelector.parse("a=1,b in (2),c in (3,4),d!=5")
    assert [selector.requires_exact_match(k) for k in "abcde"] == ["1", "2", None, None, None]


def test_from_set_is_equality_on_every_pair() -> None:
    """A map selector (ReplicationController) is an AND of equalities; empty selects all."""
    selector = LabelSelector.from_set({"tier": "db", "app": "web"})
    assert str(selector) == "app=web,tier=db"
    assert selector.matches({"app": "web", "tier": "db", "x": "y"})
    assert not selector.matches({"app": "web"})
    assert LabelSelector.from_set(None).empty()


def test_selector_is_immutable_value() -> None:
    """Selectors are frozen values: equal when they select the same way, and unchangeable."""
    selector = LabelSelector.parse("b=1,a=2")
    assert selector == LabelSelector.parse("a=2,b=1")
    with pytest.raises(AttributeError):
        selector.requirements = ()  # type: ignore[misc]


# --- LabelSelector.from_dict -------------------------------------------------------------------


def test_from_dict_none_selects_nothing() -> None:
    """A nil metav1.LabelSelector selects nothing, and is not "empty"."""
    selector = LabelSelector.from_dict(None)
    assert not selector.matches({})
    assert not selector.matches({"a": "b"})
    assert not selector.empty()
    assert str(selector) == ""


@pytest.mark.parametrize(
    "selector",
    [
        pytest.param({}, id="empty-dict"),
        pytest.param({"matchLabels": {}, "matchExpressions": []}, id="empty-lists"),
        pytest.param({"matchLabels": None}, id="null-match-labels"),
    ],
)
def test_from_dict_empty_selects_everything(selector: dict[str, Any]) -> None:
    """An empty metav1.LabelSelector selects every object."""
    parsed = LabelSelector.from_dict(selector)
    assert parsed.empty()
    assert parsed.matches({"anything": "at-all"})
    assert parsed.matches(None)


@pytest.mark.parametrize(
    ("selector", "canonical", "labels", "expected"),
    [
        pytest.param(
            {"matchLabels": {"app": "web"},
             "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]},
            "app=web,tier in (a,b)", {"app": "web", "tier": "a"}, True,
            id="labels-and-in"),
        pytest.param(
            {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]},
            "env notin (prod)", {}, True, id="notin-matches-missing-key"),
        pytest.param(
            {"matchExpressions": [{"key": "gpu", "operator": "Exists"}]},
            "gpu", {"gpu": "true"}, True, id="exists"),
        pytest.param(
            {"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]},
            "!gpu", {"gpu": "true"}, False, id="does-not-exist"),
        pytest.param(
            {"matchLabels": {"z": "1", "a": "2"}}, "a=2,z=1", {"a": "2", "z": "1"}, True,
            id="match-labels-sorted"),
    ],
)
def test_from_dict(selector: dict[str, Any], canonical: str, labels: dict[str, str],
                   expected: bool) -> None:
    """matchLabels and matchExpressions become requirements, printed sorted by key."""
    parsed = LabelSelector.from_dict(selector)
    assert str(parsed) == canonical
    assert parsed.matches(labels) is expected


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        pytest.param({"matchExpressions": [{"key": "a", "operator": "in", "values": ["x"]}]},
                     '"in" is not a valid label selector operator', id="lowercase-operator"),
        pytest.param({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
                     "values: Invalid value: []string{}: for 'in', 'notin' operators, values "
                     "set can't be empty", id="in-without-values"),
        pytest.param({"matchExpressions": [{"key": "a", "operator": "Exists",
                                            "values": ["x"]}]},
                     'values: Invalid value: []string{"x"}: values set must be empty for exists '
                     "and does not exist", id="exists-with-values"),
        pytest.param({"matchLabels": {"app": "bad value"}},
                     'values[0][app]: Invalid value: "bad value": a valid label must be',
                     id="bad-label-value"),
        pytest.param({"matchLabels": {"-app": "x"}},
                     'key: Invalid value: "-app": name part must consist of', id="bad-label-key"),
    ],
)
def test_from_dict_rejects(selector: dict[str, Any], message: str) -> None:
    """Bad operators, arities, keys and values are 400s with Kubernetes' messages."""
    with pytest.raises(errors.BadRequest) as caught:
        LabelSelector.from_dict(selector)
    assert caught.value.message.startswith(message)


# --- FieldSelector -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "requirements", "canonical"),
    [
        pytest.param("", [], "", id="empty"),
        pytest.param("metadata.name=x", [("metadata.name", "=", "x")], "metadata.name=x",
                     id="equals"),
        pytest.param("status.phase==Running", [("status.phase", "=", "Running")],
                     "status.phase=Running", id="double-equals-is-equals"),
        pytest.param("spec.nodeName!=", [("spec.nodeName", "!=", "")], "spec.nodeName!=",
                     id="not-equals-empty"),
        pytest.param("spec.nodeName=", [("spec.nodeName", "=", "")], "spec.nodeName=",
                     id="equals-empty"),
        pytest.param("b=1,a=2", [("a", "=", "2"), ("b", "=", "1")], "a=2,b=1", id="sorted"),
        pytest.param("a=1,,b=2", [("a", "=", "1"), ("b", "=", "2")], "a=1,b=2",
                     id="empty-terms-skipped"),
        pytest.param(r"metadata.name=a\,b\=c\\d", [("metadata.name", "=", "a,b=c\\d")],
                     r"metadata.name=a\,b\=c\\d", id="escapes"),
    ],
)
def test_field_selector_parse(text: str, requirements: list[tuple[str, str, str]],
                              canonical: str) -> None:
    """Terms split on unescaped commas, sorted, with ``\\`` escapes undone in values."""
    selector = FieldSelector.parse(text)
    assert selector.requirements() == requirements
    assert str(selector) == canonical
    assert selector.empty() is (not requirements)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("metadata.name", "invalid selector: 'metadata.name'; can't understand "
                     "'metadata.name'", id="no-operator"),
        pytest.param(r"a=b\x", r"invalid field selector: invalid escape sequence: \x",
                     id="unknown-escape"),
        pytest.param("a=b\\", "invalid field selector: invalid escape sequence: \\",
                     id="trailing-backslash"),
        pytest.param("a=b=c", "invalid field selector: unescaped character in value: 61",
                     id="unescaped-equals"),
    ],
)
def test_field_selector_rejects(text: str, message: str) -> None:
    """Malformed field selectors are 400s with the messages fields.ParseSelector gives."""
    with pytest.raises(errors.BadRequest) as caught:
        FieldSelector.parse(text)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        pytest.param("spec.nodeName=", {"spec.nodeName": ""}, True, id="unscheduled"),
        pytest.param("spec.nodeName=", {}, True, id="missing-field-is-empty"),
        pytest.param("spec.nodeName!=", {"spec.nodeName": "n1"}, True, id="scheduled"),
        pytest.param("spec.nodeName!=", {"spec.nodeName": ""}, False, id="not-scheduled"),
        pytest.param("a=x,b!=y", {"a": "x", "b": "z"}, True, id="all-terms-met"),
        pytest.param("a=x,b!=y", {"a": "x", "b": "y"}, False, id="one-term-fails"),
        pytest.param("", {}, True, id="empty-matches"),
    ],
)
def test_field_selector_matches(text: str, fields: dict[str, str], expected: bool) -> None:
    """Terms compare with the field's value, a missing field reading as ""."""
    assert FieldSelector.parse(text).matches(fields) is expected


def test_field_selector_requires_exact_match() -> None:
    """Only an equality term pins a field to one value."""
    selector = FieldSelector.parse("spec.nodeName=n1,status.phase!=Failed")
    assert selector.requires_exact_match("spec.nodeName") == "n1"
    assert selector.requires_exact_match("status.phase") is None


# --- object_fields -----------------------------------------------------------------------------

_POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
    "spec": {"nodeName": "node-a", "restartPolicy": "Always", "schedulerName": "default-scheduler",
             "serviceAccountName": "default", "hostNetwork": True},
    "status": {"phase": "Running", "podIP": "10.0.0.9",
               "podIPs": [{"ip": "10.0.0.7"}, {"ip": "fd00::7"}],
               "nominatedNodeName": "node-b"},
}


def test_object_fields_of_pod() -> None:
    """A pod exposes the fields of PodToSelectableFields; podIP is the first of podIPs."""
    assert object_fields("", "Pod", _POD) == {
        "metadata.name": "web-1", "metadata.namespace": "shop",
        "spec.nodeName": "node-a", "spec.host": "node-a", "spec.restartPolicy": "Always",
        "spec.schedulerName": "default-scheduler", "spec.serviceAccountName": "default",
        "spec.hostNetwork": "true", "status.phase": "Running", "status.podIP": "10.0.0.7",
        "status.nominatedNodeName": "node-b",
    }


def test_unscheduled_pod_is_selected_by_empty_node_name() -> None:
    """A pending pod reads spec.nodeName "" and hostNetwork "false": ``spec.nodeName=`` finds it."""
    pod = {"metadata": {"name": "p", "namespace": "d"}, "spec": {}, "status": {"podIP": "10.1.1.1"}}
    fields = object_fields("", "Pod", pod)
    assert fields["spec.nodeName"] == ""
    assert fields["spec.hostNetwork"] == "false"
    assert fields["status.podIP"] == "10.1.1.1"
    assert FieldSelector.parse("spec.nodeName=").matches(fields)
    assert not FieldSelector.parse("spec.nodeName=").matches(object_fields("", "Pod", _POD))


def _event(**extra: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web-1.17a", "namespace": "shop"},
        "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "web-1", "uid": "u-1",
                           "apiVersion": "v1", "resourceVersion": "42"},
        "reason": "Scheduled", "type": "Normal", **extra,
    }


@pytest.mark.parametrize(
    ("event", "source", "reporting"),
    [
        pytest.param(_event(source={"component": "default-scheduler"}), "default-scheduler", "",
                     id="source-component"),
        pytest.param(_event(reportingComponent="kubelet"), "kubelet", "kubelet",
                     id="source-falls-back-to-reporting-component"),
    ],
)
def test_object_fields_of_event(event: dict[str, Any], source: str, reporting: str) -> None:
    """A core event exposes involvedObject.*, reason, type, source and reportingComponent."""
    assert object_fields("", "Event", event) == {
        "metadata.name": "web-1.17a", "metadata.namespace": "shop",
        "involvedObject.kind": "Pod", "involvedObject.namespace": "shop",
        "involvedObject.name": "web-1", "involvedObject.uid": "u-1",
        "involvedObject.apiVersion": "v1", "involvedObject.resourceVersion": "42",
        "involvedObject.fieldPath": "", "reason": "Scheduled", "type": "Normal",
        "reportingComponent": reporting, "source": source,
    }


def test_kubectl_describe_event_query_selects_the_pods_events() -> None:
    """The selector ``kubectl describe pod`` sends finds exactly that pod's events."""
    selector = FieldSelector.parse("involvedObject.name=web-1,involvedObject.namespace=shop,"
                                   "involvedObject.uid=u-1")
    check_field_selector("", "Event", selector)
    assert selector.matches(object_fields("", "Event", _event()))
    other = _event(involvedObject={"kind": "Pod", "namespace": "shop", "name": "web-2"})
    assert not selector.matches(object_fields("", "Event", other))


@pytest.mark.parametrize(
    ("group", "kind", "obj", "expected"),
    [
        pytest.param("", "Node", {"metadata": {"name": "n1"}},
                     {"metadata.name": "n1", "spec.unschedulable": "false"}, id="node"),
        pytest.param("", "Node", {"metadata": {"name": "n1"}, "spec": {"unschedulable": True}},
                     {"metadata.name": "n1", "spec.unschedulable": "true"}, id="cordoned-node"),
        pytest.param("", "Namespace", {"metadata": {"name": "d"}, "status": {"phase": "Active"}},
                     {"metadata.name": "d", "status.phase": "Active"}, id="namespace"),
        pytest.param("", "Secret", {"metadata": {"name": "s", "namespace": "d"},
                                    "type": "kubernetes.io/tls"},
                     {"metadata.name": "s", "metadata.namespace": "d",
                      "type": "kubernetes.io/tls"}, id="secret"),
        pytest.param("apps", "ReplicaSet", {"metadata": {"name": "r", "namespace": "d"}},
                     {"metadata.name": "r", "metadata.namespace": "d", "status.replicas": "0"},
                     id="replicaset-without-status"),
        pytest.param("", "ReplicationController", {"metadata": {"name": "r", "namespace": "d"},
                                                   "status": {"replicas": 3}},
                     {"metadata.name": "r", "metadata.namespace": "d", "status.replicas": "3"},
                     id="replicationcontroller"),
        pytest.param("batch", "Job", {"metadata": {"name": "j", "namespace": "d"},
                                      "status": {"succeeded": 2}},
                     {"metadata.name": "j", "metadata.namespace": "d",
                      "status.successful": "2"}, id="job-successful-reads-succeeded"),
        pytest.param("", "ConfigMap", {"metadata": {"name": "c", "namespace": "d"}},
                     {"metadata.name": "c", "metadata.namespace": "d"}, id="other-kind"),
    ],
)
def test_object_fields_of_other_kinds(group: str, kind: str, obj: dict[str, Any],
                                      expected: dict[str, str]) -> None:
    """Each kind exposes its own fields; cluster-scoped kinds have no metadata.namespace."""
    assert object_fields(group, kind, obj) == expected


# --- check_field_selector ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "kind", "text"),
    [
        pytest.param("", "Pod", "spec.nodeName=n1,status.phase!=Failed,metadata.namespace=d",
                     id="pod-fields"),
        pytest.param("", "Pod", "spec.host=n1", id="pod-legacy-spec-host"),
        pytest.param("", "Pod", "status.podIPs=10.0.0.1", id="pod-ips-accepted"),
        pytest.param("", "Node", "spec.unschedulable=false", id="node"),
        pytest.param("", "Secret", "type=Opaque", id="secret-type"),
        pytest.param("", "ConfigMap", "metadata.name=c,metadata.namespace=d", id="metadata"),
        pytest.param("", "PersistentVolume", "metadata.namespace=", id="default-accepts-ns"),
        pytest.param("batch", "Job", "status.successful=1", id="job"),
    ],
)
def test_check_field_selector_accepts(group: str, kind: str, text: str) -> None:
    """Fields the kind's conversion function knows pass the check."""
    check_field_selector(group, kind, FieldSelector.parse(text))


@pytest.mark.parametrize(
    ("group", "kind", "text", "message"),
    [
        pytest.param("", "Pod", "spec.foo=x", "field label not supported: spec.foo",
                     id="pod-unknown-field"),
        pytest.param("", "Node", "metadata.namespace=d",
                     "field label not supported: metadata.namespace",
                     id="node-rejects-namespace"),
        pytest.param("", "ConfigMap", "data.key=v",
                     '"data.key" is not a known field selector: only "metadata.name", '
                     '"metadata.namespace"', id="default-conversion"),
        pytest.param("apps", "ReplicaSet", "status.replicas=1",
                     '"status.replicas" is not a known field selector: only "metadata.name", '
                     '"metadata.namespace"', id="apps-v1-has-no-conversion"),
        pytest.param("batch", "Job", "status.failed=1",
                     'field label "status.failed" not supported for batchv1.Job', id="job"),
    ],
)
def test_check_field_selector_rejects(group: str, kind: str, text: str, message: str) -> None:
    """An unsupported field is a 400 with the message that kind's conversion gives."""
    with pytest.raises(errors.BadRequest) as caught:
        check_field_selector(group, kind, FieldSelector.parse(text))
    assert caught.value.message == message
