"""The artifact contract (tuitrack/testing/artifacts.py) on every root kind of tuitrack_fsspec,
each opened through the registry, and what is particular to fsspec roots."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import fsspec
import pytest

from tuitrack.core import registry
from tuitrack.core.store import ArtifactStore
from tuitrack.entities import FileInfo
from tuitrack.errors import InvalidValueError, UnknownSchemeError
from tuitrack.testing.artifacts import *  # noqa: F403

ROOT_KINDS = ("path", "file-uri", "memory", "s3")
TRAVERSALS = ("../x", "/etc/passwd", "a/../../b", "..\\x", "a/..\\..\\b", "C:/x", "s3://b/x")


@dataclass
class ArtifactEnv:
    store: ArtifactStore
    root: str
    local: bool
    # Every file below the root's container (a tmp dir or a bucket), as full paths.
    everything: Callable[[], list[str]]
    # The filesystem path of an artifact path.
    full_path: Callable[[str], str]
    cleanup: Callable[[], None] = lambda: None


def _local_env(tmp_path: Path, as_uri: bool) -> ArtifactEnv:
    container = tmp_path / "store"
    root = container / "1" / uuid.uuid4().hex / "artifacts"
    uri = root.as_uri() if as_uri else str(root)

    def everything() -> list[str]:
        return sorted(str(p) for p in container.rglob("*") if p.is_file())

    store = registry.get_artifact_store(uri)
    return ArtifactEnv(store, uri, True, everything, lambda p: str(root / p))


def _memory_env() -> ArtifactEnv:
    bucket = f"/tuitrack-test-{uuid.uuid4().hex}"
    root = f"{bucket}/1/{uuid.uuid4().hex}/artifacts"
    memory = fsspec.filesystem("memory")

    def everything() -> list[str]:
        return sorted(memory.find(bucket)) if memory.exists(bucket) else []

    def cleanup() -> None:
        # The memory filesystem is process-global: leave nothing behind.
        if memory.exists(bucket):
            memory.rm(bucket, recursive=True)

    uri = f"memory:/{root}"
    store = registry.get_artifact_store(uri)
    return ArtifactEnv(store, uri, False, everything, lambda p: f"{root}/{p}", cleanup)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A local S3 server (moto), when moto is installed."""
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _s3_env(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> ArtifactEnv:
    options = {"endpoint_url": endpoint, "key": "test", "secret": "test"}
    monkeypatch.setitem(fsspec.config.conf, "s3", options)
    s3 = fsspec.filesystem("s3")
    bucket = f"tuitrack-test-{uuid.uuid4().hex[:16]}"
    s3.mkdir(bucket)
    root = f"{bucket}/1/{uuid.uuid4().hex}/artifacts"

    def everything() -> list[str]:
        s3.invalidate_cache()
        return sorted(s3.find(bucket))

    uri = f"s3://{root}"
    store = registry.get_artifact_store(uri)
    return ArtifactEnv(store, uri, False, everything, lambda p: f"{root}/{p}")


@pytest.fixture(params=ROOT_KINDS)
def env(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ArtifactEnv]:
    if request.param == "memory":
        artifact_env = _memory_env()
    elif request.param == "s3":
        artifact_env = _s3_env(request.getfixturevalue("moto_endpoint"), monkeypatch)
    else:
        artifact_env = _local_env(tmp_path, as_uri=request.param == "file-uri")
    yield artifact_env
    artifact_env.cleanup()


@pytest.fixture
def artifacts(env: ArtifactEnv) -> ArtifactStore:
    return env.store


def test_registry_gives_the_fsspec_store(artifacts: ArtifactStore, env: ArtifactEnv) -> None:
    assert type(artifacts).__name__ == "FsspecArtifactStore"
    assert artifacts.root_uri == env.root


def test_file_and_directory_cannot_share_a_name_locally(env: ArtifactEnv) -> None:
    if not env.local:
        pytest.skip("object stores keep a key 'd' beside 'd/f.txt'")
    env.store.log_bytes(b"x", "d/f.txt")
    with pytest.raises(InvalidValueError, match="'d'"):
        env.store.log_bytes(b"y", "d")
    with pytest.raises(InvalidValueError, match=r"'d/f\.txt/g'"):
        env.store.log_bytes(b"y", "d/f.txt/g")
    assert env.store.read_bytes("d/f.txt") == b"x"


def _calls(
    artifacts: ArtifactStore, local_file: str, local_dir: str, dst: str
) -> dict[str, Callable[[str], object]]:
    return {
        "log_artifact": lambda p: artifacts.log_artifact(local_file, p),
        "log_artifacts": lambda p: artifacts.log_artifacts(local_dir, p),
        "log_bytes": lambda p: artifacts.log_bytes(b"evil", p),
        "list_artifacts": artifacts.list_artifacts,
        "walk_files": lambda p: list(artifacts.walk_files(p)),
        "open_artifact": artifacts.open_artifact,
        "read_bytes": artifacts.read_bytes,
        "delete_artifacts": artifacts.delete_artifacts,
        "download_artifacts": lambda p: artifacts.download_artifacts(p, dst),
    }


@pytest.mark.parametrize("bad_path", TRAVERSALS)
def test_paths_leaving_the_root_are_refused(
    env: ArtifactEnv, source: Path, tmp_path: Path, bad_path: str
) -> None:
    env.store.log_bytes(b"inside", "a/inside.txt")
    before = env.everything()
    calls = _calls(env.store, str(source / "a.txt"), str(source), str(tmp_path / "dl"))
    for name, call in calls.items():
        with pytest.raises(InvalidValueError) as raised:
            call(bad_path)
        assert repr(bad_path) in str(raised.value), name
    assert env.everything() == before
    assert not (tmp_path / "dl").exists()
    assert env.store.read_bytes("a/inside.txt") == b"inside"


def test_symlink_out_of_a_local_root_is_refused(env: ArtifactEnv, tmp_path: Path) -> None:
    if not env.local:
        pytest.skip("symlinks exist on local filesystems only")
    env.store.log_bytes(b"x", "x.txt")
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, env.full_path("escape"))
    with pytest.raises(InvalidValueError, match="outside the artifact root"):
        env.store.log_bytes(b"evil", "escape/evil.txt")
    assert list(outside.iterdir()) == []


def test_file_uri_and_plain_path_are_the_same_store(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    registry.get_artifact_store(str(root)).log_bytes(b"shared", "s/f.txt")
    via_uri = registry.get_artifact_store(root.as_uri())
    assert via_uri.read_bytes("s/f.txt") == b"shared"
    assert via_uri.list_artifacts("s") == [FileInfo(path="s/f.txt", is_dir=False, file_size=6)]


def test_unknown_protocol_lists_schemes() -> None:
    with pytest.raises(UnknownSchemeError) as raised:
        registry.get_artifact_store("nosuchfs://bucket/run/artifacts")
    message = str(raised.value)
    assert "'nosuchfs'" in message
    assert "memory" in message
    assert "s3" in message


def test_import_tuitrack_does_not_import_fsspec() -> None:
    code = "import sys, tuitrack; print('fsspec' in sys.modules, 'tuitrack_fsspec' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
