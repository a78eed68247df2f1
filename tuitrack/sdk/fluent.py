"""The module-level API (`tuitrack.start_run`, `tuitrack.log_metric`, ...), MLflow's names.

Logging calls validate at the call, then queue for the background writer; nothing here
imports a backend until the first run starts (or the first store is asked something).
What the API keeps between calls lives in `tuitrack.sdk.state.STATE`.

A forked child (multiprocessing, a DataLoader worker) starts with no run, writer or
heartbeat of its parent. Logged to without `start_run`, it writes into the run its parent
had active at the fork, through a writer of its own, and never ends that run; `start_run`
starts a run of the child's own. A multiprocessing child ends its runs and stores what it
queued when its target returns.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NoReturn, TypeVar

from tuitrack.core import config, registry
from tuitrack.core.validation import (
    INT64_MAX,
    INT64_MIN,
    MAX_PARAM_VALUE_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    validate_int64,
    validate_key,
    validate_metric_value,
    validate_text,
    value_text,
)
from tuitrack.entities import (
    Experiment,
    LifecycleStage,
    PagedList,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from tuitrack.errors import (
    InvalidValueError,
    ParamConflictError,
    TuitrackError,
)
from tuitrack.sdk import (
    artifact_files,
    context,
    default_experiment,
    lifecycle,
    run_stack,
    store_opening,
)
from tuitrack.sdk.client import TrackingClient
from tuitrack.sdk.heartbeat import Heartbeat
from tuitrack.sdk.notices import notice_once, warn_once
from tuitrack.sdk.quiet_thread import block_process_signals
from tuitrack.sdk.run_stack import RunHandle
from tuitrack.sdk.settings import SdkSettings
from tuitrack.sdk.state import STATE
from tuitrack.sdk.unsupported import unsupported
from tuitrack.sdk.writer import BackgroundWriter, Field

__all__ = [
    "ActiveRun",
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush",
    "flush_artifact_async_logging",
    "flush_async_logging",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "last_active_run",
    "load_table",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_inputs",
    "log_metric",
    "log_metrics",
    "log_outputs",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "search_experiments",
    "search_runs",
    "set_artifact_uri",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_registry_uri",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

T = TypeVar("T")
_time_ns = time.time_ns
_MAX_CACHED_KEYS = 100_000
_CAPTURE_JOIN_SECONDS = 10.0
_SEARCH_PAGE = 1000
MLFLOW_RUN_ID_ENV = "MLFLOW_RUN_ID"
_REGISTRY_URI_ENV = "MLFLOW_REGISTRY_URI"
# set_registry_uri's value: only get_registry_uri reads it (tuitrack has no registry).
_registry_uri: str | None = None


class ActiveRun(Run):
    """The run `start_run` returned; `with` ends it: FINISHED, or FAILED on an exception,
    KILLED on Ctrl-C. `info` and `data` are as of the start."""

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _end_run_and_children(self.info.run_id, lifecycle.status_for_exception(error))


@dataclass(eq=False)
class Session:
    """One tracking store (+ artifact root), with its writer and heartbeat once runs start."""

    client: TrackingClient
    settings: SdkSettings
    writer: BackgroundWriter | None = None
    heartbeat: Heartbeat | None = None
    default_experiment_id: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def started_writer(self) -> BackgroundWriter:
        """The session's writer, started (with the heartbeat) on first use."""
        with self.lock:
            if self.writer is None:
                self.writer = BackgroundWriter(self.client.store, self.settings)
                self.heartbeat = Heartbeat(self.client.store, self.settings.heartbeat_seconds)
            return self.writer


# --- where data goes -------------------------------------------------------------------


def set_tracking_uri(uri: str | Path) -> None:
    """Use this tracking store for the runs started from now on (a URI or a .db path)."""
    with STATE.lock:
        STATE.tracking_uri = str(uri)
        STATE.experiment_id = None  # experiment ids belong to one store


def get_tracking_uri() -> str:
    """The store the SDK logs to: the one set, else TUITRACK_TRACKING_URI, else
    MLFLOW_TRACKING_URI, else the default."""
    return STATE.tracking_uri or config.default_tracking_uri()


