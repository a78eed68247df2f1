"""Every point logged is stored exactly once, also when the database's connections die.

When a connection died during COMMIT, the SDK's writer could not know that the batch had
been stored and wrote it again: thousands of duplicate points on MariaDB with connections
killed every 0.3 s. Now each batch carries an id, given once; the store records it in the
batch's own transaction and skips a batch whose id it has.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from select import select as wait_readable

import pytest
from sqlalchemy import Connection, create_engine, func, select, text
from sqlalchemy.engine import make_url

from tests.databases import DATABASE_KINDS, SERVER_ENVS, fresh_database, skip_reason
from tests.sdk.processes import REPO_ROOT, SdkSandbox, wait_for_line
from tuitrack.entities import Metric
from tuitrack.errors import InvalidValueError
from tuitrack.sdk.client import TrackingClient
from tuitrack_sql import schema

SOAK = os.environ.get("TUITRACK_SOAK") == "1"
# Faults go on for at least this long and until this many COMMIT answers were lost.
FAULT_SECONDS = 120.0 if SOAK else 4.0
LOST_ANSWERS = 100 if SOAK else 5
KILLS = 100 if SOAK else 3


@pytest.fixture(params=DATABASE_KINDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(kind, uri) of a new database."""
    reason = skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    with fresh_database(request.param, tmp_path) as uri:
        yield request.param, uri


def _stored_batches(client: TrackingClient) -> int:
    engine = client.store.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(schema.write_batches)).scalar_one()
        )


def test_a_batch_sent_again_with_its_id_is_stored_once(
    database: tuple[str, str], tmp_path: Path
) -> None:
    _kind, uri = database
    with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
        run_id = client.create_run(client.create_experiment("once")).info.run_id
        store = client.store
        points = [
            Metric(key="loss", value=float(step), step=step, timestamp=step) for step in range(5)
        ]
        for _ in range(3):
            store.log_batch(run_id, metrics=points, batch_id="a" * 32)
            store.log_metric_columns(run_id, ["acc"] * 2, [0.5, 0.6], [1, 2], [1, 2], batch_id="b1")
        store.log_batch(run_id, metrics=points, batch_id="c" * 64)  # another batch: stored
        store.log_batch(run_id, metrics=points)  # no id: stored every time
        assert [m.step for m in client.get_metric_history(run_id, "loss")] == sorted(
            list(range(5)) * 3
        )
        assert [m.value for m in client.get_metric_history(run_id, "acc")] == [0.5, 0.6]
        assert client.store.get_metric_summaries(run_id)[1].count == 15  # acc, loss
        assert _stored_batches(client) == 3
        with pytest.raises(InvalidValueError, match="batch id"):
            store.log_batch(run_id, metrics=points, batch_id="d" * 65)


_WRITER = """
    import sys, threading, time
    import tuitrack

    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    run = tuitrack.start_run(capture_environment=False)
    print("RUN", run.info.run_id, flush=True)
    step = 0
    while not stop.is_set():
        for _ in range(20):
            tuitrack.log_metric("x", float(step), step=step)
            step += 1
        time.sleep(0.01)
    tuitrack.end_run()
    print("ENDED", step, flush=True)
"""


class _ConnectionKiller:
    """Kills every connection to one database, and only those, every 0.3 to 0.8 s."""

    def __init__(self, kind: str, database: str) -> None:
        self.kind = kind
        self.database = database
        self.kills = 0
        self._stop = threading.Event()
        self._admin = create_engine(os.environ[SERVER_ENVS[kind]], isolation_level="AUTOCOMMIT")
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _ConnectionKiller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self._admin.dispose()

    def _run(self) -> None:
        with self._admin.connect() as connection:
            while not self._stop.wait(random.uniform(0.3, 0.8)):
                self.kills += self._kill_all(connection)

    def _kill_all(self, connection: Connection) -> int:
        if self.kind == "postgresql":
            killed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": self.database},
            )
            return int(killed.scalar_one())
        ids = connection.execute(
            text(
                "SELECT ID FROM information_schema.PROCESSLIST "
                "WHERE DB = :name AND ID <> CONNECTION_ID()"
            ),
            {"name": self.database},
        ).scalars()
        count = 0
        for connection_id in list(ids):
            try:
                connection.execute(text(f"KILL CONNECTION {int(connection_id)}"))
                count += 1
            except Exception:  # it ended meanwhile
                continue
        return count


