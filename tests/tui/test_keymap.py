"""The key map file: the README's example, read from README.md, remaps keys in the app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.tui.conftest import FIXED_NOW
from tests.tui.test_app import open_experiment
from tuitrack.errors import InvalidValueError
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp
from tuitrack.tui.keymap import keymap_path, load_keymap
from tuitrack.tui.widgets.filter_bar import FilterBar

README = Path(__file__).parents[2] / "README.md"


def readme_keymap_example() -> str:
    """The first TOML block after the README names keys.toml."""
    text = README.read_text(encoding="utf-8")
    after = text[text.index("keys.toml") :]
    found = re.search(r"```toml\n(.*?)```", after, re.DOTALL)
    assert found, "README.md shows no ```toml example after it names keys.toml"
    return found.group(1)


async def test_the_readme_key_map_example_works_in_the_app(client: TrackingClient) -> None:
    path = keymap_path()  # under the test's own XDG_CONFIG_HOME
    path.parent.mkdir(parents=True)
    path.write_text(readme_keymap_example(), encoding="utf-8")
    keymap = load_keymap()
    assert keymap["runs.filter"] == "f"
    app = TuitrackApp(client, clock=lambda: FIXED_NOW, refresh_seconds=0, keymap=keymap)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_experiment(pilot, client, "mnist-cnn")
        bar = app.screen.query_one(FilterBar)
        assert app.focused is not bar.input
        await pilot.press("f")
        assert app.focused is bar.input


def test_a_keys_table_reads_the_same_as_top_level_entries(tmp_path: Path) -> None:
    top = tmp_path / "top.toml"
    top.write_text('"runs.filter" = "f"\n"table.down" = "j,down"\n')
    table = tmp_path / "table.toml"
    table.write_text('[keys]\n"runs.filter" = "f"\n"table.down" = "j,down"\n')
    assert load_keymap(top) == load_keymap(table) == {"runs.filter": "f", "table.down": "j,down"}


@pytest.mark.parametrize(
    ("text", "message"),
    [('"runs.filter" = 3\n', "'runs.filter' must be a string"), ("keys = 1\n", "`keys`")],
)
def test_a_bad_key_map_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(text)
    with pytest.raises(InvalidValueError, match=re.escape(message)) as raised:
        load_keymap(path)
    assert str(path) in str(raised.value)
