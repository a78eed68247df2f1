"""The records tuitrack stores, shaped and named like MLflow's entities."""

from __future__ import annotations

from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @property
    def is_terminated(self) -> bool:
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)


class LifecycleStage(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"


class ViewType(StrEnum):
    """Which lifecycle stages a search returns."""

    ACTIVE_ONLY = "active_only"
    DELETED_ONLY = "deleted_only"
    ALL = "all"

    def stages(self) -> tuple[LifecycleStage, ...]:
        if self is ViewType.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE,)
        if self is ViewType.DELETED_ONLY:
            return (LifecycleStage.DELETED,)
        return (LifecycleStage.ACTIVE, LifecycleStage.DELETED)


class _Entity(BaseModel):
    # Schemas are built on first use, not at import: `import tuitrack` must stay cheap.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Metric(_Entity):
    """One point of a metric series; `timestamp` is milliseconds since the epoch."""

    key: str
    value: float
    timestamp: int
    step: int = 0


class Param(_Entity):
    key: str
    value: str


class RunTag(_Entity):
    key: str
    value: str


class ExperimentTag(_Entity):
    key: str
    value: str


class Experiment(_Entity):
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    tags: dict[str, str] = Field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


class RunInfo(_Entity):
    run_id: str
    experiment_id: str
    run_name: str | None = None
    user_id: str | None = None
    status: RunStatus = RunStatus.RUNNING
    start_time: int | None = None
    end_time: int | None = None
    artifact_uri: str = ""
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    parent_run_id: str | None = None
    host: str | None = None
    pid: int | None = None
    heartbeat_time: int | None = None

    @property
    def run_uuid(self) -> str:
        """MLflow's older name for `run_id`."""
        return self.run_id


class RunData(_Entity):
    """`metrics` holds each key's latest value (highest step, then latest timestamp)."""

    metrics: dict[str, float] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)


class Run(_Entity):
    info: RunInfo
    data: RunData = Field(default_factory=RunData)


class MetricSummary(_Entity):
    """A metric series at a glance, read without loading its points.

    `latest`, `step` and `timestamp` are those of the latest point (highest step, then latest
    timestamp). `min_value` / `max_value` ignore NaN and keep +-inf; both are None when every
    point is NaN. `count` is the number of points.
    """

    key: str
    latest: float
    step: int
    timestamp: int
    min_value: float | None
    max_value: float | None
    count: int


class TagSummary(_Entity):
    """One run tag key across the runs of some experiments.

    `runs`: how many runs have it; `distinct_values`: how many different values it takes;
    `values`: its most common values with their run counts, most common first (ties by value),
    at most as many as asked for.
    """

    key: str
    runs: int
    distinct_values: int
    values: list[tuple[str, int]] = Field(default_factory=list)


class FileInfo(_Entity):
    """An artifact: `path` is relative to the run's artifact root, '/'-separated."""

    path: str
    is_dir: bool
    file_size: int | None = None


class PagedList(list[T], Generic[T]):
    """A page of results; `token` fetches the next page and is None on the last one."""

    def __init__(self, items: list[T] | tuple[T, ...] = (), token: str | None = None) -> None:
        super().__init__(items)
        self.token = token
