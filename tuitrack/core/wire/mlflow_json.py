"""MLflow's REST API 2.0 JSON <-> tuitrack's entities, both directions.

The shapes are those of MLflow's protobuf messages (mlflow/protos/service.proto) in
protobuf's JSON mapping with the proto field names, as MLflow's server writes them
(`message_to_json`) and reads them (`parse_dict`); json_values says how scalars are
written. What a tuitrack entity holds that MLflow's does not travels in tuitrack's own
extras object (tuitrack_json), and what MLflow's holds that tuitrack's does not (an
experiment's workspace, a run's outputs) is ignored when read.

Readers take parsed JSON (dicts and lists) and raise InvalidValueError naming the field
and the value for anything the message cannot hold; writers return plain dicts ready for
`json.dumps`.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from tuitrack.core.datasets import Dataset, DatasetInput, InputTag, RunInputs
from tuitrack.core.entity_construction import construct_many
from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.run_creation import RUN_NAME_TAG
from tuitrack.core.wire.json_values import (
    INT64_MAX,
    INT64_MIN,
    JsonObject,
    bool_from_json,
    float_from_json,
    float_to_json,
    list_from_json,
    object_from_json,
    optional_int64_from_json,
    optional_text_from_json,
    text_from_json,
)
from tuitrack.core.wire.run_extras import (
    RUN_EXTRAS_KEY,
    run_extras_from_json,
    run_extras_to_json,
)
from tuitrack.entities import (
    Experiment,
    FileInfo,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from tuitrack.errors import InvalidValueError

PARENT_RUN_ID_TAG = "mlflow.parentRunId"
"""The run tag in which MLflow keeps a nested run's parent (tuitrack: RunInfo.parent_run_id)."""

# Protobuf's JSON names an enum value by its name; its number is accepted too.
_STATUS_BY_JSON: dict[object, RunStatus] = {
    **{status.name: status for status in RunStatus},
    **dict(enumerate(RunStatus, start=1)),
}
_VIEW_TYPE_BY_JSON: dict[object, ViewType] = {
    **{view_type.name: view_type for view_type in ViewType},
    **dict(enumerate(ViewType, start=1)),
}
_STAGE_BY_JSON: dict[object, LifecycleStage] = {stage.value: stage for stage in LifecycleStage}
# Type sets a whole column is checked against at once (set(map(type, column))).
_STR = frozenset({str})
_INT = frozenset({int})
_FLOAT = frozenset({float})


# Enums -------------------------------------------------------------------------------------


def status_to_json(status: RunStatus | str | int) -> str:
    """A run status as MLflow's JSON names it: "RUNNING", "FINISHED", ..."""
    return RunStatus._member(status).name


def status_from_json(value: object) -> RunStatus:
    """A RunStatus from its JSON name ("FINISHED") or MLflow's number (3)."""
    try:
        return _STATUS_BY_JSON[value]
    except (KeyError, TypeError):
        raise InvalidValueError(
            f"run status must be one of {[status.name for status in RunStatus]} "
            f"(or MLflow's number 1-{len(RunStatus)}); got {value!r}"
        ) from None


def view_type_to_json(view_type: ViewType | str | int) -> str:
    """A view type as MLflow's JSON names it: "ACTIVE_ONLY", "DELETED_ONLY" or "ALL"."""
    return ViewType._member(view_type).name


def view_type_from_json(value: object) -> ViewType:
    """A ViewType from its JSON name ("ACTIVE_ONLY") or MLflow's number (1)."""
    try:
        return _VIEW_TYPE_BY_JSON[value]
    except (KeyError, TypeError):
        raise InvalidValueError(
            f"view type must be one of {[view_type.name for view_type in ViewType]} "
            f"(or MLflow's number 1-{len(ViewType)}); got {value!r}"
        ) from None


def _stage_from_json(data: Mapping[str, Any], where: str) -> LifecycleStage:
    value = data.get("lifecycle_stage")
    if value is None:
        return LifecycleStage.ACTIVE
    try:
        return _STAGE_BY_JSON[value]
    except (KeyError, TypeError):
        raise InvalidValueError(
            f"{where}.lifecycle_stage must be one of {[stage.value for stage in LifecycleStage]}; "
            f"got {value!r}"
        ) from None


# Metrics, params, tags ---------------------------------------------------------------------


