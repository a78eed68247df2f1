"""log_image, log_figure and log_table/load_table write what MLflow writes: the same files
at the same paths (uuids aside), the same bytes, the same run tags (issue 16, item 5)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import tuitrack
from tests.sdk.mlflow_side import mlflow_root_fixture, real_mlflow_fixture  # noqa: F401
from tests.sdk.processes import SdkSandbox
from tuitrack.errors import InvalidValueError, NotFoundError
from tuitrack.sdk.optional_packages import MissingPackageError

PIL_Image = pytest.importorskip("PIL.Image")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
GRADIENT = np.linspace(0, 1, 300 * 200 * 3).reshape(300, 200, 3)


def _files(library: Any, run_id: str) -> dict[str, bytes]:
    """Every artifact file of the run, by path with its uuids as <uuid> (and, should that
    name several, a counter), with its content, uuids in JSON also as <uuid>."""
    client = library.MlflowClient()
    root = Path(client.download_artifacts(run_id, ""))
    contents: dict[str, list[bytes]] = {}
    for path in root.rglob("*"):
        if path.is_file() and "environment/" not in path.as_posix():
            data = path.read_bytes()
            if path.suffix == ".json":
                data = UUID.sub("<uuid>", data.decode()).encode()
            contents.setdefault(UUID.sub("<uuid>", path.relative_to(root).as_posix()), []).append(
                data
            )
    files = {}
    for name, datas in contents.items():
        for index, data in enumerate(sorted(datas)):
            files[name if len(datas) == 1 else f"{name} #{index}"] = data
    return files


def _logged(library: Any, log: Any) -> tuple[dict[str, bytes], dict[str, str]]:
    with library.start_run() as run:
        log(library)
    run_id = run.info.run_id
    return _files(library, run_id), library.MlflowClient().get_run(run_id).data.tags


def _both(mlflow: ModuleType, log: Any) -> tuple[Any, Any]:
    return _logged(mlflow, log), _logged(tuitrack, log)


def test_an_image_series_has_mlflows_layout_bytes_and_tag(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType
) -> None:
    def log(library: Any) -> None:
        library.log_image(GRADIENT, key="val/sample", step=3, timestamp=1_700_000_000_000)
        library.log_image((GRADIENT[:50] * 255).astype(np.uint8), key="val/sample", step=4)

    (theirs, their_tags), (ours, our_tags) = _both(real_mlflow, log)
    first = "images/val~sample+step+3+timestamp+1700000000000+<uuid>"
    assert f"{first}.png" in ours
    assert f"{first}+compressed.webp" in ours
    step_4 = sorted(p for p in ours if "+step+4+" in p)
    assert [re.sub(r"timestamp\+\d+", "", p) for p in step_4] == [
        re.sub(r"timestamp\+\d+", "", p) for p in sorted(p for p in theirs if "+step+4+" in p)
    ]
    assert ours[f"{first}.png"] == theirs[f"{first}.png"]
    assert ours[f"{first}+compressed.webp"] == theirs[f"{first}+compressed.webp"]
    assert our_tags["mlflow.loggedImages"] == their_tags["mlflow.loggedImages"] == "True"


def test_an_image_as_a_file_is_the_same_file(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType
) -> None:
    def log(library: Any) -> None:
        library.log_image(GRADIENT, "plots/gradient.png")
        library.log_image(np.array([[True, False], [False, True]]), "plots/bool.png")
        library.log_image(np.zeros((4, 5, 1), dtype=np.uint8), "gray.png")
        library.log_image(PIL_Image.new("RGBA", (8, 6), (255, 0, 0, 128)), "rgba.png")
        library.log_image(PIL_Image.new("RGB", (8, 6), (0, 99, 0)), "photo.jpg")

    (theirs, their_tags), (ours, our_tags) = _both(real_mlflow, log)
    assert ours == theirs
    assert "mlflow.loggedImages" not in our_tags
    assert "mlflow.loggedImages" not in their_tags


BAD_ARRAYS = [
    (np.zeros((2, 2), dtype=complex), TypeError, "Invalid array data type: 'complex128'"),
    (np.zeros((2, 2, 2, 2)), ValueError, "must be a 2D or 3D array but got image shape"),
    (np.zeros((2, 2, 2)), ValueError, "Invalid channel length: 2. Must be one of [1, 3, 4]"),
    (np.full((2, 2), 300), ValueError, "Integer pixel values out of acceptable range [0, 255]"),
]


@pytest.mark.parametrize(("array", "kind", "message"), BAD_ARRAYS)
def test_a_bad_array_is_refused_as_mlflow_refuses_it(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType, array: Any, kind: type, message: str
) -> None:
    for library in (real_mlflow, tuitrack):
        with library.start_run(), pytest.raises(kind) as caught:
            library.log_image(array, "bad.png")
        assert message in str(caught.value)
    with tuitrack.start_run(), pytest.raises(InvalidValueError):
        tuitrack.log_image(array, "bad.png")


def test_floats_outside_0_1_are_rescaled_with_a_warning(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType
) -> None:
    def log(library: Any) -> None:
        with pytest.warns(UserWarning, match="Rescaling values to"):
            library.log_image(GRADIENT * 4 - 1, "rescaled.png")

    (theirs, _), (ours, _) = _both(real_mlflow, log)
    assert ours == theirs


def test_bad_arguments_raise_type_and_value_errors_as_in_mlflow(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType
) -> None:
    image = np.zeros((2, 2), dtype=np.uint8)
    for library in (real_mlflow, tuitrack):
        with library.start_run():
            with pytest.raises(TypeError):
                library.log_image(image, "a.png", key="a")
            with pytest.raises(TypeError):
                library.log_image(image)
            with pytest.raises(TypeError):
                library.log_image([[0, 1]], "a.png")
            with pytest.raises(ValueError, match="not_ok!"):
                library.log_image(image, key="not_ok!")
    with (
        tuitrack.start_run() as run,
        pytest.raises(InvalidValueError, match=r"unknown file extension '\.txt'"),
    ):
        tuitrack.log_image(image, "a.txt")
    assert tuitrack.MlflowClient().list_artifacts(run.info.run_id, "images") == []


def test_without_pillow_the_error_names_the_extra(
    fluent_sandbox: SdkSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with (
        tuitrack.start_run(),
        pytest.raises(MissingPackageError, match=r'pip install "tuitrack\[images\]"'),
    ):
        tuitrack.log_image(np.zeros((2, 2), dtype=np.uint8), "a.png")


def test_the_client_logs_images_and_figures(fluent_sandbox: SdkSandbox) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots()
    axes.plot([0, 1], [1, 0])
    client = tuitrack.MlflowClient()
    with tuitrack.start_run() as run:
        pass
    run_id = run.info.run_id
    client.log_figure(run_id, figure, "figures/line.png")
    client.log_figure(run_id, figure, "figures/line.svg", save_kwargs={"dpi": 50})
    client.log_image(run_id, GRADIENT, key="sample", step=1)
    pyplot.close(figure)
    files = _files(tuitrack, run_id)
    assert files["figures/line.png"].startswith(b"\x89PNG")
    assert b"<svg" in files["figures/line.svg"]
    assert len([p for p in files if p.startswith("images/sample+step+1+")]) == 2
    assert client.get_run(run_id).data.tags["mlflow.loggedImages"] == "True"
    with pytest.raises(TypeError, match="matplotlib or plotly figure"):
        client.log_figure(run_id, object(), "x.png")


def test_a_table_is_mlflows_json_appended_and_listed_in_the_run_tag(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType
) -> None:
    pandas = pytest.importorskip("pandas")

    def log(library: Any) -> None:
        library.log_table({"question": ["a?", "b?"], "score": [0.5, 1.0]}, "eval/qa.json")
        frame = pandas.DataFrame({"question": ["c?"], "score": [0.25]})
        library.log_table(frame, "eval/qa.json")
        library.log_table({"prompt": "single row", "n": 1}, "one.json")
        library.log_table({"x": [1, 2]}, "numbers.parquet")

    (theirs, their_tags), (ours, our_tags) = _both(real_mlflow, log)
    assert ours["eval/qa.json"] == theirs["eval/qa.json"]
    assert json.loads(ours["eval/qa.json"]) == {
        "columns": ["question", "score"],
        "data": [["a?", 0.5], ["b?", 1.0], ["c?", 0.25]],
    }
    assert ours["one.json"] == theirs["one.json"]
    assert set(ours) == set(theirs)
    assert our_tags["mlflow.loggedArtifacts"] == their_tags["mlflow.loggedArtifacts"]
    assert json.loads(our_tags["mlflow.loggedArtifacts"]) == [
        {"path": "eval/qa.json", "type": "table"},
        {"path": "one.json", "type": "table"},
        {"path": "numbers.parquet", "type": "table"},
    ]


def test_a_column_of_images_is_saved_as_mlflow_saves_it(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType
) -> None:
    def log(library: Any) -> None:
        images = [PIL_Image.new("RGB", (300, 100), (i * 50, 0, 0)) for i in range(2)]
        library.log_table({"image": images, "label": ["a", "b"]}, "gallery.json")

    (theirs, _), (ours, _) = _both(real_mlflow, log)
    assert ours == theirs
    assert len(ours) == 5  # the table, and each image with its thumbnail


def test_load_table_matches_mlflow(fluent_sandbox: SdkSandbox, real_mlflow: ModuleType) -> None:
    loaded = {}
    for library in (real_mlflow, tuitrack):
        run_ids = []
        for value in (1, 2):
            with library.start_run() as run:
                library.log_param("value", value)
                library.log_table({"x": [value, value * 10]}, "t.json")
            run_ids.append(run.info.run_id)
        with library.start_run():
            library.log_table({"x": [0]}, "other.json")
        frame = library.load_table("t.json", extra_columns=["run_id", "params.value"])
        frame["run_id"] = frame["run_id"].map(run_ids.index)
        loaded[library.__name__] = frame.sort_values(["run_id", "x"]).reset_index(drop=True)
        only = library.load_table("t.json", run_ids=run_ids[:1])
        assert list(only["x"]) == [1, 10]
    assert loaded["tuitrack"].to_dict("list") == loaded["mlflow"].to_dict("list")
    assert list(loaded["tuitrack"]["x"]) == [1, 10, 2, 20]
    with pytest.raises(NotFoundError):
        tuitrack.load_table("absent.json")


@pytest.mark.parametrize(
    ("artifact_file", "message"),
    [("a:b.json", "forbidden character: :"), ("table.csv", "must end in .json or .parquet")],
)
def test_a_bad_table_file_name_is_refused(
    fluent_sandbox: SdkSandbox, artifact_file: str, message: str
) -> None:
    with tuitrack.start_run(), pytest.raises(InvalidValueError, match=message):
        tuitrack.log_table({"x": [1]}, artifact_file)
    with tuitrack.start_run(), pytest.raises(TypeError, match="dictionary, got list"):
        tuitrack.log_table([1, 2], "t.json")
