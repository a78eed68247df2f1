"""URI scheme -> backend class, discovered through entry points.

Listing schemes never imports a backend; only the backend a URI asks for is loaded.
"""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points

from tuitrack.core.store import ArtifactStore, TrackingStore
from tuitrack.errors import UnknownSchemeError

TRACKING_GROUP = "tuitrack.tracking_stores"
ARTIFACT_GROUP = "tuitrack.artifact_stores"
# Functions `(uri) -> uri | None` that recognise data a more specific backend should open,
# e.g. an MLflow database behind a plain sqlite:/// URI. Consulted only when opening.
DETECTOR_GROUP = "tuitrack.store_detectors"
# Registered by a backend that accepts any scheme it can handle itself (e.g. all of fsspec).
FALLBACK_NAME = "*"

_SCHEME_PATTERN = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_warned: set[str] = set()


def uri_scheme(uri: str) -> str:
    """The lowercased scheme of a URI; plain paths (and Windows drive paths) are `file`."""
    match = _SCHEME_PATTERN.match(uri)
    if not match or (len(match.group(1)) == 1 and "://" not in uri):
        return "file"
    return match.group(1).lower()


def normalize_tracking_uri(uri: str) -> str:
    """Turn a plain path to a SQLite file into a `sqlite:///` URI; leave others alone."""
    if uri_scheme(uri) == "file" and uri.lower().endswith(_SQLITE_SUFFIXES):
        path = uri[len("file://") :] if uri.startswith("file://") else uri
        return f"sqlite:///{os.path.abspath(os.path.expanduser(path))}"
    return uri


@lru_cache(maxsize=8)
def _installed_entry_points(group: str) -> tuple[EntryPoint, ...]:
    """Scanning installed distributions costs tens of milliseconds: do it once a process."""
    return tuple(entry_points(group=group))


def _entry_points(group: str) -> list[EntryPoint]:
    return list(_installed_entry_points(group))


def installed_schemes(group: str) -> list[str]:
    """Scheme names registered in `group`, without importing any backend."""
    return sorted({ep.name for ep in _entry_points(group) if ep.name != FALLBACK_NAME})


def _warn_broken(entry_point: EntryPoint, error: BaseException) -> None:
    if entry_point.value not in _warned:
        _warned.add(entry_point.value)
        print(
            f"tuitrack: warning: backend plugin {entry_point.name!r} ({entry_point.value}) "
            f"failed to load: {type(error).__name__}: {error}",
            file=sys.stderr,
        )


def _load(group: str, scheme: str) -> type | None:
    candidates = [ep for ep in _entry_points(group) if ep.name == scheme]
    for entry_point in candidates:
        try:
            loaded = entry_point.load()
        except Exception as error:  # a broken plugin must not break the others
            _warn_broken(entry_point, error)
            continue
        if isinstance(loaded, type):
            return loaded
        _warn_broken(entry_point, TypeError(f"{entry_point.value} is not a class"))
    return None


def _unknown(kind: str, uri: str, scheme: str, group: str) -> UnknownSchemeError:
    schemes = ", ".join(installed_schemes(group)) or "none"
    return UnknownSchemeError(
        f"no {kind} backend handles {scheme!r} (from URI {uri!r}); installed schemes: {schemes}"
    )


def resolve_tracking_uri(uri: str) -> str:
    """`uri` normalized, then redirected by the first installed detector that claims it."""
    normalized = normalize_tracking_uri(uri)
    for entry_point in _entry_points(DETECTOR_GROUP):
        try:
            detected = entry_point.load()(normalized)
        except Exception as error:  # a broken detector must not stop the store from opening
            _warn_broken(entry_point, error)
            continue
        if isinstance(detected, str) and detected:
            return detected
    return normalized


def _tracking_class(resolved: str, uri: str) -> type[TrackingStore]:
    scheme = uri_scheme(resolved)
    cls = _load(TRACKING_GROUP, scheme)
    if cls is None or not issubclass(cls, TrackingStore):
        raise _unknown("tracking store", uri, scheme, TRACKING_GROUP)
    return cls


def tracking_store_class(uri: str) -> type[TrackingStore]:
    return _tracking_class(resolve_tracking_uri(uri), uri)


def get_tracking_store(
    uri: str, default_artifact_root: str, *, create: bool = True
) -> TrackingStore:
    """Open the tracking store at `uri`: created when missing if `create`, else it must
    exist and nothing is created (TrackingStore.open_for_reading).

    Raises UnknownSchemeError, StoreUnavailableError.
    """
    resolved = resolve_tracking_uri(uri)
    store_class = _tracking_class(resolved, uri)
    if create:
        return store_class(resolved, default_artifact_root)
    return store_class.open_for_reading(resolved, default_artifact_root)


def artifact_store_class(uri: str) -> type[ArtifactStore]:
    scheme = uri_scheme(uri)
    cls = _load(ARTIFACT_GROUP, scheme) or _load(ARTIFACT_GROUP, FALLBACK_NAME)
    if cls is None or not issubclass(cls, ArtifactStore):
        raise _unknown("artifact store", uri, scheme, ARTIFACT_GROUP)
    return cls


def get_artifact_store(root_uri: str) -> ArtifactStore:
    """Open the artifact store rooted at `root_uri`. Raises UnknownSchemeError."""
    return artifact_store_class(root_uri)(root_uri)