def metric_to_json(metric: Metric) -> JsonObject:
    """{"key", "value", "timestamp", "step"}; a value that is not finite as its string."""
    return metric_point_to_json(metric.key, metric.value, metric.timestamp, metric.step)


def metric_point_to_json(key: str, value: float, timestamp: int, step: int) -> JsonObject:
    """metric_to_json of a point given as its fields, without a Metric built."""
    return {"key": key, "value": float_to_json(value), "timestamp": timestamp, "step": step}


def metric_from_json(data: object) -> Metric:
    """A Metric from MLflow's JSON; an absent timestamp or step reads as 0 (protobuf's
    default, as MLflow reads it). A run_id beside it (get-history-bulk-interval) is ignored:
    metric_with_run_id_from_json keeps it."""
    return metric_with_run_id_from_json(data)[1]


def metric_with_run_id_from_json(data: object) -> tuple[str | None, Metric]:
    """(run_id or None, Metric) from MLflow's MetricWithRunId JSON."""
    fields = object_from_json(data, "metric")
    key = text_from_json(fields.get("key"), "metric.key")
    where = f"metric {key!r}"
    point = Metric.model_construct(
        key=key,
        value=float_from_json(fields.get("value"), f"{where}.value"),
        timestamp=optional_int64_from_json(fields, "timestamp", where) or 0,
        step=optional_int64_from_json(fields, "step", where) or 0,
    )
    return optional_text_from_json(fields, "run_id", where), point


def metric_point_from_json(data: object) -> tuple[int, int, float]:
    """(step, timestamp, value) of a metric's JSON, its key not checked, no Metric built."""
    if type(data) is dict:
        step, timestamp, value = data.get("step", 0), data.get("timestamp", 0), data.get("value")
        if (
            type(step) is int
            and type(timestamp) is int
            and type(value) is float
            and INT64_MIN <= step <= INT64_MAX
            and INT64_MIN <= timestamp <= INT64_MAX
        ):
            return step, timestamp, value
    point = metric_from_json(data)  # anything else: read field by field, naming what is wrong
    return point.step, point.timestamp, point.value


def history_from_json(key: str, metrics: Sequence[object]) -> MetricHistory:
    """The points of metric `key` in a get-history (or bulk-interval) answer's "metrics",
    as columns, without a Metric object per point. Every point must be of `key`.

    25,000 points (a page) read in ~25 ms when they are as MLflow's server writes them;
    anything else is read point by point.
    """
    try:
        keys = set(map(itemgetter("key"), metrics))  # type: ignore[arg-type]
        steps = [item.get("step", 0) for item in metrics]  # type: ignore[attr-defined]
        times = [item.get("timestamp", 0) for item in metrics]  # type: ignore[attr-defined]
        values = list(map(itemgetter("value"), metrics))  # type: ignore[arg-type]
    except (TypeError, KeyError, AttributeError):
        return _checked_history(key, metrics)
    if (
        not keys <= {key}
        or not _INT.issuperset(map(type, steps))
        or not _INT.issuperset(map(type, times))
    ):
        return _checked_history(key, metrics)
    if not _FLOAT.issuperset(map(type, values)):
        values = [
            value if type(value) is float else float_from_json(value, f"metric {key!r}.value")
            for value in values
        ]
    try:
        return MetricHistory(key, array("q", steps), array("q", times), array("d", values))
    except OverflowError:
        return _checked_history(key, metrics)


def _checked_history(key: str, metrics: Iterable[object]) -> MetricHistory:
    steps, timestamps, values = array("q"), array("q"), array("d")
    for data in metrics:
        point = metric_from_json(data)
        if point.key != key:
            raise InvalidValueError(f"a point of metric {point.key!r} in the history of {key!r}")
        steps.append(point.step)
        timestamps.append(point.timestamp)
        values.append(point.value)
    return MetricHistory(key, steps, timestamps, values)


def _key_value_from_json(data: object, what: str) -> tuple[str, str]:
    fields = object_from_json(data, what)
    key = text_from_json(fields.get("key"), f"{what}.key")
    return key, text_from_json(fields.get("value", ""), f"{what} {key!r}.value")


def param_to_json(key: str, value: str) -> JsonObject:
    """{"key", "value"}."""
    return {"key": key, "value": value}


def param_from_json(data: object) -> Param:
    """A Param from {"key", "value"}."""
    key, value = _key_value_from_json(data, "param")
    return Param.model_construct(key=key, value=value)


