"""One writer process of the fault soak: a training loop that logs known points through the
fluent SDK until a deadline, starting a new run every few seconds.

    python benchmarks/soak/writer.py --until EPOCH_SECONDS [--rate 1000] [--run-seconds 20]

The store comes from TUITRACK_TRACKING_URI. Events go to stdout, one JSON object a line:
  {"event": "run", "run_id": ...}                   start_run returned
  {"event": "start_failed", "error": ...}           start_run raised (retried)
  {"event": "flush", "logged": {run_id: n}, "confirmed": bool}
      before the flush, each run had n points for which log_metric had returned;
      confirmed: the flush reported all of them stored
  {"event": "finished", "logged": {...}, "confirmed": bool}   the last flush, after end_run
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import tuitrack
from benchmarks.soak.points import KEYS, expected_value
from tuitrack.errors import TuitrackError
from tuitrack.sdk.state import STATE

FLUSH_EVERY_SECONDS = 1.0
FLUSH_WAIT_SECONDS = 0.5
FINAL_FLUSH_SECONDS = 120.0
START_RETRY_SECONDS = 0.5
LOG_METRICS_EVERY = 10  # every 10th step goes through log_metrics instead of log_metric


def report(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def flush_confirmed(timeout: float) -> bool:
    """Wait for the SDK's writer and say whether everything logged so far is stored.

    `tuitrack.flush()` returns nothing, so this asks the session writers it waits on.
    """
    writers = [s.writer for s in list(STATE.sessions.values()) if s.writer is not None]
    results = [writer.flush(timeout) for writer in writers]  # each one, no short cut
    return all(results)


def start_run_retrying(until: float) -> str | None:
    while time.time() < until:
        try:
            run = tuitrack.start_run()
        except TuitrackError as error:
            report("start_failed", error=f"{type(error).__name__}: {error}"[:300])
            time.sleep(START_RETRY_SECONDS)
            continue
        return run.info.run_id
    return None


def log_one_run(run_id: str, logged: dict[str, int], run_until: float, rate: float) -> None:
    """Log points at `rate` per second until `run_until`, flushing every second."""
    began = time.monotonic()
    next_flush = began + FLUSH_EVERY_SECONDS
    step = 0
    logged[run_id] = 0
    while time.time() < run_until:
        due = int((time.monotonic() - began) * rate)
        while logged[run_id] < due:
            if step % LOG_METRICS_EVERY == 0:
                tuitrack.log_metrics(
                    {key: expected_value(k, step) for k, key in enumerate(KEYS)}, step=step
                )
            else:
                for k, key in enumerate(KEYS):
                    tuitrack.log_metric(key, expected_value(k, step), step=step)
            logged[run_id] += len(KEYS)
            step += 1
        if time.monotonic() >= next_flush:
            before = dict(logged)
            report("flush", logged=before, confirmed=flush_confirmed(FLUSH_WAIT_SECONDS))
            next_flush = time.monotonic() + FLUSH_EVERY_SECONDS
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--until", type=float, required=True, help="stop logging (epoch s)")
    parser.add_argument("--rate", type=float, default=1000.0, help="points per second")
    parser.add_argument("--run-seconds", type=float, default=20.0, help="length of one run")
    args = parser.parse_args(argv)
    logged: dict[str, int] = {}
    while time.time() < args.until:
        run_id = start_run_retrying(args.until)
        if run_id is None:
            break
        report("run", run_id=run_id)
        log_one_run(run_id, logged, min(args.until, time.time() + args.run_seconds), args.rate)
        tuitrack.end_run()
    deadline = time.monotonic() + FINAL_FLUSH_SECONDS
    confirmed = flush_confirmed(FLUSH_WAIT_SECONDS)
    while not confirmed and time.monotonic() < deadline:
        confirmed = flush_confirmed(5.0)
    report("finished", logged=logged, confirmed=confirmed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
