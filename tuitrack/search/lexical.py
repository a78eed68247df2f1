"""The lexical rules of the filter language, shared by the parser and `to_text`.

- Keywords (AND OR NOT IN LIKE ILIKE IS NULL ASC DESC) are case-insensitive.
- A key after `metrics.` etc. is either unquoted, made of letters, digits and `_ - . / :`
  (so `metrics.foo.bar` names the key `foo.bar`, as in MLflow, which splits an identifier at
  its first dot), or quoted in backticks, double or single quotes: metrics.`val loss`,
  params."a b". Inside backticks a doubled backtick stands for one.
- String literals take single or double quotes. Inside, the quote doubled ('it''s') or a
  backslash before a quote or backslash (\\' \\" \\\\) stands for that character; any other
  backslash is kept as is, so LIKE escapes such as '100\\%' pass through unchanged.
- Numbers: optional sign, digits, optional fraction and exponent: 3, -0.5, .5, 1e-3, 2.5E+10.
"""

from __future__ import annotations

import re

KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL", "ASC", "DESC"})

WHITESPACE = re.compile(r"\s*")
WORD = re.compile(r"[^\W\d]\w*")
UNQUOTED_KEY = re.compile(r"[\w\-./:]+")
NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
NUMBER_TAIL = re.compile(r"[\w.]")
OPERATOR = re.compile(r"<=|>=|!=|<>|==|=|<|>")
# Possessive repeats: an unterminated literal fails in one pass instead of backtracking.
QUOTED = {
    "'": re.compile(r"'((?:[^'\\]|''|\\.)*+)'", re.DOTALL),
    '"': re.compile(r'"((?:[^"\\]|""|\\.)*+)"', re.DOTALL),
    "`": re.compile(r"`((?:[^`]|``)*+)`", re.DOTALL),
}
_ESCAPES = {
    "'": re.compile(r"\\.|''", re.DOTALL),
    '"': re.compile(r'\\.|""', re.DOTALL),
}


def unquote(body: str, quote: str) -> str:
    """The text a quoted literal stands for, given what is between its quotes."""
    if quote == "`":
        return body.replace("``", "`")

    def replace(match: re.Match[str]) -> str:
        text = match.group()
        if text == quote * 2:
            return quote
        return text[1] if text[1] in "\\'\"" else text

    return _ESCAPES[quote].sub(replace, body)


def quote_string(value: str) -> str:
    """A single-quoted literal that parses back to `value`."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def quote_key(key: str) -> str:
    """`key` as written after a prefix: bare when it can be, else in backticks."""
    if UNQUOTED_KEY.fullmatch(key):
        return key
    return "`" + key.replace("`", "``") + "`"


def format_number(value: int | float) -> str:
    return str(value) if isinstance(value, int) else repr(value)
