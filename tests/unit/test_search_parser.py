"""Filter and order_by text -> AST, the errors bad text raises, and AST -> canonical text."""

from __future__ import annotations

import pytest

from tuitrack.errors import FilterSyntaxError, InvalidValueError
from tuitrack.search import (
    And,
    Comparison,
    Node,
    Not,
    Or,
    OrderKey,
    order_by_to_text,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
    to_text,
)


def metric(key: str, op: str, value: object) -> Comparison:
    return Comparison("metric", key, op, value)  # type: ignore[arg-type]


def param(key: str, op: str, value: object) -> Comparison:
    return Comparison("param", key, op, value)  # type: ignore[arg-type]


def tag(key: str, op: str, value: object) -> Comparison:
    return Comparison("tag", key, op, value)  # type: ignore[arg-type]


def attr(key: str, op: str, value: object) -> Comparison:
    return Comparison("attribute", key, op, value)  # type: ignore[arg-type]


VALID: list[tuple[str, Node]] = [
    # MLflow's syntax
    (
        "metrics.acc > 0.9 and params.optimizer = 'adam' and tags.env != 'prod'",
        And(
            (
                metric("acc", ">", 0.9),
                param("optimizer", "=", "adam"),
                tag("env", "!=", "prod"),
            )
        ),
    ),
    ("metric.acc >= 1", metric("acc", ">=", 1)),
    ("param.lr = '0.1'", param("lr", "=", "0.1")),
    ("parameters.lr = '0.1'", param("lr", "=", "0.1")),
    ('tag.env = "prod"', tag("env", "=", "prod")),
    ("attributes.status = 'FAILED'", attr("status", "=", "FAILED")),
    ("attribute.status = 'failed'", attr("status", "=", "FAILED")),
    ("attr.run_name = 'x'", attr("run_name", "=", "x")),
    ("run.start_time < 5", attr("start_time", "<", 5)),
    ("status = 'Killed'", attr("status", "=", "KILLED")),
    ("start_time >= 1700000000123", attr("start_time", ">=", 1700000000123)),
    ("created > 5", attr("start_time", ">", 5)),
    ("attributes.`Run name` = 'x'", attr("run_name", "=", "x")),
    ("run_uuid = 'abc'", attr("run_id", "=", "abc")),
    ("experiment_id IN ('1', '2')", attr("experiment_id", "IN", ("1", "2"))),
    ("end_time IS NULL", attr("end_time", "IS NULL", None)),
    ("artifact_uri LIKE 's3://%'", attr("artifact_uri", "LIKE", "s3://%")),
    ("user_id ILIKE 'ANA'", attr("user_id", "ILIKE", "ANA")),
    ("attributes.parent_run_id = 'abc'", attr("parent_run_id", "=", "abc")),
    ("parent_run_id IS NULL", attr("parent_run_id", "IS NULL", None)),
    # keys: quoted, dotted, Unicode, punctuation
    ("metrics.`val loss` < 1", metric("val loss", "<", 1)),
    ('metrics."val loss" < 1', metric("val loss", "<", 1)),
    ("metrics.'val loss' < 1", metric("val loss", "<", 1)),
    ("metrics.foo.bar = 1", metric("foo.bar", "=", 1)),
    ("params.\"a.b\" = 'x'", param("a.b", "=", "x")),
    ("metrics.train/loss:avg-1 < 2", metric("train/loss:avg-1", "<", 2)),
    ("tags.ñandú = '日本'", tag("ñandú", "=", "日本")),
    ("tags.`a``b` = 'x'", tag("a`b", "=", "x")),
    ("metrics.1st > 0", metric("1st", ">", 0)),
    # numbers
    ("metrics.a = -1", metric("a", "=", -1)),
    ("metrics.a = +1", metric("a", "=", 1)),
    ("metrics.a = .5", metric("a", "=", 0.5)),
    ("metrics.a = 5.", metric("a", "=", 5.0)),
    ("metrics.a = 1e-3", metric("a", "=", 0.001)),
    ("metrics.a = -2.5E+10", metric("a", "=", -2.5e10)),
    ("metrics.a>-1", metric("a", ">", -1)),
    # strings: quotes and escapes
    ("tags.a = 'it''s'", tag("a", "=", "it's")),
    ("tags.a = 'it\\'s'", tag("a", "=", "it's")),
    ('tags.a = "say ""hi"""', tag("a", "=", 'say "hi"')),
    ('tags.a = "say \\"hi\\""', tag("a", "=", 'say "hi"')),
    ("tags.a = 'back\\\\slash'", tag("a", "=", "back\\slash")),
    ("tags.a = 'C:\\temp'", tag("a", "=", "C:\\temp")),
    ("tags.a = ''", tag("a", "=", "")),
    ("tags.a = 'line\nbreak'", tag("a", "=", "line\nbreak")),
    ("tags.a LIKE '100\\%'", tag("a", "LIKE", "100\\%")),
    ("tags.a = '--' AND tags.b = '/*'", And((tag("a", "=", "--"), tag("b", "=", "/*")))),
    # operators
    ("tags.a <> 'x'", tag("a", "!=", "x")),
    ("metrics.a IN (1, 2.5, -3)", metric("a", "IN", (1, 2.5, -3))),
    ("metrics.a not in (1)", metric("a", "NOT IN", (1,))),
    ("params.a IN ('x','y')", param("a", "IN", ("x", "y"))),
    ("params.lr < 0.01", param("lr", "<", 0.01)),
    ("params.lr IN (1, 2)", param("lr", "IN", (1, 2))),
    ("params.a Like 'x%'", param("a", "LIKE", "x%")),
    ("tags.a is not null", tag("a", "IS NOT NULL", None)),
    ("metrics.a IS NULL", metric("a", "IS NULL", None)),
    ("status in ('running', 'Scheduled')", attr("status", "IN", ("RUNNING", "SCHEDULED"))),
    ("status LIKE 'fin%'", attr("status", "LIKE", "fin%")),
    # boolean structure and precedence
    (
        "tags.a = 'x' OR tags.b = 'y' AND tags.c = 'z'",
        Or((tag("a", "=", "x"), And((tag("b", "=", "y"), tag("c", "=", "z"))))),
    ),
    (
        "(tags.a = 'x' OR tags.b = 'y') AND tags.c = 'z'",
        And((Or((tag("a", "=", "x"), tag("b", "=", "y"))), tag("c", "=", "z"))),
    ),
    (
        "tags.a = 'x' AND (tags.b = 'y' AND tags.c = 'z')",
        And((tag("a", "=", "x"), And((tag("b", "=", "y"), tag("c", "=", "z"))))),
    ),
    (
        "NOT tags.a = 'x' AND tags.b = 'y'",
        And((Not(tag("a", "=", "x")), tag("b", "=", "y"))),
    ),
    ("NOT (tags.a = 'x')", Not(tag("a", "=", "x"))),
    ("not not tags.a = 'x'", Not(Not(tag("a", "=", "x")))),
    ("((tags.a = 'x'))", tag("a", "=", "x")),
    ("NOT(tags.a='x')", Not(tag("a", "=", "x"))),
    ("  tags.a\t=\n'x'  ", tag("a", "=", "x")),
    ("tags.a='x'AND tags.b='y'", And((tag("a", "=", "x"), tag("b", "=", "y")))),
    ("tags.ANDROID = 'x'", tag("ANDROID", "=", "x")),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_parses(text: str, expected: Node) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_canonical_text_parses_back(text: str, expected: Node) -> None:
    canonical = to_text(expected)
    assert parse_filter(canonical) == expected
    assert to_text(parse_filter(canonical)) == canonical  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t "])
def test_blank_filter_means_no_filter(text: str | None) -> None:
    assert parse_filter(text) is None


# (filter, position of the caret, a fragment of the reason)
INVALID: list[tuple[str, int, str]] = [
    ("metrics.acc > 'x'", 14, "metrics compare with numbers"),
    ("metrics.acc > 'x'", 14, "got the string 'x'"),
    ("metrics.acc LIKE '%'", 12, "LIKE is not allowed here: metrics compare with numbers"),
    ("metrics.acc IN ('a')", 16, "metrics compare with numbers"),
    ("tags.env = 1", 11, "tags compare with strings"),
    ("tags.env < 'x'", 9, "< is not allowed here: tags compare with strings"),
    ("params.lr < 'x'", 12, "< compares params with numbers only"),
    ("params.lr LIKE 5", 15, "LIKE needs a quoted pattern"),
    ("start_time = 'yesterday'", 13, "start_time compares with numbers"),
    ("run_name > 'a'", 9, "> is not allowed here: run_name compares with strings"),
    ("status = 'DONE'", 9, "status is one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED"),
    ("status IN ('FINISHED', 'done')", 23, "status is one of"),
    ("experiment_id = 1", 16, "quote it: '1'"),
    ("params.optimizer = adam", 19, "quote text values: 'adam'"),
    ("params.x IN ('a', 1)", 18, "must be all strings or all numbers"),
    ("params.x IN ()", 13, "IN needs at least one value"),
    ("params.x IN 'a'", 12, "expected '(' after IN"),
    ("params.x IN ('a'", 16, "never closed"),
    ("params.x IN ('a' 'b')", 17, "expected ',' or ')'"),
    ("params.x NOT LIKE 'a'", 13, "expected IN after NOT"),
    ("params.x IS 'a'", 12, "expected NULL"),
    ("params.x == 'a'", 9, "use = to test equality"),
    ("params.x 'a'", 9, "expected a comparison operator"),
    ("params.x", 8, "expected a comparison operator"),
    ("params.x =", 10, "but the filter ends here"),
    ("params. x = 'a'", 7, "expected a key right after the dot"),
    ("params.`` = 'a'", 7, "must not be empty"),
    ("params.`x = 'a'", 7, "quoted key is never closed"),
    ("params.x = 'a", 11, "string is never closed"),
    ("params.x = 'a\\'", 11, "string is never closed"),
    ("foo.x = 'a'", 0, "unknown prefix 'foo': use metrics., params., tags. or attributes."),
    ("acc > 0.9", 0, "unknown run attribute 'acc'"),
    ("acc > 0.9", 0, "tags.acc"),
    ("attributes.colour = 'x'", 11, "unknown run attribute 'colour'"),
    ("0.9 < metrics.acc", 0, "the name comes first"),
    ("'x' = tags.a", 0, "the name comes first"),
    ("AND tags.a = 'x'", 0, "got the keyword AND"),
    ("tags.a = 'x' AND", 16, "but the filter ends here"),
    ("tags.a = 'x' OR OR tags.b = 'y'", 16, "got the keyword OR"),
    ("tags.a = 'x' tags.b = 'y'", 13, "expected AND, OR or the end of the filter"),
    ("tags.a = 'x')", 12, "unbalanced ')'"),
    ("(tags.a = 'x'", 0, "this '(' is never closed"),
    ("((tags.a = 'x')", 0, "this '(' is never closed"),
    ("(tags.a = 'x' tags.b = 'y')", 14, "expected AND, OR or ')'"),
    ("()", 1, "expected a condition"),
    ("NOT", 3, "but the filter ends here"),
    ("metrics.a > 1abc", 12, "malformed number"),
    ("metrics.a > 1.2.3", 12, "malformed number"),
    ("metrics.a > 1e999", 12, "too large for a 64-bit float"),
    ("start_time > 9223372036854775808", 13, "outside the 64-bit integer range"),
    ("start_time > " + "9" * 5000, 13, "outside the 64-bit integer range"),
    ("metrics.a > - 1", 12, "expected a number or a quoted string"),
    ("tags.a LIKE 'a\\b'", 12, "a backslash may only escape %, _ or another backslash"),
    ("tags.a LIKE 'a\\\\'", 12, "must not end with an escaping backslash"),
    ("tags.a = 'x'; DROP TABLE runs; --", 12, "expected AND, OR or the end of the filter"),
    ("tags.a = 'x' -- comment", 13, "expected AND, OR or the end of the filter, got '-'"),
    ("tags.a = 'x' /* c */", 13, "got '/'"),
    ("tags.a = 'x\0'", 11, "NUL characters are not allowed"),
    ("tags.a = 'x' OR 1 = 1", 16, "the name comes first"),
    ("(" * 65 + "tags.a = 'x'" + ")" * 65, 64, "deeper than 64 levels"),
    ("NOT " * 65 + "tags.a = 'x'", 256, "deeper than 64 levels"),
]


@pytest.mark.parametrize(("text", "position", "fragment"), INVALID)
def test_rejects_with_position_and_reason(text: str, position: int, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter(text)
    error = caught.value
    assert fragment in error.reason
    assert error.position == position
    assert error.filter_string == text


def test_error_message_shows_the_filter_and_a_caret() -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter("metrics.acc > 'x'")
    assert str(caught.value).splitlines() == [
        "Invalid filter at position 14: metrics compare with numbers using = != < <= > >= "
        "IN NOT IN; got the string 'x'",
        "  metrics.acc > 'x'",
        "                ^",
    ]


def test_error_is_an_invalid_value_error() -> None:
    with pytest.raises(InvalidValueError):
        parse_filter("metrics.acc > 'x'")
    with pytest.raises(ValueError, match="metrics compare with numbers"):
        parse_filter("metrics.acc > 'x'")


def test_caret_points_into_the_right_line_of_a_multiline_filter() -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter("tags.a = 'x'\nAND tags.b = 2")
    lines = str(caught.value).splitlines()
    assert lines[1:] == ["  AND tags.b = 2", "               ^"]


def test_caret_accounts_for_wide_characters() -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter("tags.日本 = 1")
    lines = str(caught.value).splitlines()
    # "tags." is 5 columns, each CJK character 2, " = " 3: the "1" starts at column 12.
    assert lines[1:] == ["  tags.日本 = 1", "  " + " " * 12 + "^"]


def test_caret_excerpt_of_a_long_filter_is_clipped_around_the_position() -> None:
    text = "tags.a = 'x' AND " * 20 + "tags.b = 1" + " AND tags.c = 'x'" * 20
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter(text)
    excerpt, caret = str(caught.value).splitlines()[1:]
    assert len(excerpt) <= 2 + 76 + 2
    assert excerpt.startswith("  …")
    assert excerpt.endswith("…")
    assert excerpt[caret.index("^")] == "1"


def test_unprintable_characters_cannot_reach_the_terminal() -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter("tags.a = '\x1b[31m' x")
    assert "\x1b" not in str(caught.value)


def test_non_string_filter_is_a_filter_syntax_error() -> None:
    with pytest.raises(FilterSyntaxError, match="must be a string"):
        parse_filter(42)  # type: ignore[arg-type]


# --- to_text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (metric("val loss", "<", 1), "metrics.`val loss` < 1"),
        (metric("a.b", "<", 1.5), "metrics.a.b < 1.5"),
        (param("a`b c", "=", "x"), "params.`a``b c` = 'x'"),
        (tag("t", "=", "it's \\ ok"), "tags.t = 'it''s \\\\ ok'"),
        (attr("status", "IN", ("RUNNING", "FAILED")), "status IN ('RUNNING', 'FAILED')"),
        (attr("end_time", "IS NOT NULL", None), "end_time IS NOT NULL"),
        (Not(Not(tag("a", "=", "x"))), "NOT NOT tags.a = 'x'"),
        (Not(And((tag("a", "=", "x"), tag("b", "=", "y")))), "NOT (tags.a = 'x' AND tags.b = 'y')"),
        (
            Or((And((tag("a", "=", "x"), tag("b", "=", "y"))), tag("c", "=", "z"))),
            "tags.a = 'x' AND tags.b = 'y' OR tags.c = 'z'",
        ),
        (
            And((Or((tag("a", "=", "x"), tag("b", "=", "y"))), tag("c", "=", "z"))),
            "(tags.a = 'x' OR tags.b = 'y') AND tags.c = 'z'",
        ),
        (
            Or((Or((tag("a", "=", "x"), tag("b", "=", "y"))), tag("c", "=", "z"))),
            "(tags.a = 'x' OR tags.b = 'y') OR tags.c = 'z'",
        ),
    ],
)
def test_to_text(node: Node, text: str) -> None:
    assert to_text(node) == text
    assert parse_filter(text) == node


