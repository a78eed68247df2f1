"""`import tuitrack` stays light: no TUI, plotting, database or dataframe libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "textual",
    "plotext",
    "textual_plotext",
    "sqlalchemy",
    "alembic",
    "fsspec",
    "pandas",
    "matplotlib",
    "tuitrack_sql",
    "tuitrack_sqlkit",
    "tuitrack_fsspec",
    "tuitrack.tui",
)


def test_import_tuitrack_loads_no_heavy_module() -> None:
    code = (
        "import json, sys, tuitrack\n"
        "tuitrack.log_metric, tuitrack.start_run, tuitrack.TrackingClient\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout)
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]
    assert heavy == []
    assert not [m for m in loaded if m.startswith("tuitrack.tui")]
