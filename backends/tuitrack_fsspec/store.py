"""An ArtifactStore over any fsspec filesystem: local files, memory, S3, GCS, SFTP, ..."""

from __future__ import annotations

import errno
import functools
import os
import posixpath
import re
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import IO, Any, cast

import fsspec
from fsspec.core import split_protocol, url_to_fs
from fsspec.implementations.local import LocalFileSystem

from tuitrack.core.artifact_sources import files_to_upload
from tuitrack.core.store import ArtifactStore
from tuitrack.core.validation import normalize_artifact_path
from tuitrack.entities import FileInfo
from tuitrack.errors import (
    InvalidValueError,
    NotFoundError,
    StoreUnavailableError,
    TuitrackError,
    UnknownSchemeError,
)
from tuitrack_fsspec import network

# A file being written on a local root has this name until it is complete; listings skip it.
_PARTIAL_PREFIX = ".tuitrack-partial-"
_PARTIAL_NAME = re.compile(rf"{re.escape(_PARTIAL_PREFIX)}[0-9a-f]{{32}}")


def _is_partial(path: str) -> bool:
    return _PARTIAL_NAME.fullmatch(posixpath.basename(path)) is not None


def _write_in_place(full: str, write: Callable[[str], None]) -> None:
    """Let `write` fill a temporary sibling of `full`, then rename it to `full`.

    Readers never see a half-written file, and a failed write (a full disk) leaves nothing.
    """
    folder = os.path.dirname(full)
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f"{_PARTIAL_PREFIX}{uuid.uuid4().hex}")
    try:
        write(temporary)
        os.replace(temporary, full)
    except BaseException:
        with suppress(OSError):
            os.remove(temporary)
        raise


def _write_new_file(path: str, *, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)


def _check_protocols(root_uri: str) -> None:
    """Raise UnknownSchemeError unless fsspec can load every protocol of the (chained) URI."""
    for part in root_uri.split("::"):
        protocol, _ = split_protocol(part)
        if protocol is None:
            continue
        try:
            fsspec.get_filesystem_class(protocol)
        except ValueError:
            known = ", ".join(sorted(fsspec.available_protocols()))
            raise UnknownSchemeError(
                f"no artifact store handles scheme {protocol!r} (from URI {root_uri!r}); "
                f"fsspec knows: {known}"
            ) from None
        except ImportError as error:
            raise UnknownSchemeError(
                f"scheme {protocol!r} of artifact URI {root_uri!r} needs a package that is "
                f"not installed: {error}"
            ) from None


