"""Artifacts under faults: a silent S3 endpoint, a full disk, symbolic links out of a folder.

- An S3 endpoint that accepts connections and never answers (or never reads) used to hold
  `log_artifact` for more than 20 minutes; now it fails within the configured limits with
  StoreUnavailableError naming the endpoint and the limits, and the run keeps everything
  else it logged.
- A full disk used to leave a truncated file listed as a good artifact; now a copy becomes
  visible only when complete.
- `log_artifacts` used to upload the files that links inside the folder point to outside
  it; now such links are refused, by name, before anything is copied.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sdk.processes import SdkSandbox
from tuitrack import RunStatus
from tuitrack.entities import FileInfo
from tuitrack.errors import InvalidValueError, StoreUnavailableError
from tuitrack.sdk.client import TrackingClient

# --- an S3 endpoint that never answers ---------------------------------------------------


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """http://127.0.0.1:<free port>: accepts every connection, never reads, never answers."""
    server = socket.create_server(("127.0.0.1", 0), backlog=64)
    held: list[socket.socket] = []

    def accept_forever() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return  # the server socket was closed
            held.append(connection)

    threading.Thread(target=accept_forever, daemon=True).start()
    host, port = server.getsockname()[:2]
    yield f"http://{host}:{port}"
    server.close()
    for connection in held:
        connection.close()


def _fake_aws(tmp_path: Path) -> dict[str, str]:
    """Credentials and settings that keep botocore away from the user's AWS setup."""
    return {
        "AWS_ACCESS_KEY_ID": "fake",
        "AWS_SECRET_ACCESS_KEY": "fake",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "TUITRACK_ARTIFACT_TIMEOUT_SECONDS": "1",
        "TUITRACK_ARTIFACT_RETRIES": "1",
    }


# Both scripts log around the failing upload, then print the time the upload took.
FLUENT_SMALL_FILE = """
import time
import tuitrack
from tuitrack.errors import StoreUnavailableError

with open("model.bin", "wb") as handle:
    handle.write(b"w" * 1000)
with tuitrack.start_run() as run:
    print("RUN", run.info.run_id, flush=True)
    tuitrack.log_param("lr", "0.1")
    for step in range(100):
        tuitrack.log_metric("loss", float(step), step=step)
    started = time.monotonic()
    try:
        tuitrack.log_artifact("model.bin")
    except StoreUnavailableError as error:
        print("FAILED", time.monotonic() - started, error, flush=True)
    for step in range(100, 200):
        tuitrack.log_metric("loss", float(step), step=step)
    tuitrack.set_tag("after", "yes")
"""

CLIENT_LARGE_FILE = """
import os, sys, time
import fsspec
from tuitrack import RunStatus
from tuitrack.sdk.client import TrackingClient
from tuitrack.entities import Metric
from tuitrack.errors import StoreUnavailableError

# The s3fs endpoint option instead of AWS_ENDPOINT_URL.
fsspec.config.conf["s3"] = {"endpoint_url": sys.argv[1], "key": "fake", "secret": "fake"}
with open("model.bin", "wb") as handle:
    handle.write(os.urandom(20_000_000))  # more than the socket buffers hold
client = TrackingClient(
    os.environ["TUITRACK_TRACKING_URI"], artifact_uri="s3://tuitrack-faults/artifacts"
)
run = client.create_run(client.create_experiment("silent"))
print("RUN", run.info.run_id, flush=True)
client.log_batch(run.info.run_id, metrics=[Metric(key="loss", value=1.0, timestamp=0, step=0)])
started = time.monotonic()
try:
    client.log_artifact(run.info.run_id, "model.bin", "weights")
except StoreUnavailableError as error:
    print("FAILED", time.monotonic() - started, error, flush=True)
client.log_batch(run.info.run_id, metrics=[Metric(key="loss", value=2.0, timestamp=0, step=1)])
client.set_terminated(run.info.run_id, RunStatus.FINISHED)
"""


