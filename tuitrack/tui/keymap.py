"""User key remapping: `$XDG_CONFIG_HOME/tuitrack/keys.toml` maps binding ids to keys,
at the top level or in a `[keys]` table (both read the same):

"runs.filter" = "f"
"table.down" = "j,down,ctrl+n"
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from tuitrack.errors import InvalidValueError


def keymap_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "tuitrack" / "keys.toml"


def load_keymap(path: Path | None = None) -> dict[str, str]:
    """Binding id -> keys; empty when the file does not exist.

    Raises InvalidValueError naming the file when it is not valid TOML or not id = "keys".
    """
    path = path or keymap_path()
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InvalidValueError(f"cannot read key map {path}: {error}") from None
    table = data.pop("keys", {})
    if not isinstance(table, dict):
        raise InvalidValueError(f'key map {path}: `keys` must be a table of binding-id = "keys"')
    keymap = {**data, **table}
    for binding_id, keys in keymap.items():
        if not isinstance(keys, str):
            raise InvalidValueError(
                f"key map {path}: {binding_id!r} must be a string of keys, "
                f'e.g. "{binding_id}" = "f" or "j,down", got {keys!r}'
            )
    return keymap