def tag_to_json(key: str, value: str) -> JsonObject:
    """{"key", "value"}: run, experiment and input tags have this one shape."""
    return {"key": key, "value": value}


def tag_from_json(data: object) -> RunTag:
    """A RunTag from {"key", "value"}."""
    key, value = _key_value_from_json(data, "tag")
    return RunTag.model_construct(key=key, value=value)


def _tags_to_json(tags: Mapping[str, str]) -> list[JsonObject]:
    return [{"key": key, "value": value} for key, value in tags.items()]


def _tags_from_json(data: Mapping[str, Any], where: str) -> dict[str, str]:
    return dict(
        _key_value_from_json(tag, f"{where} tag") for tag in list_from_json(data, "tags", where)
    )


# Experiments -------------------------------------------------------------------------------


def experiment_to_json(experiment: Experiment) -> JsonObject:
    """MLflow's Experiment JSON; absent times and an empty tag list are left out."""
    found: JsonObject = {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": experiment.lifecycle_stage.value,
    }
    if experiment.last_update_time is not None:
        found["last_update_time"] = experiment.last_update_time
    if experiment.creation_time is not None:
        found["creation_time"] = experiment.creation_time
    if experiment.tags:
        found["tags"] = _tags_to_json(experiment.tags)
    return found


def experiment_from_json(data: object) -> Experiment:
    """An Experiment from MLflow's JSON. A time of 0 means "not recorded" (experiments from
    before MLflow 1.29), as MLflow reads it."""
    fields = object_from_json(data, "experiment")
    experiment_id = text_from_json(fields.get("experiment_id"), "experiment.experiment_id")
    where = f"experiment {experiment_id}"
    return Experiment.model_construct(
        experiment_id=experiment_id,
        name=text_from_json(fields.get("name", ""), f"{where}.name"),
        artifact_location=text_from_json(
            fields.get("artifact_location", ""), f"{where}.artifact_location"
        ),
        lifecycle_stage=_stage_from_json(fields, where),
        tags=_tags_from_json(fields, where),
        creation_time=optional_int64_from_json(fields, "creation_time", where) or None,
        last_update_time=optional_int64_from_json(fields, "last_update_time", where) or None,
    )


# Runs --------------------------------------------------------------------------------------


def run_info_to_json(info: RunInfo) -> JsonObject:
    """MLflow's RunInfo JSON, with `run_uuid` (MLflow's deprecated copy of run_id) as
    MLflow's server writes it; absent fields are left out. tuitrack's heartbeat, host and
    pid are not MLflow's: see tuitrack_json.run_extras_to_json."""
    found: JsonObject = {
        "run_uuid": info.run_id,
        "experiment_id": info.experiment_id,
    }
    if info.run_name is not None:
        found["run_name"] = info.run_name
    if info.user_id is not None:
        found["user_id"] = info.user_id
    found["status"] = info.status.name
    if info.start_time is not None:
        found["start_time"] = info.start_time
    if info.end_time is not None:
        found["end_time"] = info.end_time
    found["artifact_uri"] = info.artifact_uri
    found["lifecycle_stage"] = info.lifecycle_stage.value
    found["run_id"] = info.run_id
    return found


def _run_info_fields(
    data: object, tags: Mapping[str, str], extras: Mapping[str, Any] | None
) -> dict[str, Any]:
    fields = object_from_json(data, "run info")
    run_id = fields.get("run_id") or fields.get("run_uuid")
    run_id = text_from_json(run_id, "run info.run_id")
    where = f"run {run_id}"
    status = fields.get("status")
    run_name = optional_text_from_json(fields, "run_name", where)
    extra = run_extras_from_json(extras, where) if extras is not None else {}
    return {
        "run_id": run_id,
        "experiment_id": text_from_json(fields.get("experiment_id"), f"{where}.experiment_id"),
        "run_name": tags.get(RUN_NAME_TAG) if run_name is None else run_name,
        "user_id": optional_text_from_json(fields, "user_id", where),
        "status": RunStatus.RUNNING if status is None else status_from_json(status),
        "start_time": optional_int64_from_json(fields, "start_time", where),
        # An end time of 0 is protobuf's unset value: MLflow reads it as no end time.
        "end_time": optional_int64_from_json(fields, "end_time", where) or None,
        "artifact_uri": optional_text_from_json(fields, "artifact_uri", where) or "",
        "lifecycle_stage": _stage_from_json(fields, where),
        "parent_run_id": tags.get(PARENT_RUN_ID_TAG),
        "host": extra.get("host"),
        "pid": extra.get("pid"),
        "heartbeat_time": extra.get("heartbeat_time"),
    }


