"""A run's artifacts through an MLflow server's artifact proxy (`mlflow server
--serve-artifacts`): `mlflow-artifacts:` root URIs, and the proxy's own http(s) URLs.

The proxy lists a directory with GET .../mlflow-artifacts/artifacts?path=<dir> and reads,
writes and deletes with GET/PUT/DELETE .../mlflow-artifacts/artifacts/<path>, where <path>
is what follows "mlflow-artifacts:/" (or the proxy's URL) in the root URI. Files are
streamed both ways, never held whole in memory.
"""

from __future__ import annotations

import io
import os
import re
from contextlib import AbstractContextManager
from typing import IO
from urllib.parse import quote, urlsplit

from tuitrack.core.store import ArtifactStore
from tuitrack.core.validation import normalize_artifact_path
from tuitrack.core.wire.endpoints import MLFLOW_ARTIFACTS
from tuitrack.core.wire.mlflow_json import file_info_from_json
from tuitrack.entities import FileInfo
from tuitrack.errors import InvalidValueError, NotFoundError, StoreUnavailableError
from tuitrack_rest.connection import RestConnection
from tuitrack_rest.connection_settings import ConnectionSettings

SCHEME = "mlflow-artifacts"
TRACKING_URI_VARIABLES = ("TUITRACK_TRACKING_URI", "MLFLOW_TRACKING_URI")
# The proxy decodes percent escapes in paths (more than once), so a name holding one would
# be stored under another name; it refuses '#'.
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


class RestArtifactStore(ArtifactStore):
    """The files below one root on an MLflow server's artifact proxy.

    `root_uri` is "mlflow-artifacts:/<path>" (the server is the one `connection` talks to,
    else the http(s) tracking URI of the environment), "mlflow-artifacts://host:port/<path>"
    (that server), or "http(s)://host:port[/prefix]/api/2.0/mlflow-artifacts/artifacts/<path>".
    Raises InvalidValueError for another URI, and StoreUnavailableError when no server is
    named anywhere.
    """

    def __init__(self, root_uri: str, connection: RestConnection | None = None) -> None:
        super().__init__(root_uri)
        self.connection, self.root_path = _locate(root_uri, connection)

    def __repr__(self) -> str:
        return f"RestArtifactStore({self.root_uri!r})"

    # --- writing ------------------------------------------------------------------------

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        folder = self._clean(artifact_path)
        if not os.path.isfile(local_file):
            raise NotFoundError(f"local file {local_file!r} does not exist (or is not a file)")
        name = self._clean(os.path.basename(local_file))
        with open(local_file, "rb") as source:
            self._upload("/".join(p for p in (folder, name) if p), source)

    def log_bytes(self, data: bytes, artifact_file: str) -> None:
        self._upload(self._file_path(artifact_file), io.BytesIO(data))

    def _upload(self, path: str, source: IO[bytes]) -> None:
        self.connection.upload(self._endpoint(path), source)

    # --- reading ------------------------------------------------------------------------

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        folder = self._clean(path)
        answer = self.connection.call("GET", MLFLOW_ARTIFACTS, params={"path": self._full(folder)})
        found = answer.get("files", [])
        if not isinstance(found, list):
            raise self._bad_answer(f"its 'files' is not a list: {found!r:.80}")
        infos = []
        for entry in found:
            info = file_info_from_json(entry)
            name = info.path
            if not name or "/" in name or name in (".", ".."):
                raise self._bad_answer(f"it listed the name {name!r} in {folder or 'the root'!r}")
            path_below = f"{folder}/{name}" if folder else name
            infos.append(FileInfo(path_below, info.is_dir, None if info.is_dir else info.file_size))
        return sorted(infos, key=lambda info: info.path)

    def open_artifact(self, path: str) -> AbstractContextManager[IO[bytes]]:
        clean = self._clean(path)
        if not clean:
            raise NotFoundError(f"the artifact root {self.root_uri} is a directory, not a file")
        try:
            return self.connection.download(self._endpoint(clean))
        except NotFoundError:
            raise NotFoundError(
                f"artifact {clean!r} does not exist under {self.root_uri}"
            ) from None
        except InvalidValueError:
            # The proxy refuses to send a directory; say what it is.
            if self.list_artifacts(clean):
                raise NotFoundError(
                    f"artifact {clean!r} under {self.root_uri} is a directory, not a file"
                ) from None
            raise

    # --- deleting -----------------------------------------------------------------------

    def delete_artifacts(self, path: str | None = None) -> None:
        clean = self._clean(path)
        if self._full(clean):
            self.connection.delete(self._endpoint(clean))
            return
        # The proxy's own root cannot be named in a DELETE: delete what it holds.
        for info in self.list_artifacts():
            self.connection.delete(self._endpoint(info.path))

    # --- paths --------------------------------------------------------------------------

    def _clean(self, path: str | None) -> str:
        clean = normalize_artifact_path(path)
        _check_proxy_can_store(clean, path)
        return clean

    def _file_path(self, artifact_file: str) -> str:
        clean = self._clean(artifact_file)
        if not clean:
            raise InvalidValueError(
                f"artifact file {artifact_file!r} names the artifact root, not a file: "
                "give a path like 'dir/name.txt'"
            )
        return clean

    def _full(self, clean: str) -> str:
        return "/".join(p for p in (self.root_path, clean) if p)

    def _endpoint(self, clean: str) -> str:
        return f"{MLFLOW_ARTIFACTS}/{quote(self._full(clean), safe='/')}"

    def _bad_answer(self, what: str) -> StoreUnavailableError:
        url = self.connection.url(MLFLOW_ARTIFACTS)
        return StoreUnavailableError(
            f"GET {url}: the artifact listing is not what MLflow answers ({what}) — is "
            f"{self.connection.base_url} an MLflow server with --serve-artifacts?"
        )


