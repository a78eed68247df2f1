"""Folders that nobody here can write to, root included, for read-only store tests.

Permission bits do not stop root, so as root a folder is made immutable (`chattr +i`: no
file can be created, renamed or removed in it, whoever asks), otherwise its write bits are
removed. Where neither works (a filesystem without the attribute, no CAP_LINUX_IMMUTABLE)
the test is skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _chattr(flag: str, path: Path) -> str | None:
    """Run `chattr flag path`; the error it printed, or None when it worked."""
    if shutil.which("chattr") is None:
        return "chattr is not installed"
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True, text=True, check=False)
    return None if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


@contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """While inside, `folder` takes no new files and its files cannot be written."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in [folder, *folder.iterdir()]}
        for path, mode in modes.items():
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    problem = _chattr("+i", folder)
    if problem is not None:
        pytest.skip(f"cannot make {folder} read-only for root here (chattr +i: {problem})")
    try:
        assert not os.access(folder, os.W_OK), "chattr +i did not stop writes"
        yield
    finally:
        _chattr("-i", folder)