def run_info_from_json(data: object, extras: Mapping[str, Any] | None = None) -> RunInfo:
    """A RunInfo from MLflow's JSON (`run_id`, else the older `run_uuid`); `extras` is
    tuitrack's extras object when the server sent one (heartbeat, host and pid are None
    without). The parent comes from the run's tags, which RunInfo JSON lacks: read a whole
    run with run_from_json to have it."""
    return RunInfo.model_construct(**_run_info_fields(data, {}, extras))


def run_data_to_json(data: RunData, latest: Mapping[str, Metric] | None = None) -> JsonObject:
    """MLflow's RunData JSON; empty lists are left out. tuitrack's RunData keeps only each
    metric's latest value: give `latest` (key -> latest point) to write their timestamps
    and steps too, else only key and value are written (MLflow reads 0 for both)."""
    found: JsonObject = {}
    if data.metrics:
        found["metrics"] = [
            metric_to_json(latest[key])
            if latest is not None and key in latest
            else {"key": key, "value": float_to_json(value)}
            for key, value in data.metrics.items()
        ]
    if data.params:
        found["params"] = _tags_to_json(data.params)
    if data.tags:
        found["tags"] = _tags_to_json(data.tags)
    return found


def _run_data_fields(data: object, where: str) -> dict[str, Any]:
    fields = object_from_json(data, f"{where}.data")
    metrics: dict[str, float] = {}
    for metric in list_from_json(fields, "metrics", where):
        # Inlined metric_from_json: a search page holds tens of thousands of these.
        if type(metric) is dict and type(key := metric.get("key")) is str:
            metrics[key] = float_from_json(metric.get("value"), f"{where} metric {key!r}.value")
        else:
            metric_from_json(metric)  # raises, naming what is wrong
    params = dict(
        _key_value_from_json(param, f"{where} param")
        for param in list_from_json(fields, "params", where)
    )
    return {"metrics": metrics, "params": params, "tags": _tags_from_json(fields, where)}


def run_data_from_json(data: object) -> RunData:
    """A RunData from MLflow's JSON: each metric's value (the last of a key wins, as MLflow
    reads it), params and tags as dicts."""
    return RunData.model_construct(**_run_data_fields(data, "run"))


def input_tag_to_json(tag: InputTag) -> JsonObject:
    return {"key": tag.key, "value": tag.value}


def dataset_input_to_json(dataset_input: DatasetInput) -> JsonObject:
    """MLflow's DatasetInput JSON: {"tags": [...], "dataset": {...}}; an absent schema or
    profile is left out."""
    dataset = dataset_input.dataset
    described: JsonObject = {
        "name": dataset.name,
        "digest": dataset.digest,
        "source_type": dataset.source_type,
        "source": dataset.source,
    }
    if dataset.schema is not None:
        described["schema"] = dataset.schema
    if dataset.profile is not None:
        described["profile"] = dataset.profile
    found: JsonObject = {}
    if dataset_input.tags:
        found["tags"] = [input_tag_to_json(tag) for tag in dataset_input.tags]
    found["dataset"] = described
    return found


def dataset_input_from_json(data: object) -> DatasetInput:
    """A DatasetInput from MLflow's JSON."""
    fields = object_from_json(data, "dataset input")
    described = object_from_json(fields.get("dataset"), "dataset input.dataset")
    name = text_from_json(described.get("name"), "dataset.name")
    where = f"dataset {name!r}"
    dataset = Dataset(
        name=name,
        digest=text_from_json(described.get("digest", ""), f"{where}.digest"),
        source_type=text_from_json(described.get("source_type", ""), f"{where}.source_type"),
        source=text_from_json(described.get("source", ""), f"{where}.source"),
        schema=optional_text_from_json(described, "schema", where),
        profile=optional_text_from_json(described, "profile", where),
    )
    tags = [
        InputTag(*_key_value_from_json(tag, f"{where} input tag"))
        for tag in list_from_json(fields, "tags", where)
    ]
    return DatasetInput(dataset, tags)


