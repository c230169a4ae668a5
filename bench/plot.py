"""A PNG of per-turn latency distributions, Ally Coach against the hello world.

For reviewers: one panel per store (embedded, DynamoDB on moto), each skill's per-turn
handler times as a histogram on a log scale with its median marked. Needs matplotlib
(the dev extra); without it the bench says so and writes no plot.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path

PANELS = (
    ("embedded store (SQLite)", "ally_coach", "hello_world"),
    ("DynamoDB (moto), adapter baseline", "ally_coach_dynamodb", "hello_world_dynamodb"),
)
COLOURS = {"Ally Coach": "#1f77b4", "hello world": "#ff7f0e"}


def latency_plot(samples: Mapping[str, Sequence[float]], out: Path, title: str) -> Path | None:
    """Write the plot to ``out``; None when matplotlib is missing or there is nothing."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display on a build machine
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError:
        return None
    panels = [p for p in PANELS if samples.get(p[1]) and samples.get(p[2])]
    if not panels:
        return None
    figure, axes = plt.subplots(len(panels), 1, figsize=(9, 3.6 * len(panels)), squeeze=False)
    for axis, (name, ours_key, base_key) in zip(axes[:, 0], panels, strict=True):
        series = {
            "Ally Coach": [s * 1e3 for s in samples[ours_key]],
            "hello world": [s * 1e3 for s in samples[base_key]],
        }
        low = min(min(v) for v in series.values())
        high = max(max(v) for v in series.values())
        bins = np.geomspace(max(low, 1e-3), max(high, low * 1.01), 60)
        for label, values in series.items():
            median = statistics.median(values)
            axis.hist(
                values,
                bins=bins,
                alpha=0.55,
                color=COLOURS[label],
                label=f"{label}: median {median:.3g} ms, n={len(values)}",
            )
            axis.axvline(median, color=COLOURS[label], linestyle="--", linewidth=1)
        axis.set_xscale("log")
        axis.set_xlabel("handler time per turn (ms, log scale)")
        axis.set_ylabel("turns")
        axis.set_title(name)
        axis.legend()
    figure.suptitle(title)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out
