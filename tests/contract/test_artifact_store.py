"""One test body for every artifact store root kind, each opened through the registry."""

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

from tuitrack import registry
from tuitrack.entities import FileInfo
from tuitrack.errors import InvalidValueError, NotFoundError, UnknownSchemeError
from tuitrack.store import ArtifactStore

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


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A local directory tree to upload: a.txt, data/b.bin, data/deep/c.json."""
    src = tmp_path / "src"
    (src / "data" / "deep").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "data" / "b.bin").write_bytes(b"\x00\x01\x02")
    (src / "data" / "deep" / "c.json").write_text('{"c": 1}')
    return src


def _paths(infos: list[FileInfo]) -> list[str]:
    return [info.path for info in infos]


def test_registry_gives_the_fsspec_store(artifacts: ArtifactStore, env: ArtifactEnv) -> None:
    assert type(artifacts).__name__ == "FsspecArtifactStore"
    assert artifacts.root_uri == env.root


def test_empty_root(artifacts: ArtifactStore, tmp_path: Path) -> None:
    assert artifacts.list_artifacts() == []
    assert list(artifacts.walk_files()) == []
    artifacts.delete_artifacts()
    downloaded = artifacts.download_artifacts("", str(tmp_path / "dl"))
    assert os.listdir(downloaded) == []


def test_log_artifact_and_list(artifacts: ArtifactStore, source: Path) -> None:
    artifacts.log_artifact(str(source / "a.txt"))
    artifacts.log_artifact(str(source / "data" / "b.bin"), "sub/dir")

    assert artifacts.list_artifacts() == [
        FileInfo(path="a.txt", is_dir=False, file_size=5),
        FileInfo(path="sub", is_dir=True, file_size=None),
    ]
    assert artifacts.list_artifacts("sub") == [FileInfo(path="sub/dir", is_dir=True)]
    assert artifacts.list_artifacts("sub/dir/") == [
        FileInfo(path="sub/dir/b.bin", is_dir=False, file_size=3)
    ]


def test_list_missing_or_file_is_empty(artifacts: ArtifactStore) -> None:
    artifacts.log_bytes(b"x", "f.txt")
    assert artifacts.list_artifacts("missing") == []
    assert artifacts.list_artifacts("f.txt") == []
    assert artifacts.list_artifacts("f.txt/below") == []


def test_log_artifacts_nested(artifacts: ArtifactStore, source: Path) -> None:
    artifacts.log_artifacts(str(source), "model")
    artifacts.log_artifacts(str(source / "data"))

    assert _paths(artifacts.list_artifacts()) == ["b.bin", "deep", "model"]
    assert _paths(artifacts.list_artifacts("model")) == ["model/a.txt", "model/data"]
    assert _paths(list(artifacts.walk_files("model"))) == [
        "model/a.txt",
        "model/data/b.bin",
        "model/data/deep/c.json",
    ]
    assert artifacts.read_bytes("model/data/deep/c.json") == b'{"c": 1}'
    assert artifacts.read_bytes("deep/c.json") == b'{"c": 1}'


def test_open_and_read(artifacts: ArtifactStore) -> None:
    artifacts.log_bytes(b"hello", "dir/hello.txt")
    with artifacts.open_artifact("dir/hello.txt") as handle:
        assert handle.read() == b"hello"
    assert artifacts.read_bytes("dir/hello.txt") == b"hello"


@pytest.mark.parametrize("path", ["missing.txt", "dir", "dir/missing", ""])
def test_open_missing_or_directory(artifacts: ArtifactStore, path: str) -> None:
    artifacts.log_bytes(b"x", "dir/file.txt")
    with pytest.raises(NotFoundError):
        artifacts.open_artifact(path)
    with pytest.raises(NotFoundError):
        artifacts.read_bytes(path)


def test_binary_round_trip(artifacts: ArtifactStore, tmp_path: Path) -> None:
    payload = bytes(range(256)) * 4096 + b"\r\n\x00end"
    artifacts.log_bytes(payload, "blob.bin")
    local = tmp_path / "blob2.bin"
    local.write_bytes(payload)
    artifacts.log_artifact(str(local), "copies")

    assert artifacts.read_bytes("blob.bin") == payload
    with artifacts.open_artifact("copies/blob2.bin") as handle:
        assert handle.read() == payload
    assert artifacts.list_artifacts("copies")[0].file_size == len(payload)


def test_log_bytes_overwrites(artifacts: ArtifactStore) -> None:
    artifacts.log_bytes(b"first version, longer", "notes/n.txt")
    artifacts.log_bytes(b"second", "notes/n.txt")
    assert artifacts.read_bytes("notes/n.txt") == b"second"
    # No temporary file is left beside it.
    assert artifacts.list_artifacts("notes") == [
        FileInfo(path="notes/n.txt", is_dir=False, file_size=6)
    ]


def test_file_and_directory_cannot_share_a_name_locally(env: ArtifactEnv) -> None:
    if not env.local:
        pytest.skip("object stores keep a key 'd' beside 'd/f.txt'")
    env.store.log_bytes(b"x", "d/f.txt")
    with pytest.raises(InvalidValueError, match="'d'"):
        env.store.log_bytes(b"y", "d")
    with pytest.raises(InvalidValueError, match=r"'d/f\.txt/g'"):
        env.store.log_bytes(b"y", "d/f.txt/g")
    assert env.store.read_bytes("d/f.txt") == b"x"


def test_unicode_names(artifacts: ArtifactStore, tmp_path: Path) -> None:
    local = tmp_path / "résumé 📈.txt"
    local.write_text("ü", encoding="utf-8")
    artifacts.log_artifact(str(local), "données/步骤")
    artifacts.log_bytes("ß".encode(), "données/ß.txt")

    assert _paths(artifacts.list_artifacts("données")) == ["données/ß.txt", "données/步骤"]
    assert artifacts.read_bytes("données/步骤/résumé 📈.txt") == "ü".encode()
    out = artifacts.download_artifacts("données", str(tmp_path / "dl"))
    assert Path(out, "步骤", "résumé 📈.txt").read_text(encoding="utf-8") == "ü"


def test_download_file(artifacts: ArtifactStore, source: Path, tmp_path: Path) -> None:
    artifacts.log_artifacts(str(source), "run")
    local = artifacts.download_artifacts("run/data/b.bin", str(tmp_path / "dl"))
    assert Path(local) == tmp_path / "dl" / "run" / "data" / "b.bin"
    assert Path(local).read_bytes() == b"\x00\x01\x02"


def test_download_directory(artifacts: ArtifactStore, source: Path, tmp_path: Path) -> None:
    artifacts.log_artifacts(str(source), "run")
    local = artifacts.download_artifacts("run/data", str(tmp_path / "dl"))
    assert Path(local) == tmp_path / "dl" / "run" / "data"
    assert (Path(local) / "b.bin").read_bytes() == b"\x00\x01\x02"
    assert (Path(local) / "deep" / "c.json").read_text() == '{"c": 1}'

    everything = Path(artifacts.download_artifacts("", str(tmp_path / "all")))
    found = sorted(p.relative_to(everything).as_posix() for p in everything.rglob("*"))
    assert found == [
        "run",
        "run/a.txt",
        "run/data",
        "run/data/b.bin",
        "run/data/deep",
        "run/data/deep/c.json",
    ]


def test_download_missing(artifacts: ArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="nothing/here"):
        artifacts.download_artifacts("nothing/here", str(tmp_path / "dl"))


def test_delete(artifacts: ArtifactStore, source: Path) -> None:
    artifacts.log_artifacts(str(source), "run")
    artifacts.log_bytes(b"keep", "keep.txt")

    artifacts.delete_artifacts("run/a.txt")
    assert _paths(artifacts.list_artifacts("run")) == ["run/data"]
    artifacts.delete_artifacts("run/data")
    assert artifacts.list_artifacts("run") == []
    assert list(artifacts.walk_files()) == [FileInfo(path="keep.txt", is_dir=False, file_size=4)]
    artifacts.delete_artifacts("never/existed")

    artifacts.delete_artifacts()
    assert artifacts.list_artifacts() == []
    # The store stays usable after deleting everything.
    artifacts.log_bytes(b"again", "again.txt")
    assert artifacts.read_bytes("again.txt") == b"again"


def test_missing_local_sources(artifacts: ArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"nope\.txt"):
        artifacts.log_artifact(str(tmp_path / "nope.txt"))
    with pytest.raises(NotFoundError, match="nodir"):
        artifacts.log_artifacts(str(tmp_path / "nodir"))
    assert artifacts.list_artifacts() == []


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