def run_inputs_to_json(inputs: RunInputs) -> JsonObject:
    """MLflow's RunInputs JSON (an empty object for none)."""
    if not inputs.dataset_inputs:
        return {}
    return {"dataset_inputs": [dataset_input_to_json(given) for given in inputs.dataset_inputs]}


def run_inputs_from_json(data: object) -> RunInputs:
    """A RunInputs from MLflow's JSON; logged-model inputs are ignored."""
    fields = object_from_json(data, "run inputs")
    return RunInputs(
        dataset_input_from_json(given) for given in list_from_json(fields, "dataset_inputs", "run")
    )


def run_to_json(
    run: Run,
    latest: Mapping[str, Metric] | None = None,
    *,
    with_extras: bool = False,
) -> JsonObject:
    """MLflow's Run JSON: info, data and inputs, as MLflow's server writes a run.

    The run's name and parent are written as MLflow keeps them, in the `mlflow.runName`
    and `mlflow.parentRunId` tags too, unless the run's tags already hold them. `latest`:
    see run_data_to_json. `with_extras`: add tuitrack's extras object (heartbeat, host,
    pid) under RUN_EXTRAS_KEY, as tuitrack's own endpoints answer.
    """
    info = run.info
    data = run.data
    missing: dict[str, str] = {}
    if info.run_name is not None and RUN_NAME_TAG not in data.tags:
        missing[RUN_NAME_TAG] = info.run_name
    if info.parent_run_id is not None and PARENT_RUN_ID_TAG not in data.tags:
        missing[PARENT_RUN_ID_TAG] = info.parent_run_id
    if missing:
        data = RunData.model_construct(
            metrics=data.metrics, params=data.params, tags={**data.tags, **missing}
        )
    found: JsonObject = {
        "info": run_info_to_json(info),
        "data": run_data_to_json(data, latest),
        "inputs": run_inputs_to_json(run.inputs),
    }
    if with_extras:
        found[RUN_EXTRAS_KEY] = run_extras_to_json(info)
    return found


def latest_metric_time(data: object) -> int | None:
    """The latest timestamp among the latest metric points of a run's JSON (None without
    metrics): when the run last logged, as far as its JSON tells."""
    fields = object_from_json(data, "run")
    metrics = list_from_json(object_from_json(fields.get("data", {}), "run.data"), "metrics", "run")
    times = [metric_point_from_json(metric)[1] for metric in metrics]
    return max(times) if times else None


def run_from_json(data: object) -> Run:
    """A Run from MLflow's JSON, as a store reads one: the parent from the
    `mlflow.parentRunId` tag, the name from `run_name` (else the `mlflow.runName` tag),
    tuitrack's extras when present. MLflow's outputs (logged models) are ignored."""
    return runs_from_json([data])[0]


def runs_from_json(items: Sequence[object]) -> list[Run]:
    """Each Run of a runs/search answer's "runs", built together (a 1000-run page of 40
    values a run in ~25 ms: tests/unit/test_wire_mlflow_json.py measures it)."""
    infos: list[dict[str, Any]] = []
    datas: list[dict[str, Any]] = []
    inputs: list[RunInputs] = []
    for item in items:
        read = _well_formed_run(item)
        if read is None:  # something unusual: read it field by field, naming what is wrong
            read = _checked_run(item)
        infos.append(read[0])
        datas.append(read[1])
        inputs.append(read[2])
    built_infos = construct_many(RunInfo, infos)
    built_datas = construct_many(RunData, datas)
    return construct_many(
        Run,
        [
            {"info": info, "data": run_data, "inputs": given}
            for info, run_data, given in zip(built_infos, built_datas, inputs, strict=True)
        ],
    )


_RunFields = tuple[dict[str, Any], dict[str, Any], RunInputs]


def _checked_run(item: object) -> _RunFields:
    fields = object_from_json(item, "run")
    info = object_from_json(fields.get("info"), "run.info")
    where = f"run {info.get('run_id') or info.get('run_uuid')}"
    run_data = _run_data_fields(fields.get("data", {}), where)
    run_info = _run_info_fields(info, run_data["tags"], fields.get(RUN_EXTRAS_KEY))
    given = fields.get("inputs")
    return run_info, run_data, RunInputs() if not given else run_inputs_from_json(given)


