"""MLflow's environment variables, default experiment, system tags and run names under
tuitrack (issue 16, items 3 and 4), each in a fresh process as a user's script meets them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sdk.processes import SdkSandbox

# A run whose id, experiment, name and tags the script prints as JSON.
REPORT_RUN = """
import json
print(json.dumps({"run_id": run.info.run_id, "experiment_id": run.info.experiment_id,
                  "run_name": run.info.run_name, "tags": run.data.tags}))
"""
START_AND_REPORT = (
    "import tuitrack\n"
    "with tuitrack.start_run() as active:\n    run = tuitrack.get_run(active.info.run_id)\n"
    + REPORT_RUN
)
SWAP_START_AND_REPORT = (
    "import sys, tuitrack\nsys.modules['mlflow'] = tuitrack\nimport mlflow\n"
    "with mlflow.start_run() as active:\n    run = mlflow.get_run(active.info.run_id)\n"
    + REPORT_RUN
)
GENERATED_NAME = re.compile(r"^[a-z]+-[a-z]+-\d{1,3}$")


def _report(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _without_tuitrack_variables(sandbox: SdkSandbox) -> dict[str, str]:
    """The sandbox's environment less TUITRACK_EXPERIMENT_NAME and TUITRACK_TRACKING_URI."""
    return {
        key: value
        for key, value in sandbox.env.items()
        if key not in ("TUITRACK_EXPERIMENT_NAME", "TUITRACK_TRACKING_URI")
    }


