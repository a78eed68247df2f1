"""The records tuitrack stores, shaped and named like MLflow's entities.

They are built as MLflow's are (`Metric("m", 1.5, ts, 1)`, `Param("k", "v")`,
`Run(run_info, run_data)`), and take tuitrack's keyword names too; what differs from MLflow
is said on each class and checked in tests/sdk/test_mlflow_entities.py.

A value a field cannot hold (`Metric("m", "x", ts, 0)`) is refused when the entity is built,
with InvalidValueError (code INVALID_PARAMETER_VALUE) naming the entity, the field, the value
and what is allowed. MLflow builds such an entity and refuses it when it is logged, with the
same code: MLflow code that catches MlflowException around the call sees the same error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any, ClassVar, Generic, Self, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tuitrack.core.datasets import RunInputs
from tuitrack.errors import InvalidValueError

T = TypeVar("T")


class _MlflowEnum(StrEnum):
    """A str enum that also speaks MLflow's int-valued enum classes.

    MLflow's RunStatus, ViewType and SourceType are plain classes of ints (1, 2, ... in the
    order declared here) with `to_string` / `from_string` helpers. tuitrack's members are
    the strings MLflow stores (`RunStatus.FINISHED == "FINISHED"`), so `RunStatus.FINISHED
    == 3` is False here; MLflow's numbers are accepted wherever a member is (`RunStatus(3)`,
    `RunStatus.to_string(3)`, `RunInfo(status=3)`), and the helpers return members or
    strings that compare equal to what MLflow's return.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(cls):
            return list(cls)[value - 1]
        return None

    @classmethod
    def _member(cls, value: object) -> Self:
        try:
            return cls(value)  # type: ignore[arg-type]  # an int goes through _missing_
        except ValueError:
            names = [member.value for member in cls]
            raise InvalidValueError(
                f"{value!r} is not a {cls.__name__}; expected one of {names}"
            ) from None

    @classmethod
    def from_string(cls, text: str) -> Self:
        """The member named `text` (MLflow returns its int; this the equal-string member)."""
        return cls._member(text)

    @classmethod
    def to_string(cls, member: Self | str | int) -> str:
        """The stored string of `member`, which may be a member, its string or MLflow's int."""
        return cls._member(member).value


class _TerminatedCheck:
    """`RunStatus.is_terminated(status)` as MLflow calls it, and `status.is_terminated` (a
    bool) as tuitrack always had it."""

    @overload
    def __get__(self, instance: None, owner: type[RunStatus]) -> Callable[[object], bool]: ...

    @overload
    def __get__(self, instance: RunStatus, owner: type[RunStatus]) -> bool: ...

    def __get__(
        self, instance: RunStatus | None, owner: type[RunStatus]
    ) -> bool | Callable[[object], bool]:
        if instance is None:
            return lambda status: owner._member(status) in _TERMINATED
        return instance in _TERMINATED


class RunStatus(_MlflowEnum):
    """A run's status, stored as its name."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    is_terminated = _TerminatedCheck()

    @classmethod
    def all_status(cls) -> list[RunStatus]:
        """Every status, in MLflow's order (MLflow lists its ints)."""
        return list(cls)


_TERMINATED = (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)


class ViewType(_MlflowEnum):
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


class LifecycleStage(StrEnum):
    """Whether an experiment or run is active or deleted (MLflow's strings too)."""

    ACTIVE = "active"
    DELETED = "deleted"

    @classmethod
    def view_type_to_stages(
        cls, view_type: ViewType | str | int = ViewType.ALL
    ) -> list[LifecycleStage]:
        """The stages a search with `view_type` returns, as MLflow lists them."""
        return list(ViewType._member(view_type).stages())

    @classmethod
    def is_valid(cls, lifecycle_stage: str) -> bool:
        """Whether `lifecycle_stage` is one of the stages."""
        return lifecycle_stage in cls._value2member_map_

    @classmethod
    def matches_view_type(cls, view_type: ViewType | str | int, lifecycle_stage: str) -> bool:
        """Whether something in `lifecycle_stage` is returned by a `view_type` search."""
        if not cls.is_valid(lifecycle_stage):
            raise InvalidValueError(f"Invalid lifecycle stage {lifecycle_stage!r}")
        return cls(lifecycle_stage) in ViewType._member(view_type).stages()


