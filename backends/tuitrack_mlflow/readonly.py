"""MLflow's data in tuitrack: the base of its stores (tuitrack.core.read_only_store's checks
and refusals; MLflow's databases and mlruns folders override the refusals with MLflow's
own writes, see sql_store and mlruns_store), how a refusal names the way out, and MLflow's
own tags and status codes."""

from __future__ import annotations

from tuitrack.core.capabilities import Capability
from tuitrack.core.read_only_store import ReadOnlyStore
from tuitrack.entities import RunStatus
from tuitrack.errors import ReadOnlyError
from tuitrack.search import field_tags

PARENT_TAG = field_tags.PARENT_RUN_TAG  # how MLflow records a nested run's parent
RUN_NAME_TAG = field_tags.RUN_NAME_TAG
USER_TAG = "mlflow.user"

# MLflow's own numbers for run statuses (its file store writes these into meta.yaml).
STATUS_CODES: dict[RunStatus, int] = {
    RunStatus.RUNNING: 1,
    RunStatus.SCHEDULED: 2,
    RunStatus.FINISHED: 3,
    RunStatus.FAILED: 4,
    RunStatus.KILLED: 5,
}
STATUS_BY_CODE = {code: status for status, code in STATUS_CODES.items()}


class MlflowReadOnlyStore(ReadOnlyStore):
    """A TrackingStore over MLflow data: subclasses read, and write tags and statuses (the
    SQL and mlruns stores override the refusals with MLflow's own writes)."""

    kind = "MLflow store"
    # MLflow's runs and experiments are made by MLflow: only tags and closing runs are ours.
    capabilities = frozenset({Capability.OPEN_BY_URI})

    def refuse(self, action: str) -> ReadOnlyError:
        """The error refusing `action`, which tuitrack does not write to this MLflow data."""
        return ReadOnlyError(
            f"{self.kind} {self.store_uri!r} is read-only in tuitrack: cannot {action}; "
            f"run `tuitrack import {self.store_uri}` to copy it into a tuitrack store."
        )
