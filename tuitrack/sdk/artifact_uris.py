"""MLflow's `mlflow.artifacts` functions: list, download and read artifacts named by a URI.

An artifact URI is one of:
- `runs:/<run_id>/<path>`: `<path>` inside the run's artifact root, which the tracking
  store names (the current one, or `tracking_uri` where a function takes it);
- a local path or a `file:` URI;
- any URI an installed artifact store handles (`s3://...`, `memory://...`, ...).

As in MLflow, a URI is split at its last '/': the part before is the artifact store's root,
the last name is the artifact inside it. So listing `runs:/<id>/notes` gives
`notes/hello.txt`, and downloading puts `<last name>` into the destination folder.
MLflow's model registry URIs (`models:/...`) are not supported.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import tempfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from tuitrack.core import registry
from tuitrack.core.store import ArtifactStore
from tuitrack.core.validation import normalize_artifact_path
from tuitrack.entities import FileInfo
from tuitrack.errors import InvalidValueError
from tuitrack.sdk.optional_packages import required

RUNS_SCHEME = "runs:/"
IMAGE_EXTRA = "images"


class UnreadableArtifactError(InvalidValueError):
    """An artifact whose content is not what the reading function expects (not UTF-8 text,
    not JSON, not an image); MLflow's error code for it is BAD_REQUEST."""

    error_code = "BAD_REQUEST"


@dataclass(frozen=True)
class _Located:
    """An artifact as a store root and a path inside it ('' for the root itself)."""

    root: str
    path: str


def _run_artifact_root(run_id: str, tracking_uri: str | None) -> str:
    # Imported here: the SDK's client and the module-level API load pydantic and the store.
    if tracking_uri is None:
        from tuitrack.sdk import fluent

        return fluent.get_run(run_id).info.artifact_uri
    from tuitrack.sdk.client import TrackingClient

    with TrackingClient(tracking_uri) as client:
        return client.get_run(run_id).info.artifact_uri


def _split_last(uri: str) -> tuple[str, str]:
    """(everything before the last '/', the last name) of a `scheme://...` URI; the URI
    itself and '' when it has no path after its host or bucket."""
    trimmed = uri.rstrip("/")
    if not urlparse(trimmed).path.strip("/"):
        return trimmed, ""
    head, _, last = trimmed.rpartition("/")
    return head, last


def _locate(artifact_uri: str, tracking_uri: str | None) -> _Located:
    if not isinstance(artifact_uri, str) or not artifact_uri:
        raise InvalidValueError(f"an artifact URI must be a non-empty string, got {artifact_uri!r}")
    if artifact_uri.startswith(RUNS_SCHEME):
        run_id, _, inside = artifact_uri[len(RUNS_SCHEME) :].lstrip("/").partition("/")
        if not run_id:
            raise InvalidValueError(
                f"artifact URI {artifact_uri!r} names no run: expected runs:/<run_id>/<path>"
            )
        root = _run_artifact_root(run_id, tracking_uri).rstrip("/")
        folder, name = posixpath.split(normalize_artifact_path(inside))
        return _Located(f"{root}/{folder}" if folder else root, name)
    if artifact_uri.startswith("models:/"):
        raise InvalidValueError(
            f"artifact URI {artifact_uri!r}: tuitrack has no model registry; use a runs:/ "
            "URI, a local path or an artifact store URI"
        )
    if registry.uri_scheme(artifact_uri) in ("", "file"):
        local = _local_path(artifact_uri)
        return _Located(os.path.dirname(local), os.path.basename(local))
    root, name = _split_last(artifact_uri)
    return _Located(root, name)


def _local_path(uri: str) -> str:
    """The absolute local path of a plain path or a `file:` URI."""
    if uri.startswith("file:"):
        parsed = urlparse(uri)
        uri = unquote(parsed.path) if parsed.netloc in ("", "localhost") else uri
    return os.path.abspath(uri.rstrip("/") or "/")


def _store(located: _Located) -> ArtifactStore:
    return registry.get_artifact_store(located.root)