class SourceType(_MlflowEnum):
    """Where a run was started from: the value of the `mlflow.source.type` tag."""

    NOTEBOOK = "NOTEBOOK"
    JOB = "JOB"
    PROJECT = "PROJECT"
    LOCAL = "LOCAL"
    UNKNOWN = "UNKNOWN"


def _unsupported(entity: str, **given: object) -> None:
    """Refuse MLflow arguments that tuitrack's entity has no place for, when given."""
    named = [name for name, value in given.items() if value is not None]
    if named:
        raise InvalidValueError(
            f"tuitrack's {entity} does not carry {', '.join(named)}: leave "
            f"{'it' if len(named) == 1 else 'them'} None"
        )


def _key_values(items: Mapping[str, Any] | Iterable[Any] | None) -> dict[str, Any]:
    """A {key: value} mapping, or MLflow's list of key/value entities (the last of a key
    wins, as in MLflow), as a dict."""
    if items is None:
        return {}
    if isinstance(items, Mapping):
        return dict(items)
    entities: Iterable[Any] = items
    return {item.key: item.value for item in entities}


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_LENGTH else f"{text[: _SHOWN_LENGTH - 3]}..."


_SHOWN_LENGTH = 80


def _construction_error(entity: str, error: ValidationError) -> InvalidValueError:
    """pydantic's refusal of an entity's fields, as tuitrack's error: each bad field, the
    value given and what the field allows (pydantic's words)."""
    problems = []
    for detail in error.errors(include_url=False):
        field, *inside = detail["loc"]
        name = f"{field}{''.join(f'[{part!r}]' for part in inside)}"
        allowed = detail["msg"]
        problems.append(f"{name}={_shown(detail['input'])} ({allowed[:1].lower()}{allowed[1:]})")
    return InvalidValueError(f"invalid {entity}: {'; '.join(problems)}")


class _Entity(BaseModel):
    # Schemas are built on first use, not at import: `import tuitrack` must stay cheap.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    def __init__(self, /, **fields: Any) -> None:
        """Validate and set the fields as BaseModel.__init__ does (its one call, no extra
        cost), and refuse bad ones with InvalidValueError (an MlflowException, code
        INVALID_PARAMETER_VALUE) instead of pydantic's ValidationError."""
        try:
            self.__pydantic_validator__.validate_python(fields, self_instance=self)
        except ValidationError as error:
            raise _construction_error(type(self).__name__, error) from None


class Metric(_Entity):
    """One point of a metric series; `timestamp` is milliseconds since the epoch.

    Built as MLflow's is: `Metric(key, value, timestamp, step)`; `step` defaults to 0.
    MLflow's links to a logged model or dataset and its `run_id` are not carried: giving
    them raises InvalidValueError.
    """

    key: str
    value: float
    timestamp: int
    step: int = 0

    def __init__(
        self,
        key: str,
        value: float,
        timestamp: int,
        step: int = 0,
        model_id: str | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        run_id: str | None = None,
    ) -> None:
        if (model_id, dataset_name, dataset_digest, run_id) != (None, None, None, None):
            _unsupported(
                "Metric",
                model_id=model_id,
                dataset_name=dataset_name,
                dataset_digest=dataset_digest,
                run_id=run_id,
            )
        _Entity.__init__(self, key=key, value=value, timestamp=timestamp, step=step)

    def to_dictionary(self) -> dict[str, Any]:
        """MLflow's dictionary of the point; its model, dataset and run links are None."""
        return {
            "key": self.key,
            "value": self.value,
            "timestamp": self.timestamp,
            "step": self.step,
            "model_id": None,
            "dataset_name": None,
            "dataset_digest": None,
            "run_id": None,
        }