def is_tracking_uri_set() -> bool:
    """Whether a store was chosen, by set_tracking_uri, TUITRACK_TRACKING_URI or
    MLFLOW_TRACKING_URI, rather than the default one."""
    return STATE.tracking_uri is not None or config.tracking_uri_from_environment() is not None


def set_artifact_uri(uri: str | Path) -> None:
    """Root under which new experiments keep their artifacts (default: next to the store)."""
    with STATE.lock:
        STATE.artifact_uri = str(uri)


def _artifact_root() -> str:
    return STATE.artifact_uri or config.default_artifact_uri()


def _session() -> Session:
    key = (get_tracking_uri(), _artifact_root())
    with STATE.lock:
        session = STATE.sessions.get(key)
        if session is None:
            settings = SdkSettings.from_environment()
            client = store_opening.open_for_logging(key[0], key[1], strict=settings.strict)
            session = Session(client, settings)
            STATE.sessions[key] = session
        return session


def _client() -> TrackingClient:
    return _session().client


# --- experiments -----------------------------------------------------------------------


def _require_active(experiment: Experiment) -> Experiment:
    if experiment.lifecycle_stage is LifecycleStage.DELETED:
        raise InvalidValueError(
            f"experiment {experiment.name!r} (id {experiment.experiment_id}) is deleted; "
            "restore it (TrackingClient.restore_experiment) or use another name"
        )
    return experiment


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make this the experiment of new runs, creating it by name if missing."""
    if experiment_name is not None and experiment_id is not None:
        raise InvalidValueError(
            f"set_experiment takes experiment_name or experiment_id, not both "
            f"(got {experiment_name!r} and {experiment_id!r})"
        )
    client = _client()
    if experiment_id is not None:
        experiment = client.get_experiment(str(experiment_id))
    elif experiment_name is not None:
        experiment = default_experiment.get_or_create(client, experiment_name)
    else:
        raise InvalidValueError("set_experiment needs experiment_name or experiment_id")
    _require_active(experiment)
    with STATE.lock:
        STATE.experiment_id = experiment.experiment_id
    return experiment


def create_experiment(
    name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None
) -> str:
    """Create an experiment and return its id."""
    return _client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with this id; NotFoundError when there is none."""
    return _client().get_experiment(str(experiment_id))


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment with this name, or None."""
    return _client().get_experiment_by_name(name)


def _every_page(
    search: Callable[[int, str | None], PagedList[T]], max_results: int | None
) -> list[T]:
    """What `search(page_size, page_token)` finds, page after page, until the last page or
    `max_results` items (every page when it is None)."""
    found: list[T] = []
    token: str | None = None
    while max_results is None or len(found) < max_results:
        wanted = _SEARCH_PAGE if max_results is None else max_results - len(found)
        page = search(min(wanted, _SEARCH_PAGE), token)
        found.extend(page)
        token = page.token
        if not token:
            break
    return found


def search_experiments(
    view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """Experiments matching an MLflow-style filter (`name LIKE 'a%'`, `tags.k = 'v'`), in
    `order_by`'s order; all of them unless `max_results` is given."""
    client = _client()
    return _every_page(
        lambda size, token: client.search_experiments(
            _view_type(view_type), size, filter_string, order_by, token
        ),
        max_results,
    )


def delete_experiment(experiment_id: str) -> None:
    """Mark the experiment and its runs deleted (restore_experiment undoes it)."""
    _client().delete_experiment(str(experiment_id))


def _active_experiment_id() -> str:
    """MLflow's current experiment: set_experiment's, else the default one (not the active
    run's: MLflow's experiment-tag functions ignore the run)."""
    session = _session()
    return STATE.experiment_id or _default_experiment_id(session)


def set_experiment_tag(key: str, value: Any) -> None:
    """Set a tag on the current experiment (set_experiment's, else the default one)."""
    _client().set_experiment_tag(_active_experiment_id(), key, value)


def set_experiment_tags(tags: Mapping[str, Any]) -> None:
    """Set tags on the current experiment (set_experiment's, else the default one)."""
    experiment_id = _active_experiment_id()
    client = _client()
    for key, value in tags.items():
        client.set_experiment_tag(experiment_id, key, value)


def set_registry_uri(uri: str) -> None:
    """Remember a model registry URI, as MLflow does; tuitrack has no model registry, so
    nothing but get_registry_uri reads it."""
    global _registry_uri
    _registry_uri = str(uri)


