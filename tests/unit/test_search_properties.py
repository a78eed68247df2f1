"""Properties: AST -> text -> AST is exact, and no input makes the parser raise anything
but FilterSyntaxError (nor hang, nor recurse too deep)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.search_cases import fixture_runs
from tuitrack.errors import FilterSyntaxError
from tuitrack.search import (
    MAX_COMPARISONS,
    And,
    Comparison,
    Node,
    Not,
    Or,
    OrderKey,
    matches,
    order_by_to_text,
    parse_experiment_filter,
    parse_filter,
    parse_order_by,
    to_text,
)
from tuitrack.search.schema import RUN_SCHEMA, STATUS_VALUES

RUNS = fixture_runs()
INT64 = 2**63

# Any text but NUL, which filters refuse.
texts = st.text(st.characters(exclude_characters="\0"), max_size=12)
keys = texts.filter(bool)
numbers = st.one_of(
    st.integers(-INT64, INT64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
# LIKE patterns whose backslashes only escape %, _ or a backslash.
patterns = st.lists(
    st.one_of(
        st.characters(exclude_characters="\0\\"),
        st.sampled_from(["%", "_", "\\%", "\\_", "\\\\"]),
    ),
    max_size=8,
).map("".join)
STRING_OPS = ["=", "!="]
NUMBER_OPS = ["=", "!=", "<", "<=", ">", ">="]


@st.composite
def comparisons(draw: st.DrawFn) -> Comparison:
    kind = draw(st.sampled_from(["metric", "param", "tag", "attribute"]))
    value_type: str
    if kind == "attribute":
        key = draw(st.sampled_from(sorted(RUN_SCHEMA.attributes)))
        value_type = RUN_SCHEMA.attributes[key]
    else:
        key = draw(keys)
        value_type = {"metric": "number", "tag": "string"}.get(kind) or draw(
            st.sampled_from(["string", "number"])
        )
    shape = draw(st.sampled_from(["single", "list", "null", "like"]))
    if shape == "null":
        op = draw(st.sampled_from(["IS NULL", "IS NOT NULL"]))
        return Comparison(kind, key, op, None)  # type: ignore[arg-type]
    if value_type == "number":
        if shape == "list":
            op = draw(st.sampled_from(["IN", "NOT IN"]))
            return Comparison(kind, key, op, tuple(draw(st.lists(numbers, min_size=1, max_size=4))))  # type: ignore[arg-type]
        return Comparison(kind, key, draw(st.sampled_from(NUMBER_OPS)), draw(numbers))  # type: ignore[arg-type]
    if shape == "like":
        return Comparison(kind, key, draw(st.sampled_from(["LIKE", "ILIKE"])), draw(patterns))  # type: ignore[arg-type]
    values = st.sampled_from(STATUS_VALUES) if value_type == "status" else texts
    if shape == "list":
        op = draw(st.sampled_from(["IN", "NOT IN"]))
        return Comparison(kind, key, op, tuple(draw(st.lists(values, min_size=1, max_size=4))))  # type: ignore[arg-type]
    return Comparison(kind, key, draw(st.sampled_from(STRING_OPS)), draw(values))  # type: ignore[arg-type]


def _combine(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    items = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(items.map(And), items.map(Or), children.map(Not))


nodes: st.SearchStrategy[Node] = st.recursive(comparisons(), _combine, max_leaves=10)


@settings(max_examples=150, deadline=None)
@given(nodes)
def test_round_trip_ast_text_ast(node: Node) -> None:
    text = to_text(node)
    assert parse_filter(text) == node
    assert to_text(parse_filter(text)) == text  # type: ignore[arg-type]


@given(
    st.lists(
        st.builds(
            OrderKey,
            st.sampled_from(["metric", "param", "tag"]),
            keys,
            st.booleans(),
        ),
        max_size=4,
    )
)
def test_round_trip_order_by(order_keys: list[OrderKey]) -> None:
    assert parse_order_by(order_by_to_text(order_keys)) == order_keys


def _parse_or_syntax_error(text: str) -> Node | None:
    """Parse `text`; a FilterSyntaxError is fine, anything else fails the test."""
    error: FilterSyntaxError | None = None
    try:
        node = parse_filter(text)
    except FilterSyntaxError as raised:
        node, error = None, raised
    if error is not None:
        assert error.filter_string == text
        assert error.position is not None
        assert 0 <= error.position <= len(text)
        assert error.reason in str(error)
        return None
    if node is not None:
        assert parse_filter(to_text(node)) == node
        for run in RUNS:
            matches(node, run)
    return node


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_random_text_only_raises_filter_syntax_error(text: str) -> None:
    _parse_or_syntax_error(text)
    with contextlib.suppress(FilterSyntaxError):
        parse_experiment_filter(text)
    with contextlib.suppress(FilterSyntaxError):
        parse_order_by([text])


FRAGMENTS = [
    "metrics.acc",
    "params.lr",
    "tags.env",
    "attributes.status",
    "status",
    "start_time",
    "run.",
    "metrics.`val loss`",
    'params."a.b"',
    "tags.'x'",
    "metrics.",
    "`",
    '"',
    "'",
    "''",
    "\\",
    "\\'",
    "(",
    ")",
    "((",
    "))",
    ",",
    "=",
    "!=",
    "<>",
    "==",
    "<",
    "<=",
    ">",
    ">=",
    "AND",
    "and",
    "OR",
    "NOT",
    "not",
    "IN",
    "NOT IN",
    "LIKE",
    "ILIKE",
    "IS",
    "NULL",
    "IS NOT NULL",
    "0",
    "-1",
    "1e5",
    "1e999",
    ".5",
    "9" * 30,
    "'x'",
    '"y"',
    "'a''b'",
    "'%\\_'",
    "'FINISHED'",
    "'done'",
    "--",
    "/*",
    "*/",
    ";",
    "DROP TABLE runs",
    "\0",
    "\n",
    "\t",
    "日本",
    "ñ",
    "\u200b",
    "\x1b[31m",
    "'; DROP TABLE runs; --",
    "1=1",
    "OR 1=1",
]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(["", " ", "  "])),
        max_size=14,
    ).map(lambda parts: "".join(fragment + space for fragment, space in parts))
)
def test_token_soup_only_raises_filter_syntax_error(text: str) -> None:
    _parse_or_syntax_error(text)


ADVERSARIAL = [
    "'; DROP TABLE runs; --",
    "tags.env = ''; DROP TABLE runs; --'",
    "tags.env = 'x' OR 1=1 --",
    "tags.env = 'x' OR '1'='1'",
    "tags.env = '' OR ''=''",
    "tags.env = 'x'; DELETE FROM runs",
    "tags.env = 'x' /* comment */",
    "tags.env = 'x' UNION SELECT * FROM runs",
    "tags.`env` = 1; --",
    'tags.env = "x" --',
    "tags.env = 'unterminated",
    'tags.env = "unterminated',
    "tags.`unterminated = 'x'",
    "tags.env = 'x\\'",
    "'",
    '"',
    "`",
    "\\",
    "\0",
    "tags.env = '\0'",
    "tags.env\0 = 'x'",
    "metrics.acc > 1\0",
    "(" * 10_000,
    ")" * 10_000,
    "(" * 10_000 + "tags.env = 'x'" + ")" * 10_000,
    "NOT " * 10_000 + "tags.env = 'x'",
    "NOT (" * 5_000 + "tags.env = 'x'" + ")" * 5_000,
    "'" * 10_001,
    "\\" * 10_001,
    "start_time > " + "9" * 10_000,
    "metrics.acc > 0." + "0" * 10_000 + "1",
    "metrics.acc > 1e" + "9" * 10_000,
    "tags.env = '" + "x" * 100_000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda text: repr(text[:30]))
def test_adversarial_text_only_raises_filter_syntax_error(text: str) -> None:
    _parse_or_syntax_error(text)


@pytest.mark.parametrize(
    "text",
    [
        "tags.env = 'x'; DROP TABLE runs; --",
        "tags.env = 'x' OR 1=1",
        "(" * 10_000 + "tags.env = 'x'" + ")" * 10_000,
        "tags.env = 'x\0'",
    ],
    ids=["statement", "tautology", "deep", "nul"],
)
def test_adversarial_text_is_refused(text: str) -> None:
    with pytest.raises(FilterSyntaxError):
        parse_filter(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tags.sql = '''; DROP TABLE runs; --'", {"epsilon"}),
        ("tags.env = ''' OR ''1''=''1'", set()),
        ("tags.env = '--' OR tags.env = '/*'", set()),
        ("tags.`env; DROP TABLE runs` = 'x'", set()),
    ],
)
def test_injection_looking_literals_are_plain_values(text: str, expected: set[str]) -> None:
    node = parse_filter(text)
    assert {run.info.run_name for run in RUNS if matches(node, run)} == expected


def test_long_flat_filters_parse() -> None:
    chain = " AND ".join(f"tags.k{i} = 'v'" for i in range(MAX_COMPARISONS))
    node = parse_filter(chain)
    assert isinstance(node, And)
    assert len(node.items) == MAX_COMPARISONS
    assert parse_filter(to_text(node)) == node
    in_list = "tags.k IN (" + ", ".join(f"'{i}'" for i in range(10_000)) + ")"
    comparison = parse_filter(in_list)
    assert isinstance(comparison, Comparison)
    assert isinstance(comparison.value, tuple)
    assert len(comparison.value) == 10_000


def test_nesting_up_to_the_limit_parses() -> None:
    text = "(" * 63 + "NOT tags.env = 'x'" + ")" * 63
    node = parse_filter(text)
    assert node == Not(Comparison("tag", "env", "=", "x"))