# How a COMMIT looks on the wire: PyMySQL's COM_QUERY packet; in psycopg's messages, the
# statement text.
COMMIT_BYTES = {"mysql": b"\x07\x00\x00\x00\x03COMMIT", "postgresql": b"COMMIT\x00"}


class _CommitReplyLoser:
    """A TCP proxy to the database server that loses the answer to some COMMITs: it passes
    the COMMIT on, waits for the server's answer, then closes the connection instead of
    passing the answer back. The client cannot tell whether its batch was stored.

    (Killing connections alone seldom hits the moment between a COMMIT and its answer.)
    """

    def __init__(self, server: tuple[str, int], commit: bytes) -> None:
        self.server = server
        self.commit = commit
        self.every = 0  # every n-th COMMIT's answer is lost; 0: none
        self.lost = 0
        self._commits = itertools.count(1)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> _CommitReplyLoser:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError), client, socket.create_connection(self.server) as server:
            lose_answer = False
            while True:
                readable, _, _ = wait_readable([client, server], [], [])
                for end in readable:
                    data = end.recv(1 << 16)
                    if not data:
                        return
                    if end is server:
                        if lose_answer:
                            self.lost += 1
                            return
                        client.sendall(data)
                        continue
                    if self.commit in data and self.every:
                        lose_answer = next(self._commits) % self.every == 0
                    server.sendall(data)


def _wait_for_faults(killer: _ConnectionKiller, loser: _CommitReplyLoser) -> None:
    started = time.monotonic()
    while (
        time.monotonic() - started < FAULT_SECONDS
        or loser.lost < LOST_ANSWERS
        or killer.kills < KILLS
    ):
        assert time.monotonic() - started < FAULT_SECONDS + 120, "the writer stopped committing"
        time.sleep(0.1)


def _through(uri: str, kind: str, port: int) -> str:
    url = make_url(uri).set(host="127.0.0.1", port=port)
    if kind == "postgresql":  # the proxy must see the statements
        url = url.update_query_dict({"sslmode": "disable"})
    return url.render_as_string(hide_password=False)


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_points_logged_while_connections_die_are_stored_exactly_once(
    kind: str, tmp_path: Path
) -> None:
    reason = skip_reason(kind)
    if reason:
        pytest.skip(reason)
    sandbox = SdkSandbox(tmp_path)
    with fresh_database(kind, tmp_path) as uri:
        url = make_url(uri)
        server = (
            url.host or "127.0.0.1",
            int(url.port or (5432 if kind == "postgresql" else 3306)),
        )
        with _CommitReplyLoser(server, COMMIT_BYTES[kind]) as loser:
            writer = subprocess.Popen(
                [sys.executable, "-c", textwrap.dedent(_WRITER)],
                env={
                    **sandbox.env,
                    "TUITRACK_TRACKING_URI": _through(uri, kind, loser.port),
                    "TUITRACK_FLUSH_INTERVAL_SECONDS": "0.01",
                },
                cwd=REPO_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                run_id = wait_for_line(writer, "RUN ")
                loser.every = 3
                with _ConnectionKiller(kind, str(url.database)) as killer:
                    _wait_for_faults(killer, loser)
                loser.every = 0  # the connections are left alone from here on
                assert writer.stdin is not None
                writer.stdin.write("stop\n")
                writer.stdin.flush()
                logged = int(wait_for_line(writer, "ENDED ", timeout=120))
                writer.wait(30)
            finally:
                if writer.poll() is None:
                    writer.kill()
        sandbox.tracking_uri = uri
        steps = Counter(m.step for m in sandbox.client.get_metric_history(run_id, "x"))
        sandbox.close()
    duplicates = sum(count - 1 for count in steps.values())
    lost = logged - len(steps)
    print(
        f"{kind}: {logged} points; {killer.kills} connections killed, {loser.lost} COMMIT "
        f"answers lost; {duplicates} duplicates, {lost} lost"
    )
    assert (duplicates, lost) == (0, 0)
    assert set(steps) == set(range(logged))
