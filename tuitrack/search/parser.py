"""A hand-written recursive-descent parser: filter text -> AST, order_by clauses -> OrderKeys.

Grammar (keywords case-insensitive; NOT binds tighter than AND, AND tighter than OR):

    filter     := [or_expr]                      blank text means "no filter"
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := not_expr ("AND" not_expr)*
    not_expr   := "NOT" not_expr | "(" or_expr ")" | comparison
    comparison := identifier ( ("=" | "!=" | "<>" | "<" | "<=" | ">" | ">=") literal
                             | ("LIKE" | "ILIKE") string
                             | ["NOT"] "IN" "(" literal ("," literal)* ")"
                             | "IS" ["NOT"] "NULL" )
    identifier := prefix "." key | attribute      a bare name is an attribute, as in MLflow
    order_by   := identifier ["ASC" | "DESC"]

A chain `a AND b AND c` becomes one And of three items; parentheses are kept as nesting,
so `a AND (b AND c)` is And(a, And(b, c)) and `to_text` can reproduce it exactly.
Every error is a FilterSyntaxError pointing at the offending position.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tuitrack.errors import FilterSyntaxError
from tuitrack.search import lexical
from tuitrack.search.nodes import And, Comparison, Node, Not, Op, Or, OrderKey, Scalar
from tuitrack.search.schema import STATUS_VALUES, Field, Schema

# Parentheses and NOTs nested deeper than this are refused, which keeps the parser, the
# evaluator and the SQL translation far from Python's recursion limit.
MAX_DEPTH = 64
# Bounds on the work one filter may ask of a store. Each top-level AND-ed comparison may be a
# join: 40, plus the order_by keys, stays under SQLite's 64 and MySQL/MariaDB's 61 tables in
# a join, and PostgreSQL plans it in well under a second. IN values are bound parameters
# (SQLite allows 32,766 per statement); the text limit leaves room for 10,000 quoted run ids.
MAX_COMPARISONS = 40
MAX_LIST_VALUES = 10_000
MAX_FILTER_LENGTH = 500_000
MAX_ORDER_BY_CLAUSES = 10
_INT64 = 2**63


class _Parser:
    def __init__(self, text: str, schema: Schema) -> None:
        self.text = text
        self.schema = schema
        self.pos = 0
        self.depth = 0
        if len(text) > MAX_FILTER_LENGTH:
            raise FilterSyntaxError(
                f"the filter is {len(text):,} characters long; at most {MAX_FILTER_LENGTH:,} "
                "are allowed"
            )
        # How many comparisons and IN values were read, and where the first one over the
        # limit starts: the filter is refused after parsing, naming the whole count.
        self.comparisons = self.values = 0
        self.comparison_over: int | None = None
        self.value_over: int | None = None
        nul = text.find("\0")
        if nul != -1:
            raise self.error("NUL characters are not allowed", nul)

    # --- scanning ---------------------------------------------------------------------

    def error(self, reason: str, position: int | None = None) -> FilterSyntaxError:
        return FilterSyntaxError(reason, self.text, self.pos if position is None else position)

    def skip_space(self) -> int:
        if self.pos < len(self.text) and self.text[self.pos].isspace():
            match = lexical.WHITESPACE.match(self.text, self.pos)
            assert match is not None  # matches the empty string anywhere
            self.pos = match.end()
        return self.pos

    def at_end(self) -> bool:
        return self.skip_space() >= len(self.text)

    def peek_word(self) -> str | None:
        self.skip_space()
        match = lexical.WORD.match(self.text, self.pos)
        return match.group() if match else None

    def take_keyword(self, keyword: str) -> bool:
        word = self.peek_word()
        if word is not None and word.upper() == keyword:
            self.pos += len(word)
            return True
        return False

    def take_char(self, char: str) -> bool:
        if not self.at_end() and self.text[self.pos] == char:
            self.pos += 1
            return True
        return False

    def describe_next(self) -> str:
        if self.at_end():
            return "the end of the filter"
        word = self.peek_word()
        if word is not None:
            return repr(word)
        return repr(self.text[self.pos])

    def enter(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(
                f"nesting is deeper than {MAX_DEPTH} levels of parentheses and NOT", position
            )

    # --- filters ----------------------------------------------------------------------

    def parse_filter(self) -> Node:
        node = self.or_expr()
        if not self.at_end():
            if self.text[self.pos] == ")":
                raise self.error("unbalanced ')': there is no '(' to close")
            raise self.error(
                f"expected AND, OR or the end of the filter, got {self.describe_next()}"
            )
        if self.comparison_over is not None:
            raise self.error(
                f"the filter has {self.comparisons} comparisons; at most {MAX_COMPARISONS} "
                "are allowed (the first one over the limit is marked): compare with "
                "IN (...) lists or split the search",
                self.comparison_over,
            )
        if self.value_over is not None:
            raise self.error(
                f"the filter's IN lists hold {self.values:,} values; at most "
                f"{MAX_LIST_VALUES:,} are allowed (the first one over the limit is marked)",
                self.value_over,
            )
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.take_keyword("OR"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.take_keyword("AND"):
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        outer_depth = self.depth
        negations = 0
        while self.peek_word() is not None and self.take_keyword("NOT"):
            self.enter(self.pos - 3)
            negations += 1
        node = self.parenthesized() if self.take_char("(") else self.comparison()
        for _ in range(negations):
            node = Not(node)
        self.depth = outer_depth
        return node

    def parenthesized(self) -> Node:
        opening = self.pos - 1
        self.enter(opening)
        node = self.or_expr()
        if not self.take_char(")"):
            if self.at_end():
                raise self.error("this '(' is never closed", opening)
            raise self.error(f"expected AND, OR or ')', got {self.describe_next()}")
        self.depth -= 1
        return node

    def comparison(self) -> Comparison:
        self.comparisons += 1
        if self.comparisons == MAX_COMPARISONS + 1:
            self.comparison_over = self.skip_space()
        field = self.identifier()
        op_position = self.skip_space()
        op = self.operator()
        if op not in field.ops:
            raise self.error(f"{op} is not allowed here: {field.describe()}", op_position)
        if op in ("IS NULL", "IS NOT NULL"):
            return Comparison(field.kind, field.key, op, None)
        if op in ("IN", "NOT IN"):
            return Comparison(field.kind, field.key, op, self.literal_list(field, op))
        position = self.skip_space()
        value = self.checked(field, op, self.literal(), position)
        return Comparison(field.kind, field.key, op, value)

    def operator(self) -> Op:
        match = lexical.OPERATOR.match(self.text, self.pos)
        if match:
            symbol = match.group()
            if symbol == "==":
                raise self.error("use = to test equality")
            self.pos = match.end()
            return "!=" if symbol == "<>" else symbol  # type: ignore[return-value]
        word = (self.peek_word() or "").upper()
        if word in ("IN", "LIKE", "ILIKE"):
            self.pos += len(word)
            return word  # type: ignore[return-value]
        if word == "NOT":
            self.pos += 3
            if not self.take_keyword("IN"):
                raise self.error(
                    "expected IN after NOT; to negate a condition put NOT before it, "
                    "as in NOT params.model LIKE 'cnn%'"
                )
            return "NOT IN"
        if word == "IS":
            self.pos += 2
            negated = self.take_keyword("NOT")
            if not self.take_keyword("NULL"):
                raise self.error("expected NULL: write IS NULL or IS NOT NULL")
            return "IS NOT NULL" if negated else "IS NULL"
        raise self.error(
            "expected a comparison operator (= != < <= > >= LIKE ILIKE IN NOT IN "
            f"IS NULL IS NOT NULL), got {self.describe_next()}"
        )

    # --- identifiers ------------------------------------------------------------------

    def identifier(self) -> Field:
        start = self.skip_space()
        if self.at_end():
            raise self.error(f"{self.expected_condition()}, but the filter ends here")
        match = lexical.WORD.match(self.text, start)
        if match is None:
            char = self.text[start]
            if char in "'\"`" or char in "+-." or char.isdigit():
                raise self.error(
                    f"{self.expected_condition()}; the name comes first, as in metrics.acc > 0.9"
                )
            raise self.error(f"{self.expected_condition()}, got {char!r}")
        word = match.group()
        if match.end() < len(self.text) and self.text[match.end()] == ".":
            kind = self.schema.prefixes.get(word.lower())
            if kind is None:
                raise self.error(f"unknown prefix {word!r}: use {self.schema.describe_prefixes()}")
            self.pos = match.end() + 1
            key_position = self.pos
            key = self.key()
            if kind != "attribute":
                return self.schema.field(kind, key)
            hint = ""
        else:
            if word.upper() in lexical.KEYWORDS:
                raise self.error(f"{self.expected_condition()}, got the keyword {word.upper()}")
            self.pos = match.end()
            key_position, key = start, word
            hint = f"; other names need a prefix, as in tags.{key}"
        name = self.schema.attribute_name(key)
        if name is None:
            known = ", ".join(self.schema.attributes)
            raise self.error(
                f"unknown {self.schema.subject} attribute {key!r}: use one of {known}{hint}",
                key_position,
            )
        return self.schema.field("attribute", name)

    def expected_condition(self) -> str:
        return f"expected a condition on {self.schema.describe_identifiers()}"

    def key(self) -> str:
        start = self.pos
        char = self.text[start] if start < len(self.text) else ""
        if char in lexical.QUOTED:
            match = lexical.QUOTED[char].match(self.text, start)
            if match is None:
                raise self.error(f"this {char}-quoted key is never closed")
            self.pos = match.end()
            key = lexical.unquote(match.group(1), char)
        else:
            match = lexical.UNQUOTED_KEY.match(self.text, start)
            if match is None:
                raise self.error(
                    "expected a key right after the dot; quote keys with spaces or other "
                    "characters in backticks: metrics.`val loss`"
                )
            self.pos = match.end()
            key = match.group()
        if not key:
            raise self.error("a key must not be empty", start)
        return key

    # --- literals ---------------------------------------------------------------------

    def literal(self) -> Scalar:
        start = self.skip_space()
        if self.at_end():
            raise self.error("expected a number or a quoted string, but the filter ends here")
        char = self.text[start]
        if char in ("'", '"'):
            match = lexical.QUOTED[char].match(self.text, start)
            if match is None:
                raise self.error("this string is never closed: add the closing quote")
            self.pos = match.end()
            return lexical.unquote(match.group(1), char)
        match = lexical.NUMBER.match(self.text, start)
        if match is None:
            word = self.peek_word()
            if word is not None:
                quoted = lexical.quote_string(word)
                raise self.error(
                    f"expected a number or a quoted string; quote text values: {quoted}"
                )
            raise self.error(f"expected a number or a quoted string, got {char!r}")
        end = match.end()
        if end < len(self.text) and lexical.NUMBER_TAIL.match(self.text, end):
            raise self.error("malformed number")
        text = match.group()
        self.pos = end
        shown = text if len(text) <= 30 else text[:27] + "..."
        if not any(c in text for c in ".eE"):
            # Checked before int(): Python refuses to convert more than 4300 digits.
            if len(text.lstrip("+-").lstrip("0")) > 19 or not -_INT64 <= int(text) < _INT64:
                raise self.error(f"{shown} is outside the 64-bit integer range", start)
            return int(text)
        value = float(text)
        if not math.isfinite(value):
            raise self.error(f"{shown} is too large for a 64-bit float", start)
        return value

    def literal_list(self, field: Field, op: Op) -> tuple[Scalar, ...]:
        if not self.take_char("("):
            raise self.error(f"expected '(' after {op}, as in {op} ('a', 'b')")
        if self.take_char(")"):
            raise self.error(f"{op} needs at least one value", self.pos - 1)
        values: list[Scalar] = []
        while True:
            position = self.skip_space()
            self.values += 1
            if self.values == MAX_LIST_VALUES + 1:
                self.value_over = position
            value = self.checked(field, op, self.literal(), position)
            if values and isinstance(value, str) != isinstance(values[0], str):
                raise self.error(
                    f"the values of {op} (...) must be all strings or all numbers", position
                )
            values.append(value)
            if self.take_char(")"):
                return tuple(values)
            if not self.take_char(","):
                if self.at_end():
                    raise self.error(f"the list after {op} is never closed: add ')'")
                raise self.error(f"expected ',' or ')' in the list after {op}")

    def checked(self, field: Field, op: Op, value: Scalar, position: int) -> Scalar:
        """`value` if `field` accepts it with `op` (status normalized), else fail there."""
        if isinstance(value, str):
            if op not in field.string_ops:
                if not field.string_ops:
                    raise self.error(f"{field.describe()}; got the string {value!r}", position)
                raise self.error(
                    f"{op} compares {field.label} with numbers only; got the string "
                    f"{value!r} (write it without quotes to compare numerically)",
                    position,
                )
            if op in ("LIKE", "ILIKE"):
                self.check_pattern(value, position)
            elif field.normalize_status:
                value = value.upper()
                if value not in STATUS_VALUES:
                    raise self.error(
                        f"status is one of {', '.join(STATUS_VALUES)}; got {value!r}", position
                    )
            return value
        if op not in field.number_ops:
            text = lexical.format_number(value)
            if not field.number_ops:
                raise self.error(
                    f"{field.describe()}; got the number {text} (quote it: '{text}')", position
                )
            raise self.error(f"{op} needs a quoted pattern such as '%{text}%'", position)
        return value

    def check_pattern(self, pattern: str, position: int) -> None:
        escaped = False
        for char in pattern:
            if escaped and char not in "%_\\":
                raise self.error(
                    "in a LIKE pattern a backslash may only escape %, _ or another backslash",
                    position,
                )
            escaped = not escaped and char == "\\"
        if escaped:
            raise self.error("a LIKE pattern must not end with an escaping backslash", position)

    # --- order_by ---------------------------------------------------------------------

    def order_key(self) -> OrderKey:
        if self.at_end():
            raise self.error("empty order_by clause: name a field, as in 'metrics.loss ASC'")
        field = self.identifier()
        ascending = True
        if not self.at_end():
            word = (self.peek_word() or "").upper()
            if word not in ("ASC", "DESC"):
                raise self.error(
                    f"expected ASC, DESC or the end of the clause, got {self.describe_next()}"
                )
            self.pos += len(word)
            ascending = word == "ASC"
            if not self.at_end():
                raise self.error(f"expected the end of the clause after {word}")
        return OrderKey(field.kind, field.key, ascending)


def parse_with_schema(text: str | None, schema: Schema) -> Node | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise FilterSyntaxError(f"a filter must be a string, got {type(text).__name__}")
    if not text.strip():
        return None
    try:
        return _Parser(text, schema).parse_filter()
    except RecursionError:  # a backstop: MAX_DEPTH keeps well below the limit
        raise FilterSyntaxError("the filter nests too deeply", text, 0) from None


def order_by_with_schema(clauses: Sequence[str] | None, schema: Schema) -> list[OrderKey]:
    if clauses is None:
        return []
    if isinstance(clauses, str):
        clauses = [clauses]
    if len(clauses) > MAX_ORDER_BY_CLAUSES:
        raise FilterSyntaxError(
            f"order_by has {len(clauses)} clauses; at most {MAX_ORDER_BY_CLAUSES} are allowed"
        )
    keys = []
    for clause in clauses:
        if not isinstance(clause, str):
            raise FilterSyntaxError(
                f"an order_by clause must be a string, got {type(clause).__name__} {clause!r}"
            )
        keys.append(_Parser(clause, schema).order_key())
    return keys
