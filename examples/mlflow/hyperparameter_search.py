"""A small grid search: a parent run, one nested run per setting, the best one picked with
search_runs (a pandas DataFrame) and recorded on the parent.

Plain MLflow code; see quickstart.py for how to run it on tuitrack.
"""

import mlflow
import numpy as np


def make_data(seed=0, n=256):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 3))
    y = x @ np.array([1.5, -2.0, 0.5]) + 0.3 + rng.normal(0.0, 0.05, size=n)
    return x, y


def train(x, y, lr, epochs):
    weights, bias = np.zeros(x.shape[1]), 0.0
    for epoch in range(epochs):
        error = x @ weights + bias - y
        weights -= lr * 2.0 * x.T @ error / len(y)
        bias -= lr * 2.0 * float(error.mean())
        mlflow.log_metric("train_loss", float((error**2).mean()), step=epoch)
    return float(((x @ weights + bias - y) ** 2).mean())


def main():
    mlflow.set_experiment("grid-search")
    x, y = make_data()
    with mlflow.start_run(run_name="grid") as parent:
        mlflow.set_tags({"search": "grid", "model": "linear"})
        for lr in (0.01, 0.05, 0.2):
            for epochs in (20, 40):
                with mlflow.start_run(run_name=f"lr{lr}-e{epochs}", nested=True):
                    mlflow.log_params({"lr": lr, "epochs": epochs})
                    mlflow.log_metric("val_loss", train(x, y, lr, epochs))

        children = mlflow.search_runs(
            filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
            order_by=["metrics.val_loss ASC"],
        )
        best = children.iloc[0]
        mlflow.log_params({"best_lr": best["params.lr"], "best_epochs": best["params.epochs"]})
        mlflow.log_metric("best_val_loss", best["metrics.val_loss"])
        print(len(children), "trials; best:", best["tags.mlflow.runName"])


if __name__ == "__main__":
    main()
