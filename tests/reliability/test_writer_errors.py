"""A backend bug fails one batch loudly; it is never mistaken for an outage.

The writer used to treat any exception other than tuitrack's own (here a raw KeyError, as
MariaDB's padded collation once raised) as "store down" and retry it forever, so every
later write of the process waited behind it and was lost (12,000 points).

The buggy store is the real SQL store registered under its own scheme through an entry
point, as a third-party backend would be, raising KeyError for the key "boom".
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sdk.processes import SdkSandbox
from tuitrack import RunStatus

BUGGY_STORE = '''
from tuitrack_sql.store import SqlTrackingStore


class BuggyStore(SqlTrackingStore):
    """The SQL store with a bug: whatever holds the key "boom" raises KeyError."""

    def __init__(self, store_uri, default_artifact_root):
        super().__init__(store_uri.replace("buggysql:", "sqlite:", 1), default_artifact_root)

    def log_metric_columns(self, run_id, keys, *args, **kwargs):
        if "boom" in keys:
            raise KeyError("boom")
        super().log_metric_columns(run_id, keys, *args, **kwargs)

    def log_batch(self, run_id, metrics=(), params=(), tags=(), **kwargs):
        if any(param.key == "boom" for param in params):
            raise KeyError("boom")
        super().log_batch(run_id, metrics, params, tags, **kwargs)
'''

ENTRY_POINTS = """
[tuitrack.tracking_stores]
buggysql = buggy_store:BuggyStore
"""

# One batch holds the bad point among 1,000 good ones; later batches come after it.
SCRIPT = """
import tuitrack
run = tuitrack.start_run()
for step in range(1000):
    tuitrack.log_metric("loss", float(step), step=step)
tuitrack.log_metric("boom", 1.0, step=500)
tuitrack.log_params({"boom": 1, "lr": 0.1})
try:
    tuitrack.flush()
except tuitrack.TuitrackError as error:
    print("raised:", error)
for step in range(1000, 2000):
    tuitrack.log_metric("loss", float(step), step=step)
tuitrack.log_param("later", 1)
tuitrack.end_run()
print("run:", run.info.run_id)
"""


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SdkSandbox]:
    box = SdkSandbox(tmp_path)
    yield box
    box.close()


def install_buggy_store(sandbox: SdkSandbox) -> dict[str, str]:
    """Register BuggyStore in a plugin folder; the environment that uses it."""
    plugins = sandbox.root / "plugins"
    metadata = plugins / "buggy_store-1.0.dist-info"
    metadata.mkdir(parents=True)
    (plugins / "buggy_store.py").write_text(textwrap.dedent(BUGGY_STORE))
    (metadata / "METADATA").write_text("Metadata-Version: 2.1\nName: buggy-store\nVersion: 1.0\n")
    (metadata / "entry_points.txt").write_text(ENTRY_POINTS)
    path = os.pathsep.join(filter(None, [str(plugins), os.environ.get("PYTHONPATH")]))
    return {
        "PYTHONPATH": path,
        "TUITRACK_TRACKING_URI": sandbox.tracking_uri.replace("sqlite:", "buggysql:", 1),
    }


@pytest.mark.parametrize("strict", ["0", "1"])
def test_a_batch_failing_with_a_bug_is_dropped_loudly_and_later_ones_are_stored(
    sandbox: SdkSandbox, strict: str
) -> None:
    done = sandbox.run(
        SCRIPT,
        timeout=120,
        TUITRACK_STRICT=strict,
        TUITRACK_FLUSH_TIMEOUT_SECONDS="2",
        **install_buggy_store(sandbox),
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.split("run:")[1].strip()
    assert f"writing data of run {run_id} failed with KeyError: 'boom'" in done.stderr
    assert done.stderr.count("failed with KeyError") == 1, done.stderr  # once per kind
    assert "cannot write to the tracking store" not in done.stderr  # not an outage
    if strict == "1":
        assert "raised: writing data of run" in done.stdout
    run = sandbox.get_run(run_id)
    assert run.info.status is RunStatus.FINISHED
    assert sandbox.metric_values(run_id, "loss") == [float(step) for step in range(2000)]
    assert "boom" not in run.data.metrics
    assert run.data.params == {"lr": "0.1", "later": "1"}
