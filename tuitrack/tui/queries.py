"""What the screens ask the store, as plain blocking functions run in thread workers.

Nothing here imports Textual; each function does a bounded amount of store work.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tuitrack.core.default_experiment import without_empty_default
from tuitrack.core.orphans import Orphan, OrphanPolicy
from tuitrack.core.store import ExperimentActivity, MarkResult
from tuitrack.entities import (
    Experiment,
    LifecycleStage,
    MetricSummary,
    PagedList,
    Run,
    RunStatus,
    TagSummary,
    ViewType,
)
from tuitrack.errors import InvalidValueError
from tuitrack.sdk.client import TrackingClient
from tuitrack.search.lexical import quote_string
from tuitrack.tui.status import judge_runs

RUNS_PAGE_SIZE = 100
"""The first page: small, so the first rows show at once."""
MORE_PAGE_SIZE = 1000
"""Later pages, read while the user scrolls (or all of them at once for `G`)."""
COUNT_PAGE_SIZE = 1000
EXPERIMENTS_PAGE_SIZE = 200
"""Experiments per page: a screenful and some to scroll, summed up by the store at once."""
TREND_POINTS = 100
"""Points of a metric read for its sparkline: the store downsamples the whole series."""
TAG_VALUES_SHOWN = 50


@dataclass(frozen=True)
class ExperimentSummary:
    experiment: Experiment
    run_count: int
    running_count: int
    """RUNNING runs that are not orphaned."""
    last_activity: int | None
    run_count_text: str


@dataclass(frozen=True)
class ExperimentsPage:
    summaries: list[ExperimentSummary]
    token: str | None
    """Reads the next page; None on the last one."""


def name_contains(text: str) -> str | None:
    """An experiment filter matching names that contain `text`, ignoring case."""
    if not text:
        return None
    escaped = "".join("\\" + c if c in "\\%_" else c for c in text)
    return f"name ILIKE {quote_string(f'%{escaped}%')}"


def load_experiments_page(
    client: TrackingClient,
    now: int,
    show_deleted: bool = False,
    policy: OrphanPolicy | None = None,
    name: str = "",
    page_token: str | None = None,
    page_size: int = EXPERIMENTS_PAGE_SIZE,
) -> ExperimentsPage:
    """A page of experiments, most recently active first, counted by the store in one go;
    only the RUNNING runs of the page's experiments are read, to leave orphans out. The
    Default experiment is left out while it has no runs (default_experiment.py)."""
    view = ViewType.ALL if show_deleted else ViewType.ACTIVE_ONLY
    page = client.store.search_experiment_activity(view, page_size, name_contains(name), page_token)
    shown = without_empty_default(page)
    orphans = _orphans_per_experiment(
        client,
        [a for a in shown if a.running_count],
        now,
        policy or OrphanPolicy.from_environment(),
    )
    summaries = [
        ExperimentSummary(
            a.experiment,
            a.run_count,
            a.running_count - orphans[a.experiment.experiment_id],
            a.last_activity,
            a.run_count_text,
        )
        for a in shown
    ]
    return ExperimentsPage(summaries, page.token)


def _orphans_per_experiment(
    client: TrackingClient, activities: Sequence[ExperimentActivity], now: int, policy: OrphanPolicy
) -> Counter[str]:
    counts: Counter[str] = Counter()
    deleted = {
        a.experiment.experiment_id
        for a in activities
        if a.experiment.lifecycle_stage == LifecycleStage.DELETED
    }
    active = [
        a.experiment.experiment_id for a in activities if a.experiment.experiment_id not in deleted
    ]
    for view, ids in ((ViewType.ACTIVE_ONLY, active), (ViewType.ALL, sorted(deleted))):
        token: str | None = None
        while ids:
            running = client.search_runs(
                ids, "attributes.status = 'RUNNING'", view, COUNT_PAGE_SIZE, page_token=token
            )
            orphans = judge_page(client, running, now, policy)
            counts.update(r.info.experiment_id for r in running if r.info.run_id in orphans)
            token = running.token
            if not token:
                break
    return counts


def load_experiment_summaries(
    client: TrackingClient,
    now: int,
    show_deleted: bool = False,
    policy: OrphanPolicy | None = None,
) -> list[ExperimentSummary]:
    """Every experiment, page by page (the CLI's listing and tests; the screen pages)."""
    summaries: list[ExperimentSummary] = []
    token: str | None = None
    while True:
        page = load_experiments_page(
            client, now, show_deleted, policy, page_token=token, page_size=COUNT_PAGE_SIZE
        )
        summaries.extend(page.summaries)
        token = page.token
        if not token:
            return summaries


@dataclass(frozen=True)
class RunsQuery:
    experiment_ids: tuple[str, ...]
    filter_string: str = ""
    order_by: tuple[str, ...] = ()
    page_size: int = RUNS_PAGE_SIZE


def load_runs_page(
    client: TrackingClient,
    query: RunsQuery,
    page_token: str | None = None,
    page_size: int | None = None,
) -> PagedList[Run]:
    """One page of runs (`page_size` overrides the query's). Raises InvalidValueError /
    FilterSyntaxError for a bad filter."""
    return client.search_runs(
        list(query.experiment_ids),
        filter_string=query.filter_string or None,
        max_results=page_size or query.page_size,
        order_by=list(query.order_by) or None,
        page_token=page_token,
    )


@dataclass(frozen=True)
class RunsPage:
    """A page of runs and the orphans among them."""

    runs: PagedList[Run]
    orphans: dict[str, Orphan]


def load_judged_page(
    client: TrackingClient,
    query: RunsQuery,
    now: int,
    policy: OrphanPolicy,
    page_token: str | None = None,
    page_size: int | None = None,
) -> RunsPage:
    runs = load_runs_page(client, query, page_token, page_size)
    return RunsPage(runs, judge_page(client, runs, now, policy))


def judge_page(
    client: TrackingClient, runs: Sequence[Run], now: int, policy: OrphanPolicy
) -> dict[str, Orphan]:
    """The orphans among these runs, by id: only their RUNNING runs' activity is read."""
    running = [run.info.run_id for run in runs if run.info.status is RunStatus.RUNNING]
    if not running:
        return {}
    return judge_runs(runs, now, policy, client.store.last_activity_times(running))


def count_runs(client: TrackingClient, query: RunsQuery) -> int:
    """How many runs the query matches in all (the store counts)."""
    return client.store.count_runs(
        list(query.experiment_ids), filter_string=query.filter_string or None
    )


@dataclass(frozen=True)
class OrphanedRun:
    run: Run
    orphan: Orphan


def read_only_reason(client: TrackingClient) -> str | None:
    """Why the store takes no writes, or None when it does."""
    return client.store.read_only


def orphan_verdicts(
    client: TrackingClient, experiment_ids: Sequence[str], now: int, policy: OrphanPolicy
) -> list[Orphan]:
    """The verdict on every orphaned run of these experiments (not only the ones loaded)."""
    return client.store.find_orphans(list(experiment_ids), policy, now)


def mark_orphans_failed(
    client: TrackingClient, run_ids: Sequence[str], policy: OrphanPolicy
) -> MarkResult:
    """Mark these runs FAILED, each only if it is still orphaned."""
    return client.store.mark_failed(run_ids, policy=policy)


def load_orphans(
    client: TrackingClient, experiment_ids: Sequence[str], now: int, policy: OrphanPolicy
) -> list[OrphanedRun]:
    """Every orphaned run of these experiments with its reason, newest first."""
    verdicts = {o.run_id: o for o in orphan_verdicts(client, experiment_ids, now, policy)}
    found: list[OrphanedRun] = []
    ids = sorted(verdicts)
    for start in range(0, len(ids), COUNT_PAGE_SIZE):
        chunk = ids[start : start + COUNT_PAGE_SIZE]
        quoted = ", ".join(f"'{run_id}'" for run_id in chunk)
        page = client.search_runs(
            list(experiment_ids),
            filter_string=f"attributes.run_id IN ({quoted})",
            max_results=COUNT_PAGE_SIZE,
        )
        found.extend(OrphanedRun(run, verdicts[run.info.run_id]) for run in page)
    return sorted(found, key=lambda o: (-(o.run.info.start_time or 0), o.run.info.run_id))


def load_tag_summaries(client: TrackingClient, experiment_ids: Sequence[str]) -> list[TagSummary]:
    return client.store.get_tag_summaries(list(experiment_ids), max_values=TAG_VALUES_SHOWN)


def newest_run_id(client: TrackingClient, query: RunsQuery) -> str | None:
    """The id of the most recently started run matching the query: a cheap 'anything new?'."""
    page = client.search_runs(
        list(query.experiment_ids), filter_string=query.filter_string or None, max_results=1
    )
    return page[0].info.run_id if page else None


def refresh_runs(client: TrackingClient, run_ids: Iterable[str]) -> list[Run]:
    """Re-read just these runs (the RUNNING ones on screen)."""
    return [client.get_run(run_id) for run_id in run_ids]


def order_clause(kind: str, key: str, ascending: bool) -> str:
    """`metrics.loss DESC`, with backquotes around keys that are not plain identifiers."""
    plain = key.replace("_", "").isalnum()
    quoted = key if plain else f"`{key}`"
    return f"{kind}.{quoted} {'ASC' if ascending else 'DESC'}"


@dataclass(frozen=True)
class ColumnChoice:
    params: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()


def available_keys(runs: Sequence[Run]) -> ColumnChoice:
    params = sorted({k for run in runs for k in run.data.params})
    metrics = sorted({k for run in runs for k in run.data.metrics})
    return ColumnChoice(tuple(params), tuple(metrics))


def default_columns(runs: Sequence[Run], max_params: int = 3, max_metrics: int = 3) -> ColumnChoice:
    """The most common metrics and the params whose values vary most across `runs`."""
    metric_counts = Counter(k for run in runs for k in run.data.metrics)
    metrics = sorted(metric_counts, key=lambda k: (-metric_counts[k], k))[:max_metrics]
    values: dict[str, set[str]] = defaultdict(set)
    for run in runs:
        for key, value in run.data.params.items():
            values[key].add(value)
    varying = [k for k in values if len(values[k]) > 1] or list(values)

    def rank(key: str) -> tuple[bool, int, str]:
        # A value per run (a seed, an id) tells least, so it comes after shared values.
        unique = len(values[key]) == sum(key in run.data.params for run in runs)
        return (unique and len(runs) > 1, -len(values[key]), key)

    params = sorted(varying, key=rank)[:max_params]
    return ColumnChoice(tuple(params), tuple(sorted(metrics)))


@dataclass(frozen=True)
class RunDetail:
    run: Run
    parent: Run | None
    children: tuple[Run, ...]
    metrics: tuple[MetricSummary, ...]
    experiment_name: str
    trends: dict[str, list[float]] = field(default_factory=dict)
    """Each metric's whole series, downsampled by the store, for its sparkline."""
    orphan: Orphan | None = None


def find_children(client: TrackingClient, run: Run, limit: int = 500) -> list[Run]:
    """Runs whose parent is `run`, found by filter when the store supports it."""
    experiment = [run.info.experiment_id]
    try:
        page = client.search_runs(
            experiment,
            filter_string=f"attributes.parent_run_id = '{run.info.run_id}'",
            max_results=limit,
        )
        return list(page)
    except (InvalidValueError, KeyError):
        # A store whose filters predate `parent_run_id` (KeyError: a backend bug, seen in
        # the MLflow backend while it catches up); scan instead of failing the screen.
        pass
    children: list[Run] = []
    token: str | None = None
    scanned = 0
    while scanned < 5 * COUNT_PAGE_SIZE:
        page = client.search_runs(experiment, max_results=COUNT_PAGE_SIZE, page_token=token)
        scanned += len(page)
        children.extend(r for r in page if r.info.parent_run_id == run.info.run_id)
        token = page.token
        if not token:
            break
    return children[:limit]


def _trends(client: TrackingClient, run_id: str, keys: Sequence[str]) -> dict[str, list[float]]:
    if not keys:
        return {}
    histories = client.get_metric_histories([run_id], list(keys), max_points=TREND_POINTS)
    return {key: histories[run_id, key].values.tolist() for key in keys}


def load_run_detail(
    client: TrackingClient, run_id: str, now: int, policy: OrphanPolicy
) -> RunDetail:
    """The run, its family, and its metrics summed up by the store (no whole histories)."""
    run = client.get_run(run_id)
    parent = client.get_run(run.info.parent_run_id) if run.info.parent_run_id else None
    summaries = tuple(client.store.get_metric_summaries(run_id))
    return RunDetail(
        run=run,
        parent=parent,
        children=tuple(find_children(client, run)),
        metrics=summaries,
        experiment_name=client.get_experiment(run.info.experiment_id).name,
        trends=_trends(client, run_id, [m.key for m in summaries]),
        orphan=judge_page(client, [run], now, policy).get(run_id),
    )


def extend_run_detail(
    client: TrackingClient, detail: RunDetail, now: int, policy: OrphanPolicy
) -> RunDetail:
    """Live: re-read the run and its summaries; re-read a trend only if its series grew."""
    run_id = detail.run.info.run_id
    run = client.get_run(run_id)
    summaries = tuple(client.store.get_metric_summaries(run_id))
    before = {m.key: (m.count, m.step) for m in detail.metrics}
    grown = [m.key for m in summaries if before.get(m.key) != (m.count, m.step)]
    trends = {key: detail.trends[key] for key in detail.trends if key not in grown}
    trends.update(_trends(client, run_id, grown))
    return RunDetail(
        run=run,
        parent=detail.parent,
        children=detail.children,
        metrics=summaries,
        experiment_name=detail.experiment_name,
        trends=trends,
        orphan=judge_page(client, [run], now, policy).get(run_id),
    )
