"""MLflow's endpoints beyond experiment tracking (model registry, traces, gateway, ...)
answer a `tuitrack server` client with MLflow's error shape naming the feature that is not
supported, never a 500; and MLflow's own client says so to its user."""

from __future__ import annotations

import httpx
import mlflow
import pytest

from tests.server.test_bad_requests import error_of
from tests.server.tuitrack_server import TuitrackServer
from tuitrack.server.app import unsupported_feature


@pytest.mark.parametrize(
    ("method", "path", "feature"),
    [
        ("POST", "/api/2.0/mlflow/registered-models/create", "model registry"),
        ("GET", "/api/2.0/mlflow/model-versions/get", "model registry"),
        ("GET", "/api/3.0/mlflow/traces/abc", "tracing"),
        ("POST", "/api/2.0/mlflow/gateway/routes", "AI gateway"),
        ("GET", "/ajax-api/2.0/mlflow/prompts/search", "prompt registry"),
    ],
)
def test_an_unsupported_feature_is_named(
    http: httpx.Client, method: str, path: str, feature: str
) -> None:
    message = error_of(http.request(method, path), 404, "ENDPOINT_NOT_FOUND")
    assert feature in message
    assert path in message


def test_only_mlflow_paths_name_a_feature() -> None:
    assert unsupported_feature("/api/2.0/mlflow/registered-models/search") is not None
    assert unsupported_feature("/registered-models/search") is None
    assert unsupported_feature("/api/2.0/tuitrack/registered-models") is None
    assert unsupported_feature("/api/2.0/mlflow/runs/nothing") is None


def test_mlflows_client_reports_the_unsupported_registry(server: TuitrackServer) -> None:
    client = mlflow.MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    with pytest.raises(mlflow.exceptions.MlflowException, match="model registry"):
        client.create_registered_model("classifier")