class FsspecArtifactStore(ArtifactStore):
    """The files of one run under `root_uri`, any fsspec URL or a plain local path."""

    def __init__(self, root_uri: str) -> None:
        super().__init__(root_uri)
        _check_protocols(root_uri)
        self._limits = network.limits_from_environment()
        try:
            fs, root = url_to_fs(root_uri, **network.storage_options(root_uri, self._limits))
            network.bound_retries(fs)
        except Exception as error:
            limits = self._limits.describe(retried=network.retries_requests(root_uri))
            late = f" in time ({limits})" if network.is_timeout(error) else ""
            raise StoreUnavailableError(
                f"cannot open artifact store {root_uri!r}{late}: {type(error).__name__}: {error}"
            ) from error
        self._local = isinstance(fs, LocalFileSystem)
        if self._local:
            # Local writes create their parent directories, like object stores do implicitly.
            fs = fsspec.filesystem("file", auto_mkdir=True)
            root = os.path.abspath(root).replace(os.sep, "/")
        self._fs: Any = fs
        self._root: str = root.rstrip("/")
        self._real_root = os.path.realpath(self._root or "/") if self._local else ""

    # --- paths -------------------------------------------------------------------------

    def _full_path(self, clean: str) -> str:
        """The filesystem path of a normalized artifact path, checked to stay under the root."""
        if not clean:
            return self._root or "/"
        full = f"{self._root}/{clean}"
        inside = posixpath.normpath(full).startswith(f"{self._root}/")
        if inside and self._local:
            # Also refuse a symlink inside the root that points outside it.
            real = os.path.realpath(full)
            inside = os.path.commonpath([self._real_root, real]) == self._real_root
        if not inside:
            raise InvalidValueError(
                f"artifact path {clean!r} resolves outside the artifact root {self.root_uri!r}"
            )
        return full

    def _relative(self, name: str) -> str | None:
        """The artifact path of a name the filesystem returned, None if outside the root."""
        name = str(self._fs._strip_protocol(name)).rstrip("/")
        prefix = f"{self._root}/"
        if name == self._root:
            return ""
        return name[len(prefix) :] if name.startswith(prefix) else None

    @contextmanager
    def _failures(self, path: str, *, writing: bool = False) -> Iterator[None]:
        """Turn fsspec and OS errors into tuitrack errors that name the URI and the path."""
        where = f"artifact {path!r} in {self.root_uri!r}"
        try:
            yield
        except TuitrackError:
            raise
        except FileNotFoundError as error:
            raise NotFoundError(f"{where} does not exist") from error
        except (IsADirectoryError, NotADirectoryError, FileExistsError) as error:
            if writing:
                raise InvalidValueError(
                    f"cannot write {where}: it or one of its parents is in the way "
                    f"(a file and a directory cannot share a name): {error}"
                ) from error
            raise NotFoundError(f"{where} is not a file") from error
        except Exception as error:
            raise StoreUnavailableError(self._failure_message(where, error)) from error

    def _failure_message(self, where: str, error: Exception) -> str:
        cause = f"{type(error).__name__}: {error}"
        code = getattr(error, "errno", None)
        if isinstance(error, OSError) and isinstance(code, int) and code in errno.errorcode:
            # e.g. "No space left on device (ENOSPC)": the reason a person can act on.
            cause = f"{os.strerror(code)} ({errno.errorcode[code]}): {error}"
        if self._local:
            return f"{where}: the filesystem failed: {cause}"
        server = network.endpoint(self._fs)
        at = f" at endpoint {server}" if server else ""
        what = "did not answer in time" if network.is_timeout(error) else "failed"
        limits = self._limits.describe(retried=network.retries_requests(self.root_uri))
        return f"{where}: the store{at} {what} ({limits}): {cause}"

    def _put(self, sources: Sequence[str], cleans: Sequence[str], what: str) -> None:
        """Copy local files to the artifact paths `cleans`; `what` names them in errors."""
        targets = [self._full_path(clean) for clean in cleans]
        if self._local:
            for source, clean, target in zip(sources, cleans, targets, strict=True):
                with self._failures(clean, writing=True):
                    _write_in_place(target, functools.partial(shutil.copyfile, source))
            return
        # Object stores make an upload visible only when it is complete (s3fs aborts a
        # failed multipart upload), so no temporary name is needed there.
        with self._failures(what, writing=True):
            network.prepare_for_writes(self._fs)
            try:
                self._fs.put(list(sources), targets)
            except FileNotFoundError:
                # Filesystems with real directories (sftp, ...) need the parents first.
                for parent in sorted({posixpath.dirname(target) for target in targets}):
                    self._fs.makedirs(parent, exist_ok=True)
                self._fs.put(list(sources), targets)

    # --- writing -----------------------------------------------------------------------

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        if not os.path.isfile(local_file):
            if os.path.isdir(local_file):
                raise InvalidValueError(f"{local_file!r} is a directory; log it with log_artifacts")
            raise NotFoundError(f"local file {local_file!r} does not exist")
        base = normalize_artifact_path(artifact_path)
        clean = normalize_artifact_path(posixpath.join(base, os.path.basename(local_file)))
        self._put([local_file], [clean], clean)

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Copy a local directory tree under `artifact_path`, by the link rule of
        `tuitrack.core.artifact_sources`. Raises NotFoundError and InvalidValueError."""
        if not os.path.isdir(local_dir):
            raise NotFoundError(f"local directory {local_dir!r} does not exist")
        base = normalize_artifact_path(artifact_path)
        files = files_to_upload(local_dir)
        cleans = [normalize_artifact_path(posixpath.join(base, file.relative)) for file in files]
        if files:
            self._put([file.real_path for file in files], cleans, base or ".")

    def log_bytes(self, data: bytes, artifact_file: str) -> None:
        clean = normalize_artifact_path(artifact_file)
        if not clean:
            raise InvalidValueError("artifact file name must not be empty")
        full = self._full_path(clean)
        with self._failures(clean, writing=True):
            if self._local:
                _write_in_place(full, functools.partial(_write_new_file, data=data))
                return
            network.prepare_for_writes(self._fs)
            try:
                self._fs.pipe_file(full, data)
            except FileNotFoundError:
                self._fs.makedirs(posixpath.dirname(full), exist_ok=True)
                self._fs.pipe_file(full, data)

    def delete_artifacts(self, path: str | None = None) -> None:
        clean = normalize_artifact_path(path)
        full = self._full_path(clean)
        with self._failures(clean or ".", writing=True):
            self._fs.invalidate_cache(full)
            try:
                # The root itself stays: it may be a bucket or a mount point.
                targets = [full] if clean else self._fs.ls(full, detail=False)
                if targets:
                    self._fs.rm(list(targets), recursive=True)
            except (FileNotFoundError, NotADirectoryError):
                pass
            self._fs.invalidate_cache(full)

    # --- reading -----------------------------------------------------------------------

    def _entries(self, clean: str) -> list[dict[str, Any]]:
        full = self._full_path(clean)
        with self._failures(clean or "."):
            self._fs.invalidate_cache(full)
            try:
                return list(self._fs.ls(full, detail=True))
            except (FileNotFoundError, NotADirectoryError):
                return []

    @staticmethod
    def _file_info(path: str, entry: dict[str, Any]) -> FileInfo:
        is_dir = entry.get("type") == "directory"
        size = entry.get("size")
        return FileInfo(
            path=path, is_dir=is_dir, file_size=None if is_dir or size is None else int(size)
        )

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        clean = normalize_artifact_path(path)
        infos: list[FileInfo] = []
        for entry in self._entries(clean):
            relative = self._relative(entry["name"])
            # Skips the path itself: ls of a file returns that file, not children.
            if relative and posixpath.dirname(relative) == clean and not _is_partial(relative):
                infos.append(self._file_info(relative, entry))
        return sorted(infos, key=lambda info: info.path)

    def walk_files(self, path: str | None = None) -> Iterator[FileInfo]:
        """Every file below `path`, sorted by path, from one recursive listing."""
        clean = normalize_artifact_path(path)
        full = self._full_path(clean)
        with self._failures(clean or "."):
            self._fs.invalidate_cache(full)
            try:
                found: dict[str, dict[str, Any]] = self._fs.find(full, detail=True)
            except (FileNotFoundError, NotADirectoryError):
                return
        infos: list[FileInfo] = []
        for name, entry in found.items():
            relative = self._relative(name)
            if not relative or _is_partial(relative):
                continue
            if not clean or relative.startswith(f"{clean}/"):
                infos.append(self._file_info(relative, entry))
        yield from sorted(infos, key=lambda info: info.path)

    def open_artifact(self, path: str) -> AbstractContextManager[IO[bytes]]:
        clean = normalize_artifact_path(path)
        full = self._full_path(clean)
        with self._failures(clean or "."):
            self._fs.invalidate_cache(full)
            # Object stores report a key prefix as a directory instead of failing to open it.
            if self._fs.info(full).get("type") != "file":
                raise NotFoundError(f"artifact {clean or '.'!r} in {self.root_uri!r} is not a file")
            return cast("IO[bytes]", self._fs.open(full, "rb"))

    def read_bytes(self, path: str) -> bytes:
        clean = normalize_artifact_path(path)
        full = self._full_path(clean)
        with self._failures(clean or "."):
            self._fs.invalidate_cache(full)
            return bytes(self._fs.cat_file(full))

    def download_artifacts(self, path: str, dst_path: str) -> str:
        clean = normalize_artifact_path(path)
        full = self._full_path(clean)
        local_root = os.path.join(dst_path, *clean.split("/")) if clean else dst_path
        with self._failures(clean or "."):
            self._fs.invalidate_cache(full)
            try:
                is_dir = self._fs.info(full).get("type") == "directory"
            except FileNotFoundError:
                if clean:
                    raise
                is_dir = True  # an empty root downloads as an empty directory
            if not is_dir:
                os.makedirs(os.path.dirname(local_root) or ".", exist_ok=True)
                self._fs.get_file(full, local_root)
                return local_root
            files = list(self.walk_files(clean))
            local_files = [os.path.join(dst_path, *info.path.split("/")) for info in files]
            os.makedirs(local_root, exist_ok=True)
            for parent in {os.path.dirname(local) for local in local_files}:
                os.makedirs(parent, exist_ok=True)
            if files:
                remote_files = [self._full_path(info.path) for info in files]
                self._fs.get(remote_files, local_files)
        return local_root
