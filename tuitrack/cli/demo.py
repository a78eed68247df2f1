"""A realistic, deterministic demo store: several experiments, nested sweeps, live runs.

Everything derives from a seed and a fixed `now`, so the same arguments always write the
same params, metrics, times and artifacts (run ids come from the store).
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import yaml

from tuitrack.core.store import now_ms
from tuitrack.entities import Metric, Param, RunStatus, RunTag
from tuitrack.sdk.client import TrackingClient

Scale = Literal["small", "full"]

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
USERS = ("alice", "bob", "chen")
HOSTS = ("gpu-box-1", "gpu-box-2")


@dataclass(frozen=True)
class DemoSummary:
    experiments: int
    runs: int
    running_run_ids: tuple[str, ...]
    orphaned_run_id: str


@dataclass
class _Plan:
    """One run to write; `children` makes it the parent of a sweep."""

    name: str
    params: dict[str, str]
    status: RunStatus
    start: int
    steps: int
    step_ms: int
    curve: Callable[[int, int], dict[str, float]]
    user: str
    host: str
    tags: dict[str, str] = field(default_factory=dict)
    children: list[_Plan] = field(default_factory=list)
    heartbeat_age_ms: int = 2_000


def _loss_curve(
    rng: random.Random, quality: float, diverge: bool = False
) -> Callable[..., dict[str, float]]:
    """Train/val loss falling towards a floor set by `quality` (0 best .. 1 worst)."""
    floor = 0.05 + 0.6 * quality
    speed = rng.uniform(2.0, 6.0)
    noise = random.Random(rng.random())

    def curve(step: int, total: int) -> dict[str, float]:
        progress = step / max(total - 1, 1)
        train = floor + (2.3 - floor) * math.exp(-speed * progress) + noise.gauss(0, 0.015)
        val = train * (1.05 + 0.1 * quality) + noise.gauss(0, 0.02)
        if diverge and progress > 0.7:
            blow_up = (progress - 0.7) * 40
            train = float("nan") if progress > 0.95 else train * math.exp(blow_up)
            val = train
        # A diverged run guesses: chance accuracy, not the clamp of a NaN.
        chance = 0.1 + noise.gauss(0, 0.005)
        accuracy = max(0.0, min(1.0, 1.0 - val / 2.6 + noise.gauss(0, 0.005)))
        accuracy = accuracy if math.isfinite(val) and val < 2.6 else chance
        return {"train/loss": train, "val/loss": val, "val/accuracy": accuracy}

    return curve


def _reward_curve(rng: random.Random, quality: float) -> Callable[..., dict[str, float]]:
    ceiling = 500 * (1 - 0.8 * quality)
    noise = random.Random(rng.random())

    def curve(step: int, total: int) -> dict[str, float]:
        progress = step / max(total - 1, 1)
        reward = ceiling / (1 + math.exp(-10 * (progress - 0.4))) + noise.gauss(0, 12)
        return {"episode_reward": reward, "entropy": 1.4 * (1 - progress) + 0.1}

    return curve


def _finished_status(rng: random.Random) -> RunStatus:
    roll = rng.random()
    if roll < 0.08:
        return RunStatus.FAILED
    if roll < 0.12:
        return RunStatus.KILLED
    return RunStatus.FINISHED


def _mnist_plans(rng: random.Random, now: int, count: int, steps: int) -> Iterator[_Plan]:
    for index in range(count):
        lr = rng.choice(("0.1", "0.03", "0.01", "0.003", "0.001"))
        batch = rng.choice(("32", "64", "128", "256"))
        dropout = rng.choice(("0.0", "0.1", "0.25", "0.5"))
        quality = abs(math.log10(float(lr)) + 2.5) / 2 + float(dropout) * 0.2
        status = _finished_status(rng)
        yield _Plan(
            name=f"cnn-{index:03d}",
            params={
                "lr": lr,
                "batch_size": batch,
                "dropout": dropout,
                "optimizer": "adam",
                "epochs": "20",
                "seed": str(index),
            },
            status=status,
            start=now - rng.randint(2 * DAY_MS, 14 * DAY_MS),
            steps=steps,
            step_ms=rng.randint(800, 2_000),
            curve=_loss_curve(rng, min(quality, 1.0), diverge=status is RunStatus.FAILED),
            user=rng.choice(USERS),
            host=rng.choice(HOSTS),
            tags={"model": "cnn", "dataset": "mnist"},
        )


def _sweep_plans(
    rng: random.Random, now: int, sweeps: int, per_sweep: int, steps: int
) -> Iterator[_Plan]:
    for sweep in range(sweeps):
        start = now - (sweeps - sweep) * 2 * DAY_MS
        children = []
        for index in range(per_sweep):
            lr = ("0.4", "0.2", "0.1", "0.05", "0.02")[index % 5]
            wd = ("1e-4", "5e-4", "1e-3")[(index // 5) % 3]
            quality = abs(math.log10(float(lr)) + 1) / 1.5 + (0.1 if wd == "1e-3" else 0.0)
            status = _finished_status(rng)
            children.append(
                _Plan(
                    name=f"trial-{sweep}-{index:02d}",
                    params={
                        "lr": lr,
                        "weight_decay": wd,
                        "depth": str(18 + 16 * (sweep % 3)),
                        "augment": rng.choice(("none", "flip", "autoaugment")),
                        "seed": str(index),
                    },
                    status=status,
                    start=start + index * 20 * MINUTE_MS,
                    steps=steps,
                    step_ms=rng.randint(3_000, 6_000),
                    curve=_loss_curve(rng, min(quality, 1.0), diverge=status is RunStatus.FAILED),
                    user="bob",
                    host="gpu-box-2",
                    tags={"sweep": f"sweep-{sweep}", "dataset": "cifar10"},
                )
            )
        yield _Plan(
            name=f"sweep-{sweep}",
            params={"depth": str(18 + 16 * (sweep % 3)), "search": "grid"},
            status=RunStatus.FINISHED,
            start=start - MINUTE_MS,
            steps=0,
            step_ms=0,
            curve=lambda step, total: {},
            user="bob",
            host="gpu-box-2",
            tags={"sweep": f"sweep-{sweep}", "dataset": "cifar10", "role": "sweep"},
            children=children,
        )


def _bert_plans(rng: random.Random, now: int, count: int, steps: int) -> Iterator[_Plan]:
    tasks = ("sst2", "mrpc", "cola", "qnli", "rte")
    for index in range(count):
        task = tasks[index % len(tasks)]
        lr = rng.choice(("2e-5", "3e-5", "5e-5"))
        status = _finished_status(rng)
        yield _Plan(
            name=f"bert-{task}-{index:02d}",
            params={
                "task": task,
                "lr": lr,
                "warmup": rng.choice(("0.0", "0.06", "0.1")),
                "max_seq_len": "128",
                "model": "bert-base-uncased",
            },
            status=status,
            start=now - rng.randint(1 * DAY_MS, 6 * DAY_MS),
            steps=steps,
            step_ms=rng.randint(1_000, 3_000),
            curve=_loss_curve(rng, rng.uniform(0.1, 0.6), diverge=status is RunStatus.FAILED),
            user=rng.choice(USERS),
            host="gpu-box-1",
            tags={"model": "bert", "dataset": "glue"},
        )


def _live_plans(rng: random.Random, now: int, steps: int) -> Iterator[_Plan]:
    """Runs still going: two with fresh heartbeats, one orphaned (its process died)."""
    for index, size in enumerate(("125m", "350m")):
        yield _Plan(
            name=f"pretrain-{size}",
            params={
                "model_size": size,
                "lr": "6e-4",
                "batch_tokens": "524288",
                "warmup_steps": "2000",
            },
            status=RunStatus.RUNNING,
            start=now - (5 - 2 * index) * HOUR_MS,
            steps=steps,
            step_ms=(5 - 2 * index) * HOUR_MS // steps,
            curve=_loss_curve(rng, 0.3 + 0.1 * index),
            user="alice",
            host="gpu-box-1",
            tags={"model": "gpt", "dataset": "openwebtext"},
        )
    yield _Plan(
        name="pretrain-760m",
        params={
            "model_size": "760m",
            "lr": "3e-4",
            "batch_tokens": "524288",
            "warmup_steps": "2000",
        },
        status=RunStatus.RUNNING,
        start=now - 20 * HOUR_MS,
        steps=steps // 2,
        step_ms=12 * HOUR_MS // steps,
        curve=_loss_curve(rng, 0.35),
        user="alice",
        host="gpu-box-2",
        tags={"model": "gpt", "dataset": "openwebtext"},
        heartbeat_age_ms=8 * HOUR_MS,
    )


def _ppo_plans(rng: random.Random, now: int, count: int, steps: int) -> Iterator[_Plan]:
    for index in range(count):
        running = index < 2
        clip = rng.choice(("0.1", "0.2", "0.3"))
        yield _Plan(
            name=f"ppo-{index:02d}",
            params={
                "clip": clip,
                "gamma": rng.choice(("0.99", "0.995")),
                "env": "CartPole-v1",
                "n_envs": rng.choice(("4", "8", "16")),
            },
            status=RunStatus.RUNNING if running else _finished_status(rng),
            start=now - (30 * MINUTE_MS if running else rng.randint(HOUR_MS, 3 * DAY_MS)),
            steps=steps // 3 if running else steps,
            step_ms=5_000 if running else rng.randint(500, 1_500),
            curve=_reward_curve(rng, abs(float(clip) - 0.2) * 3),
            user="chen",
            host="gpu-box-1",
            tags={"algo": "ppo"},
        )


def _experiment_plans(rng: random.Random, now: int, scale: Scale) -> dict[str, list[_Plan]]:
    small = scale == "small"
    steps = 40 if small else 200
    return {
        "mnist-cnn": list(_mnist_plans(rng, now, 8 if small else 90, steps)),
        "cifar10-resnet-sweep": list(
            _sweep_plans(rng, now, 2 if small else 4, 4 if small else 24, steps)
        ),
        "bert-glue": list(_bert_plans(rng, now, 5 if small else 45, steps)),
        "gpt-pretrain": list(_live_plans(rng, now, steps)),
        "ppo-cartpole": list(_ppo_plans(rng, now, 4 if small else 40, steps)),
    }


def _metrics_csv(rows: list[dict[str, float]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=["step", *rows[0].keys()])
        writer.writeheader()
        for step, row in enumerate(rows):
            writer.writerow({"step": step, **{k: f"{v:.6g}" for k, v in row.items()}})
    return buffer.getvalue()


class _Writer:
    def __init__(self, client: TrackingClient, now: int, seed: int) -> None:
        self.client = client
        self.now = now
        self.rng = random.Random(seed)
        self.runs = 0
        self.running: list[str] = []
        self.orphaned = ""

    def write(self, experiment_id: str, plan: _Plan, parent_run_id: str | None = None) -> None:
        run = self.client.create_run(
            experiment_id,
            run_name=plan.name,
            tags=plan.tags,
            start_time=plan.start,
            parent_run_id=parent_run_id,
            user_id=plan.user,
            host=plan.host,
            pid=10_000 + self.runs,
        )
        run_id = run.info.run_id
        self.runs += 1
        points = [plan.curve(step, plan.steps) for step in range(plan.steps)]
        metrics = [
            Metric(
                key=key, value=value, timestamp=plan.start + (step + 1) * plan.step_ms, step=step
            )
            for step, values in enumerate(points)
            for key, value in values.items()
        ]
        self.client.log_batch(
            run_id,
            metrics=metrics,
            params=[Param(key=k, value=v) for k, v in plan.params.items()],
            tags=[
                RunTag(key="git.commit", value=f"{self.rng.getrandbits(160):040x}"),
                RunTag(key="command", value=f"python train.py --run {plan.name}"),
            ],
        )
        self._write_artifacts(run_id, plan, points)
        for child in plan.children:
            self.write(experiment_id, child, parent_run_id=run_id)
        if plan.status is RunStatus.RUNNING:
            self.client.store.record_heartbeat(run_id, self.now - plan.heartbeat_age_ms)
            if plan.heartbeat_age_ms > HOUR_MS:
                self.orphaned = run_id
            else:
                self.running.append(run_id)
            return
        end = plan.start + max(plan.steps, 1) * plan.step_ms + MINUTE_MS
        if plan.children:
            end = max(c.start + c.steps * c.step_ms for c in plan.children) + MINUTE_MS
        self.client.set_terminated(run_id, plan.status, end_time=end)

    def _write_artifacts(self, run_id: str, plan: _Plan, points: list[dict[str, float]]) -> None:
        # One artifact store per run, opened once: it is the same store log_text would use.
        store = self.client.artifact_store(run_id)
        config = {"run": plan.name, "params": dict(plan.params), "tags": dict(plan.tags)}
        store.log_bytes(yaml.safe_dump(config, sort_keys=False).encode(), "config.yaml")
        if points:
            store.log_bytes(_metrics_csv(points).encode(), "metrics.csv")
        notes = (
            f"{plan.name}\n\nStatus when written: {plan.status.value}.\n"
            f"Trained on {plan.host} by {plan.user}.\n"
        )
        store.log_bytes(notes.encode(), "notes.txt")
        if plan.status is RunStatus.FINISHED and points:
            final = {k: round(v, 6) for k, v in points[-1].items() if math.isfinite(v)}
            summary = json.dumps({"final": final, "steps": plan.steps}, indent=2)
            store.log_bytes(summary.encode(), "model/summary.json")
            store.log_bytes(self.rng.randbytes(2048), "model/weights.bin")


def write_demo(
    client: TrackingClient,
    now: int | None = None,
    scale: Scale = "full",
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Write the demo experiments into `client`'s store; return what was written.

    Raises AlreadyExistsError if a demo experiment name is already taken in that store.
    """
    moment = now_ms() if now is None else now
    writer = _Writer(client, moment, seed)
    plans = _experiment_plans(writer.rng, moment, scale)
    for name, experiment_plans in plans.items():
        if progress is not None:
            progress(name)
        experiment_id = client.create_experiment(name, tags={"source": "tuitrack demo"})
        for plan in experiment_plans:
            writer.write(experiment_id, plan)
    scratch = client.create_experiment("scratch", tags={"source": "tuitrack demo"})
    client.delete_experiment(scratch)
    return DemoSummary(
        experiments=len(plans),
        runs=writer.runs,
        running_run_ids=tuple(writer.running),
        orphaned_run_id=writer.orphaned,
    )