def _check_proxy_can_store(clean: str, given: str | None) -> None:
    escape = _PERCENT_ESCAPE.search(clean)
    if escape:
        raise InvalidValueError(
            f"artifact path {given!r} holds {escape.group()!r}, which MLflow's artifact proxy "
            "decodes as a percent escape and would store under another name; rename it"
        )
    if "#" in clean:
        raise InvalidValueError(
            f"artifact path {given!r} holds '#', which MLflow's artifact proxy refuses; rename it"
        )


def _locate(root_uri: str, connection: RestConnection | None) -> tuple[RestConnection, str]:
    """The connection to the server that holds `root_uri`, and the root's path there."""
    if not isinstance(root_uri, str):
        raise InvalidValueError(f"artifact root URI must be a string, got {root_uri!r}")
    parts = urlsplit(root_uri)
    scheme = parts.scheme.lower()
    if scheme == SCHEME:
        path = parts.path
        if parts.netloc:
            reference = connection.base_url if connection else _tracking_uri()
            ref = urlsplit(reference or "http://")
            base = f"{ref.scheme or 'http'}://{parts.netloc}{ref.path.rstrip('/')}"
        elif connection is not None:
            base = connection.base_url
        else:
            base = _tracking_uri_or_fail(root_uri)
    elif scheme in ("http", "https"):
        prefix, anchor, path = parts.path.partition(MLFLOW_ARTIFACTS)
        if not anchor or (path and not path.startswith("/")):
            raise InvalidValueError(
                f"artifact root URI {_shown(root_uri)!r} is not allowed: an http(s) root must "
                f"be a URL of MLflow's artifact proxy, http(s)://host:port{MLFLOW_ARTIFACTS}/<path>"
            )
        base = f"{scheme}://{parts.netloc}{prefix.rstrip('/')}"
    else:
        raise InvalidValueError(
            f"artifact root URI {_shown(root_uri)!r} is not allowed: it must be "
            f"{SCHEME}:/<path>, {SCHEME}://host:port/<path> or an http(s) URL of MLflow's "
            f"artifact proxy ({MLFLOW_ARTIFACTS}/<path>)"
        )
    root_path = normalize_artifact_path(path.strip("/"))
    _check_proxy_can_store(root_path, root_uri)
    if connection is not None and _same_server(connection.base_url, base):
        return connection, root_path
    settings = (
        connection.settings if connection is not None else ConnectionSettings.from_environment()
    )
    return RestConnection(base, settings), root_path


def _same_server(first: str, second: str) -> bool:
    one, other = urlsplit(first), urlsplit(second)
    return (one.scheme, one.netloc.rpartition("@")[2], one.path.rstrip("/")) == (
        other.scheme,
        other.netloc.rpartition("@")[2],
        other.path.rstrip("/"),
    )


def _tracking_uri() -> str | None:
    """The environment's tracking URI when it is an http(s) server's, else None."""
    for name in TRACKING_URI_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            plain = value[len("mlflow+") :] if value.lower().startswith("mlflow+") else value
            return plain if urlsplit(plain).scheme.lower() in ("http", "https") else None
    return None


def _tracking_uri_or_fail(root_uri: str) -> str:
    found = _tracking_uri()
    if found is not None:
        return found
    now = next(
        (
            f"{name}={_shown(os.environ[name])!r}"
            for name in TRACKING_URI_VARIABLES
            if os.environ.get(name, "").strip()
        ),
        "neither is set",
    )
    raise StoreUnavailableError(
        f"artifact root {root_uri!r} names no server: set TUITRACK_TRACKING_URI or "
        f"MLFLOW_TRACKING_URI to the http(s) URL of the MLflow server that serves these "
        f"artifacts (now {now})"
    )


def _shown(uri: str) -> str:
    """`uri` without the user:password it may hold."""
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()