def test_and_or_need_two_items() -> None:
    with pytest.raises(ValueError, match="at least two"):
        And((tag("a", "=", "x"),))
    with pytest.raises(ValueError, match="at least two"):
        Or(())


# --- order_by --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("metrics.loss ASC", OrderKey("metric", "loss", True)),
        ("params.lr DESC", OrderKey("param", "lr", False)),
        ("start_time", OrderKey("attribute", "start_time", True)),
        ("attributes.start_time DESC", OrderKey("attribute", "start_time", False)),
        ("metrics.`val loss` desc", OrderKey("metric", "val loss", False)),
        ('metrics."val loss"', OrderKey("metric", "val loss", True)),
        ("tags.team.name asc", OrderKey("tag", "team.name", True)),
        ("  run_name   DESC  ", OrderKey("attribute", "run_name", False)),
        ("created", OrderKey("attribute", "start_time", True)),
        ("status", OrderKey("attribute", "status", True)),
    ],
)
def test_parse_order_by(clause: str, expected: OrderKey) -> None:
    assert parse_order_by([clause]) == [expected]
    assert parse_order_by(order_by_to_text([expected])) == [expected]


def test_parse_order_by_lists() -> None:
    assert parse_order_by(None) == []
    assert parse_order_by([]) == []
    assert parse_order_by(["metrics.loss", "params.lr DESC"]) == [
        OrderKey("metric", "loss", True),
        OrderKey("param", "lr", False),
    ]
    # A lone string is one clause, not a sequence of one-letter clauses.
    assert parse_order_by("metrics.loss DESC") == [OrderKey("metric", "loss", False)]


