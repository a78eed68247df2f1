"""A failing store never slows or breaks the training loop; strict mode makes it loud.

The failure is real: the SQLite file is swapped for one that is not a database (and
TUITRACK_SQL_NULLPOOL makes every transaction reopen the file), then put back.
"""

from __future__ import annotations

from tests.sdk.processes import SdkSandbox
from tuitrack import RunStatus

BREAK_AND_REPAIR = """
import os, sys, time, tuitrack
db = os.environ["TUITRACK_TRACKING_URI"].removeprefix("sqlite:///")
files = [db, db + "-wal", db + "-shm"]

def break_store():
    for path in files:
        if os.path.exists(path):
            os.rename(path, path + ".away")
    with open(db, "wb") as handle:
        handle.write(b"this is not a database " * 500)

def repair_store():
    os.remove(db)
    for path in files:
        if os.path.exists(path + ".away"):
            os.rename(path + ".away", path)
"""


def test_the_writer_keeps_data_through_an_outage_and_stores_it_after(
    sandbox: SdkSandbox,
) -> None:
    done = sandbox.run(
        BREAK_AND_REPAIR
        + """
run = tuitrack.start_run()
tuitrack.log_param("before", 1)
for step in range(100):
    tuitrack.log_metric("loss", float(step), step=step)
tuitrack.flush()
break_store()
tuitrack.log_metric("loss", 100.0, step=100)
tuitrack.flush(timeout=2)  # the writer fails an attempt: the store is down from here on
for step in range(101, 20_100):
    tuitrack.log_metric("loss", float(step), step=step)
# Every call above returned while the store refused writes (it is repaired only below),
# so none waited for the store; how fast they return is measured by benchmarks/sdk_logging.py.
print("logged during the outage", file=sys.stderr, flush=True)
tuitrack.set_tag("during", "outage")
tuitrack.flush(timeout=2)  # returns, does not raise: the store is down
time.sleep(1.0)  # the writer retries meanwhile
repair_store()
tuitrack.end_run()
print(run.info.run_id)
""",
        TUITRACK_SQL_NULLPOOL="1",
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    assert done.stderr.count("cannot write to the tracking store") == 1
    outage_reported = done.stderr.index("cannot write to the tracking store")
    assert outage_reported < done.stderr.index("logged during the outage")
    assert done.stderr.index("logged during the outage") < done.stderr.index("accepts writes again")
    assert "accepts writes again" in done.stderr
    run = sandbox.get_run(run_id)
    assert run.info.status is RunStatus.FINISHED
    assert run.data.tags["during"] == "outage"
    assert sandbox.metric_values(run_id, "loss") == [float(s) for s in range(20_100)]


def test_strict_mode_raises_the_store_failure_in_the_caller(sandbox: SdkSandbox) -> None:
    done = sandbox.run(
        BREAK_AND_REPAIR
        + """
run = tuitrack.start_run()
break_store()
raised = None
deadline = time.monotonic() + 30
while raised is None and time.monotonic() < deadline:
    try:
        tuitrack.log_metric("loss", 1.0)
        tuitrack.flush(timeout=1)
    except tuitrack.StoreUnavailableError as error:
        raised = error
repair_store()
print("raised:", type(raised).__name__)
tuitrack.end_run()
""",
        TUITRACK_SQL_NULLPOOL="1",
        TUITRACK_STRICT="1",
    )
    assert done.returncode == 0, done.stderr
    assert "raised: StoreUnavailableError" in done.stdout


def test_strict_mode_still_validates_at_the_call(sandbox: SdkSandbox) -> None:
    done = sandbox.run(
        """
        import tuitrack
        with tuitrack.start_run():
            try:
                tuitrack.log_metric("bad key!", 1.0)
            except tuitrack.InvalidValueError as error:
                print("refused:", error)
        """,
        TUITRACK_STRICT="1",
    )
    assert done.returncode == 0, done.stderr
    assert "refused: metric key 'bad key!'" in done.stdout