class _KeyValue(_Entity):
    key: str
    value: str

    def __init__(self, key: str, value: str) -> None:
        _Entity.__init__(self, key=key, value=value)


class Param(_KeyValue):
    """A run's parameter: `Param(key, value)`."""


class RunTag(_KeyValue):
    """A run's tag: `RunTag(key, value)`."""


class ExperimentTag(_KeyValue):
    """An experiment's tag: `ExperimentTag(key, value)`."""


class Experiment(_Entity):
    """An experiment, built in MLflow's order; `tags` is a dict, or MLflow's list of
    ExperimentTag. MLflow's workspace and trace settings are not carried."""

    DEFAULT_EXPERIMENT_NAME: ClassVar[str] = "Default"

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    tags: dict[str, str] = Field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None

    def __init__(
        self,
        experiment_id: str,
        name: str,
        artifact_location: str,
        lifecycle_stage: LifecycleStage | str = LifecycleStage.ACTIVE,
        tags: Mapping[str, str] | Iterable[ExperimentTag] | None = None,
        creation_time: int | None = None,
        last_update_time: int | None = None,
    ) -> None:
        _Entity.__init__(
            self,
            experiment_id=experiment_id,
            name=name,
            artifact_location=artifact_location,
            lifecycle_stage=lifecycle_stage,
            tags=_key_values(tags),
            creation_time=creation_time,
            last_update_time=last_update_time,
        )


class RunInfo(_Entity):
    """A run's metadata. Positional arguments come in MLflow's order (run_id,
    experiment_id, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri,
    run_name); tuitrack's own fields follow as keywords. `status` may be MLflow's int, and
    `artifact_uri=None` is read back as ''."""

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

    def __init__(
        self,
        run_id: str,
        experiment_id: str,
        user_id: str | None = None,
        status: RunStatus | str | int = RunStatus.RUNNING,
        start_time: int | None = None,
        end_time: int | None = None,
        lifecycle_stage: LifecycleStage | str = LifecycleStage.ACTIVE,
        artifact_uri: str | None = "",
        run_name: str | None = None,
        *,
        parent_run_id: str | None = None,
        host: str | None = None,
        pid: int | None = None,
        heartbeat_time: int | None = None,
    ) -> None:
        _Entity.__init__(
            self,
            run_id=run_id,
            experiment_id=experiment_id,
            run_name=run_name,
            user_id=user_id,
            status=status,
            start_time=start_time,
            end_time=end_time,
            artifact_uri="" if artifact_uri is None else artifact_uri,
            lifecycle_stage=lifecycle_stage,
            parent_run_id=parent_run_id,
            host=host,
            pid=pid,
            heartbeat_time=heartbeat_time,
        )

    @property
    def run_uuid(self) -> str:
        """MLflow's older name for `run_id`."""
        return self.run_id

    def _mlflow_dictionary(self) -> dict[str, Any]:
        """MLflow's `dict(run.info)`: its nine fields, in its (alphabetical) order, the
        status and stage as plain strings."""
        return {
            "artifact_uri": self.artifact_uri or None,
            "end_time": self.end_time,
            "experiment_id": self.experiment_id,
            "lifecycle_stage": self.lifecycle_stage.value,
            "run_id": self.run_id,
            "run_name": self.run_name,
            "start_time": self.start_time,
            "status": self.status.value,
            "user_id": self.user_id,
        }


