"""MLflow's first steps: a parameter, a metric over steps and an artifact file.

Plain MLflow code. Run it with MLflow, or on tuitrack without changing a line:

    python examples/mlflow/run_on_tuitrack.py examples/mlflow/quickstart.py
"""

import os
import tempfile

import mlflow

if __name__ == "__main__":
    mlflow.set_experiment("quickstart")
    with mlflow.start_run(run_name="first-steps") as run:
        mlflow.log_param("param1", 5)
        mlflow.log_param("optimizer", "sgd")
        for step in range(10):
            mlflow.log_metric("foo", 1.0 / (step + 1), step=step)
        mlflow.log_metric("bar", 0.25)

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "test.txt")
            with open(path, "w") as handle:
                handle.write("hello world!")
            mlflow.log_artifacts(tmp, artifact_path="outputs")

        print("logged run", run.info.run_id, "to", mlflow.get_tracking_uri())
