from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from tuitrack.core import registry
from tuitrack.errors import UnknownSchemeError
from tuitrack_sql.store import SqlTrackingStore


@pytest.mark.parametrize(
    ("uri", "scheme"),
    [
        ("sqlite:///x.db", "sqlite"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("S3://bucket/key", "s3"),
        ("/abs/path", "file"),
        ("relative/path", "file"),
        ("C:\\Users\\me", "file"),
        ("file:///tmp/x", "file"),
    ],
)
def test_uri_scheme(uri: str, scheme: str) -> None:
    assert registry.uri_scheme(uri) == scheme


def test_installed_schemes_list_the_bundled_backends() -> None:
    tracking = registry.installed_schemes(registry.TRACKING_GROUP)
    for scheme in ("sqlite", "postgresql", "postgresql+psycopg", "mysql", "mysql+pymysql"):
        assert scheme in tracking
    artifacts = registry.installed_schemes(registry.ARTIFACT_GROUP)
    for scheme in ("file", "memory", "s3"):
        assert scheme in artifacts


def test_unknown_tracking_scheme_names_the_installed_ones() -> None:
    with pytest.raises(UnknownSchemeError) as caught:
        registry.get_tracking_store("mongodb://host/db", "/tmp/a")
    message = str(caught.value)
    assert "mongodb" in message
    assert "sqlite" in message
    assert "postgresql" in message


def test_plain_sqlite_path_becomes_a_sqlite_uri(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = registry.get_tracking_store(str(path), str(tmp_path / "art"))
    try:
        assert isinstance(store, SqlTrackingStore)
        assert store.store_uri == f"sqlite:///{path}"
        assert path.exists()
    finally:
        store.close()


def test_broken_plugin_warns_and_others_still_load(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    real = registry._entry_points

    def with_broken(group: str) -> list[EntryPoint]:
        broken = [
            EntryPoint(name="sqlite", value="tuitrack_no_such_module:Store", group=group),
            EntryPoint(name="broken", value="tuitrack_no_such_module:Store", group=group),
        ]
        return broken + real(group)

    monkeypatch.setattr(registry, "_entry_points", with_broken)
    store = registry.get_tracking_store(f"sqlite:///{tmp_path}/a.db", str(tmp_path))
    store.close()
    assert "tuitrack_no_such_module" in capsys.readouterr().err
    with pytest.raises(UnknownSchemeError, match="broken"):
        registry.get_tracking_store("broken://x", str(tmp_path))
    assert "broken" in registry.installed_schemes(registry.TRACKING_GROUP)
