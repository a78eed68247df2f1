"""Unmodified MLflow scripts (examples/mlflow/) run with real MLflow and on tuitrack through
the `sys.modules["mlflow"] = tuitrack` swap: each must succeed both ways and leave the same
observable store behind (experiments, runs, params, metric histories, tags incl. mlflow.*,
artifact listings, dataset inputs), as read through each library's own client (issue 16)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples" / "mlflow"
SCRIPTS = sorted(path.name for path in EXAMPLES.glob("*.py") if path.name != "run_on_tuitrack.py")


def _environment(root: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TUITRACK_"))}
    return {**clean, "XDG_DATA_HOME": str(root / "xdg"), "TUITRACK_CAPTURE_ENV": "0",
            "MLFLOW_ENABLE_ASYNC_LOGGING": "false", "MLFLOW_ALLOW_FILE_STORE": "true",
            "PYTHONPATH": str(REPO_ROOT)}  # fmt: skip


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _summary(library: str, uri: str, cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    output = _run([sys.executable, "-m", "tests.compat.store_summary", library, uri], cwd, env)
    summary: dict[str, Any] = json.loads(output)
    return summary


@pytest.fixture(scope="session", name="empty_mlflow_database")
def empty_mlflow_database_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new MLflow SQLite database, made once: MLflow takes seconds to build its schema,
    and each script gets a copy."""
    pytest.importorskip("mlflow")
    root = tmp_path_factory.mktemp("mlflow-template")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    command = [sys.executable, "-m", "tests.compat.store_summary", "mlflow", uri]
    _run(command, root, _environment(root))
    return root / "mlflow.db"


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_script_leaves_the_same_store_with_mlflow_and_with_tuitrack(
    script: str, tmp_path: Path, empty_mlflow_database: Path
) -> None:
    """MLflow into its SQLite store; tuitrack into its own store, read by tuitrack; and
    tuitrack into an mlruns folder, read by MLflow's client."""
    pytest.importorskip("mlflow")
    swapped = [str(EXAMPLES / "run_on_tuitrack.py"), str(EXAMPLES / script)]
    answers = {}
    for name, runner, reader, store in (
        ("mlflow", [str(EXAMPLES / script)], "mlflow", "sqlite:///{}/mlflow.db"),
        ("tuitrack", swapped, "tuitrack", "sqlite:///{}/tuitrack.db"),
        ("tuitrack-mlruns", swapped, "mlflow", "file:{}/mlruns"),
    ):
        workdir = tmp_path / name
        workdir.mkdir()
        if name == "mlflow":
            shutil.copyfile(empty_mlflow_database, workdir / "mlflow.db")
        uri = store.format(workdir)
        env = {**_environment(workdir), "MLFLOW_TRACKING_URI": uri}
        if runner is swapped:
            env["TUITRACK_ARTIFACT_URI"] = str(workdir / "artifacts")
        _run([sys.executable, *runner], workdir, env)
        answers[name] = _summary(reader, uri, workdir, env)
    for name in ("tuitrack", "tuitrack-mlruns"):
        differences = _differences(answers["mlflow"], answers[name])
        assert answers[name] == answers["mlflow"], f"{name}:\n{differences}"


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flat(item, f"{prefix}/{key}"))
        return flat
    return {prefix: value}


def _differences(mlflow_side: dict[str, Any], tuitrack_side: dict[str, Any]) -> str:
    ours, theirs = _flat(tuitrack_side), _flat(mlflow_side)
    lines = [
        f"{key}: mlflow {theirs.get(key, '<absent>')!r} tuitrack {ours.get(key, '<absent>')!r}"
        for key in sorted(set(ours) | set(theirs))
        if ours.get(key, "<absent>") != theirs.get(key, "<absent>")
    ]
    return "\n".join(lines)
