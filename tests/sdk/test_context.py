"""System tags, git details, the environment artifact and the default experiment."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sdk.processes import SdkSandbox

START_AND_PRINT = """
import tuitrack
with tuitrack.start_run() as run:
    pass
print(run.info.run_id)
"""


def _git(directory: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(directory), *args],
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
            "PATH": "/usr/bin:/bin:/usr/local/bin",
        },
    )


def _script_in(directory: Path, name: str = "train.py") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / name
    script.write_text(START_AND_PRINT)
    return script


def test_system_tags_describe_the_process(sandbox: SdkSandbox) -> None:
    script = _script_in(sandbox.root / "project")
    done = sandbox.run_file(script)
    assert done.returncode == 0, done.stderr
    tags = sandbox.get_run(done.stdout.strip()).data.tags
    assert tags["mlflow.source.name"] == str(script)
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.user"]
    assert str(script) in tags["tuitrack.source.command"]
    assert tags["tuitrack.pid"].isdigit()
    assert tags["tuitrack.host"]
    assert tags["tuitrack.python.version"].count(".") == 2
    assert not any(key.startswith(("tuitrack.git.", "mlflow.source.git.")) for key in tags)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_commit_branch_and_dirty_flag_are_tagged(sandbox: SdkSandbox) -> None:
    repo = sandbox.root / "vision-repo"
    script = _script_in(repo)
    _git(repo, "init", "-q", "-b", "feature")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "init")
    _git(repo, "remote", "add", "origin", "https://ana:s3cret@git.example.com/team/vision.git")
    done = sandbox.run_file(script)
    assert done.returncode == 0, done.stderr
    tags = sandbox.get_run(done.stdout.strip()).data.tags
    assert len(tags["mlflow.source.git.commit"]) == 40
    assert tags["mlflow.source.git.branch"] == "feature"
    assert tags["mlflow.source.git.repoURL"] == "https://git.example.com/team/vision.git"
    assert tags["tuitrack.git.dirty"] == "false"
    assert tags["tuitrack.git.repo"] == "vision-repo"
    script.write_text(START_AND_PRINT + "\n# edited\n")
    dirty = sandbox.run_file(script)
    assert sandbox.get_run(dirty.stdout.strip()).data.tags["tuitrack.git.dirty"] == "true"


def test_without_an_experiment_name_the_git_repository_names_it(sandbox: SdkSandbox) -> None:
    repo = sandbox.root / "speech-models"
    (repo / ".git").mkdir(parents=True)
    script = _script_in(repo / "src")
    env = {k: v for k, v in sandbox.env.items() if k != "TUITRACK_EXPERIMENT_NAME"}
    done = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        cwd=sandbox.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run = sandbox.get_run(done.stdout.strip())
    assert sandbox.client.get_experiment(run.info.experiment_id).name == "speech-models"
    assert done.stderr.count("logging to experiment 'speech-models'") == 1
    assert "git repository" in done.stderr


def test_without_git_the_working_directory_names_the_experiment(sandbox: SdkSandbox) -> None:
    work = sandbox.root / "scratch-dir"
    work.mkdir()
    env = {k: v for k, v in sandbox.env.items() if k != "TUITRACK_EXPERIMENT_NAME"}
    done = subprocess.run(
        [sys.executable, "-c", START_AND_PRINT],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run = sandbox.get_run(done.stdout.strip())
    assert sandbox.client.get_experiment(run.info.experiment_id).name == "scratch-dir"
    assert "working directory" in done.stderr


def test_the_environment_variable_names_the_experiment(sandbox: SdkSandbox) -> None:
    done = sandbox.run(START_AND_PRINT, TUITRACK_EXPERIMENT_NAME="from-env")
    run = sandbox.get_run(done.stdout.strip())
    assert sandbox.client.get_experiment(run.info.experiment_id).name == "from-env"


def test_installed_packages_are_saved_as_an_artifact(sandbox: SdkSandbox) -> None:
    done = sandbox.run(START_AND_PRINT, TUITRACK_CAPTURE_ENV="1")
    assert done.returncode == 0, done.stderr
    store = sandbox.client.artifact_store(done.stdout.strip())
    lines = store.read_bytes("environment/requirements.txt").decode().splitlines()
    names = {line.split("==")[0] for line in lines}
    assert {"pydantic", "sqlalchemy", "tuitrack"} <= names
    assert all("==" in line for line in lines)


def test_environment_capture_can_be_turned_off(sandbox: SdkSandbox) -> None:
    by_env = sandbox.run(START_AND_PRINT, TUITRACK_CAPTURE_ENV="0")
    by_argument = sandbox.run(
        START_AND_PRINT.replace("start_run()", "start_run(capture_environment=False)"),
        TUITRACK_CAPTURE_ENV="1",
    )
    for done in (by_env, by_argument):
        assert done.returncode == 0, done.stderr
        assert sandbox.client.list_artifacts(done.stdout.strip()) == []
