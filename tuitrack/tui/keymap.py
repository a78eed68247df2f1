"""User key remapping: `$XDG_CONFIG_HOME/tuitrack/keys.toml` maps binding ids to keys.

[keys]
"runs.mark" = "x"
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
    keys = data.get("keys", {})
    if not isinstance(keys, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in keys.items()
    ):
        raise InvalidValueError(
            f'key map {path} must have a [keys] table of binding-id = "key,key" strings'
        )
    return dict(keys)
