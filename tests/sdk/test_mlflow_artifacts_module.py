"""`mlflow.artifacts` under the swap: tuitrack.artifacts lists, downloads and reads artifacts
named by runs:/ URIs, local paths, file: URIs and artifact store URIs, as MLflow's module
does (issue 16). Each behaviour is run with real MLflow too and the answers compared."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from functools import partial
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

FUNCTIONS = ["download_artifacts", "list_artifacts", "load_dict", "load_image", "load_text"]


def _logged_run(library: Any) -> Any:
    with library.start_run() as run:
        library.log_dict({"a": 1, "b": [1, 2]}, "config.json")
        library.log_dict({"a": 1}, "config.yaml")
        library.log_text("hello", "notes/hello.txt")
        library.log_text("deeper", "notes/inner/deep.txt")
    return run


def _listing(files: list[Any]) -> list[tuple[str, bool, int | None]]:
    return sorted((f.path, f.is_dir, f.file_size) for f in files if f.path != "environment")


def _error(library: Any, action: Any) -> tuple[bool, str | None]:
    """Whether `action` raises the library's MlflowException, and its error code."""
    try:
        action()
    except Exception as error:
        is_mlflows = isinstance(error, library.exceptions.MlflowException)
        return is_mlflows, getattr(error, "error_code", None)
    raise AssertionError("no error raised")


def test_the_module_is_an_attribute_and_a_submodule() -> None:
    import tuitrack.artifacts

    assert tuitrack.artifacts is sys.modules["tuitrack.artifacts"]
    assert sorted(tuitrack.artifacts.__all__) == FUNCTIONS


@pytest.mark.parametrize("name", FUNCTIONS)
def test_signatures_are_mlflows(name: str) -> None:
    import mlflow.artifacts

    import tuitrack.artifacts

    ours = inspect.signature(getattr(tuitrack.artifacts, name))
    theirs = inspect.signature(getattr(mlflow.artifacts, name))
    assert [(p.name, p.default) for p in ours.parameters.values()] == [
        (p.name, p.default) for p in theirs.parameters.values()
    ]


def test_reading_by_uri_is_mlflows(fluent_sandbox: SdkSandbox, real_mlflow: ModuleType) -> None:
    def answer(library: Any) -> dict[str, Any]:
        run = _logged_run(library)
        root, run_id = run.info.artifact_uri, run.info.run_id
        return {
            "dict": library.artifacts.load_dict(f"{root}/config.json"),
            "runs_dict": library.artifacts.load_dict(f"runs:/{run_id}/config.json"),
            "text": library.artifacts.load_text(f"runs:/{run_id}/notes/inner/deep.txt"),
            "file_uri": library.artifacts.load_text(f"{Path(root).as_uri()}/notes/hello.txt"),
            "yaml": _error(library, lambda: library.artifacts.load_dict(f"{root}/config.yaml")),
            "missing": _error(library, lambda: library.artifacts.load_text(f"runs:/{run_id}/nope")),
        }

    theirs, ours = answer(real_mlflow), answer(tuitrack)
    assert ours == theirs
    assert ours["yaml"] == (True, "BAD_REQUEST")
    assert ours["missing"] == (True, NotFoundError.error_code)


def test_listing_is_mlflows(fluent_sandbox: SdkSandbox, real_mlflow: ModuleType) -> None:
    answers = []
    for library in (real_mlflow, tuitrack):
        run_id = _logged_run(library).info.run_id
        listing = library.artifacts.list_artifacts
        answers.append(
            {
                "run": _listing(listing(run_id=run_id)),
                "run_path": _listing(listing(run_id=run_id, artifact_path="notes")),
                "uri": _listing(listing(f"runs:/{run_id}/notes")),
                "nested_uri": _listing(listing(f"runs:/{run_id}/notes/inner")),
            }
        )
    assert answers[1] == answers[0]
    assert answers[1]["uri"] == [
        ("notes/hello.txt", False, 5),
        ("notes/inner", True, None),
    ]


def _downloads(library: Any, base: Path) -> dict[str, Any]:
    """Where each way of naming an artifact lands: (returned path, files), relative to the
    destination folder."""
    run_id = _logged_run(library).info.run_id
    download = library.artifacts.download_artifacts
    calls: dict[str, Callable[[str], str]] = {
        "run": lambda d: download(run_id=run_id, dst_path=d),
        "run_path": lambda d: download(run_id=run_id, artifact_path="notes", dst_path=d),
        "uri_file": lambda d: download(f"runs:/{run_id}/notes/hello.txt", dst_path=d),
        "uri_folder": lambda d: download(f"runs:/{run_id}/notes/inner", dst_path=d),
    }
    found: dict[str, Any] = {}
    for name, call in calls.items():
        destination = base / name
        local = Path(call(str(destination)))
        files = [
            p.relative_to(destination).as_posix()
            for p in destination.rglob("*")
            if p.is_file() and "environment" not in p.parts
        ]
        found[name] = (local.relative_to(destination).as_posix(), sorted(files))
    no_destination = Path(download(f"runs:/{run_id}/notes/hello.txt"))
    found["temporary"] = (no_destination.name, no_destination.read_text())
    return found