def get_registry_uri() -> str:
    """The registry URI set, else MLFLOW_REGISTRY_URI, else the tracking URI (MLflow's
    default)."""
    return _registry_uri or os.environ.get(_REGISTRY_URI_ENV) or get_tracking_uri()


def _default_experiment_id(session: Session) -> str:
    if session.default_experiment_id is None:
        chosen = default_experiment.choose(session.client)
        experiment = _require_active(chosen.experiment)
        if not store_opening.is_unsaved(session.client) and not chosen.as_mlflow:
            notice_once(
                "default-experiment",
                f"logging to experiment {experiment.name!r} ({chosen.reason}); "
                "choose another with set_experiment() or TUITRACK_EXPERIMENT_NAME",
            )
        session.default_experiment_id = experiment.experiment_id
    return session.default_experiment_id


def _experiment_for_new_run(session: Session, parent: RunHandle | None) -> str:
    """set_experiment's choice, else the parent's experiment, else the default one."""
    if STATE.experiment_id is not None:
        return STATE.experiment_id
    if parent is not None:
        return parent.experiment_id
    return _default_experiment_id(session)


def _current_experiment_id(session: Session) -> str:
    runs = run_stack.visible_runs()
    if runs:
        return runs[-1].experiment_id
    return STATE.experiment_id or _default_experiment_id(session)


# --- runs ------------------------------------------------------------------------------


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
    *,
    log_system_tags: bool = True,
    capture_environment: bool | None = None,
) -> ActiveRun:
    """Start a run (or resume `run_id`) and make it the active run of this thread.

    `nested=True` starts a child of the active run. Without `run_id`, the first start_run
    of a process resumes the run MLFLOW_RUN_ID names, as MLflow does. `description` is kept
    in the tag `mlflow.note.content`, as MLflow does. `log_system_metrics` is remembered
    with the run but nothing is sampled yet: system metrics come in a later issue.
    `capture_environment` (default: TUITRACK_CAPTURE_ENV, on) saves the installed packages as
    environment/requirements.txt.
    """
    own = run_stack.own_runs()
    if own and not nested:
        raise InvalidValueError(
            f"run {own[-1].run_id} is already active; end it with tuitrack.end_run() "
            "first, or pass nested=True to start a child run"
        )
    run_id = run_id or _run_id_from_environment()
    if run_id is not None and run_stack.find(run_id) is not None:
        raise InvalidValueError(f"run {run_id} is already active in this process")
    visible = run_stack.visible_runs()
    parent = parent_run_id or (visible[-1].run_id if nested and visible else None)
    session = _session()
    user_tags = {str(key): str(value) for key, value in (tags or {}).items()}
    if description is not None:
        user_tags[context.DESCRIPTION_TAG] = str(description)
    if run_id is not None:
        run = _resume(session, run_id, run_name, user_tags)
    else:
        system_tags = context.process_tags() if log_system_tags else {}
        run = session.client.create_run(
            experiment_id=str(experiment_id)
            if experiment_id is not None
            else _experiment_for_new_run(session, visible[-1] if nested and visible else None),
            run_name=run_name,
            tags={**system_tags, **user_tags},
            parent_run_id=parent,
        )
    handle = _open_handle(session, run)
    handle.log_system_metrics = log_system_metrics
    if run_id is None and (log_system_tags or _capture_environment(session, capture_environment)):
        if _capture_environment(session, capture_environment):
            _load_artifact_backend(run.info.artifact_uri)
        handle.capture = threading.Thread(
            target=_capture_context,
            args=(
                handle,
                log_system_tags and session.settings.capture_git,
                _capture_environment(session, capture_environment),
            ),
            name="tuitrack-context",
            daemon=True,
        )
        handle.capture.start()
    active = ActiveRun(info=run.info, data=run.data)
    handle.active_run = active
    return active


def _run_id_from_environment() -> str | None:
    """MLFLOW_RUN_ID, for the first start_run of this process only (MLflow then forgets
    the variable; tuitrack leaves the environment alone and remembers having used it)."""
    with STATE.lock:
        if STATE.mlflow_run_id_used:
            return None
        STATE.mlflow_run_id_used = True
    return os.environ.get(MLFLOW_RUN_ID_ENV, "").strip() or None


