"""The demo's own store under the data folder: built once, then reopened.

A build writes `demo.json` last, so a folder without it (a build that was interrupted) is
rebuilt rather than opened as if it were complete.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

from tuitrack import __version__
from tuitrack.cli.demo import DemoSummary, Scale
from tuitrack.core.store import now_ms

MARKER_NAME = "demo.json"
DATABASE_NAME = "tuitrack.db"
ARTIFACTS_NAME = "artifacts"


@dataclass(frozen=True)
class BuiltDemo:
    summary: DemoSummary
    scale: Scale
    built_at: int
    """Epoch milliseconds."""
    version: str
    """The tuitrack that built it: another one rebuilds it, its demo may differ."""


@dataclass(frozen=True)
class DemoFolder:
    path: Path

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.path / DATABASE_NAME}"

    @property
    def artifact_uri(self) -> str:
        return str(self.path / ARTIFACTS_NAME)

    def built(self) -> BuiltDemo | None:
        """What the last complete build wrote; None when none finished (or its record is
        unreadable, or its database is gone)."""
        try:
            record = json.loads((self.path / MARKER_NAME).read_text(encoding="utf-8"))
            summary = record["summary"]
            built = BuiltDemo(
                summary=DemoSummary(
                    experiments=int(summary["experiments"]),
                    runs=int(summary["runs"]),
                    running_run_ids=tuple(str(i) for i in summary["running_run_ids"]),
                    orphaned_run_id=str(summary["orphaned_run_id"]),
                ),
                scale=cast(Scale, record["scale"]),
                built_at=int(record["built_at"]),
                version=str(record["version"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return built if (self.path / DATABASE_NAME).is_file() else None

    def rebuild_reason(self, scale: Scale, reset: bool) -> str | None:
        """Why the store must be (re)built for a demo of `scale`; None to reopen it."""
        if reset:
            return "--reset"
        built = self.built()
        if built is None:
            if (self.path / DATABASE_NAME).exists():
                return "no record that its last build finished"
            return "first use"
        if built.scale != scale:
            return f"it holds the {built.scale} demo"
        if built.version != __version__:
            return f"it was built by tuitrack {built.version}"
        return None

    def clear(self) -> None:
        """Remove what a build left (the record first, so a failure here leaves no store
        that looks complete) and make the folder."""
        (self.path / MARKER_NAME).unlink(missing_ok=True)
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)

    def mark_built(self, scale: Scale, summary: DemoSummary) -> None:
        record = {
            "summary": asdict(summary),
            "scale": scale,
            "built_at": now_ms(),
            "version": __version__,
        }
        partial = self.path / f"{MARKER_NAME}.partial"
        partial.write_text(json.dumps(record, indent=2), encoding="utf-8")
        os.replace(partial, self.path / MARKER_NAME)