class RunData(_Entity):
    """`metrics` holds each key's latest value (highest step, then latest timestamp).

    Each of metrics, params and tags may be a dict or, as in MLflow, a list of Metric,
    Param or RunTag (the last of a key wins)."""

    metrics: dict[str, float] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)

    def __init__(
        self,
        metrics: Mapping[str, float] | Iterable[Metric] | None = None,
        params: Mapping[str, str] | Iterable[Param] | None = None,
        tags: Mapping[str, str] | Iterable[RunTag] | None = None,
    ) -> None:
        _Entity.__init__(
            self, metrics=_key_values(metrics), params=_key_values(params), tags=_key_values(tags)
        )

    def to_dictionary(self) -> dict[str, Any]:
        """MLflow's dictionary: metrics, params and tags as dicts."""
        return {"metrics": self.metrics, "params": self.params, "tags": self.tags}


class Run(_Entity):
    """A run: `Run(run_info, run_data, run_inputs)` as in MLflow, or `Run(info=...,
    data=..., inputs=...)`; `inputs` holds the datasets it was given (empty without).

    MLflow's run outputs (logged models) are not carried: giving some raises
    InvalidValueError."""

    info: RunInfo
    data: RunData = Field(default_factory=RunData)
    inputs: RunInputs = Field(default_factory=RunInputs)

    def __init__(
        self,
        run_info: RunInfo | None = None,
        run_data: RunData | None = None,
        run_inputs: RunInputs | None = None,
        run_outputs: object = None,
        *,
        info: RunInfo | None = None,
        data: RunData | None = None,
        inputs: RunInputs | None = None,
    ) -> None:
        _unsupported("Run", run_outputs=run_outputs)
        if (run_info is None) == (info is None):
            raise InvalidValueError("give a run's info once: as run_info or as info")
        if run_data is not None and data is not None:
            raise InvalidValueError("give a run's data once: as run_data or as data")
        if run_inputs is not None and inputs is not None:
            raise InvalidValueError("give a run's inputs once: as run_inputs or as inputs")
        chosen = run_data if run_data is not None else data
        given = run_inputs if run_inputs is not None else inputs
        _Entity.__init__(
            self,
            info=run_info if info is None else info,
            data=RunData() if chosen is None else chosen,
            inputs=RunInputs() if given is None else given,
        )
        # A store builds its runs without this __init__ (model_construct, construct_many),
        # which marks every section as set; a run built here has its inputs unmarked, so
        # that to_dictionary can tell a run read from a store, as MLflow's can.
        object.__setattr__(self, "__pydantic_fields_set__", {"info", "data"})

    def _read_from_store(self) -> bool:
        return "inputs" in self.__pydantic_fields_set__

    def to_dictionary(self) -> dict[str, Any]:
        """MLflow's dictionary: `info` (as `dict(run.info)` in MLflow) and `data`; `inputs`
        when the run was read from a store or has some; and, for a run read from a store,
        `outputs` (always `{"model_outputs": []}`: tuitrack logs no models). So, as in
        MLflow, `get_run(...).to_dictionary()` has all four sections, and a run built with
        `Run(info, data)` only the first two."""
        found = {"info": self.info._mlflow_dictionary(), "data": self.data.to_dictionary()}
        from_store = self._read_from_store()
        if from_store or self.inputs.dataset_inputs:
            found["inputs"] = self.inputs.to_dictionary()
        if from_store:
            found["outputs"] = {"model_outputs": []}
        return found


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

    def __init__(self, path: str, is_dir: bool, file_size: int | None = None) -> None:
        _Entity.__init__(self, path=path, is_dir=is_dir, file_size=file_size)


class PagedList(list[T], Generic[T]):
    """A page of results; `token` fetches the next page and is None on the last one.

    `note` is a sentence for the person when the store had to do something they should know
    about to answer (e.g. evaluate part of a filter itself over every run a server sent);
    None otherwise.
    """

    def __init__(
        self,
        items: list[T] | tuple[T, ...] = (),
        token: str | None = None,
        note: str | None = None,
    ) -> None:
        super().__init__(items)
        self.token = token
        self.note = note