def _capture_environment(session: Session, requested: bool | None) -> bool:
    if store_opening.is_unsaved(session.client):
        return False  # nowhere to keep it
    return session.settings.capture_environment if requested is None else requested


def _saves_artifacts(handle: RunHandle) -> bool:
    """False for a run of an unsaved session: its artifact calls do nothing."""
    return not store_opening.is_unsaved(handle.client)


def _resume(session: Session, run_id: str, run_name: str | None, tags: dict[str, str]) -> Run:
    """The run, RUNNING again, with `tags` stored: read after this process's queued writes
    (the client's reads store them first), so it reflects everything logged before."""
    run = session.client.get_run(run_id)
    if run.info.lifecycle_stage is LifecycleStage.DELETED:
        raise InvalidValueError(f"run {run_id} is deleted; restore it before resuming it")
    # Orphan detection must judge this process from now on, not the one that started the run.
    tags = {**context.liveness_tags(), **tags}
    session.client.log_batch(run_id, tags=[RunTag(key=k, value=v) for k, v in tags.items()])
    if run.info.status is not RunStatus.RUNNING or run_name is not None:
        session.client.update_run(run_id, status=RunStatus.RUNNING, name=run_name)
    return session.client.get_run(run_id)


def _open_handle(session: Session, run: Run) -> RunHandle:
    writer = session.started_writer()
    handle = RunHandle(
        run_id=run.info.run_id,
        experiment_id=run.info.experiment_id,
        artifact_uri=run.info.artifact_uri,
        client=session.client,
        writer=writer,
        heartbeat=session.heartbeat,
        queue=writer.metrics.extend,
        params=dict(run.data.params),
    )
    run_stack.push(handle)
    if session.heartbeat is not None:
        session.heartbeat.add(handle.run_id)
    lifecycle.install(_end_open_runs, _close_sessions)
    return handle


def _load_artifact_backend(artifact_uri: str) -> None:
    """Import the artifact store's backend now, in the caller's thread.

    A capture still running when a short script ends runs during interpreter shutdown,
    when an import that registers a threading exit hook (fsspec imports
    concurrent.futures) fails with "can't register atexit after shutdown"."""
    with contextlib.suppress(Exception):  # the capture reports its own failure
        registry.artifact_store_class(artifact_uri)


def _capture_context(handle: RunHandle, git: bool, environment: bool) -> None:
    block_process_signals()  # the thread start_run starts for this
    try:
        if git:
            for key, value in context.git_tags(context.source_directory()).items():
                handle.writer.put_tag(handle.run_id, key, value)
        if environment:
            requirements = context.requirements_text()
            with STATE.store_calls.call():  # a fork waits for this thread too
                handle.client.log_text(handle.run_id, requirements, context.REQUIREMENTS_ARTIFACT)
    except Exception as error:  # context is a nicety: never fail the run for it
        warn_once("context", f"could not record the run's environment: {error}")


def active_run() -> ActiveRun | None:
    """The run log calls of this thread go to (the main thread's if this one has none)."""
    runs = run_stack.visible_runs()
    active = runs[-1].active_run if runs else None
    return active if isinstance(active, ActiveRun) else None


def last_active_run() -> Run | None:
    """The active run, else the run this process ended last."""
    runs = run_stack.visible_runs()
    if runs:
        return runs[-1].client.get_run(runs[-1].run_id)
    last = STATE.last_ended
    if last is None:
        return None
    return last.client.get_run(last.run_id)


def _status(status: RunStatus | str) -> RunStatus:
    try:
        return RunStatus(str(status).upper())
    except ValueError:
        allowed = ", ".join(s.value for s in RunStatus)
        raise InvalidValueError(f"run status {status!r} is not one of {allowed}") from None


def end_run(status: RunStatus | str = RunStatus.FINISHED) -> None:
    """End this thread's active run (no-op without one): queued data is stored first."""
    final = _status(status)
    own = run_stack.own_runs()
    if own:
        _finish(own[-1], final)


def _end_run_and_children(run_id: str, status: RunStatus) -> None:
    """End a run and any run started after it that is still open in its stack."""
    handle = run_stack.find(run_id)
    if handle is None or handle.stack is None:
        return
    stack = handle.stack
    while handle in stack:
        _finish(stack[-1], status)


