"""Private PostgreSQL and MariaDB servers: one per use, in a temporary folder, on a free
127.0.0.1 port, so a test or benchmark may kill their connections or restart them without
touching the shared servers other people use.

    with private_server("postgresql") as server:
        uri = server.create_database("soak")
        server.restart(crash=True)

Each server runs in its own session (Ctrl-C in the terminal does not reach it) and is
stopped, and its folder removed, when the `with` block ends for any reason, and at
interpreter exit as a last resort.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from tests.server_processes import free_port, launch_in_own_session, read_log_tail

SERVER_KINDS = ("postgresql", "mysql")
_START_TIMEOUT_SECONDS = 60.0
_STOP_TIMEOUT_SECONDS = 60.0
_POSTGRES_MISSING = (
    "PostgreSQL server binaries not found (looked for /usr/lib/postgresql/*/bin/postgres "
    "and initdb, and `postgres` on PATH)"
)
_MARIADB_MISSING = (
    "MariaDB binaries not found (need mariadb-install-db and mariadbd on PATH or in /usr/sbin)"
)
_running: set[PrivateServer] = set()


class ServerUnavailableError(RuntimeError):
    """The binaries are missing or the server did not start; the message says which."""


def _other_users_can_enter(path: Path) -> bool:
    """True when every folder from / down to `path` is searchable by any user."""
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in [path, *path.parents])


class PrivateServer(ABC):
    """A database server owned by this process; `start`, `stop`, `restart`, `close`."""

    kind: str
    admin_database: str
    url_format: str  # a tracking URI with {port} and {database}
    quote: str  # around a database name in SQL
    connection_ids_sql: str  # the connections to :database, the asking one excepted
    kill_sql: str  # with {id}
    clean_stop: signal.Signals
    crash_stop: signal.Signals
    user: str | None = None  # the server's system user, when not this process's

    def __init__(self, root: Path | None = None) -> None:
        # The server may run as another user (postgres), who must be able to reach it.
        parent = root if root is not None and _other_users_can_enter(root) else None
        self.root = Path(tempfile.mkdtemp(prefix=f"tuitrack-{self.kind}-", dir=parent))
        self.root.chmod(0o755)
        self.data_dir = self.root / "data"
        self.port = free_port()
        self.log_path = self.root / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @abstractmethod
    def _initialize(self) -> None:
        """Create the data folder (initdb / mariadb-install-db)."""

    @abstractmethod
    def _server_command(self) -> list[str]: ...

    def url(self, database: str) -> str:
        """A tuitrack tracking URI for `database` on this server."""
        return self.url_format.format(port=self.port, database=database)

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        if not (self.root / "initialized").exists():
            self._initialize()
            (self.root / "initialized").touch()
        self.process = launch_in_own_session(
            self._server_command(), self.root, self.log_path, user=self.user
        )
        _running.add(self)
        self._wait_until_ready()

    def stop(self, crash: bool = False) -> None:
        """Shut the server down; `crash=True` gives it no chance to clean up (recovery
        runs at the next start)."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(self.crash_stop if crash else self.clean_stop)
            try:
                process.wait(_STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.process = None
        _running.discard(self)

    def restart(self, crash: bool = False, down_seconds: float = 0.0) -> None:
        self.stop(crash=crash)
        time.sleep(down_seconds)
        self.start()

    def close(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        return read_log_tail(self.log_path, lines)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        last_error = ""
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                break
            try:
                self.execute(self.admin_database, "SELECT 1")
                return
            except SQLAlchemyError as error:
                last_error = str(error).splitlines()[0]
            time.sleep(0.2)
        self.stop(crash=True)
        raise ServerUnavailableError(
            f"private {self.kind} server on port {self.port} did not start "
            f"({last_error or 'it exited'}); its log {self.log_path} ends with:\n"
            f"{self.log_tail()}"
        )

    def _run_setup(self, command: list[str]) -> None:
        """Run an initdb-like command as the server's user; raise with its output."""
        if self.user is not None:
            shutil.chown(self.root, self.user)
        result = subprocess.run(
            command, cwd=self.root, user=self.user, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            output = (result.stderr or result.stdout).strip()[-2000:]
            raise ServerUnavailableError(f"{command[0]} failed ({result.returncode}): {output}")

    # --- SQL as administrator ----------------------------------------------------------

    @contextmanager
    def _admin_connection(self, database: str) -> Iterator[Connection]:
        engine = create_engine(self.url(database), poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()

    def execute(self, database: str, sql: str) -> list[tuple[object, ...]]:
        """Run one statement outside any transaction; rows if it returns any."""
        with self._admin_connection(database) as connection:
            result = connection.execute(text(sql))
            return [tuple(row) for row in result] if result.returns_rows else []

    def create_database(self, name: str) -> str:
        """Create an empty database; return its tracking URI."""
        self.execute(self.admin_database, f"CREATE DATABASE {self.quote}{name}{self.quote}")
        return self.url(name)

    def kill_connections(self, database: str) -> int:
        """Kill every connection to `database` (the killer's own excepted); how many."""
        killed = 0
        with self._admin_connection(self.admin_database) as connection:
            ids = connection.execute(text(self.connection_ids_sql), {"database": database})
            for (connection_id,) in ids.all():
                try:
                    connection.execute(text(self.kill_sql.format(id=int(connection_id))))
                    killed += 1
                except SQLAlchemyError:
                    pass  # it ended by itself meanwhile
        return killed


class PrivatePostgres(PrivateServer):
    kind = "postgresql"
    admin_database = "postgres"
    url_format = "postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
    quote = '"'
    connection_ids_sql = (
        "SELECT pid FROM pg_stat_activity WHERE datname = :database AND pid <> pg_backend_pid()"
    )
    kill_sql = "SELECT pg_terminate_backend({id})"
    clean_stop = signal.SIGINT  # fast shutdown
    # Immediate shutdown, crash recovery at the next start. (SIGKILL of the postmaster
    # would leave its backends running.)
    crash_stop = signal.SIGQUIT
    user = "postgres" if os.geteuid() == 0 else None  # initdb refuses to run as root

    def __init__(self, root: Path | None = None) -> None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise ServerUnavailableError(_POSTGRES_MISSING)
        self.bin_dir: Path = bin_dir
        super().__init__(root)

    def _initialize(self) -> None:
        self._run_setup(
            [
                str(self.bin_dir / "initdb"),
                *("-D", str(self.data_dir), "-U", "postgres", "-A", "trust"),
                *("-E", "UTF8", "--locale=C", "--no-sync"),
            ]
        )

    def _server_command(self) -> list[str]:
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.root),
            "shared_buffers": "32MB",
            "max_connections": "100",
        }
        options = [item for key, value in settings.items() for item in ("-c", f"{key}={value}")]
        return [
            str(self.bin_dir / "postgres"),
            *("-D", str(self.data_dir), "-p", str(self.port)),
            *options,
        ]


class PrivateMariaDB(PrivateServer):
    kind = "mysql"
    admin_database = "mysql"
    url_format = "mysql+pymysql://root@127.0.0.1:{port}/{database}"
    quote = "`"
    connection_ids_sql = (
        "SELECT id FROM information_schema.processlist "
        "WHERE db = :database AND id <> CONNECTION_ID()"
    )
    kill_sql = "KILL CONNECTION {id}"
    clean_stop = signal.SIGTERM
    crash_stop = signal.SIGKILL

    def __init__(self, root: Path | None = None) -> None:
        binaries = mariadb_binaries()
        if binaries is None:
            raise ServerUnavailableError(_MARIADB_MISSING)
        self.install, self.server = binaries
        super().__init__(root)

    def _common_options(self) -> list[str]:
        # Durable defaults otherwise (a commit waits for its log write), as on a real server.
        options = ["--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M"]
        return options + (["--user=root"] if os.geteuid() == 0 else [])

    def _initialize(self) -> None:
        self._run_setup(
            [
                self.install,
                "--no-defaults",
                f"--datadir={self.data_dir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *self._common_options(),
            ]
        )

    def _server_command(self) -> list[str]:
        return [
            self.server,
            "--no-defaults",  # never the shared server's configuration
            f"--datadir={self.data_dir}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--socket={self.root / 'mysqld.sock'}",
            f"--pid-file={self.root / 'mysqld.pid'}",
            "--skip-log-bin",
            "--max-connections=200",
            *self._common_options(),
        ]


def postgres_bin_dir() -> Path | None:
    """The folder of the newest installed PostgreSQL's server binaries, if any."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    found = candidates[-1] if candidates else shutil.which("postgres")
    if found is None or shutil.which("initdb", path=str(Path(found).parent)) is None:
        return None
    return Path(found).parent


def mariadb_binaries() -> tuple[str, str] | None:
    """(mariadb-install-db, mariadbd), if both are installed."""
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    server = (
        shutil.which("mariadbd") or shutil.which("mysqld") or shutil.which("/usr/sbin/mariadbd")
    )
    return (install, server) if install and server else None


def unavailable_reason(kind: str) -> str | None:
    """Why a private server of `kind` cannot be started here, or None when it can."""
    if kind == "postgresql":
        return None if postgres_bin_dir() else _POSTGRES_MISSING
    if kind == "mysql":
        return None if mariadb_binaries() else _MARIADB_MISSING
    raise ValueError(f"unknown server kind {kind!r}; use one of {', '.join(SERVER_KINDS)}")


@contextmanager
def private_server(kind: str, root: Path | None = None) -> Iterator[PrivateServer]:
    """A started private server of `kind` ("postgresql" or "mysql"), closed afterwards."""
    server: PrivateServer
    if kind == "postgresql":
        server = PrivatePostgres(root)
    elif kind == "mysql":
        server = PrivateMariaDB(root)
    else:
        raise ValueError(f"unknown server kind {kind!r}; use one of {', '.join(SERVER_KINDS)}")
    try:
        server.start()
        yield server
    finally:
        server.close()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_running):
        server.close()
