"""The soak's writer processes, seen from the parent: start them, kill one with SIGKILL,
wait for the rest, and keep what each reported about its runs."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WRITER_SCRIPT = Path(__file__).with_name("writer.py")
_MIN_SECONDS_FOR_REPLACEMENT = 5.0


@dataclass
class WriterRecord:
    """What one writer process reported on stdout (see writer.py)."""

    index: int
    process: subprocess.Popen[str]
    stderr_path: Path
    runs: list[str] = field(default_factory=list)
    logged: dict[str, int] = field(default_factory=dict)
    confirmed: dict[str, int] = field(default_factory=dict)
    start_failures: list[str] = field(default_factory=list)
    finished: bool = False
    final_confirmed: bool = False
    killed: bool = False
    hung: bool = False

    def handle(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "run":
            self.runs.append(str(event["run_id"]))
        elif kind == "start_failed":
            self.start_failures.append(str(event["error"]))
        elif kind in ("flush", "finished"):
            logged = {str(run): int(count) for run, count in event["logged"].items()}
            self.logged.update(logged)
            if event["confirmed"]:
                self.confirmed.update(logged)
            if kind == "finished":
                self.finished = True
                self.final_confirmed = bool(event["confirmed"])

    def accepted(self, run_id: str) -> int:
        """Points of the run the check holds the SDK to: all it logged for a writer that
        ended by itself, what a confirmed flush covered for a writer killed with SIGKILL."""
        if self.killed:
            return self.confirmed.get(run_id, 0)
        return self.logged.get(run_id, 0)

    def crashed(self) -> bool:
        """Exited on its own without finishing (not killed by the soak)."""
        return not self.killed and not self.finished

    def stderr_tail(self, lines: int = 5) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])


class WriterPool:
    """Writer processes logging into one store until `until` (epoch seconds)."""

    def __init__(
        self, env: dict[str, str], until: float, rate: float, run_seconds: float, log_dir: Path
    ) -> None:
        self.env = env
        self.until = until
        self.rate = rate
        self.run_seconds = run_seconds
        self.log_dir = log_dir
        self.records: list[WriterRecord] = []
        self.kills = 0
        self._readers: list[threading.Thread] = []
        self._lock = threading.Lock()

    def spawn(self) -> WriterRecord:
        with self._lock:
            index = len(self.records)
            stderr_path = self.log_dir / f"writer-{index}.stderr"
            with stderr_path.open("w") as stderr:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        str(WRITER_SCRIPT),
                        *("--until", repr(self.until)),
                        *("--rate", repr(self.rate)),
                        *("--run-seconds", repr(self.run_seconds)),
                    ],
                    env=self.env,
                    cwd=self.log_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    text=True,
                    start_new_session=True,  # Ctrl-C reaches the soak, which ends them
                )
            record = WriterRecord(index, process, stderr_path)
            self.records.append(record)
        reader = threading.Thread(target=_read_events, args=(record,), daemon=True)
        reader.start()
        self._readers.append(reader)
        return record

    def kill_one(self, rng: random.Random) -> bool:
        """SIGKILL a random running writer mid-run; start another in its place."""
        with self._lock:
            running = [
                r for r in self.records if r.process.poll() is None and r.runs and not r.finished
            ]
            if not running:
                return False
            victim = rng.choice(running)
            victim.killed = True
            victim.process.send_signal(signal.SIGKILL)
        victim.process.wait()
        self.kills += 1
        if self.until - time.time() > _MIN_SECONDS_FOR_REPLACEMENT:
            self.spawn()
        return True

    def wait(self, timeout: float) -> None:
        """Wait for every writer to end; SIGKILL (and mark hung) those still running."""
        deadline = time.monotonic() + timeout
        for record in list(self.records):
            try:
                record.process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                record.hung = True
                record.process.kill()
                record.process.wait()
        for reader in self._readers:
            reader.join(timeout=5)

    def kill_all(self) -> None:
        for record in self.records:
            if record.process.poll() is None:
                record.process.kill()
                record.process.wait()


def _read_events(record: WriterRecord) -> None:
    stdout = record.process.stdout
    assert stdout is not None
    for line in stdout:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a partial line cut by SIGKILL
        if isinstance(event, dict):
            record.handle(event)