def _finish(handle: RunHandle, status: RunStatus) -> None:
    """Store the run's queued data, then its final status; warn (strict: raise) on failure."""
    with handle.lock:
        if handle.ended:
            return
        handle.ended = True
    problem: TuitrackError | None = None
    try:
        if handle.capture is not None:
            handle.capture.join(_CAPTURE_JOIN_SECONDS)
        if not handle.writer.flush():
            warn_once(
                "end-flush",
                f"run {handle.run_id} ended before all its data reached the store; "
                "the rest is retried in the background while the process lives",
            )
    except TuitrackError as error:  # strict mode: a background write failed
        problem = error
    try:
        if handle.heartbeat is not None:
            handle.heartbeat.remove(handle.run_id)
        handle.client.set_terminated(handle.run_id, status)
    except TuitrackError as error:
        problem = problem or error
    finally:
        run_stack.remove(handle)
        STATE.last_ended = handle
    if problem is not None:
        if handle.writer.settings.strict:
            raise problem
        warn_once("end-run", f"could not mark run {handle.run_id} {status.value}: {problem}")


def _end_open_runs(status: RunStatus, only_current_thread: bool) -> None:
    """Lifecycle hook: give open runs a final status, never raising."""
    handles = list(reversed(run_stack.own_runs())) if only_current_thread else run_stack.all_open()
    for handle in handles:
        try:
            _finish(handle, status)
        except Exception as error:
            warn_once("end-open-runs", f"could not end run {handle.run_id}: {error}")


def _close_sessions() -> None:
    """Lifecycle hook at exit: store what is still queued, stop the threads."""
    for session in list(STATE.sessions.values()):
        if session.heartbeat is not None:
            session.heartbeat.stop()
        if session.writer is not None:
            try:
                session.writer.close()
            except TuitrackError as error:  # strict mode; the process is ending anyway
                warn_once("close", f"could not store the last queued data: {error}")


def get_run(run_id: str) -> Run:
    """The run with this id, as stored; NotFoundError when there is none."""
    return _client().get_run(run_id)


def get_parent_run(run_id: str) -> Run | None:
    """The run that `run_id` is nested in, None for a top-level run; NotFoundError when no
    run has this id."""
    return _client().get_parent_run(run_id)


def log_outputs(models: Sequence[Any] | None = None) -> NoReturn:
    """MLflow's logged-model outputs: tuitrack has no logged models, so this raises
    UnsupportedFeatureError."""
    unsupported("mlflow.log_outputs() (MLflow's logged-model outputs)")


def delete_run(run_id: str) -> None:
    """Mark the run deleted (it can be restored)."""
    _client().delete_run(run_id)


# --- logging (the hot path) ------------------------------------------------------------


def _run_for_logging(run_id: str | None) -> RunHandle:
    if run_id is None:
        runs = run_stack.visible_runs()
        if runs:
            return runs[-1]
        if STATE.parent_run_id is not None:  # a forked child: its parent's run
            return _run_for_logging(STATE.parent_run_id)
        start_run()
        return run_stack.own_runs()[-1]
    handle = run_stack.find(run_id) or STATE.detached.get(run_id)
    if handle is not None:
        return handle
    session = _session()
    run = session.client.get_run(run_id)
    writer = session.started_writer()
    lifecycle.install(_end_open_runs, _close_sessions)  # what it queues is stored at exit
    handle = RunHandle(
        run_id=run_id,
        experiment_id=run.info.experiment_id,
        artifact_uri=run.info.artifact_uri,
        client=session.client,
        writer=writer,
        heartbeat=None,
        queue=writer.metrics.extend,
        params=dict(run.data.params),
    )
    with STATE.lock:
        return STATE.detached.setdefault(run_id, handle)


def _checked_metric_key(key: object) -> None:
    validate_key(key, "metric key")
    if len(STATE.metric_keys) < _MAX_CACHED_KEYS:
        STATE.metric_keys.add(key)  # type: ignore[arg-type]


def _checked_step(key: str, step: object) -> int:
    if isinstance(step, float) and step.is_integer():
        step = int(step)
    elif not isinstance(step, int) and hasattr(step, "__index__"):
        step = step.__index__()  # numpy and torch integers
    return validate_int64(step, f"step of metric {key!r}")


def _timestamp_ns(key: str, timestamp: object) -> int:
    return validate_int64(timestamp, f"timestamp of metric {key!r}") * 1_000_000


