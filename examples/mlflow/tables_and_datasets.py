"""What a run was trained on and what it predicted: a dataset input from pandas, a table
of predictions, a dictionary artifact, experiment tags and a run description.

Plain MLflow code; see quickstart.py for how to run it on tuitrack.
"""

import mlflow
import numpy as np
import pandas as pd


def main():
    experiment = mlflow.set_experiment("tables-and-datasets")
    mlflow.set_experiment_tag("owner", "forecasting")
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"temperature": rng.normal(20, 5, 50), "sales": rng.integers(0, 100, 50)})
    dataset = mlflow.data.from_pandas(frame, source="shop/sales.csv", name="sales", targets="sales")

    with mlflow.start_run(run_name="forecast", description="a first look at sales") as run:
        mlflow.log_input(dataset, context="training")
        mlflow.log_param("rows", len(frame))
        slope = float(np.polyfit(frame["temperature"], frame["sales"], 1)[0])
        mlflow.log_metric("slope", slope)
        predictions = {"temperature": [10.0, 20.0, 30.0], "predicted": [1.0, 2.0, 3.0]}
        mlflow.log_table(predictions, artifact_file="predictions.json")
        mlflow.log_dict({"slope": slope}, "model/coefficients.json")

    logged = mlflow.get_run(run.info.run_id)
    print("inputs:", [i.dataset.name for i in logged.inputs.dataset_inputs])
    print("experiment:", experiment.name, mlflow.get_experiment(experiment.experiment_id).tags)


if __name__ == "__main__":
    main()
