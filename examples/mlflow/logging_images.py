"""Images and figures as artifacts: a numpy array, a PIL image, a matplotlib figure, and an
image per step under a key (shown as a slider in MLflow's UI).

Plain MLflow code; see quickstart.py for how to run it on tuitrack.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mlflow
import numpy as np
from PIL import Image


def gradient(size, phase):
    row = np.linspace(0.0, 1.0, size)
    return np.outer(row, np.roll(row, phase))


def main():
    mlflow.set_experiment("images")
    with mlflow.start_run(run_name="pictures"):
        mlflow.log_image((gradient(32, 0) * 255).astype(np.uint8), "arrays/gray.png")
        rgb = np.stack([gradient(32, shift) for shift in (0, 8, 16)], axis=-1)
        mlflow.log_image(rgb, "arrays/rgb.png")
        mlflow.log_image(Image.new("RGB", (16, 16), color=(200, 30, 30)), "pil/red.png")

        figure, axes = plt.subplots()
        axes.plot([0, 1, 2, 3], [3, 1, 2, 0])
        mlflow.log_figure(figure, "figures/curve.png")
        plt.close(figure)

        for step in range(3):
            mlflow.log_image(gradient(16, step * 4), key="samples", step=step)
        print(
            "artifacts:",
            sorted(
                f.path
                for f in mlflow.MlflowClient().list_artifacts(mlflow.active_run().info.run_id)
            ),
        )


if __name__ == "__main__":
    main()