@pytest.mark.parametrize(
    ("clause", "position", "fragment"),
    [
        ("", 0, "empty order_by clause"),
        ("   ", 3, "empty order_by clause"),
        ("metrics.loss UP", 13, "expected ASC, DESC or the end of the clause, got 'UP'"),
        ("metrics.loss ASC DESC", 17, "expected the end of the clause after ASC"),
        ("metrics.loss, params.lr", 12, "expected ASC, DESC"),
        ("loss", 0, "unknown run attribute 'loss'"),
        ("bogus.x", 0, "unknown prefix 'bogus'"),
        ("metrics.", 8, "expected a key right after the dot"),
        ("metrics.`loss DESC", 8, "never closed"),
        ("metrics.loss; DROP TABLE runs", 12, "expected ASC, DESC"),
    ],
)
def test_parse_order_by_rejects(clause: str, position: int, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_order_by(["start_time", clause])
    assert fragment in caught.value.reason
    assert caught.value.position == position
    assert caught.value.filter_string == clause


def test_parse_order_by_rejects_non_strings() -> None:
    with pytest.raises(FilterSyntaxError, match="must be a string"):
        parse_order_by([5])  # type: ignore[list-item]


# --- experiments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = 'x'", attr("name", "=", "x")),
        ("attributes.name ILIKE '%x%'", attr("name", "ILIKE", "%x%")),
        ("name != 'x'", attr("name", "!=", "x")),
        ("creation_time > 5", attr("creation_time", ">", 5)),
        ("attr.last_update_time <= 5", attr("last_update_time", "<=", 5)),
        ("tags.team = 'nlp'", tag("team", "=", "nlp")),
        (
            "name LIKE 'a%' AND (tags.x IS NULL OR NOT tags.y = 'z')",
            And(
                (
                    attr("name", "LIKE", "a%"),
                    Or((tag("x", "IS NULL", None), Not(tag("y", "=", "z")))),
                )
            ),
        ),
    ],
)
def test_parse_experiment_filter(text: str, expected: Node) -> None:
    assert parse_experiment_filter(text) == expected
    assert parse_experiment_filter(to_text(expected)) == expected


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("metrics.a > 1", 0, "unknown prefix 'metrics': use tags. or attributes."),
        ("status = 'FINISHED'", 0, "unknown experiment attribute 'status'"),
        ("run.name = 'x'", 0, "unknown prefix 'run'"),
        ("creation_time > 'x'", 16, "creation_time compares with numbers"),
        ("name > 'x'", 5, "> is not allowed here: name compares with strings"),
    ],
)
def test_parse_experiment_filter_rejects(text: str, position: int, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_experiment_filter(text)
    assert fragment in caught.value.reason
    assert caught.value.position == position


def test_parse_experiment_order_by() -> None:
    assert parse_experiment_order_by(["name", "creation_time DESC", "tags.team"]) == [
        OrderKey("attribute", "name", True),
        OrderKey("attribute", "creation_time", False),
        OrderKey("tag", "team", True),
    ]
    with pytest.raises(FilterSyntaxError, match="unknown prefix 'metrics'"):
        parse_experiment_order_by(["metrics.loss"])
