"""A typical MLflow tracking script; only the import line differs from MLflow.

    python examples/mlflow_style.py

Trains a tiny linear model by gradient descent (no ML library needed) in a small
learning-rate sweep: one parent run, one nested run per learning rate.
"""

import json
import os
import random
import tempfile

import tuitrack as mlflow


def make_data(n=200, seed=0):
    rng = random.Random(seed)
    xs = [rng.uniform(-1, 1) for _ in range(n)]
    ys = [3.0 * x + 0.5 + rng.gauss(0, 0.1) for x in xs]
    return xs, ys


def train(xs, ys, lr, epochs):
    w, b = 0.0, 0.0
    for epoch in range(epochs):
        grad_w = grad_b = loss = 0.0
        for x, y in zip(xs, ys, strict=True):
            error = w * x + b - y
            loss += error * error / len(xs)
            grad_w += 2 * error * x / len(xs)
            grad_b += 2 * error / len(xs)
        w -= lr * grad_w
        b -= lr * grad_b
        mlflow.log_metric("loss", loss, step=epoch)
        mlflow.log_metrics({"w": w, "b": b}, step=epoch)
    return w, b, loss


def main():
    mlflow.set_experiment("linear-regression")
    xs, ys = make_data()
    with mlflow.start_run(run_name="lr-sweep") as parent:
        mlflow.set_tag("sweep", "learning-rate")
        mlflow.log_param("n_samples", len(xs))
        best = None
        for lr in (0.01, 0.1, 0.5):
            with mlflow.start_run(run_name=f"lr={lr}", nested=True):
                mlflow.log_params({"lr": lr, "epochs": 50})
                w, b, loss = train(xs, ys, lr, epochs=50)
                mlflow.log_metric("final_loss", loss)
                mlflow.log_dict({"w": w, "b": b}, "model/weights.json")
                if best is None or loss < best[0]:
                    best = (loss, lr)
        mlflow.log_metric("best_loss", best[0])
        mlflow.log_param("best_lr", best[1])
        with tempfile.TemporaryDirectory() as tmp:
            report = os.path.join(tmp, "report.json")
            with open(report, "w") as handle:
                json.dump({"best_lr": best[1], "best_loss": best[0]}, handle)
            mlflow.log_artifact(report)
        mlflow.log_text("trained with plain Python\n", "notes.txt")
        print("parent run:", parent.info.run_id)

    runs = mlflow.search_runs(experiment_names=["linear-regression"], output_format="list")
    print("runs in the experiment:", len(runs))
    last = mlflow.last_active_run()
    print("last run status:", last.info.status)


if __name__ == "__main__":
    main()
