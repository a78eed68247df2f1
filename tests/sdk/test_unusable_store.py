"""A store the SDK cannot create or write: one warning, and the training script runs on.

Its logging calls then do nothing, its exit status is its own, and strict mode raises.
The conditions are real: a data folder that is a regular file, a folder nobody here can
write to (tests/read_only_paths.py).
"""

from __future__ import annotations

import socket
from pathlib import Path

from tests.read_only_paths import read_only_folder
from tests.sdk.processes import SdkSandbox
from tuitrack.sdk.client import TrackingClient

TRAINING = """
import sys, tuitrack
with tuitrack.start_run(run_name="train") as run:
    tuitrack.log_params({"lr": 0.1, "layers": 4})
    tuitrack.set_tag("team", "vision")
    for step in range(2_000):
        tuitrack.log_metric("loss", 1.0 / (step + 1), step=step)
    with tuitrack.start_run(nested=True):
        tuitrack.log_metrics({"acc": 0.5, "f1": 0.25})
    tuitrack.log_text("notes", "notes.txt")
    tuitrack.log_dict({"a": 1}, "config.json")
    tuitrack.flush()
print("trained", tuitrack.last_active_run().info.status.value)
sys.exit(3)
"""


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("tuitrack:")]


def test_an_unwritable_data_folder_warns_once_and_training_goes_on(
    sandbox: SdkSandbox, tmp_path: Path
) -> None:
    data_home = tmp_path / "notes.txt"  # XDG_DATA_HOME set to a file by mistake
    data_home.write_text("not a folder\n")
    done = sandbox.run(
        TRAINING,
        XDG_DATA_HOME=str(data_home),
        TUITRACK_TRACKING_URI="",  # the default store, under XDG_DATA_HOME
        TUITRACK_ARTIFACT_URI="",
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout.strip() == "trained FINISHED"
    assert "Traceback" not in done.stderr
    [warning] = _warnings(done.stderr)
    assert warning.startswith("tuitrack: warning: cannot create a tuitrack store at ")
    assert str(data_home / "tuitrack" / "tuitrack.db") in warning
    assert f"{data_home} is a file, not a folder" in warning
    assert "Nothing this process logs is saved; training goes on" in warning
    assert "XDG_DATA_HOME" in warning
    assert data_home.read_text() == "not a folder\n"


def test_a_read_only_store_warns_once_and_gets_nothing(sandbox: SdkSandbox, tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    uri = f"sqlite:///{folder / 'runs.db'}"
    with TrackingClient(uri, artifact_uri=str(folder / "artifacts")) as client:
        client.create_experiment("sdk-tests")
    with read_only_folder(folder):
        done = sandbox.run(TRAINING, TUITRACK_TRACKING_URI=uri)
    assert done.returncode == 3, done.stderr
    assert "trained" in done.stdout
    [warning] = _warnings(done.stderr)
    assert f"the store {folder / 'runs.db'} is read-only here" in warning
    assert "TUITRACK_TRACKING_URI" in warning
    with TrackingClient(uri, artifact_uri=str(folder / "artifacts")) as client:
        experiment = client.get_experiment_by_name("sdk-tests")
        assert experiment is not None
        assert client.search_runs([experiment.experiment_id]) == []


def test_strict_mode_raises_when_the_store_cannot_be_created(
    sandbox: SdkSandbox, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("")
    done = sandbox.run(
        """
        import tuitrack
        try:
            tuitrack.start_run()
        except tuitrack.StoreUnavailableError as error:
            print("raised:", error)
        """,
        TUITRACK_TRACKING_URI=str(tmp_path / "notes.txt" / "runs.db"),
        TUITRACK_STRICT="1",
    )
    assert done.returncode == 0, done.stderr
    assert "raised: cannot create a tuitrack store at" in done.stdout
    assert _warnings(done.stderr) == []


def test_a_server_that_does_not_answer_is_an_outage_not_an_unsaved_run(
    sandbox: SdkSandbox,
) -> None:
    # A team server restarting when a training script starts: nothing may be dropped
    # quietly into an unsaved run, so start_run says the store is unavailable.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    done = sandbox.run(
        """
        import tuitrack
        try:
            tuitrack.start_run()
        except tuitrack.StoreUnavailableError as error:
            print("raised:", type(error).__name__)
        """,
        TUITRACK_TRACKING_URI=f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/none",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "raised: StoreUnavailableError"
    assert "Nothing this process logs is saved" not in done.stderr
