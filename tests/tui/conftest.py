"""Demo stores with fixed times and ids, and a settled app, for Pilot and snapshot tests."""

from __future__ import annotations

import fcntl
import hashlib
import inspect
import json
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

import pytest

import tuitrack_sql
from tests.databases import fresh_database, skip_reason
from tuitrack.cli.demo import DemoSummary, write_demo
from tuitrack.sdk.client import TrackingClient
from tuitrack.tui.app import TuitrackApp

FIXED_NOW = 1_750_000_000_000  # 2025-06-15 15:06:40 UTC
# Snapshots show the store URI and artifact paths, so their store lives at a fixed path.
SNAPSHOT_DIR = Path(tempfile.gettempdir()) / "tuitrack-tui-snapshots"
APP_DATABASES = ("sqlite", "postgresql")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's own store, config and key map out of every test."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("TUITRACK_TRACKING_URI", raising=False)
    monkeypatch.delenv("TUITRACK_ARTIFACT_URI", raising=False)


@contextmanager
def seeded_uuids(seed: int = 0) -> Iterator[None]:
    """Make the store's uuid4 run ids repeatable while the demo is written."""
    rng = random.Random(seed)
    original = uuid.uuid4
    uuid.uuid4 = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)
    try:
        yield
    finally:
        uuid.uuid4 = original


@dataclass(frozen=True)
class DemoStore:
    tracking_uri: str
    artifact_uri: str
    summary: DemoSummary

    def client(self) -> TrackingClient:
        return TrackingClient(self.tracking_uri, artifact_uri=self.artifact_uri)


def write_demo_store(tracking_uri: str, artifact_uri: str) -> DemoStore:
    with seeded_uuids(), TrackingClient(tracking_uri, artifact_uri=artifact_uri) as client:
        summary = write_demo(client, now=FIXED_NOW, scale="small")
    return DemoStore(tracking_uri, artifact_uri, summary)


@pytest.fixture(scope="session", params=APP_DATABASES)
def demo_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoStore]:
    """A small demo store per database kind, shared read-only by the Pilot tests."""
    reason = skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("demo")
    with fresh_database(request.param, folder) as uri:
        yield write_demo_store(uri, str(folder / "artifacts"))


def _demo_fingerprint() -> str:
    """Changes whenever the demo writer or the SQL schema's migrations do, so a stale
    snapshot store (or one a tree with other migrations upgraded) is rewritten."""
    source = Path(inspect.getfile(write_demo)).read_bytes()
    versions = Path(inspect.getfile(tuitrack_sql)).parent / "migrations" / "versions"
    migrations = "\n".join(sorted(path.name for path in versions.glob("*.py")))
    return hashlib.sha256(source + str(FIXED_NOW).encode() + migrations.encode()).hexdigest()


def _read_snapshot_store(tracking_uri: str, artifact_uri: str, marker: Path) -> DemoStore | None:
    """The snapshot store written by this code, or None if it is missing or stale."""
    written = json.loads(marker.read_text()) if marker.exists() else {}
    if written.get("fingerprint") != _demo_fingerprint():
        return None
    fields = written["summary"]
    summary = DemoSummary(**{**fields, "running_run_ids": tuple(fields["running_run_ids"])})
    return DemoStore(tracking_uri, artifact_uri, summary)


def _lock_for_rewriting(readers: IO[str]) -> None:
    """Take the readers' lock exclusively, waiting for sessions reading a store written by
    other code to end; after a while go ahead (a worker of such a session may be waiting
    for the writer's lock we hold, so waiting for ever could deadlock)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            fcntl.flock(readers, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            time.sleep(0.5)


@pytest.fixture(scope="session")
def snapshot_store() -> Iterator[DemoStore]:
    """The SQLite demo store the SVG snapshots are taken from, at a fixed path.

    Sessions and pytest-xdist workers share it. Under the writer's lock each checks the
    store and, only when it is missing or stale, rewrites it; each holds the readers' lock
    shared while it reads, so a session running other code does not rewrite it under them.
    Workers of one session never wait for each other beyond the first write.
    """
    tracking_uri = f"sqlite:///{SNAPSHOT_DIR / 'tuitrack.db'}"
    artifact_uri = str(SNAPSHOT_DIR / "artifacts")
    marker = SNAPSHOT_DIR / "fingerprint.json"
    with (
        open(f"{SNAPSHOT_DIR}.lock", "w") as writer,
        open(f"{SNAPSHOT_DIR}.readers", "w") as readers,
    ):
        fcntl.flock(writer, fcntl.LOCK_EX)
        store = _read_snapshot_store(tracking_uri, artifact_uri, marker)
        if store is None:
            _lock_for_rewriting(readers)
            shutil.rmtree(SNAPSHOT_DIR, ignore_errors=True)
            SNAPSHOT_DIR.mkdir(parents=True)
            store = write_demo_store(tracking_uri, artifact_uri)
            record = {"fingerprint": _demo_fingerprint(), "summary": asdict(store.summary)}
            marker.write_text(json.dumps(record))
        fcntl.flock(readers, fcntl.LOCK_SH)
        fcntl.flock(writer, fcntl.LOCK_UN)
        yield store


@pytest.fixture
def client(demo_store: DemoStore) -> Iterator[TrackingClient]:
    with demo_store.client() as tracking_client:
        yield tracking_client


@pytest.fixture(params=APP_DATABASES)
def empty_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TrackingClient]:
    """A client on a new empty database, for tests that write while the app runs."""
    reason = skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    with (
        fresh_database(request.param, tmp_path) as uri,
        TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as tracking_client,
    ):
        yield tracking_client


def make_app(client: TrackingClient, refresh_seconds: float = 0.0) -> TuitrackApp:
    return TuitrackApp(client, clock=lambda: FIXED_NOW, refresh_seconds=refresh_seconds)