def _pairs(items: object) -> dict[str, str] | None:
    """A list of {"key", "value"} objects as a dict, or None when it is anything else."""
    if items is None:
        return {}
    if type(items) is not list:
        return None
    try:
        found = {item["key"]: item["value"] for item in items}
    except (TypeError, KeyError):
        return None
    if _STR.issuperset(map(type, found)) and _STR.issuperset(map(type, found.values())):
        return found
    return None


def _well_formed_run(item: object) -> _RunFields | None:
    """The run's fields when its JSON is exactly what MLflow's server writes, read with
    few checks a field; None for anything else, which _checked_run reads instead.

    Worth its length: reading each field through the checked helpers made a 1000-run page
    take ~200 ms; this takes ~25 ms.
    """
    if type(item) is not dict or item.get(RUN_EXTRAS_KEY) is not None:
        return None
    info, data = item.get("info"), item.get("data", {})
    if type(info) is not dict or type(data) is not dict:
        return None
    metric_items = data.get("metrics", ())
    try:
        metrics = {metric["key"]: metric["value"] for metric in metric_items}
    except (TypeError, KeyError):
        return None
    if not _STR.issuperset(map(type, metrics)):
        return None
    if not _FLOAT.issuperset(map(type, metrics.values())):  # "NaN", an int, ...
        for key, value in metrics.items():
            if type(value) is not float:
                metrics[key] = float_from_json(value, f"metric {key!r}.value")
    params, tags = _pairs(data.get("params")), _pairs(data.get("tags"))
    if params is None or tags is None:
        return None
    run_info = _well_formed_info(info, tags)
    given = item.get("inputs")
    if run_info is None or (given and type(given) is not dict):
        return None
    run_inputs = RunInputs() if not given else run_inputs_from_json(given)
    return run_info, {"metrics": metrics, "params": params, "tags": tags}, run_inputs


def _well_formed_info(info: dict[str, Any], tags: dict[str, str]) -> dict[str, Any] | None:
    get = info.get
    run_id = get("run_id") or get("run_uuid")
    experiment_id, run_name, user_id = get("experiment_id"), get("run_name"), get("user_id")
    start_time, end_time, artifact_uri = get("start_time"), get("end_time"), get("artifact_uri")
    status = _STATUS_BY_JSON.get(get("status", "RUNNING"))
    stage = _STAGE_BY_JSON.get(get("lifecycle_stage", "active"))
    if (
        type(run_id) is not str
        or type(experiment_id) is not str
        or status is None
        or stage is None
        or not (run_name is None or type(run_name) is str)
        or not (user_id is None or type(user_id) is str)
        or not (artifact_uri is None or type(artifact_uri) is str)
        or not (start_time is None or type(start_time) is int)
        or not (end_time is None or type(end_time) is int)
    ):
        return None
    return {
        "run_id": run_id,
        "experiment_id": experiment_id,
        "run_name": tags.get(RUN_NAME_TAG) if run_name is None else run_name,
        "user_id": user_id,
        "status": status,
        "start_time": start_time,
        "end_time": end_time or None,
        "artifact_uri": artifact_uri or "",
        "lifecycle_stage": stage,
        "parent_run_id": tags.get(PARENT_RUN_ID_TAG),
        "host": None,
        "pid": None,
        "heartbeat_time": None,
    }


# Artifacts ---------------------------------------------------------------------------------


def file_info_to_json(file_info: FileInfo) -> JsonObject:
    """{"path", "is_dir", "file_size"}; a directory's absent size is left out."""
    found: JsonObject = {"path": file_info.path, "is_dir": file_info.is_dir}
    if file_info.file_size is not None:
        found["file_size"] = file_info.file_size
    return found


def file_info_from_json(data: object) -> FileInfo:
    """A FileInfo from MLflow's JSON. An absent is_dir is false (protobuf's default); an
    absent file_size is None for a directory and 0 for a file: MLflow leaves out a size of
    0, so an empty file comes without one."""
    fields = object_from_json(data, "file info")
    path = text_from_json(fields.get("path"), "file info.path")
    where = f"file {path!r}"
    is_dir = bool_from_json(fields.get("is_dir", False), f"{where}.is_dir")
    file_size = optional_int64_from_json(fields, "file_size", where)
    return FileInfo.model_construct(
        path=path,
        is_dir=is_dir,
        file_size=file_size if file_size is not None or is_dir else 0,
    )
