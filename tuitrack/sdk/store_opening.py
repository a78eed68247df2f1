"""Opening a tracking store to browse it or to log to it: the one place that decides.

- Browsing (the TUI, `experiments list`, `runs list/show/orphans`, `plot`, `compare`)
  creates nothing: a store that does not exist is an error naming the path and how to
  create one, and a store this user cannot write opens read-only. The default store before
  anything was logged to it is no error: it shows as an empty store.
- Logging (the SDK) creates its store. One it cannot create or write (a bad path, a
  read-only store; not a server that is down) is said once on stderr and replaced by an
  UnsavedStore, so the training script runs on with its data dropped (TUITRACK_STRICT=1
  raises instead).
- `demo`, `import` and `db upgrade` create their stores as TrackingClient does by default.
"""

from __future__ import annotations

import os

from tuitrack.core import config, registry
from tuitrack.core.store import TrackingStore
from tuitrack.errors import ReadOnlyError, StoreLocationError, TuitrackError
from tuitrack.sdk.client import TrackingClient
from tuitrack.sdk.notices import warn_once
from tuitrack.sdk.unsaved_store import UnsavedStore


def _default_store_is_missing() -> bool:
    """True when no store is named and the default SQLite file does not exist yet."""
    return not config.tracking_uri_from_environment() and not os.path.lexists(
        config.default_database_path()
    )


def open_for_browsing(tracking_uri: str | None, artifact_uri: str | None) -> TrackingClient:
    """A client over the existing store at `tracking_uri` (default: the default store).

    Raises StoreUnavailableError naming the path and the fix when there is no store there;
    a store that cannot be written opens read-only (`client.store.read_only` says why).
    """
    uri = tracking_uri or config.default_tracking_uri()
    artifacts = artifact_uri or config.default_artifact_uri()
    store: TrackingStore
    if tracking_uri is None and _default_store_is_missing():
        store = UnsavedStore(uri, artifacts)
    else:
        store = registry.get_tracking_store(uri, artifacts, create=False)
    return TrackingClient(uri, artifact_uri=artifacts, store=store)


def open_for_logging(tracking_uri: str, artifact_uri: str, *, strict: bool) -> TrackingClient:
    """A client the SDK logs through, over the store at `tracking_uri`, created if missing.

    A store whose place cannot hold one, or that cannot be written, is reported once on
    stderr, and the client logs into an UnsavedStore instead: the script runs on, its runs
    unsaved. In strict mode that problem is raised (StoreLocationError or ReadOnlyError).
    A server that does not answer is an outage, not a bad place: StoreUnavailableError
    propagates, as for any other call that meets one.
    """
    problem: TuitrackError
    try:
        client = TrackingClient(tracking_uri, artifact_uri=artifact_uri)
    except (StoreLocationError, ReadOnlyError) as error:
        problem = error
    else:
        if client.store.read_only is None:
            return client
        problem = ReadOnlyError(client.store.read_only)
        client.close()
    if strict:
        raise problem
    where = (
        "XDG_DATA_HOME or TUITRACK_TRACKING_URI"
        if tracking_uri == config.default_tracking_uri()
        and not config.tracking_uri_from_environment()
        else "TUITRACK_TRACKING_URI (or tuitrack.set_tracking_uri)"
    )
    warn_once(
        "store-unusable",
        f"{problem}. Nothing this process logs is saved; training goes on. To keep runs, "
        f"point {where} at a folder you can write to.",
    )
    unsaved = UnsavedStore(tracking_uri, artifact_uri)
    return TrackingClient(tracking_uri, artifact_uri=artifact_uri, store=unsaved)


def is_unsaved(client: TrackingClient) -> bool:
    """Whether `client` holds an UnsavedStore: the SDK's stand-in for a store it cannot
    use (what it logs is dropped), or, browsing, the default store before any run."""
    return isinstance(client.store, UnsavedStore)
