"""Fault injectors of the soak, each a thread that strikes at random intervals until
stopped: kill the database's connections, restart the server, fill the disk under a
SQLite store, SIGKILL a writer process."""

from __future__ import annotations

import errno
import os
import random
import shutil
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from benchmarks.soak.pool import WriterPool
from tests.private_servers import PrivateServer

KILL_CONNECTIONS = "kill-connections"
RESTART = "restart"
DISK_FULL = "disk-full"
KILL_WRITERS = "kill-writers"
FAULTS = (KILL_CONNECTIONS, RESTART, DISK_FULL, KILL_WRITERS)
SERVER_FAULTS = (KILL_CONNECTIONS, RESTART)
_FILL_CHUNK = b"\0" * (1 << 20)


class FaultUnavailableError(RuntimeError):
    """This fault cannot be injected here; the message says why."""


class Injector(threading.Thread, ABC):
    """Calls `strike` after each random pause in [low, high] seconds until `stop` is set."""

    label: str

    def __init__(self, rng: random.Random, low: float, high: float) -> None:
        threading.Thread.__init__(self, name=f"soak-{self.label}", daemon=True)
        self.rng = rng
        self.low = low
        self.high = high
        self.stop_event = threading.Event()
        self.strikes = 0
        self.failures: list[str] = []

    @abstractmethod
    def strike(self) -> bool:
        """Inject the fault once; False when there was nothing to strike."""

    def detail(self) -> str:
        return ""

    def summary(self) -> str:
        extra = self.detail()
        return f"{self.label} {self.strikes}" + (f" ({extra})" if extra else "")

    def run(self) -> None:
        while not self.stop_event.wait(self.rng.uniform(self.low, self.high)):
            try:
                if self.strike():
                    self.strikes += 1
            except Exception as error:  # a fault that could not be injected this time
                self.failures.append(f"{type(error).__name__}: {error}".splitlines()[0])

    def stop(self) -> None:
        self.stop_event.set()
        self.join()


class ConnectionKiller(Injector):
    label = "kill-conn"

    def __init__(self, rng: random.Random, server: PrivateServer, database: str) -> None:
        super().__init__(rng, 0.1, 0.5)
        self.server = server
        self.database = database
        self.connections = 0

    def strike(self) -> bool:
        if not self.server.is_running():
            return False
        try:
            killed = self.server.kill_connections(self.database)
        except SQLAlchemyError:  # the server is restarting
            return False
        self.connections += killed
        return killed > 0

    def detail(self) -> str:
        return f"{self.connections} connections"


class ServerRestarter(Injector):
    """Restarts the server, alternately as a crash and a clean shutdown, down 0.5-3 s."""

    label = "restart"

    def __init__(self, rng: random.Random, server: PrivateServer, every: float) -> None:
        super().__init__(rng, every * 0.7, every * 1.3)
        self.server = server
        self.crashes = 0

    def strike(self) -> bool:
        crash = self.strikes % 2 == 0
        try:
            self.server.restart(crash=crash, down_seconds=self.rng.uniform(0.5, 3.0))
        except Exception:
            if not self.server.is_running():
                self.server.start()  # a failed start must not leave the soak without a store
            raise
        self.crashes += crash
        return True

    def detail(self) -> str:
        return f"{self.crashes} crashes"


class DiskFiller(Injector):
    """Fills the file system of `folder` with a file, keeps it full 1-4 s, deletes it."""

    label = "disk-full"

    def __init__(self, rng: random.Random, folder: Path, every: float) -> None:
        super().__init__(rng, every * 0.7, every * 1.3)
        self.filler = folder / "filler"

    def strike(self) -> bool:
        try:
            with self.filler.open("wb") as file:
                while not self.stop_event.is_set():
                    file.write(_FILL_CHUNK)
                    file.flush()
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
        try:
            self.stop_event.wait(self.rng.uniform(1.0, 4.0))
        finally:
            self.filler.unlink(missing_ok=True)
        return True


class WriterKiller(Injector):
    label = "kill -9"

    def __init__(self, rng: random.Random, pool: WriterPool, every: float) -> None:
        super().__init__(rng, every * 0.7, every * 1.3)
        self.pool = pool

    def strike(self) -> bool:
        return self.pool.kill_one(self.rng)


def tmpfs_unavailable_reason() -> str | None:
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    if shutil.which("mount") is None or shutil.which("umount") is None:
        return "mount/umount not found"
    return None


@contextmanager
def small_tmpfs(folder: Path, size_mb: int) -> Iterator[Path]:
    """A tmpfs of `size_mb` MiB mounted on `folder` (created), unmounted afterwards."""
    reason = tmpfs_unavailable_reason()
    if reason:
        raise FaultUnavailableError(reason)
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        raise FaultUnavailableError(f"mount -t tmpfs failed: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        for _attempt in range(10):
            if (
                subprocess.run(["umount", str(folder)], capture_output=True, check=False).returncode
                == 0
            ):
                break
            time.sleep(0.5)
        else:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)