def _run_against(
    sandbox: SdkSandbox, script: str, endpoint: str, env: dict[str, str]
) -> tuple[str, float, str]:
    """Run `script`; return the run id, the seconds the upload took and its error."""
    try:
        result = subprocess.run(
            [sys.executable, "-c", script, endpoint],
            env={**sandbox.env, **env},
            cwd=sandbox.root,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("log_artifact was still waiting for the silent endpoint after 120 s")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert "FAILED" in lines, f"log_artifact did not fail:\n{result.stdout}\n{result.stderr}"
    seconds, message = lines["FAILED"].split(" ", 1)
    return lines["RUN"], float(seconds), message


def test_silent_s3_endpoint_fails_fast_and_the_run_keeps_the_rest(
    tmp_path: Path, silent_endpoint: str
) -> None:
    sandbox = SdkSandbox(tmp_path)
    env = {
        **_fake_aws(tmp_path),
        "AWS_ENDPOINT_URL": silent_endpoint,
        "TUITRACK_ARTIFACT_URI": "s3://tuitrack-faults/artifacts",
    }
    try:
        run_id, seconds, message = _run_against(sandbox, FLUENT_SMALL_FILE, silent_endpoint, env)
        # 2 attempts of 1 s each, plus the backoff between them; generous for a loaded box.
        assert seconds < 30
        assert "'model.bin'" in message
        assert f"endpoint {silent_endpoint}" in message
        assert "1 s to connect, 1 s without progress per read or write, 2 attempts" in message
        assert "TUITRACK_ARTIFACT_TIMEOUT_SECONDS" in message

        run = sandbox.get_run(run_id)
        assert run.info.status == RunStatus.FINISHED
        assert run.data.params == {"lr": "0.1"}
        assert run.data.tags["after"] == "yes"
        assert sandbox.metric_values(run_id, "loss") == [float(step) for step in range(200)]
    finally:
        sandbox.close()


def test_s3_endpoint_that_never_reads_an_upload_fails_fast(
    tmp_path: Path, silent_endpoint: str
) -> None:
    sandbox = SdkSandbox(tmp_path)
    try:
        run_id, seconds, message = _run_against(
            sandbox, CLIENT_LARGE_FILE, silent_endpoint, _fake_aws(tmp_path)
        )
        assert seconds < 30
        assert "'weights/model.bin'" in message
        assert f"endpoint {silent_endpoint}" in message
        assert "did not answer in time" in message

        run = sandbox.get_run(run_id)
        assert run.info.status == RunStatus.FINISHED
        assert sandbox.metric_values(run_id, "loss") == [1.0, 2.0]
    finally:
        sandbox.close()


# --- a full disk -------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, unmounted after the test."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a 1 MiB tmpfs to fill needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a 1 MiB tmpfs to fill: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TrackingClient]:
    tracking_client = TrackingClient(
        f"sqlite:///{tmp_path / 'tracking.db'}", artifact_uri=str(tmp_path)
    )
    yield tracking_client
    tracking_client.close()


def _new_run(client: TrackingClient, artifact_root: str) -> str:
    experiment_id = client.create_experiment("artifacts", artifact_location=artifact_root)
    return client.create_run(experiment_id).info.run_id


def _files_on_disk(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def test_full_disk_leaves_no_truncated_artifact(
    client: TrackingClient, small_disk: Path, tmp_path: Path
) -> None:
    run_id = _new_run(client, str(small_disk))
    big = tmp_path / "big.bin"
    big.write_bytes(b"b" * 2_000_000)
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "a_small.txt").write_bytes(b"s" * 1000)
    (folder / "b_big.bin").write_bytes(b"b" * 2_000_000)

    with pytest.raises(StoreUnavailableError) as full:
        client.log_artifact(run_id, str(big))
    assert client.list_artifacts(run_id) == []
    assert _files_on_disk(small_disk) == []
    assert re.search(r"'big\.bin'.*No space left on device \(ENOSPC\)", str(full.value))

    with pytest.raises(StoreUnavailableError) as full:
        client.log_artifacts(run_id, str(folder), "outputs")
    assert client.list_artifacts(run_id, "outputs") == [
        FileInfo(path="outputs/a_small.txt", is_dir=False, file_size=1000)
    ]
    assert [name.rsplit("/", 1)[-1] for name in _files_on_disk(small_disk)] == ["a_small.txt"]
    assert re.search(r"'outputs/b_big\.bin'.*\(ENOSPC\)", str(full.value))

    small = tmp_path / "small.bin"
    small.write_bytes(b"k" * 10_000)
    client.log_artifact(run_id, str(small))
    assert FileInfo(path="small.bin", is_dir=False, file_size=10_000) in client.list_artifacts(
        run_id
    )
    store = client.artifact_store(run_id)
    assert store.read_bytes("small.bin") == small.read_bytes()


def test_a_copy_in_progress_is_never_listed(client: TrackingClient, tmp_path: Path) -> None:
    """Listings taken while large files are copied show each file complete or not at all."""
    run_id = _new_run(client, str(tmp_path / "artifacts"))
    source = tmp_path / "large.bin"
    size = 32_000_000
    source.write_bytes(b"L" * size)
    store = client.artifact_store(run_id)
    seen: set[tuple[str, int | None]] = set()
    copying = True

    def list_while_copying() -> None:
        while copying:
            seen.update((info.path, info.file_size) for info in store.walk_files())

    lister = threading.Thread(target=list_while_copying)
    lister.start()
    try:
        for copy in range(4):
            client.log_artifact(run_id, str(source), f"copy{copy}")
            time.sleep(0.01)
    finally:
        copying = False
        lister.join()
    assert seen, "the listing thread never ran"
    assert {path.rsplit("/", 1)[-1] for path, _ in seen} == {"large.bin"}
    assert {file_size for _, file_size in seen} == {size}


# --- symbolic links in a logged folder ---------------------------------------------------


@pytest.fixture(params=["local", "memory"])
def artifact_root(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return f"memory://tuitrack-links-{os.getpid()}-{time.monotonic_ns()}"
    return str(tmp_path / "artifacts")


def _all_paths(client: TrackingClient, run_id: str) -> list[str]:
    return [info.path for info in client.artifact_store(run_id).walk_files()]


def test_links_out_of_the_folder_are_refused_by_name(
    client: TrackingClient, artifact_root: str, tmp_path: Path
) -> None:
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text("password")
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "metrics.json").write_text("{}")
    (folder / "escape").symlink_to(outside / "secret.txt")
    (folder / "escape_dir").symlink_to(outside)
    run_id = _new_run(client, artifact_root)

    with pytest.raises(InvalidValueError) as refused:
        client.log_artifacts(run_id, str(folder))
    assert _all_paths(client, run_id) == []
    message = str(refused.value)
    assert f"escape -> {outside / 'secret.txt'} (outside the folder)" in message
    assert f"escape_dir -> {outside} (outside the folder)" in message

    # The same folder as a directory artifact, through log_artifact; a dangling link too.
    (folder / "nothing").symlink_to("missing")
    with pytest.raises(InvalidValueError) as refused:
        client.log_artifact(run_id, str(folder))
    assert _all_paths(client, run_id) == []
    assert "nothing -> missing (points to nothing)" in str(refused.value)


def test_links_inside_the_folder_are_copied_as_what_they_point_to(
    client: TrackingClient, artifact_root: str, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    (folder / "checkpoints" / "step-100").mkdir(parents=True)
    (folder / "checkpoints" / "step-100" / "model.bin").write_bytes(b"weights")
    (folder / "latest").symlink_to(Path("checkpoints") / "step-100")
    (folder / "model.bin").symlink_to(folder / "checkpoints" / "step-100" / "model.bin")
    run_id = _new_run(client, artifact_root)

    client.log_artifacts(run_id, str(folder))

    assert _all_paths(client, run_id) == [
        "checkpoints/step-100/model.bin",
        "latest/model.bin",
        "model.bin",
    ]
    store = client.artifact_store(run_id)
    assert store.read_bytes("latest/model.bin") == b"weights"
    assert store.read_bytes("model.bin") == b"weights"


def test_a_symlinked_directory_loop_is_refused(
    client: TrackingClient, artifact_root: str, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "f.txt").write_text("f")
    (folder / "sub" / "up").symlink_to("..")
    (folder / "self").symlink_to(folder)
    run_id = _new_run(client, artifact_root)

    started = time.monotonic()
    with pytest.raises(InvalidValueError) as refused:
        client.log_artifacts(run_id, str(folder))
    assert time.monotonic() - started < 10
    message = str(refused.value)
    assert "sub/up -> .. (a loop" in message
    assert f"self -> {folder} (a loop" in message
    assert _all_paths(client, run_id) == []
