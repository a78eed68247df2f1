"""Every `--json` output is strict JSON: NaN and infinities are written as the strings "NaN",
"Infinity" and "-Infinity" (never the bare words Python's json allows), so jq, JavaScript's
JSON.parse and Python's strict parsing all read it."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tuitrack.cli.json_output import dumps, strict
from tuitrack.cli.main import main
from tuitrack.entities import Metric
from tuitrack.sdk.client import TrackingClient

ODD_VALUES = {"nan": math.nan, "up": math.inf, "down": -math.inf, "plain": 1.5}
WRITTEN = {"nan": "NaN", "up": "Infinity", "down": "-Infinity", "plain": 1.5}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def strict_loads(text: str) -> Any:
    return json.loads(text, parse_constant=_refuse_constant)


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, list[str]]:
    uri = f"sqlite:///{tmp_path / 'odd.db'}"
    with TrackingClient(uri, artifact_uri=str(tmp_path / "artifacts")) as client:
        experiment = client.create_experiment("odd values")
        run_ids = []
        for name in ("first", "second"):
            run_id = client.create_run(experiment, run_name=name).info.run_id
            points = [Metric(key=k, value=v, timestamp=1, step=0) for k, v in ODD_VALUES.items()]
            client.log_batch(run_id, metrics=points)
            client.set_terminated(run_id)
            run_ids.append(run_id)
    return uri, run_ids


def _json_outputs(
    capsys: pytest.CaptureFixture[str], uri: str, run_ids: list[str]
) -> dict[str, str]:
    commands = {
        "experiments list": ["experiments", "list"],
        "runs list": ["runs", "list"],
        "runs show": ["runs", "show", run_ids[0]],
        "runs orphans": ["runs", "orphans"],
        "compare": ["compare", *run_ids],
    }
    outputs = {}
    for name, argv in commands.items():
        assert main(["--uri", uri, *argv, "--json"]) == 0, name
        outputs[name] = capsys.readouterr().out
    return outputs


def _metric_values(document: Any) -> list[Any]:
    """Every value under a key named like one of ODD_VALUES, wherever it sits."""
    found: list[Any] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ODD_VALUES and not isinstance(value, dict | list):
                found.append((key, value))
            found += _metric_values(value)
    elif isinstance(document, list):
        for item in document:
            found += _metric_values(item)
    return found


def _latest(compared: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The first run's statistics of each metric in `compare --json`."""
    return {key: next(iter(metric["values"].values())) for key, metric in compared.items()}


def test_every_json_output_parses_strictly_and_keeps_odd_values(
    capsys: pytest.CaptureFixture[str], store: tuple[str, list[str]]
) -> None:
    outputs = _json_outputs(capsys, *store)
    for name, text in outputs.items():
        document = strict_loads(text)
        assert document is not None, name
    for name in ("runs list", "runs show"):
        pairs = _metric_values(strict_loads(outputs[name]))
        assert pairs, name
        assert all(WRITTEN[key] == value for key, value in pairs), (name, pairs)
    compared = strict_loads(outputs["compare"])["metrics"]
    assert {key: values["latest"] for key, values in _latest(compared).items()} == WRITTEN


@pytest.mark.parametrize("tool", ["node", "jq"])
def test_javascript_and_jq_accept_every_json_output(
    capsys: pytest.CaptureFixture[str], store: tuple[str, list[str]], tool: str
) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed here")
    command = (
        ["node", "-e", "JSON.parse(require('fs').readFileSync(0, 'utf8'))"]
        if tool == "node"
        else ["jq", "-e", "."]
    )
    for name, text in _json_outputs(capsys, *store).items():
        done = subprocess.run(
            command, input=text, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, (name, done.stderr)


def test_the_strict_form_of_values() -> None:
    assert strict({"a": [math.nan, (math.inf, -math.inf)], "b": 2.0, "c": "NaN"}) == {
        "a": ["NaN", ["Infinity", "-Infinity"]],
        "b": 2.0,
        "c": "NaN",
    }
    assert strict_loads(dumps({"x": math.nan})) == {"x": "NaN"}
    with pytest.raises(ValueError, match="NaN"):
        strict_loads(json.dumps({"x": math.nan}))