def _after_log(handle: RunHandle, synchronous: bool | None) -> None:
    handle.writer.wait_for_room()
    handle.writer.raise_failure()
    if synchronous:
        handle.writer.flush()


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    """Queue one metric point (timestamp in ms since the epoch; default now, step 0).

    A bad key or a non-numeric value raises here; NaN and +/-inf are stored as such.
    `synchronous=True` returns once the point is stored (a failed write raises in strict
    mode); otherwise the background writer stores it.
    """
    if run_id is None:
        runs = STATE.runs
        stack = runs.thread.runs or runs.main
        handle = stack[-1] if stack else _run_for_logging(None)
    else:
        handle = _run_for_logging(run_id)
    if key not in STATE.metric_keys:
        _checked_metric_key(key)
    if value.__class__ is not float:
        value = float(validate_metric_value(key, value))  # numpy/torch scalars -> float
    if step is None:
        step = 0
    elif step.__class__ is not int or not INT64_MIN <= step <= INT64_MAX:
        step = _checked_step(key, step)
    handle.queue(
        (
            handle.run_id,
            key,
            value,
            _time_ns() if timestamp is None else _timestamp_ns(key, timestamp),
            step,
        )
    )
    writer = handle.writer
    if synchronous or len(writer.metrics) >= writer.caller_check_at:  # full, or a failure
        _after_log(handle, synchronous)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
) -> None:
    """Queue several metric points sharing one step and one timestamp."""
    handle = _run_for_logging(run_id)
    checked_step = 0 if step is None else _checked_step("(log_metrics)", step)
    time_ns = _time_ns() if timestamp is None else _timestamp_ns("(log_metrics)", timestamp)
    fields: list[Field] = []
    for key, value in metrics.items():
        if key not in STATE.metric_keys:
            _checked_metric_key(key)
        number = value if value.__class__ is float else float(validate_metric_value(key, value))
        fields += (handle.run_id, key, number, time_ns, checked_step)
    handle.queue(fields)  # at once: no other call's point comes between
    writer = handle.writer
    if synchronous or len(writer.metrics) >= writer.caller_check_at:  # full, or a failure
        _after_log(handle, synchronous)


def _text(key: str, value: Any, kind: str, limit: int) -> str:
    what = f"value of {kind} {key!r}"
    return validate_text(value_text(value, what), what, limit)


def _param_text(key: str, value: Any) -> str:
    validate_key(key, "param key")
    return _text(key, value, "param", MAX_PARAM_VALUE_LENGTH)


def log_param(
    key: str, value: Any, synchronous: bool | None = None, run_id: str | None = None
) -> Any:
    """Queue a param; logging it again with another value raises ParamConflictError."""
    log_params({key: value}, synchronous=synchronous, run_id=run_id)
    return value


