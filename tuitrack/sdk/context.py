"""What the SDK records about the process that runs: system tags and installed packages."""

from __future__ import annotations

import getpass
import os
import shlex
import socket
import sys
import urllib.parse
from pathlib import Path

from tuitrack.core.orphans import PROCESS_START_TAG
from tuitrack.core.processes import own_start_ms

# What MLflow records too is kept under MLflow's tag names, so MLflow's client, UI and
# filters (`tags.mlflow.user = 'ana'`) see it; what MLflow has no name for is tuitrack.*.
USER_TAG = "mlflow.user"
SOURCE_NAME_TAG = "mlflow.source.name"
SOURCE_TYPE_TAG = "mlflow.source.type"
GIT_COMMIT_TAG = "mlflow.source.git.commit"
GIT_BRANCH_TAG = "mlflow.source.git.branch"
GIT_REPO_URL_TAG = "mlflow.source.git.repoURL"
HOST_TAG = "tuitrack.host"
PID_TAG = "tuitrack.pid"
COMMAND_TAG = "tuitrack.source.command"
PYTHON_VERSION_TAG = "tuitrack.python.version"
GIT_DIRTY_TAG = "tuitrack.git.dirty"
GIT_REPO_TAG = "tuitrack.git.repo"
DESCRIPTION_TAG = "mlflow.note.content"  # MLflow's tag for a run's description
REQUIREMENTS_ARTIFACT = "environment/requirements.txt"

_GIT_TIMEOUT_SECONDS = 3.0
_MAX_TAG_VALUE = 8000


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry and no USER variable, e.g. some containers
        return None


def source_path() -> str | None:
    """The script being run (absolute), or None for `python -c`, a REPL or a notebook."""
    main = sys.modules.get("__main__")
    candidate = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv else None)
    if candidate and os.path.isfile(candidate):
        return os.path.abspath(candidate)
    return None


def source_directory() -> str:
    path = source_path()
    return os.path.dirname(path) if path else os.getcwd()


def liveness_tags() -> dict[str, str]:
    """Host, pid and process start time: what orphan detection judges a run's process by.

    Written when a run starts and again when another process resumes it."""
    tags = {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}
    started = own_start_ms()
    if started is not None:
        tags[PROCESS_START_TAG] = str(started)
    return tags


def process_tags() -> dict[str, str]:
    """Tags that cost no subprocess: who, where, what and with which Python."""
    argv = getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv]
    tags = {
        **liveness_tags(),
        COMMAND_TAG: shlex.join(argv)[:_MAX_TAG_VALUE],
        PYTHON_VERSION_TAG: "{}.{}.{}".format(*sys.version_info[:3]),
        SOURCE_TYPE_TAG: "LOCAL",  # MLflow's value for a script run on this machine
    }
    user = _user()
    if user:
        tags[USER_TAG] = user
    tags[SOURCE_NAME_TAG] = source_name()[:_MAX_TAG_VALUE]
    return tags


def source_name() -> str:
    """What ran, as the `mlflow.source.name` tag says it: the script's absolute path, else
    what `sys.argv[0]` holds (`-c`), else `<console>`, as MLflow names a REPL."""
    return source_path() or (sys.argv[0] if sys.argv and sys.argv[0] else "<console>")


def find_git_root(directory: str) -> Path | None:
    """The working tree holding `directory`, found by looking for `.git` (no subprocess)."""
    current = Path(directory).resolve()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _git(directory: str, *args: str) -> str | None:
    import subprocess

    environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", "-C", directory, *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_SECONDS,
            env=environment,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git binary, or it hangs
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def without_credentials(url: str) -> str:
    """A remote's URL without the user and password (or token) an HTTPS URL may carry."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=host))


def git_tags(directory: str) -> dict[str, str]:
    """Commit, branch, first remote's URL, dirty flag and repository name; {} outside a
    repository or without git."""
    top = _git(directory, "rev-parse", "--show-toplevel")
    if not top:
        return {}
    tags = {GIT_REPO_TAG: os.path.basename(top)}
    commit = _git(directory, "rev-parse", "--verify", "-q", "HEAD")
    if commit:
        tags[GIT_COMMIT_TAG] = commit
    branch = _git(directory, "symbolic-ref", "--short", "-q", "HEAD")
    if branch:
        tags[GIT_BRANCH_TAG] = branch
    remotes = (_git(directory, "remote") or "").split()
    url = _git(directory, "remote", "get-url", remotes[0]) if remotes else None
    if url:
        tags[GIT_REPO_URL_TAG] = without_credentials(url)
    status = _git(directory, "status", "--porcelain", "--untracked-files=no")
    if status is not None:
        tags[GIT_DIRTY_TAG] = "true" if status else "false"
    return tags


def default_experiment_name() -> tuple[str, str]:
    """An experiment name for a script that chose none: its git repository's, else the
    working directory's; and why that one."""
    directory = source_directory()
    root = find_git_root(directory)
    if root is not None and root.name:
        return root.name, "the name of the git repository"
    name = os.path.basename(os.path.abspath(os.getcwd())) or "default"
    return name, "the name of the working directory"


def _distribution_from_folder(folder: str, name: str) -> tuple[str, str] | None:
    """(name, version) from a `*.dist-info` / `*.egg-info` folder name, cheaply."""
    stem, _, kind = name.rpartition(".")
    if kind == "dist-info":
        project, _, version = stem.partition("-")
        return (project, version) if version else None
    if kind == "egg-info":
        parts = stem.split("-")
        if len(parts) >= 2:
            return parts[0], parts[1]
        from importlib.metadata import PathDistribution

        version = PathDistribution(Path(folder, name)).version
        return (parts[0], version) if version else None
    return None


def requirements_text() -> str:
    """Installed distributions as `name==version` lines, the first on sys.path winning.

    Reads folder names instead of parsing every METADATA file: the same answer as
    importlib.metadata for installed packages, in a fraction of the time.
    """
    found: dict[str, str] = {}
    for entry in sys.path:
        folder = entry or os.getcwd()
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            try:
                parsed = _distribution_from_folder(folder, name)
            except Exception:  # one unreadable distribution must not hide the rest
                parsed = None
            if parsed is None:
                continue
            project, version = parsed
            normalized = project.replace("_", "-").replace(".", "-").lower()
            found.setdefault(normalized, f"{normalized}=={version}")
    return "".join(f"{line}\n" for _, line in sorted(found.items()))