def test_downloads_land_where_mlflows_do(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType, tmp_path: Path
) -> None:
    theirs = _downloads(real_mlflow, tmp_path / "mlflow")
    assert _downloads(tuitrack, tmp_path / "tuitrack") == theirs


def test_local_paths_and_other_stores(fluent_sandbox: SdkSandbox, tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "conf.json").write_text('{"x": 2}')
    assert tuitrack.artifacts.load_dict(str(folder / "sub" / "conf.json")) == {"x": 2}
    assert tuitrack.artifacts.load_dict((folder / "sub" / "conf.json").as_uri()) == {"x": 2}
    # A local artifact with no destination is not copied.
    assert tuitrack.artifacts.download_artifacts(str(folder / "sub")) == str(folder / "sub")
    listed = tuitrack.artifacts.list_artifacts(str(folder / "sub"))
    assert [(f.path, f.is_dir) for f in listed] == [("sub/conf.json", False)]

    memory = tuitrack.core.registry.get_artifact_store("memory://artifact-uris-test")
    memory.log_bytes(b'{"in": "memory"}', "deep/m.json")
    assert tuitrack.artifacts.load_dict("memory://artifact-uris-test/deep/m.json") == {
        "in": "memory"
    }
    copied = tuitrack.artifacts.download_artifacts(
        "memory://artifact-uris-test/deep", dst_path=str(tmp_path / "out")
    )
    assert Path(copied, "m.json").read_text() == '{"in": "memory"}'


def test_images_load_as_pil(fluent_sandbox: SdkSandbox, real_mlflow: ModuleType) -> None:
    image_module = pytest.importorskip("PIL.Image")
    pixels = (np.arange(48, dtype=np.uint8).reshape(4, 4, 3) * 5).astype(np.uint8)
    loaded = []
    for library in (real_mlflow, tuitrack):
        with library.start_run() as run:
            library.log_image(image_module.fromarray(pixels), "pictures/small.png")
            library.log_text("not an image", "pictures/text.png")
        image = library.artifacts.load_image(f"runs:/{run.info.run_id}/pictures/small.png")
        text_uri = f"{run.info.artifact_uri}/pictures/text.png"
        bad = _error(library, partial(library.artifacts.load_image, text_uri))
        loaded.append((image.mode, image.size, np.asarray(image).tolist(), bad))
    assert loaded[1] == loaded[0]
    assert loaded[1][3] == (True, "BAD_REQUEST")


def test_load_image_without_pillow_names_the_extra(
    fluent_sandbox: SdkSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tuitrack.start_run() as run:
        tuitrack.log_text("x", "a.png")
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(MissingPackageError, match=r'pip install "tuitrack\[images\]"'):
        tuitrack.artifacts.load_image(f"runs:/{run.info.run_id}/a.png")


def _refusals(library: Any) -> dict[str, list[tuple[bool, str | None]]]:
    run = _logged_run(library)
    uri, run_id = f"{run.info.artifact_uri}/config.json", run.info.run_id
    found = {}
    for function in ("download_artifacts", "list_artifacts"):
        call = getattr(library.artifacts, function)
        found[function] = [
            _error(library, call),
            _error(library, partial(call, uri, run_id=run_id)),
            _error(library, partial(call, uri, artifact_path="config.json")),
        ]
    return found


def test_argument_combinations_are_refused_as_mlflow_refuses_them(
    fluent_sandbox: SdkSandbox, real_mlflow: ModuleType
) -> None:
    ours = _refusals(tuitrack)
    assert ours == _refusals(real_mlflow)
    assert ours["list_artifacts"][0] == (True, InvalidValueError.error_code)
    with pytest.raises(InvalidValueError, match="exactly one of artifact_uri or run_id"):
        tuitrack.artifacts.list_artifacts()
    with pytest.raises(InvalidValueError, match="model registry"):
        tuitrack.artifacts.load_text("models:/m/1/file.txt")


def test_an_other_tracking_uri_is_honoured(fluent_sandbox: SdkSandbox, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    client = tuitrack.MlflowClient(other, artifact_uri=str(tmp_path / "other-artifacts"))
    run_id = client.create_run(client.create_experiment("elsewhere")).info.run_id
    client.log_text(run_id, "far away", "where.txt")
    client.close()
    listed = tuitrack.artifacts.list_artifacts(run_id=run_id, tracking_uri=other)
    assert [f.path for f in listed] == ["where.txt"]
    local = tuitrack.artifacts.download_artifacts(
        run_id=run_id, artifact_path="where.txt", tracking_uri=other, dst_path=str(tmp_path / "d")
    )
    assert Path(local).read_text() == "far away"
    with pytest.raises(NotFoundError):
        tuitrack.artifacts.list_artifacts(run_id=run_id)  # not in the current store
