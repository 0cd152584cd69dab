"""Hostile values, chosen by the schema node they replace (``api/schema.py`` trees).

Each :class:`~minikube_py.api.schema.Schema` type has the values that break it: an int32
field gets 2^31, 2^63, 2^64, 3.0, 1e308, "1", NaN as text; a string map gets null values and
keys with control characters; a list with a merge key gets duplicate keys; and every node can
get a value of the wrong type, a null, or 1,000 levels of nesting. :func:`hostile_for` is the
strategy; the catalogues are module constants so regression tests can name their values.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from minikube_py.api.schema import Schema
from tests.fuzz.bodies import Dup, Raw, nested

INT_EDGES = [0, -1, 1, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**32, 2**53 + 1,
             2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 2**64 + 1, 10**30]
FLOAT_EDGES = [0.5, 1.0, 3.0, -0.0, 2.5e9, 1e20, 1e308, -1e308, 5e-324,
               1.7976931348623157e308]
RAW_NUMBERS = [Raw(t) for t in (b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999",
                                b"1e-999", b"01", b"+1", b".5", b"1.", b"0x10", b"1_000",
                                b"-0", b"0e0", b"1.0e+2", b"123456789012345678901234567890",
                                b"18446744073709551616", b"-9223372036854775809")]
RAW_STRINGS = [Raw(t) for t in (b'"\\ud800"', b'"\\udc00"', b'"a\\ud800b"', b'"\\ud83d"',
                                b'"\\udfff\\ud800"', b'"\xff"', b'"\xc0\xaf"',
                                b'"\xed\xa0\x80"', b'"\\u0000"', b'"\x00"', b'"a\nb"',
                                b'"\\x41"', b'"\\u12"', b'"\xe2\x82"')]
STRINGS = ["", " ", "a" * 300, "\x00", "\x01\x7f", "\t", "\n", "\r\n", "ü", "😀", "\u202e",
           "\ufeff", "\u2028", "null", "true", "1", "1.5", "NaN", "Infinity", "-1", "0x10",
           "yes", "~", "%s%n%x", "${HOME}", "'\"", "\\", "../..", "a/b", "a\x00b",
           "<script>", "日本語", "A" * 253, "a" * 64, "a" * 20000, "UPPER", "-leading",
           "trailing-", "a..b", "*", "?", "#", "a b"]
UNKNOWN_KEYS = ["fuzz", "", " ", "a\x00b", "\x01", "\x7f", "a\nb", "a\rb", "tab\t",
                'quote"', "back\\slash", "ü", "😀", "\u202e", "apiVersion ", "$patch",
                "$retainKeys", "__proto__", "constructor", "metadata.name", "x" * 1000,
                "\ud800", "ä\x00", "a\x1b[31m", "Kind", "METADATA"]
MAP_KEYS = ["", "a" * 64, "a" * 254, "a/b/c", "example.com/" + "a" * 64, "-a", "a-",
            "\x00", "a\nb", "ü", "😀", "k8s.io/", "/a", "a b", "z"]
WRONG = [None, True, False, 0, -1, 1.5, "", "x", [], {}, [None], {"": None}, [[]], [{}]]
DEEP = [nested(100), nested(1000), nested(5000), nested(1000, kind="object"),
        nested(20000)]

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                     st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=8), inner, max_size=4), max_leaves=12)


def any_value() -> st.SearchStrategy[Any]:
    """Arbitrary JSON, with the text-level atoms mixed in."""
    return st.one_of(_json, st.sampled_from(RAW_NUMBERS + RAW_STRINGS + DEEP))


def hostile_string() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(STRINGS), st.sampled_from(RAW_STRINGS), st.text(max_size=40))


def _integers() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(INT_EDGES), st.sampled_from(FLOAT_EDGES),
                     st.sampled_from(RAW_NUMBERS),
                     st.sampled_from(["1", "0", "-1", "2147483648", "1e3", "NaN", "ten"]))


def _quantities() -> st.SearchStrategy[Any]:
    return st.sampled_from(["1Gi", "-1", "0", "1e400", "1.5.5", "0.000000001", "1n", "1u",
                            "9223372036854775808", "100000000000000000000Ei", " 1Mi", "1Mi ",
                            "+1", "1e-400", ".", "Gi", "1GiB", "1ki", "\u0661", 1e308, -1, 2**64,
                            3.5, True, "NaN", "Infinity", "0x10", "1E3", "12e+5"])


def _int_or_string() -> st.SearchStrategy[Any]:
    return st.sampled_from([2**31, -1, 0, 65536, "100%", "-1%", "101%", "abc", "", "1.5%",
                            1.5, 3.0, 2**63, "%", "  80", "http", "a" * 16, True, None])


def _maps(schema: Schema) -> st.SearchStrategy[Any]:
    values = hostile_for(schema.items) if schema.items is not None else any_value()
    keys = st.one_of(st.sampled_from(MAP_KEYS), st.sampled_from(UNKNOWN_KEYS),
                     st.text(max_size=12))
    return st.one_of(
        st.dictionaries(keys, st.one_of(values, st.sampled_from(WRONG)), min_size=1,
                        max_size=3),
        st.builds(lambda k, v: Dup(((k, "a"), (k, v))), keys, values),
        st.just({f"k{i}": "v" for i in range(2000)}))


def _arrays(schema: Schema) -> st.SearchStrategy[Any]:
    item = hostile_for(schema.items) if schema.items is not None else any_value()
    # A long list is rare (1 in 8 list mutations) but it is how quadratic merges show.
    options = [st.lists(item, max_size=3)] * 5 + [
        st.lists(st.sampled_from(WRONG), min_size=1, max_size=2), st.just(list(range(3000)))]
    if schema.patch_merge_key:
        key = schema.patch_merge_key
        options.append(st.builds(lambda v: [{key: v}, {key: v}], hostile_string()))
        options.append(st.just([{"$patch": "delete"}, {key: None}]))
    return st.one_of(options)


def _objects(schema: Schema) -> st.SearchStrategy[Any]:
    fields = sorted(schema.fields)
    if not fields:
        return st.sampled_from([{}, [], ""])
    return st.one_of(
        st.dictionaries(st.sampled_from(fields), st.sampled_from(WRONG), min_size=1,
                        max_size=2),
        st.builds(lambda k: Dup(((k, None), (k, None))), st.sampled_from(fields)),
        st.sampled_from([[], "", 0, [{}]]))


def hostile_for(schema: Schema | None) -> st.SearchStrategy[Any]:
    """Values that a field of ``schema`` must refuse or survive."""
    generic = st.one_of(st.sampled_from(WRONG), st.sampled_from(DEEP[:2]))
    if schema is None or schema.type == "any":
        return st.one_of(any_value(), generic)
    kind = schema.type
    if kind == "integer":
        own = _integers()
    elif kind == "number":
        own = st.one_of(st.sampled_from(FLOAT_EDGES), st.sampled_from(RAW_NUMBERS),
                        st.sampled_from(INT_EDGES))
    elif kind == "string":
        enum = list(schema.enum or ())
        own = hostile_string() if not enum else st.one_of(
            hostile_string(), st.sampled_from(enum).map(str.lower),
            st.sampled_from(enum).map(lambda e: e + " "), st.sampled_from(enum).map(
                lambda e: e.upper()))
    elif kind == "boolean":
        own = st.sampled_from(["true", "True", 1, 0, "yes", "on", Raw(b"True")])
    elif kind == "quantity":
        own = _quantities()
    elif kind == "int-or-string":
        own = _int_or_string()
    elif kind == "map":
        own = _maps(schema)
    elif kind == "array":
        own = _arrays(schema)
    else:
        own = _objects(schema)
    return st.one_of(own, own, own, generic)
