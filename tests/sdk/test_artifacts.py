"""Artifacts logged through the fluent API come back byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import tuitrack
from tests.sdk.processes import SdkSandbox


def test_files_directories_text_and_dicts_round_trip(
    fluent_sandbox: SdkSandbox, tmp_path: Path
) -> None:
    model = tmp_path / "model.bin"
    model.write_bytes(bytes(range(256)) * 10)
    plots = tmp_path / "plots"
    (plots / "deep").mkdir(parents=True)
    (plots / "a.txt").write_text("a")
    (plots / "deep" / "b.txt").write_text("b")
    with tuitrack.start_run() as run:
        tuitrack.log_artifact(model)
        tuitrack.log_artifact(model, artifact_path="checkpoints")
        tuitrack.log_artifacts(plots, artifact_path="plots")
        tuitrack.log_text("hello\n", "notes/readme.txt")
        tuitrack.log_dict({"lr": 0.1, "layers": [1, 2]}, "config.json")
        tuitrack.log_dict({"lr": 0.1}, "config.yaml")
        assert tuitrack.get_artifact_uri().startswith(fluent_sandbox.artifact_uri)
        assert tuitrack.get_artifact_uri("config.json").endswith("/config.json")
    client = fluent_sandbox.client
    run_id = run.info.run_id
    store = client.artifact_store(run_id)
    assert store.read_bytes("model.bin") == model.read_bytes()
    assert store.read_bytes("checkpoints/model.bin") == model.read_bytes()
    assert store.read_bytes("plots/deep/b.txt") == b"b"
    assert store.read_bytes("notes/readme.txt") == b"hello\n"
    assert json.loads(store.read_bytes("config.json")) == {"lr": 0.1, "layers": [1, 2]}
    assert yaml.safe_load(store.read_bytes("config.yaml")) == {"lr": 0.1}
    downloaded = Path(client.download_artifacts(run_id, "plots", str(tmp_path / "back")))
    assert (downloaded / "a.txt").read_text() == "a"


def test_paths_outside_the_run_are_refused(fluent_sandbox: SdkSandbox) -> None:
    with tuitrack.start_run(), pytest.raises(tuitrack.InvalidValueError):
        tuitrack.log_text("x", "../outside.txt")


def test_log_figure_saves_a_matplotlib_figure(fluent_sandbox: SdkSandbox) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.plot([1, 2, 3], [3, 1, 2])
    with tuitrack.start_run() as run:
        tuitrack.log_figure(figure, "figures/curve.png")
        tuitrack.log_figure(figure, "figures/curve.svg")
    plt.close(figure)
    store = fluent_sandbox.client.artifact_store(run.info.run_id)
    assert store.read_bytes("figures/curve.png").startswith(b"\x89PNG")
    assert b"<svg" in store.read_bytes("figures/curve.svg")