def _drift(key: str) -> float:
    """Losses keep falling a little, everything else creeps up."""
    return 0.998 if "loss" in key or "entropy" in key else 1.001


class DemoTicker:
    """Keeps the demo's live runs alive: a heartbeat and a new metric point every tick."""

    def __init__(
        self, client: TrackingClient, run_ids: tuple[str, ...], interval_s: float = 2.0
    ) -> None:
        self.client = client
        self.run_ids = run_ids
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tuitrack-demo-ticker", daemon=True)
        self._rng = random.Random(1)

    def start(self) -> None:
        """Beat once now, so live runs of a reopened demo do not read as orphaned until the
        first tick, then tick in the background."""
        stamp = now_ms()
        for run_id in self.run_ids:
            self.client.store.record_heartbeat(run_id, stamp)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        steps = {run_id: self._last_step(run_id) for run_id in self.run_ids}
        while not self._stop.wait(self.interval_s):
            for run_id in self.run_ids:
                try:
                    steps[run_id] += 1
                    self._tick(run_id, steps[run_id])
                except Exception:  # the demo must never take the UI down with it
                    return

    def _last_step(self, run_id: str) -> int:
        run = self.client.get_run(run_id)
        keys = list(run.data.metrics)
        if not keys:
            return 0
        history = self.client.get_metric_history(run_id, keys[0])
        return history[-1].step if history else 0

    def _tick(self, run_id: str, step: int) -> None:
        run = self.client.get_run(run_id)
        stamp = now_ms()
        metrics = [
            Metric(
                key=key,
                value=value * _drift(key) * (1 + self._rng.gauss(0, 0.004)),
                timestamp=stamp,
                step=step,
            )
            for key, value in run.data.metrics.items()
            if math.isfinite(value)
        ]
        self.client.log_batch(run_id, metrics=metrics)
        self.client.store.record_heartbeat(run_id, stamp)
