"""The tokens of `tuitrack server --auth`: each has a name and a scope (read or write) and is
kept in a TOML file as its SHA-256 digest, never as the token itself.

    [tokens."ci-logger"]
    scope = "write"
    sha256 = "9f86d081884c7d65..."
    created = "2026-12-03T19:52:06Z"

Why a plain SHA-256 and no salt or slow hash (scrypt, PBKDF2): tokens are made here from
`secrets` (256 random bits), never chosen by a person. Salts and slow hashes protect
guessable passwords from precomputed tables and cheap guessing; neither exists for a
256-bit random string, whose digest is as hard to reverse at any hashing speed. A slow hash
would instead cost every request tens of milliseconds of server CPU (the token is checked
on every call, and a training loop logs many). The server compares digests with
hmac.compare_digest, so answer times say nothing about how close a guess came.

The server reads the file again whenever it changes on disk, so `token add` and
`token remove` take effect at once, in every worker, without a restart.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from tuitrack.errors import AlreadyExistsError, InvalidValueError, NotFoundError

TOKEN_PREFIX = "tuitrack_"  # lets secret scanners and people tell what a leaked string is
_TOKEN_BYTES = 32
_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
_HEADER = (
    "# tuitrack server tokens: their SHA-256 digests, never the tokens themselves.\n"
    "# Manage with: tuitrack server token add NAME --scope read|write, token list, "
    "token remove NAME\n"
)


class Scope(StrEnum):
    READ = "read"
    """Every endpoint that only reads: gets, searches, histories, listings, downloads."""
    WRITE = "write"
    """Everything, writes included."""


@dataclass(frozen=True)
class StoredToken:
    name: str
    scope: Scope
    sha256: str
    created: str


def default_token_path() -> Path:
    """`$XDG_CONFIG_HOME/tuitrack/server-tokens.toml`, falling back to `~/.config/...`."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "tuitrack" / "server-tokens.toml"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_scope(text: str) -> Scope:
    try:
        return Scope(text)
    except ValueError:
        allowed = ", ".join(repr(scope.value) for scope in Scope)
        raise InvalidValueError(f"token scope {text!r} is not one of {allowed}") from None


