"""What the server behind a REST store can do, asked once.

A tuitrack server answers `GET /api/2.0/tuitrack/capabilities` with the features it
serves (docs/rest.md); a plain MLflow server has no such endpoint (404) and gets MLflow's
endpoints only. An `mlflow+http(s)://` URI never asks. A server that cannot be reached is
not remembered as plain: the next call asks again.
"""

from __future__ import annotations

import threading

from tuitrack.core.capabilities import WRITE_CAPABILITIES, Capability
from tuitrack.core.wire.endpoints import TUITRACK_CAPABILITIES
from tuitrack.core.wire.tuitrack_json import API_VERSION, ServerCapabilities, ServerFeature
from tuitrack_rest.connection import EndpointMissingError, RestConnection

# What each feature lets the store promise the TUI.
_PROMISES = {
    ServerFeature.SEARCH_FILTERS: Capability.SEARCH_WHERE_STORED,
    ServerFeature.HISTORIES: Capability.DOWNSAMPLE_WHERE_STORED,
    ServerFeature.HEARTBEAT: Capability.KEEP_HEARTBEATS,
}


class ServerFeatures:
    """The tuitrack features of one server, asked for on first use (thread-safe)."""

    def __init__(self, connection: RestConnection, plain_mlflow: bool) -> None:
        self._connection = connection
        self._known: frozenset[str] | None = frozenset() if plain_mlflow else None
        self._lock = threading.Lock()

    def has(self, feature: ServerFeature) -> bool:
        return feature.value in self.features()

    def features(self) -> frozenset[str]:
        """Raises StoreUnavailableError when the server cannot be asked."""
        with self._lock:
            if self._known is None:
                self._known = self._ask()
            return self._known

    def capabilities(self) -> frozenset[Capability]:
        """The store's capabilities over this server."""
        features = self.features()
        return WRITE_CAPABILITIES | {
            capability for feature, capability in _PROMISES.items() if feature.value in features
        }

    def _ask(self) -> frozenset[str]:
        try:
            answer = self._connection.call("GET", TUITRACK_CAPABILITIES)
        except EndpointMissingError:
            return frozenset()
        offered = ServerCapabilities.from_json(answer)
        if offered.api_version != API_VERSION:  # endpoints this client may misread
            return frozenset()
        return offered.features
