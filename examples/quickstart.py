"""Train a tiny linear model in pure Python and record the run in ``./trackstone-data``.

Run it with ``python examples/quickstart.py`` (``make run`` does). It logs params, a few hundred
metric points, a text and a dict artifact, then prints the run id and where the data is.
"""

from __future__ import annotations

import random

import trackstone

EXPERIMENT = "quickstart"


def make_data(count: int, seed: int) -> list[tuple[float, float]]:
    """Points on the line y = 3x + 2, with a little noise."""
    rng = random.Random(seed)
    points = []
    for _ in range(count):
        x = rng.uniform(-1.0, 1.0)
        points.append((x, 3.0 * x + 2.0 + rng.gauss(0.0, 0.1)))
    return points


def main() -> None:
    params = {"learning_rate": 0.1, "epochs": 300, "samples": 64, "seed": 7}
    data = make_data(params["samples"], params["seed"])
    trackstone.set_experiment(EXPERIMENT)
    with trackstone.start_run(description="gradient descent on y = 3x + 2") as run:
        trackstone.log_params(params)
        weight, bias = 0.0, 0.0
        for epoch in range(params["epochs"]):
            grad_w = grad_b = loss = 0.0
            for x, y in data:
                error = weight * x + bias - y
                loss += error * error / len(data)
                grad_w += 2.0 * error * x / len(data)
                grad_b += 2.0 * error / len(data)
            weight -= params["learning_rate"] * grad_w
            bias -= params["learning_rate"] * grad_b
            trackstone.log_metrics({"loss": loss, "weight": weight, "bias": bias}, step=epoch)
        trackstone.set_tag("model", "linear")
        trackstone.log_text(
            f"y = {weight:.3f} x + {bias:.3f}\nfinal loss {loss:.5f}\n", "model.txt"
        )
        trackstone.log_dict({"weight": weight, "bias": bias, "params": params}, "model.json")
    print(f"run id:       {run.info.run_id}")
    print(f"experiment:   {EXPERIMENT}")
    print(f"tracking URI: {trackstone.get_tracking_uri()}")
    print(f"artifacts:    {run.info.artifact_uri}")


if __name__ == "__main__":
    main()