def _run(sandbox: SdkSandbox, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=sandbox.root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_mlflow_tracking_uri_is_used_when_tuitrack_names_none(sandbox: SdkSandbox) -> None:
    env = {**_without_tuitrack_variables(sandbox), "MLFLOW_TRACKING_URI": sandbox.tracking_uri}
    report = _report(_run(sandbox, START_AND_REPORT, env))
    assert sandbox.get_run(str(report["run_id"])).info.run_id == report["run_id"]


def test_tuitrack_tracking_uri_wins_over_mlflows(sandbox: SdkSandbox, tmp_path: Path) -> None:
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    report = _report(sandbox.run(START_AND_REPORT, MLFLOW_TRACKING_URI=elsewhere))
    assert sandbox.get_run(str(report["run_id"])).info.run_id == report["run_id"]
    assert not (tmp_path / "elsewhere.db").exists()


def test_mlflow_experiment_name_creates_and_then_reuses_the_experiment(
    sandbox: SdkSandbox,
) -> None:
    env = {**_without_tuitrack_variables(sandbox), "MLFLOW_EXPERIMENT_NAME": "from-mlflow-env"}
    env["TUITRACK_TRACKING_URI"] = sandbox.tracking_uri
    first = _report(_run(sandbox, START_AND_REPORT, env))
    second = _report(_run(sandbox, START_AND_REPORT, env))
    experiment = sandbox.client.get_experiment_by_name("from-mlflow-env")
    assert experiment is not None
    assert first["experiment_id"] == second["experiment_id"] == experiment.experiment_id


def test_tuitrack_experiment_name_wins_over_mlflows(sandbox: SdkSandbox) -> None:
    report = _report(sandbox.run(START_AND_REPORT, MLFLOW_EXPERIMENT_NAME="ignored"))
    chosen = sandbox.client.get_experiment_by_name("sdk-tests")
    assert chosen is not None
    assert report["experiment_id"] == chosen.experiment_id
    assert sandbox.client.get_experiment_by_name("ignored") is None


def test_mlflow_experiment_id_must_match_mlflow_experiment_name(sandbox: SdkSandbox) -> None:
    known = sandbox.client.create_experiment("named-one")
    env = {
        **_without_tuitrack_variables(sandbox),
        "TUITRACK_TRACKING_URI": sandbox.tracking_uri,
        "MLFLOW_EXPERIMENT_NAME": "named-one",
        "MLFLOW_EXPERIMENT_ID": known + "999",
    }
    done = _run(sandbox, START_AND_REPORT, env)
    assert done.returncode != 0
    assert f"MLFLOW_EXPERIMENT_ID='{known}999'" in done.stderr
    assert f"experiment 'named-one' (MLFLOW_EXPERIMENT_NAME), whose id is {known}" in done.stderr


def test_mlflow_experiment_id_picks_the_experiment_and_names_a_missing_one(
    sandbox: SdkSandbox,
) -> None:
    known = sandbox.client.create_experiment("by-id")
    env = {**_without_tuitrack_variables(sandbox), "TUITRACK_TRACKING_URI": sandbox.tracking_uri}
    report = _report(_run(sandbox, START_AND_REPORT, {**env, "MLFLOW_EXPERIMENT_ID": known}))
    assert report["experiment_id"] == known
    missing = _run(sandbox, START_AND_REPORT, {**env, "MLFLOW_EXPERIMENT_ID": "424242"})
    assert missing.returncode != 0
    assert "MLFLOW_EXPERIMENT_ID='424242' names no experiment" in missing.stderr


def test_mlflow_run_id_resumes_that_run_for_the_first_start_run_only(
    sandbox: SdkSandbox,
) -> None:
    first = _report(sandbox.run(START_AND_REPORT))
    resumed = sandbox.run(
        """
        import tuitrack
        with tuitrack.start_run() as one:
            tuitrack.log_param("resumed", "yes")
        with tuitrack.start_run() as two:
            pass
        print(one.info.run_id, two.info.run_id)
        """,
        MLFLOW_RUN_ID=str(first["run_id"]),
    )
    assert resumed.returncode == 0, resumed.stderr
    one, two = resumed.stdout.split()
    assert one == first["run_id"]
    assert two != one
    assert sandbox.get_run(one).data.params == {"resumed": "yes"}


def test_start_run_takes_experiment_id_as_an_integer(sandbox: SdkSandbox) -> None:
    known = sandbox.client.create_experiment("numbered")
    done = sandbox.run(
        f"""
        import tuitrack
        with tuitrack.start_run(experiment_id={int(known)}) as run:
            print(run.info.experiment_id)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == known


def test_code_that_imports_tuitrack_as_mlflow_logs_to_the_default_experiment(
    sandbox: SdkSandbox,
) -> None:
    env = {**_without_tuitrack_variables(sandbox), "TUITRACK_TRACKING_URI": sandbox.tracking_uri}
    done = _run(sandbox, SWAP_START_AND_REPORT, env)
    report = _report(done)
    default = sandbox.client.get_experiment(str(report["experiment_id"]))
    assert (default.experiment_id, default.name) == ("0", "Default")
    assert "logging to experiment" not in done.stderr  # MLflow's default is silent


def test_code_that_imports_tuitrack_gets_an_experiment_named_after_its_folder(
    sandbox: SdkSandbox,
) -> None:
    env = {**_without_tuitrack_variables(sandbox), "TUITRACK_TRACKING_URI": sandbox.tracking_uri}
    done = _run(sandbox, START_AND_REPORT, env)
    experiment = sandbox.client.get_experiment(str(_report(done)["experiment_id"]))
    assert experiment.name == sandbox.root.name
    assert f"logging to experiment {sandbox.root.name!r}" in done.stderr


def test_a_run_started_without_a_name_gets_an_adjective_noun_number_name(
    sandbox: SdkSandbox,
) -> None:
    report = _report(sandbox.run(START_AND_REPORT))
    tags = report["tags"]
    assert isinstance(tags, dict)
    assert GENERATED_NAME.match(str(report["run_name"])), report["run_name"]
    assert tags["mlflow.runName"] == report["run_name"]


def test_the_same_mlflow_system_tags_as_mlflow_writes(sandbox: SdkSandbox, tmp_path: Path) -> None:
    """One script, run by real MLflow and by tuitrack under the swap: the same mlflow.* tag
    keys, and the same values where they do not depend on the process."""
    pytest.importorskip("mlflow")
    repo = tmp_path / "project"
    repo.mkdir()
    script = repo / "train.py"
    body = (
        "import json, sys\n{swap}import mlflow\n"
        "mlflow.set_tracking_uri(sys.argv[1])\n"
        "with mlflow.start_run() as active:\n"
        "    with mlflow.start_run(nested=True, description='the child') as child:\n"
        "        pass\n"
        "run = mlflow.get_run(child.info.run_id)\n"
        "print(json.dumps({'parent': active.info.run_id, 'tags': run.data.tags}))\n"
    )
    git = shutil.which("git")
    if git is not None:
        for command in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "x"]):
            script.write_text(body.replace("{swap}", ""))
            subprocess.run([git, "-C", str(repo), *command], check=True, env=_git_env())
    env = _without_tuitrack_variables(sandbox)
    answers = {}
    for kind, swap, uri in (
        ("mlflow", "", f"sqlite:///{tmp_path / 'mlflow.db'}"),
        ("tuitrack", "import tuitrack; sys.modules['mlflow'] = tuitrack\n", sandbox.tracking_uri),
    ):
        script.write_text(body.replace("{swap}", swap))
        done = subprocess.run(
            [sys.executable, str(script), uri],
            env=env,
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        answers[kind] = _report(done)
    mlflow_tags, our_tags = (answers[kind]["tags"] for kind in ("mlflow", "tuitrack"))
    assert isinstance(mlflow_tags, dict)
    assert isinstance(our_tags, dict)
    mlflow_keys = {key for key in mlflow_tags if key.startswith("mlflow.")}
    assert mlflow_keys <= set(our_tags), mlflow_keys - set(our_tags)
    for key in ("mlflow.user", "mlflow.source.type", "mlflow.note.content"):
        assert our_tags[key] == mlflow_tags[key]
    assert our_tags["mlflow.parentRunId"] == answers["tuitrack"]["parent"]
    assert GENERATED_NAME.match(our_tags["mlflow.runName"])
    if git is not None:
        assert our_tags["mlflow.source.git.commit"] == mlflow_tags["mlflow.source.git.commit"]


def _git_env() -> dict[str, str]:
    import os

    return {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }


def test_mlflow_client_without_a_uri_uses_the_module_level_store(sandbox: SdkSandbox) -> None:
    done = sandbox.run(
        f"""
        import tuitrack
        tuitrack.set_tracking_uri({sandbox.tracking_uri!r})
        with tuitrack.start_run() as run:
            pass
        client = tuitrack.MlflowClient()
        print(client.tracking_uri == {sandbox.tracking_uri!r}, client.get_run(run.info.run_id).info.run_id == run.info.run_id)
        """,  # noqa: E501
        TUITRACK_TRACKING_URI="",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
