"""TrackingClient: the explicit API over one tracking store and its artifact stores."""

from __future__ import annotations

import getpass
import json
import os
import socket
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn

from tuitrack.core import config, registry
from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.store import ArtifactStore, TrackingStore, now_ms
from tuitrack.core.validation import (
    normalize_artifact_path,
    validate_int64,
    validate_metric_value,
    value_text,
)
from tuitrack.entities import (
    Experiment,
    FileInfo,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from tuitrack.errors import InvalidValueError, NotFoundError
from tuitrack.sdk import artifact_files
from tuitrack.sdk.run_frame import runs_to_dataframe
from tuitrack.sdk.state import STATE
from tuitrack.sdk.unsupported import unsupported


def _status(value: RunStatus | str) -> RunStatus:
    try:
        return RunStatus(str(value).upper())
    except ValueError:
        allowed = ", ".join(s.value for s in RunStatus)
        raise InvalidValueError(f"run status {value!r} is not one of {allowed}") from None


def _current_user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (e.g. a container without passwd)
        return None


class TrackingClient:
    """MlflowClient-shaped access to a tracking store (`tracking_uri`) and artifacts.

    With no URIs, uses the module-level API's (`set_tracking_uri`, `set_artifact_uri`), else
    `TUITRACK_TRACKING_URI` (or `MLFLOW_TRACKING_URI`) / `TUITRACK_ARTIFACT_URI`, else SQLite
    and a local folder under `$XDG_DATA_HOME/tuitrack/`. The store is created when missing, unless
    `store` is given: a store already open for `tracking_uri` (see tuitrack.sdk.store_opening).
    `registry_uri` is accepted for MLflow's signature and ignored: tuitrack has no model
    registry. Writes (`log_metric`, `log_batch`, ...) reach the store before they return,
    so their `synchronous` argument changes nothing.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        registry_uri: str | None = None,
        *,
        artifact_uri: str | None = None,
        store: TrackingStore | None = None,
    ) -> None:
        # As MLflow's: with no URI, the store the module-level API logs to.
        self.tracking_uri = str(tracking_uri or STATE.tracking_uri or config.default_tracking_uri())
        self.artifact_uri = str(artifact_uri or STATE.artifact_uri or config.default_artifact_uri())
        self.store: TrackingStore = store or registry.get_tracking_store(
            self.tracking_uri, self.artifact_uri
        )
        self._artifact_stores: dict[str, ArtifactStore] = {}

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> TrackingClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- experiments -------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> str:
        str_tags = {k: str(v) for k, v in (tags or {}).items()}
        return self.store.create_experiment(name, artifact_location, str_tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.store.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self.store.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        return self.store.search_experiments(
            view_type, max_results, filter_string, order_by, page_token
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self.store.rename_experiment(str(experiment_id), new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        self.store.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self.store.restore_experiment(str(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        self.store.set_experiment_tag(
            str(experiment_id), key, value_text(value, f"value of experiment tag {key!r}")
        )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag of the experiment; NotFoundError when it has none under `key`."""
        self.store.delete_experiment_tag(str(experiment_id), key)

    # --- runs --------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
        *,
        parent_run_id: str | None = None,
        user_id: str | None = None,
        host: str | None = None,
        pid: int | None = None,
    ) -> Run:
        return self.store.create_run(
            str(experiment_id),
            user_id=user_id if user_id is not None else _current_user(),
            start_time=start_time,
            tags={k: str(v) for k, v in (tags or {}).items()},
            run_name=run_name,
            parent_run_id=parent_run_id,
            host=host if host is not None else socket.gethostname(),
            pid=pid if pid is not None else os.getpid(),
        )

    def _store_pending_writes(self) -> None:
        """Store what this process's module-level API queued for this client's store, so
        that a read reflects every write made before it (MLflow's writes are synchronous)."""
        for session in list(STATE.sessions.values()):
            writer = session.writer
            if writer is None or (
                session.client is not self and session.client.tracking_uri != self.tracking_uri
            ):
                continue
            if writer.has_unstored():
                writer.flush()

    def get_run(self, run_id: str) -> Run:
        """The run as stored, after what this process queued for it (see
        `_store_pending_writes`); NotFoundError when there is none."""
        self._store_pending_writes()
        return self.store.get_run(run_id)

    def get_parent_run(self, run_id: str) -> Run | None:
        """The run that `run_id` is nested in, None for a top-level run; NotFoundError when
        no run has this id."""
        parent_run_id = self.get_run(run_id).info.parent_run_id
        return None if parent_run_id is None else self.get_run(parent_run_id)

    def log_outputs(self, run_id: str, models: Sequence[Any]) -> NoReturn:
        """MLflow's logged-model outputs: tuitrack has no logged models, so this raises
        UnsupportedFeatureError."""
        unsupported("MlflowClient.log_outputs() (MLflow's logged-model outputs)")

    def update_run(
        self, run_id: str, status: RunStatus | str | None = None, name: str | None = None
    ) -> RunInfo:
        return self.store.update_run_info(
            run_id, status=None if status is None else _status(status), run_name=name
        )

    def set_terminated(
        self, run_id: str, status: RunStatus | str | None = None, end_time: int | None = None
    ) -> RunInfo:
        final = _status(status or RunStatus.FINISHED)
        return self.store.update_run_info(
            run_id, status=final, end_time=end_time if end_time is not None else now_ms()
        )

    def delete_run(self, run_id: str) -> None:
        self.store.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        self.store.restore_run(run_id)

    def record_heartbeat(self, run_id: str) -> None:
        self.store.record_heartbeat(run_id)

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str | None = "",
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        self._store_pending_writes()
        return self.store.search_runs(
            [str(i) for i in ids],
            filter_string or None,
            run_view_type,
            max_results,
            order_by,
            page_token,
        )

    # --- data --------------------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        """Store metrics, params and tags in one call (`synchronous`: see the class)."""
        self.store.log_batch(run_id, metrics, params, tags)

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """Store one metric point (timestamp in ms, default now; step default 0)."""
        metric = Metric(
            key=key,
            value=validate_metric_value(key, value),
            timestamp=timestamp if timestamp is not None else now_ms(),
            step=step or 0,
        )
        self.store.log_batch(run_id, metrics=[metric])

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        """Store a param and return its value."""
        text = value_text(value, f"value of param {key!r}")
        self.store.log_batch(run_id, params=[Param(key=key, value=text)])
        return value

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        """Store a tag (the last value set wins)."""
        text = value_text(value, f"value of tag {key!r}")
        self.store.log_batch(run_id, tags=[RunTag(key=key, value=text)])

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag of the run; NotFoundError when it has none under `key`."""
        self.store.delete_tag(run_id, key)

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[Any] | None = None,
        models: Sequence[Any] | None = None,
    ) -> None:
        """Record the datasets the run was given: DatasetInput objects, tuitrack's or
        MLflow's. A dataset is stored once per experiment (name, digest), as in MLflow.
        Logged models (`models`) are not supported: InvalidValueError."""
        from tuitrack.sdk.dataset_inputs import as_dataset_input, refuse_models

        refuse_models("models", models)
        self.store.log_inputs(run_id, [as_dataset_input(given) for given in datasets or ()])

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        start_step: int | None = None,
        end_step: int | None = None,
        max_points: int | None = None,
    ) -> MetricHistory:
        """A metric's points by step; with `max_points`, at most that many points that keep
        the curve's shape (each step bucket's first, last, min, max and first NaN).

        A read-only sequence of Metric, built one by one as they are read; its `steps`,
        `timestamps` and `values` columns give the numbers without building any."""
        self._store_pending_writes()
        if max_points is None:  # also serves stores written before max_points
            points = self.store.get_metric_history(run_id, key, start_step, end_step)
        else:
            points = self.store.get_metric_history(run_id, key, start_step, end_step, max_points)
        return MetricHistory.of(key, points)

    def iter_metric_history(
        self,
        run_id: str,
        key: str,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> Iterator[Metric]:
        """get_metric_history's points one by one, read a window of steps at a time: memory
        stays bounded whatever the series' length. Raises as get_metric_history."""
        self._store_pending_writes()
        return self.store.iter_metric_history(run_id, key, start_step, end_step)

    def get_metric_histories(
        self,
        run_ids: Sequence[str] | str,
        keys: Sequence[str] | str,
        max_points: int | None = None,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> dict[tuple[str, str], MetricHistory]:
        """get_metric_history of every (run_id, key) pair, keyed by that pair."""
        ids = [run_ids] if isinstance(run_ids, str) else list(run_ids)
        names = [keys] if isinstance(keys, str) else list(keys)
        self._store_pending_writes()
        histories = self.store.get_metric_histories(ids, names, max_points, start_step, end_step)
        return {pair: MetricHistory.of(pair[1], points) for pair, points in histories.items()}

    # --- artifacts ---------------------------------------------------------------------

    def artifact_store(self, run_id: str) -> ArtifactStore:
        """The artifact store holding this run's files."""
        uri = self.store.get_run(run_id).info.artifact_uri  # no wait for queued writes
        store = self._artifact_stores.get(uri)
        if store is None:
            store = self.store.artifact_store_for(uri) or registry.get_artifact_store(uri)
            self._artifact_stores[uri] = store
        return store

    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        """Upload a file, or a directory as `<artifact_path>/<its name>/...`."""
        store = self.artifact_store(run_id)
        if os.path.isdir(local_path):
            name = os.path.basename(os.path.normpath(local_path))
            target = "/".join(p for p in (normalize_artifact_path(artifact_path), name) if p)
            store.log_artifacts(local_path, target)
        else:
            store.log_artifact(local_path, artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: str | None = None) -> None:
        self.artifact_store(run_id).log_artifacts(local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        self.artifact_store(run_id).log_bytes(text.encode("utf-8"), artifact_file)

    def log_dict(self, run_id: str, dictionary: Mapping[str, Any], artifact_file: str) -> None:
        """Save a dict as JSON, or as YAML when the file ends in .yaml / .yml."""
        if artifact_file.lower().endswith((".yaml", ".yml")):
            import yaml

            text = yaml.safe_dump(dict(dictionary), sort_keys=False, allow_unicode=True)
        else:
            text = json.dumps(dictionary, indent=2, ensure_ascii=False, default=str)
        self.log_text(run_id, text, artifact_file)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        return self.artifact_store(run_id).list_artifacts(path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        """Copy an artifact file or directory locally and return its local path."""
        destination = dst_path or tempfile.mkdtemp(prefix="tuitrack-")
        return self.artifact_store(run_id).download_artifacts(path, destination)

    # --- figures, images and tables, as MLflow lays them out (see artifact_files) -------

    def log_figure(
        self,
        run_id: str,
        figure: Any,
        artifact_file: str,
        *,
        save_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        """Save a matplotlib figure (any format it writes) or a plotly figure (.html, or an
        image format)."""
        data = artifact_files.figure_bytes(figure, artifact_file, save_kwargs)
        self.artifact_store(run_id).log_bytes(data, artifact_file)

    def log_image(
        self,
        run_id: str,
        image: Any,
        artifact_file: str | None = None,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """Save a numpy array or PIL image: as `artifact_file`, or as the image of `key`
        at `step` (default 0) and `timestamp` (ms, default now) in MLflow's image series
        layout, which MLflow's UI shows (`synchronous`: see the class)."""
        artifact_files.check_image_arguments(artifact_file, key, step, timestamp)
        picture = artifact_files.pil_image(image)
        store = self.artifact_store(run_id)
        if artifact_file is not None:
            store.log_bytes(artifact_files.image_bytes(picture, artifact_file), artifact_file)
            return
        assert key is not None  # check_image_arguments: artifact_file or key
        image_file, thumbnail_file = artifact_files.image_series_files(
            key,
            validate_int64(step or 0, f"step of image {key!r}"),
            validate_int64(timestamp or now_ms(), f"timestamp of image {key!r}"),
        )
        store.log_bytes(artifact_files.image_bytes(picture, image_file), image_file)
        thumbnail = artifact_files.thumbnail(picture)
        store.log_bytes(artifact_files.image_bytes(thumbnail, thumbnail_file), thumbnail_file)
        self.set_tag(run_id, artifact_files.LOGGED_IMAGES_TAG, True)

    def _artifact_file_exists(self, store: ArtifactStore, artifact_file: str) -> bool:
        path = normalize_artifact_path(artifact_file)
        folder = path.rpartition("/")[0] or None
        return any(f.path == path and not f.is_dir for f in store.list_artifacts(folder))

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        """Save a dict of columns or a pandas DataFrame as a table (.json: MLflow's "split"
        JSON; .parquet); rows logged to the same file before come first. The run's tag
        `mlflow.loggedArtifacts` lists its tables, as MLflow's does."""
        artifact_files.check_table_file(artifact_file)
        frame = artifact_files.table_frame(data)
        store = self.artifact_store(run_id)
        artifact_files.save_image_columns(frame, artifact_file, store.log_bytes)
        if self._artifact_file_exists(store, artifact_file):
            logged = artifact_files.read_table(store.read_bytes(artifact_file), artifact_file)
            frame = artifact_files.appended_all([logged, frame])
        store.log_bytes(artifact_files.table_bytes(frame, artifact_file), artifact_file)
        tags = self.get_run(run_id).data.tags
        listed = artifact_files.logged_tables_tag(
            tags.get(artifact_files.LOGGED_ARTIFACTS_TAG), artifact_file
        )
        if listed is not None:
            self.set_tag(run_id, artifact_files.LOGGED_ARTIFACTS_TAG, listed)

    def load_table(
        self,
        experiment_id: str,
        artifact_file: str,
        run_ids: Sequence[str] | None = None,
        extra_columns: Sequence[str] | None = None,
    ) -> Any:
        """The rows of table `artifact_file` of every run of the experiment (or of
        `run_ids`) that logged it, one DataFrame; `extra_columns` adds columns of
        search_runs' DataFrame (`run_id`, `params.lr`, ...) to each run's rows."""
        artifact_files.check_table_file(artifact_file)
        filter_string = artifact_files.table_search_filter(
            artifact_file, None if run_ids is None else list(run_ids)
        )
        runs: list[Run] = []
        token: str | None = None
        while True:
            page = self.search_runs([str(experiment_id)], filter_string, page_token=token)
            runs.extend(page)
            token = page.token
            if not token:
                break
        if not runs:
            raise NotFoundError(
                f"no run of experiment {experiment_id} logged the table {artifact_file!r}"
            )
        rows = runs_to_dataframe(runs)
        for column in extra_columns or ():
            if column not in rows.columns:
                raise InvalidValueError(
                    f"extra column {column!r} is not a column of search_runs' DataFrame: "
                    f"{', '.join(rows.columns)}"
                )
        tables = []
        for index, run in enumerate(runs):
            table = self._run_table(run.info.run_id, artifact_file)
            for column in extra_columns or ():
                table[f"{column}_" if column in table.columns else column] = rows[column].iloc[
                    index
                ]
            tables.append(table)
        return artifact_files.appended_all(tables)

    def _run_table(self, run_id: str, artifact_file: str) -> Any:
        store = self.artifact_store(run_id)
        if not self._artifact_file_exists(store, artifact_file):
            raise NotFoundError(f"Artifact {artifact_file} not found for run {run_id}.")
        return artifact_files.read_table(store.read_bytes(artifact_file), artifact_file)


MlflowClient = TrackingClient
"""MLflow's name for the same class, so that `import tuitrack as mlflow` code keeps working."""