def _check_one_source(artifact_uri: str | None, run_id: str | None, path: str | None) -> None:
    if (artifact_uri is None) == (run_id is None):
        raise InvalidValueError(
            "give exactly one of artifact_uri or run_id, got "
            f"artifact_uri={artifact_uri!r} and run_id={run_id!r}"
        )
    if artifact_uri is not None and path is not None:
        raise InvalidValueError(
            f"artifact_path ({path!r}) goes with run_id only; with artifact_uri "
            f"({artifact_uri!r}), put the path into the URI"
        )


def _source(
    artifact_uri: str | None, run_id: str | None, path: str | None, tracking_uri: str | None
) -> _Located:
    _check_one_source(artifact_uri, run_id, path)
    if artifact_uri is not None:
        return _locate(artifact_uri, tracking_uri)
    assert run_id is not None  # _check_one_source
    if path:
        return _locate(f"{RUNS_SCHEME}{run_id}/{path}", tracking_uri)
    return _Located(_run_artifact_root(run_id, tracking_uri), "")


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
    tracking_uri: str | None = None,
    registry_uri: str | None = None,
) -> str:
    """Copy an artifact file or folder into the local folder `dst_path` (made if missing;
    a new temporary folder when None) and return its local path. Name it by `artifact_uri`
    or by `run_id` (and `artifact_path` inside that run), not both. A local artifact with
    no `dst_path` is not copied: its own path is returned. `registry_uri` is accepted as
    MLflow's is; it only matters for model registry URIs, which are refused."""
    located = _source(artifact_uri, run_id, artifact_path, tracking_uri)
    is_local = artifact_uri is not None and registry.uri_scheme(artifact_uri) in ("", "file")
    if dst_path is None and is_local:
        local = os.path.join(located.root, located.path)
        if os.path.exists(local):
            return local
    destination = tempfile.mkdtemp(prefix="tuitrack-") if dst_path is None else str(dst_path)
    os.makedirs(destination, exist_ok=True)
    return _store(located).download_artifacts(located.path, destination)


def list_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    tracking_uri: str | None = None,
) -> list[FileInfo]:
    """The files and folders directly inside an artifact folder, named as
    download_artifacts names it; their paths are relative to the folder above it (to the
    run's artifact root when given `run_id`)."""
    _check_one_source(artifact_uri, run_id, artifact_path)
    if run_id is not None:
        root = _run_artifact_root(run_id, tracking_uri)
        return registry.get_artifact_store(root).list_artifacts(artifact_path or None)
    located = _locate(str(artifact_uri), tracking_uri)
    return _store(located).list_artifacts(located.path or None)


def _read_bytes(artifact_uri: str) -> bytes:
    located = _locate(artifact_uri, None)
    if not located.path:
        raise InvalidValueError(f"artifact URI {artifact_uri!r} names a folder, not a file")
    return _store(located).read_bytes(located.path)


def load_text(artifact_uri: str) -> str:
    """The artifact file's content as text (UTF-8)."""
    content = _read_bytes(artifact_uri)
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableArtifactError(
            f"artifact {artifact_uri!r} is not UTF-8 text: download it with "
            "download_artifacts and open it with its encoding"
        ) from None


def load_dict(artifact_uri: str) -> dict[str, Any]:
    """The artifact file's content read as JSON (as MLflow reads it: a YAML file that is
    not also JSON is refused)."""
    text = load_text(artifact_uri)
    try:
        loaded: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableArtifactError(
            f"artifact {artifact_uri!r} is not JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno}); load_dict reads JSON files"
        ) from None
    return loaded


def load_image(artifact_uri: str) -> Any:
    """The artifact file as a loaded PIL image (needs Pillow: tuitrack[images])."""
    pil = required("PIL.Image", "Pillow", IMAGE_EXTRA, "load_image")
    content = _read_bytes(artifact_uri)
    try:
        image = pil.open(io.BytesIO(content))
        image.load()
    except Exception:
        raise UnreadableArtifactError(
            f"artifact {artifact_uri!r} is not an image file Pillow can read"
        ) from None
    return image