def check_name(name: str) -> str:
    """`name` if it can name a token (it is also the HTTP basic user name, so no colon)."""
    if not _NAME_PATTERN.fullmatch(name):
        raise InvalidValueError(
            f"token name {name!r} is not allowed: 1 to 64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


class TokenFile:
    """The tokens in one file. Reading never needs the file to be writable; a missing file
    holds no tokens."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._signature: tuple[int, int, int] | None = None
        self._tokens: dict[str, StoredToken] = {}

    def tokens(self) -> dict[str, StoredToken]:
        """Name -> token, read again only when the file changed since the last read."""
        try:
            status = self.path.stat()
        except FileNotFoundError:
            self._signature, self._tokens = None, {}
            return {}
        signature = (status.st_ino, status.st_size, status.st_mtime_ns)
        if signature != self._signature:
            self._tokens = self._read()
            self._signature = signature
        return self._tokens

    def find(self, token: str, name: str | None = None) -> StoredToken | None:
        """The stored token whose digest is `token`'s (and, given `name`, named so)."""
        wanted = digest(token)
        found = None
        for stored in self.tokens().values():
            # Every digest is compared, so the time taken says nothing of which matched.
            if hmac.compare_digest(stored.sha256, wanted) and name in (None, stored.name):
                found = stored
        return found

    def add(self, name: str, scope: Scope) -> str:
        """Make a token called `name` and store its digest; the token is returned once and
        kept nowhere. AlreadyExistsError when the name is taken."""
        check_name(name)
        tokens = dict(self.tokens())
        if name in tokens:
            raise AlreadyExistsError(
                f"a token named {name!r} already exists in {self.path}: remove it first "
                f"(tuitrack server token remove {name}) or choose another name"
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
        created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        tokens[name] = StoredToken(name, scope, digest(token), created)
        self._write(tokens)
        return token

    def remove(self, name: str) -> None:
        """Forget the token called `name`; NotFoundError listing the names when none is."""
        tokens = dict(self.tokens())
        if tokens.pop(name, None) is None:
            known = ", ".join(sorted(self.tokens())) or "none"
            raise NotFoundError(f"no token named {name!r} in {self.path} (tokens: {known})")
        self._write(tokens)

    def _read(self) -> dict[str, StoredToken]:
        try:
            document = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise InvalidValueError(f"cannot read the token file {self.path}: {error}") from None
        table = document.get("tokens", {})
        if not isinstance(table, dict):
            raise InvalidValueError(f"token file {self.path}: `tokens` must be a table")
        return {name: self._entry(name, entry) for name, entry in table.items()}

    def _entry(self, name: str, entry: object) -> StoredToken:
        where = f"token file {self.path}, token {name!r}"
        if not isinstance(entry, dict):
            raise InvalidValueError(f"{where}: must be a table with scope, sha256 and created")
        sha256, scope, created = entry.get("sha256"), entry.get("scope"), entry.get("created")
        if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise InvalidValueError(f"{where}: sha256 must be 64 lowercase hex digits")
        if not isinstance(scope, str):
            raise InvalidValueError(f"{where}: scope must be 'read' or 'write'")
        return StoredToken(check_name(name), parse_scope(scope), sha256, str(created or ""))

    def _write(self, tokens: dict[str, StoredToken]) -> None:
        """Replace the file at once (a server reading it sees the old or the new tokens),
        readable by its owner only."""
        lines = [_HEADER]
        for token in sorted(tokens.values(), key=lambda token: token.name):
            # Names are plain ASCII (check_name), so JSON's quoting is TOML's.
            lines.append(
                f"\n[tokens.{json.dumps(token.name)}]\n"
                f'scope = "{token.scope.value}"\n'
                f'sha256 = "{token.sha256}"\n'
                f'created = "{token.created}"\n'
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".server-tokens-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write("".join(lines))
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def open_for_serving(path: Path) -> TokenFile:
    """The token file `tuitrack server --auth` checks requests against; InvalidValueError
    when it holds no token yet (no request could ever be answered)."""
    tokens = TokenFile(path)
    if not tokens.tokens():
        raise InvalidValueError(
            f"--auth: the token file {path} holds no token, so no request could be answered: "
            f"make one first with `tuitrack server token add NAME --scope write"
            f"{'' if path == default_token_path() else f' --auth-file {path}'}`"
        )
    return tokens


# `tuitrack server token ...` ----------------------------------------------------------------


def add_token_commands(server: argparse.ArgumentParser) -> None:
    """`token add|list|remove` under the `server` command's parser."""
    commands = server.add_subparsers(dest="server_action", metavar="ACTION")
    token = commands.add_parser(
        "token",
        help="manage the tokens of `tuitrack server --auth`",
        description="Manage the tokens `tuitrack server --auth` accepts. The file keeps "
        "their SHA-256 digests only: a token is shown once, when it is added.",
    )
    actions = token.add_subparsers(dest="token_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="make a token and print it (once)")
    add.add_argument("name", metavar="NAME", help="its name, also its HTTP basic user name")
    add.add_argument(
        "--scope",
        choices=[scope.value for scope in Scope],
        default=Scope.READ.value,
        help="read: only reading endpoints; write: everything (default read)",
    )
    actions.add_parser("list", help="list the tokens' names and scopes")
    remove = actions.add_parser("remove", help="forget a token (refused from then on)")
    remove.add_argument("name", metavar="NAME")
    for parser in (token, *actions.choices.values()):
        parser.add_argument(
            "--auth-file",
            metavar="PATH",
            type=Path,
            default=argparse.SUPPRESS,  # given after `token`, it overrides the server's
            help=f"the token file (default {default_token_path()})",
        )


def run_token_command(args: argparse.Namespace) -> int:
    tokens = TokenFile(args.auth_file or default_token_path())
    if args.token_action == "add":
        token = tokens.add(args.name, parse_scope(args.scope))
        print(token)
        print(
            f"token {args.name!r} ({args.scope}) saved as a digest in {tokens.path}; this is "
            "the only time it is shown. Clients send it as MLFLOW_TRACKING_TOKEN, or as "
            f"MLFLOW_TRACKING_USERNAME={args.name} with MLFLOW_TRACKING_PASSWORD=<token>",
            file=sys.stderr,
        )
    elif args.token_action == "remove":
        tokens.remove(args.name)
        print(f"token {args.name!r} removed from {tokens.path}", file=sys.stderr)
    else:
        for stored in sorted(tokens.tokens().values(), key=lambda stored: stored.name):
            print(f"{stored.name}\t{stored.scope.value}\t{stored.created}")
    return 0
