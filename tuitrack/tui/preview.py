"""Turn an artifact's bytes into something to show: text, JSON, YAML and CSV in place."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import PurePosixPath

from rich.console import RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from tuitrack.entities import FileInfo
from tuitrack.sdk.client import TrackingClient

PREVIEW_LIMIT_BYTES = 256 * 1024
CSV_PREVIEW_ROWS = 200

_SYNTAX_BY_SUFFIX = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".py": "python",
    ".toml": "toml",
    ".md": "markdown",
    ".sh": "bash",
    ".ini": "ini",
    ".cfg": "ini",
}
_TEXT_SUFFIXES = {".txt", ".log", ".out", ".err", ".rst", ""}


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _csv_table(text: str, delimiter: str) -> Table:
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(rows, [])
    table = Table(*header, show_edge=False, header_style="bold", expand=False)
    for index, row in enumerate(rows):
        if index >= CSV_PREVIEW_ROWS:
            table.caption = f"first {CSV_PREVIEW_ROWS} rows shown"
            break
        table.add_row(*row)
    return table


def render_artifact(info: FileInfo, data: bytes, truncated: bool) -> RenderableType:
    """A renderable for the file's content; binary files show only their size."""
    suffix = PurePosixPath(info.path).suffix.lower()
    if b"\x00" in data[:4096]:
        return Text(f"{info.path}: binary file, {human_size(info.file_size)}", style="dim")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Text(f"{info.path}: binary file, {human_size(info.file_size)}", style="dim")
    note = (
        Text(f"\n… showing the first {human_size(len(data))}", style="dim") if truncated else None
    )
    if suffix in (".csv", ".tsv"):
        return _csv_table(text, "\t" if suffix == ".tsv" else ",")
    if suffix == ".json" and not truncated:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    lexer = _SYNTAX_BY_SUFFIX.get(suffix)
    if lexer is not None:
        return Syntax(text, lexer, theme="ansi_dark", word_wrap=True, background_color="default")
    rendered = Text(text)
    if note is not None:
        rendered.append_text(note)
    return rendered


def load_artifact_preview(client: TrackingClient, run_id: str, info: FileInfo) -> RenderableType:
    store = client.artifact_store(run_id)
    with store.open_artifact(info.path) as handle:
        data = handle.read(PREVIEW_LIMIT_BYTES + 1)
    truncated = len(data) > PREVIEW_LIMIT_BYTES
    return render_artifact(info, data[:PREVIEW_LIMIT_BYTES], truncated)


def list_artifacts(client: TrackingClient, run_id: str, path: str | None) -> list[FileInfo]:
    return client.list_artifacts(run_id, path)
