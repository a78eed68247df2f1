"""The read methods of a SQL store written once over its SearchTables: get_run, search_runs,
count_runs and search_experiments, each in one read transaction of the store's engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import Connection, Engine, Row, select

from tuitrack.core.paged_search import ExperimentQuery, PagedSearchStore, RunQuery
from tuitrack.core.validation import integer_id, stored_id
from tuitrack.entities import Experiment, PagedList, Run, ViewType
from tuitrack.errors import NotFoundError
from tuitrack_sqlkit import run_search
from tuitrack_sqlkit.run_loading import load_runs
from tuitrack_sqlkit.search_tables import SearchTables
from tuitrack_sqlkit.transactions import read_transaction


def experiment_keys(experiment_ids: Sequence[str]) -> list[int]:
    """The experiment ids as the schema keys them; an id the store never issued (not a
    32-bit integer) matches no run, so it is left out."""
    return [key for key in map(integer_id, experiment_ids) if key is not None]


class SqlSearchStore(PagedSearchStore):
    """A SQL store's searches; the store sets `engine` and its class `search_tables`."""

    engine: Engine
    search_tables: ClassVar[SearchTables]
    run_id_length: ClassVar[int] = 32

    def _run_key(self, run_id: str) -> str | None:
        """`run_id` as runs are keyed, None if no run can have it (a query would fail)."""
        return stored_id(run_id, self.run_id_length)

    def _require_run(self, connection: Connection, run_id: str) -> Row[Any]:
        """The run's row of the map's run_columns; NotFoundError if there is none."""
        key, row = self._run_key(run_id), None
        if key is not None:
            runs = self.search_tables.runs
            query = select(*self.search_tables.run_columns).where(runs.c.run_uuid == key)
            row = connection.execute(query).first()
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        return row

    def get_run(self, run_id: str) -> Run:
        with read_transaction(self.engine) as connection:
            row = self._require_run(connection, run_id)
            return load_runs(connection, self.search_tables, [row])[0]

    def page_rows(
        self, connection: Connection, search: run_search.RunSearch, limit: int
    ) -> Sequence[Row[Any]]:
        """The first `limit` rows of a run search; a store may plan it its own way."""
        return run_search.first_rows(connection, search, limit)

    def run_page(self, query: RunQuery) -> PagedList[Run]:
        with read_transaction(self.engine) as connection:
            return run_search.search_runs(
                connection,
                self.search_tables,
                query,
                experiment_keys(query.experiment_ids),
                self.page_rows,
            )

    def experiment_page(self, query: ExperimentQuery) -> PagedList[Experiment]:
        with read_transaction(self.engine) as connection:
            return run_search.search_experiments(connection, self.search_tables, query)

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        """How many runs search_runs would return in all its pages, counted in the database.

        Raises InvalidValueError (or FilterSyntaxError) for a bad filter.
        """
        with read_transaction(self.engine) as connection:
            return run_search.count_runs(
                connection,
                self.search_tables,
                experiment_keys(experiment_ids),
                filter_string,
                ViewType(run_view_type),
            )