def log_params(
    params: Mapping[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> None:
    """Queue params; logging one again with another value raises ParamConflictError."""
    handle = _run_for_logging(run_id)
    texts = {key: _param_text(key, value) for key, value in params.items()}
    with handle.lock:
        for key, text in texts.items():
            old = handle.params.get(key)
            if old is not None and old != text:
                raise ParamConflictError(handle.run_id, key, old, text)
        for key, text in texts.items():
            if key not in handle.params:
                handle.params[key] = text
                handle.writer.put_param(handle.run_id, key, text)
    _after_log(handle, synchronous)


def set_tag(
    key: str, value: Any, synchronous: bool | None = None, run_id: str | None = None
) -> None:
    """Queue a tag (the last value set wins)."""
    set_tags({key: value}, synchronous=synchronous, run_id=run_id)


def set_tags(
    tags: Mapping[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> None:
    """Queue tags (the last value set for a key wins)."""
    handle = _run_for_logging(run_id)
    texts = {
        validate_key(key, "tag key"): _text(key, value, "tag", MAX_TAG_VALUE_LENGTH)
        for key, value in tags.items()
    }
    for key, text in texts.items():
        handle.writer.put_tag(handle.run_id, key, text)
    _after_log(handle, synchronous)


def delete_tag(key: str) -> None:
    """Remove a tag of the active run (started if there is none, as MLflow does).

    What this process queued for the run is stored first, so a tag set just before is
    deleted rather than written afterwards. NotFoundError when the run has no such tag.
    """
    handle = _run_for_logging(None)
    handle.writer.flush()
    handle.writer.raise_failure()
    handle.client.delete_tag(handle.run_id, key)


def delete_experiment_tag(key: str) -> None:
    """Remove a tag of the current experiment (set_experiment's, else the default one, as
    set_experiment_tag); NotFoundError when it has no such tag."""
    _client().delete_experiment_tag(_active_experiment_id(), key)


def log_input(
    dataset: Any = None,
    context: str | None = None,
    tags: Mapping[str, Any] | None = None,
    model: Any = None,
) -> None:
    """Record that the active run (started if there is none) used `dataset`: one of
    tuitrack.data's, MLflow's own (`mlflow.data.from_pandas(...)`), or an entity Dataset.
    `context` ('training', 'eval', ...) is stored as the input tag `mlflow.data.context`,
    with `tags`. Logged models (`model`) are not supported: InvalidValueError."""
    from tuitrack.sdk.dataset_inputs import refuse_models

    refuse_models("model", model)
    log_inputs([dataset], [context], [tags])


def log_inputs(
    datasets: Sequence[Any] | None = None,
    contexts: Sequence[str | None] | None = None,
    tags_list: Sequence[Mapping[str, Any] | None] | None = None,
    models: Sequence[Any] | None = None,
) -> None:
    """log_input for several datasets at once: the i-th context and tags go with the i-th
    dataset (None for none; `contexts` or `tags_list` left out means none for each)."""
    from tuitrack.sdk.dataset_inputs import dataset_input, refuse_models

    refuse_models("models", models)
    given = list(datasets or ())
    contexts = [None] * len(given) if contexts is None else list(contexts)
    tags_list = [None] * len(given) if tags_list is None else list(tags_list)
    if not len(given) == len(contexts) == len(tags_list):
        raise InvalidValueError(
            f"log_inputs needs as many contexts and tags as datasets: {len(given)} datasets, "
            f"{len(contexts)} contexts, {len(tags_list)} tags"
        )
    made = [dataset_input(*entry) for entry in zip(given, contexts, tags_list, strict=True)]
    handle = _run_for_logging(None)
    handle.client.log_inputs(handle.run_id, [entry for entry in made if entry is not None])


def flush(timeout: float | None = None) -> None:
    """Wait until everything logged so far is stored (or the store fails an attempt).

    In strict mode (TUITRACK_STRICT=1) a failed write raises here.
    """
    for session in list(STATE.sessions.values()):
        if session.writer is not None:
            session.writer.flush(timeout)


def flush_async_logging() -> None:
    """MLflow's name for flush(): wait until everything logged so far is stored."""
    flush()


# --- artifacts -------------------------------------------------------------------------


def flush_artifact_async_logging() -> None:
    """Artifacts reach their store before log_artifact and the other artifact calls
    return, so there is nothing to wait for (MLflow can upload them in the background)."""


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The artifact URI of the active run, or of `artifact_path` inside it."""
    handle = _run_for_logging(None)
    if not artifact_path:
        return handle.artifact_uri
    from tuitrack.core.validation import normalize_artifact_path

    return f"{handle.artifact_uri.rstrip('/')}/{normalize_artifact_path(artifact_path)}"


def log_artifact(
    local_path: str | Path, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copy a local file into the run's artifacts, under `artifact_path` if given."""
    handle = _run_for_logging(run_id)
    if _saves_artifacts(handle):
        handle.client.log_artifact(handle.run_id, str(local_path), artifact_path)


def log_artifacts(
    local_dir: str | Path, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copy the files below a local folder into the run's artifacts, under `artifact_path`."""
    handle = _run_for_logging(run_id)
    if _saves_artifacts(handle):
        handle.client.log_artifacts(handle.run_id, str(local_dir), artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Save `text` as the artifact file `artifact_file` of the run."""
    handle = _run_for_logging(run_id)
    if _saves_artifacts(handle):
        handle.client.log_text(handle.run_id, text, artifact_file)


def log_dict(dictionary: Mapping[str, Any], artifact_file: str, run_id: str | None = None) -> None:
    """Save as JSON, or YAML when `artifact_file` ends in .yaml / .yml."""
    handle = _run_for_logging(run_id)
    if _saves_artifacts(handle):
        handle.client.log_dict(handle.run_id, dictionary, artifact_file)


def log_figure(
    figure: Any,
    artifact_file: str,
    *,
    save_kwargs: Mapping[str, Any] | None = None,
    run_id: str | None = None,
) -> None:
    """Save a matplotlib figure (any format it writes) or a plotly figure (.html, or an
    image format)."""
    handle = _run_for_logging(run_id)
    if _saves_artifacts(handle):
        handle.client.log_figure(handle.run_id, figure, artifact_file, save_kwargs=save_kwargs)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = False,
) -> None:
    """Save a numpy array or PIL image as `artifact_file`, or as the image of `key` at
    `step` (default 0) and `timestamp` (ms, default now) in MLflow's image series layout,
    which MLflow's UI shows (see tuitrack.sdk.artifact_files). The file is stored before
    this returns, whatever `synchronous` says."""
    handle = _run_for_logging(None)
    if _saves_artifacts(handle):
        handle.client.log_image(handle.run_id, image, artifact_file, key, step, timestamp)
    else:  # nothing is saved, but a bad image or bad arguments still raise here
        artifact_files.check_image_arguments(artifact_file, key, step, timestamp)
        artifact_files.pil_image(image)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Save a dict of columns or a pandas DataFrame as a table in MLflow's format (.json:
    "split" JSON; .parquet), after the rows logged to the same file before."""
    handle = _run_for_logging(run_id)
    if _saves_artifacts(handle):
        handle.client.log_table(handle.run_id, data, artifact_file)


def load_table(
    artifact_file: str,
    run_ids: Sequence[str] | None = None,
    extra_columns: Sequence[str] | None = None,
) -> Any:
    """The rows of table `artifact_file` of every run of the current experiment (or of
    `run_ids`) that logged it, as one DataFrame; `extra_columns` adds search_runs'
    columns (`run_id`, `params.lr`, ...) to each run's rows."""
    return _client().load_table(_active_experiment_id(), artifact_file, run_ids, extra_columns)


# --- search ----------------------------------------------------------------------------


def _view_type(value: ViewType | str | int) -> ViewType:
    by_mlflow_number = {1: ViewType.ACTIVE_ONLY, 2: ViewType.DELETED_ONLY, 3: ViewType.ALL}
    if isinstance(value, int) and value in by_mlflow_number:
        return by_mlflow_number[value]
    try:
        return ViewType(str(value).lower())
    except ValueError:
        allowed = ", ".join(v.value for v in ViewType)
        raise InvalidValueError(f"run_view_type {value!r} is not one of {allowed}") from None


def _search_experiment_ids(
    client: TrackingClient,
    experiment_ids: Sequence[str] | str | None,
    experiment_names: Sequence[str] | None,
    search_all_experiments: bool,
) -> list[str]:
    if isinstance(experiment_ids, str):
        experiment_ids = [experiment_ids]
    ids = [str(i) for i in experiment_ids or ()]
    for name in experiment_names or ():
        experiment = client.get_experiment_by_name(name)
        if experiment is not None:
            ids.append(experiment.experiment_id)
    if ids or experiment_names:
        return ids
    if search_all_experiments:
        return [e.experiment_id for e in search_experiments()]  # every page of them
    return [_current_experiment_id(_session())]


def search_runs(
    experiment_ids: Sequence[str] | str | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: Literal["list", "pandas"] = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> Any:
    """Runs matching an MLflow-style filter: a pandas DataFrame with MLflow's columns (see
    tuitrack.sdk.run_frame), or with `output_format="list"` a list of Run.

    Without experiments named, searches the current experiment. What this process logged
    before the call is stored first, so it is found.
    """
    if output_format not in ("list", "pandas"):
        raise InvalidValueError(f"output_format {output_format!r} is not 'list' or 'pandas'")
    client = _client()
    ids = _search_experiment_ids(client, experiment_ids, experiment_names, search_all_experiments)
    runs: list[Run] = []
    if ids:
        runs = _every_page(
            lambda size, token: client.search_runs(
                ids, filter_string or None, _view_type(run_view_type), size, order_by, token
            ),
            max_results,
        )
    if output_format == "pandas":
        from tuitrack.sdk.run_frame import runs_to_dataframe

        return runs_to_dataframe(runs)
    return runs
