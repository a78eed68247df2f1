"""MLflow's data as tuitrack browses it: what a user may change in an mlruns folder (tags,
and closing a run as FAILED or KILLED: tuitrack.core.read_only_store; MLflow's databases
take every write, see sql_store), how a refusal names the way out, and MLflow's own tags
and status codes."""

from __future__ import annotations

from tuitrack.core.capabilities import Capability
from tuitrack.core.read_only_store import ReadOnlyStore
from tuitrack.entities import RunStatus
from tuitrack.errors import ReadOnlyError

PARENT_TAG = "mlflow.parentRunId"  # how MLflow records a nested run's parent
RUN_NAME_TAG = "mlflow.runName"
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
    SQL store overrides the refusals with MLflow's own writes)."""

    kind = "MLflow store"
    # MLflow's runs and experiments are made by MLflow: only tags and closing runs are ours.
    capabilities = frozenset({Capability.OPEN_BY_URI})

    def refuse(self, action: str) -> ReadOnlyError:
        """The error refusing `action`: only tags and run ends are written to MLflow data."""
        return ReadOnlyError(
            f"{self.kind} {self.store_uri!r} is read-only in tuitrack: cannot {action}. "
            "Only tags and marking runs FAILED or KILLED are written to an MLflow folder; "
            f"run `tuitrack import {self.store_uri}` to copy it into a tuitrack store."
        )
