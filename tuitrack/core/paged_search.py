"""search_runs and search_experiments written once for every store that pages its own
results: the contract's arguments are checked and normalized into a RunQuery or an
ExperimentQuery, and the store answers with one page (run_page, experiment_page)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from tuitrack.core.limits import checked_max_results
from tuitrack.core.store import TrackingStore
from tuitrack.entities import Experiment, PagedList, Run, ViewType


@dataclass(frozen=True)
class RunQuery:
    """One search_runs call with `max_results` checked and `view_type` a ViewType."""

    experiment_ids: Sequence[str]
    filter_string: str | None
    view_type: ViewType
    max_results: int
    order_by: Sequence[str] | None
    page_token: str | None


@dataclass(frozen=True)
class ExperimentQuery:
    """One search_experiments call with `max_results` checked and `view_type` a ViewType."""

    view_type: ViewType
    max_results: int
    filter_string: str | None
    order_by: Sequence[str] | None
    page_token: str | None


class PagedSearchStore(TrackingStore):
    """A TrackingStore whose searches are run_page and experiment_page."""

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """A page of runs; by default newest first (start_time DESC, then run_id).

        Raises InvalidValueError (or its subclass FilterSyntaxError) for a bad filter,
        ordering, max_results or page token.
        """
        limit = checked_max_results(max_results)
        view_type = ViewType(run_view_type)
        return self.run_page(
            RunQuery(experiment_ids, filter_string, view_type, limit, order_by, page_token)
        )

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """A page of experiments, newest first unless `order_by` says otherwise.

        Raises InvalidValueError for a bad filter, ordering, max_results or page token.
        """
        limit = checked_max_results(max_results)
        query = ExperimentQuery(ViewType(view_type), limit, filter_string, order_by, page_token)
        return self.experiment_page(query)

    @abstractmethod
    def run_page(self, query: RunQuery) -> PagedList[Run]:
        """The page of runs `query` asks for (see search_runs for what it raises)."""

    @abstractmethod
    def experiment_page(self, query: ExperimentQuery) -> PagedList[Experiment]:
        """The page of experiments `query` asks for (see search_experiments)."""
