"""The contract suite's tests in tuitrack/testing/dataset_inputs.py, on each MLflow store kind.

MLflow's databases keep dataset inputs in their own tables; the mlruns folder store does not
log them (it refuses with ReadOnlyError), so there these tests are expected to fail so."""

from __future__ import annotations

import pytest

from tuitrack.errors import ReadOnlyError
from tuitrack.testing.dataset_inputs import *  # noqa: F403

MLRUNS_LACKS_INPUTS = "the mlruns folder store does not log dataset inputs"


@pytest.fixture(autouse=True)
def _mlruns_refuses_inputs(request: pytest.FixtureRequest) -> None:
    callspec = getattr(request.node, "callspec", None)
    if callspec and str(callspec.params.get("mlflow_contract_store")).endswith("mlruns"):
        request.applymarker(
            pytest.mark.xfail(reason=MLRUNS_LACKS_INPUTS, raises=ReadOnlyError, strict=True)
        )
