"""The ArtifactStore contract: what every artifact store does with files below its root.

A backend runs these with an `artifacts` fixture giving a store over an empty root of its own
(see tuitrack.testing).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tuitrack.core.store import ArtifactStore
from tuitrack.entities import FileInfo
from tuitrack.errors import NotFoundError


def _paths(infos: list[FileInfo]) -> list[str]:
    return [info.path for info in infos]


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
