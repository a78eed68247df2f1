"""The files of a local folder that `log_artifacts` uploads, and its rule for symbolic links.

A link whose target lies inside the folder is uploaded as the file or folder it points to.
A link that points outside the folder, to nothing, or back to a folder that contains it (a
loop) is refused, so that logging a folder never uploads anything from outside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from tuitrack.errors import InvalidValueError

_NAMED_REFUSALS = 20


@dataclass(frozen=True)
class LocalFile:
    """One regular file to upload."""

    path: str  # the file as reached from the folder (possibly through links inside it)
    real_path: str  # where its bytes are: every link resolved
    relative: str  # '/'-separated path below the folder


def files_to_upload(local_dir: str) -> list[LocalFile]:
    """Every regular file below `local_dir`, sorted by path.

    Raises InvalidValueError naming each refused entry (a link outside the folder, a link to
    nothing, a link loop, a socket, pipe or device) before anything is uploaded, and when a
    directory cannot be read.
    """
    walk = _Walk(os.path.realpath(local_dir))
    walk.visit(local_dir, "", walk.root, frozenset({walk.root}))
    if walk.refused:
        named = "; ".join(walk.refused[:_NAMED_REFUSALS])
        more = len(walk.refused) - _NAMED_REFUSALS
        raise InvalidValueError(
            f"log_artifacts refuses {len(walk.refused)} entr"
            f"{'y' if len(walk.refused) == 1 else 'ies'} of {local_dir!r} and uploaded nothing: "
            f"{named}{f'; and {more} more' if more > 0 else ''}. A symbolic link is uploaded "
            "only when it points to a file or folder inside the logged folder; copy what it "
            "points to into the folder, or log that file with log_artifact."
        )
    return walk.found


class _Walk:
    def __init__(self, root: str) -> None:
        self.root = root
        self.found: list[LocalFile] = []
        self.refused: list[str] = []

    def _inside(self, real: str) -> bool:
        return os.path.commonpath([self.root, real]) == self.root

    def visit(
        self, folder: str, relative: str, real_folder: str, ancestors: frozenset[str]
    ) -> None:
        """Collect the files below `folder`; `ancestors` are the real folders on the way here."""
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            raise InvalidValueError(
                f"cannot read local directory {folder!r}: {error.strerror or error}"
            ) from error
        for entry in entries:
            child = f"{relative}/{entry.name}" if relative else entry.name
            if entry.is_symlink():
                link = f"{child} -> {os.readlink(entry.path)}"
                real = os.path.realpath(entry.path)
                if not self._inside(real):
                    self.refused.append(f"{link} (outside the folder)")
                    continue
                if not os.path.exists(real):
                    self.refused.append(f"{link} (points to nothing)")
                    continue
                if real in ancestors:
                    self.refused.append(f"{link} (a loop: it points to a folder that holds it)")
                    continue
            else:
                real = os.path.join(real_folder, entry.name)
            if os.path.isdir(real):
                self.visit(entry.path, child, real, ancestors | {real})
            elif os.path.isfile(real):
                self.found.append(LocalFile(entry.path, real, child))
            else:
                self.refused.append(f"{child} (not a regular file: a socket, pipe or device)")
