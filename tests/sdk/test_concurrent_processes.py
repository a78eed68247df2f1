"""Several training processes logging into one SQLite file at once lose nothing."""

from __future__ import annotations

import pytest

from tests.sdk.processes import SdkSandbox
from tuitrack import RunStatus

PROCESSES = 8
POINTS = 20_000

WORKER = f"""
import tuitrack
with tuitrack.start_run() as run:
    tuitrack.log_param("worker", run.info.run_id)
    for step in range({POINTS}):
        tuitrack.log_metric("loss", float(step), step=step)
print(run.info.run_id)
"""


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_eight_processes_store_every_point(sandbox: SdkSandbox) -> None:
    children = [sandbox.spawn(WORKER) for _ in range(PROCESSES)]
    results = [child.communicate(timeout=240) for child in children]
    for child, (_out, err) in zip(children, results, strict=True):
        assert child.returncode == 0, err
        assert "locked" not in err.lower()
        assert "warning" not in err.lower(), err
    expected = [float(step) for step in range(POINTS)]
    for out, _err in results:
        run_id = out.strip()
        run = sandbox.get_run(run_id)
        assert run.info.status is RunStatus.FINISHED
        assert run.data.params == {"worker": run_id}
        assert sandbox.metric_values(run_id, "loss") == expected
