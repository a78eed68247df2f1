"""get_metric_history written once for every store that reads a checked HistoryRequest: the
contract's arguments become the request (bad ones raise), and the store answers read_history."""

from __future__ import annotations

from abc import abstractmethod

from tuitrack.core.history_request import HistoryRequest
from tuitrack.core.metric_history import MetricHistory
from tuitrack.core.store import TrackingStore


class RequestedHistoryStore(TrackingStore):
    """A TrackingStore whose metric history reads are read_history."""

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        start_step: int | None = None,
        end_step: int | None = None,
        max_points: int | None = None,
    ) -> MetricHistory:
        """The points of a metric, as TrackingStore.get_metric_history describes (and raises)."""
        return self.read_history(run_id, key, HistoryRequest.of(start_step, end_step, max_points))

    @abstractmethod
    def read_history(self, run_id: str, key: str, request: HistoryRequest) -> MetricHistory:
        """The points `request` asks for; NotFoundError for an unknown run."""
