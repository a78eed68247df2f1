"""tuitrack's artifact store over fsspec: local files, memory, S3, GCS, SFTP and the rest."""

from __future__ import annotations

from tuitrack_fsspec.store import FsspecArtifactStore

__all__ = ["FsspecArtifactStore"]
