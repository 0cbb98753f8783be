"""Language experiment: the four architectures on the synthetic keyword-sentiment task, with per-position curves.

The label depends only on keyword counts, not on where the keywords sit, so an even per-position
curve is the ideal. The summary adds a recency ratio per architecture: mean flip rate over the
last quarter of positions divided by that over the first quarter. A ratio of 1 means even
sensitivity, and a large ratio means recent tokens dominate, which Vasudeva et al. report for LSTMs.
"""

from __future__ import annotations

from typing import Any

import ml_collections
import numpy as np

from jaxlab import engine
from jaxlab.config import require_in_range, require_positive
from jaxlab.data.sequences import make_keyword_sentiment
from jaxlab.sensitivity.experiments import common


def validate_config(config: ml_collections.ConfigDict) -> None:
    """Raise ConfigError naming the first invalid key."""
    common.validate_architectures(config)
    common.validate_model_and_sensitivity(config)
    require_positive(config, "data.num_samples", "data.num_keywords")
    require_in_range(config, "data.length", 4, 4096)
    require_in_range(config, "data.vocab_size", 2 * config.data.num_keywords + 1, 10**6)
    require_in_range(config, "data.max_keyword_count", 1, config.data.length)


def recency_ratio(curve: np.ndarray) -> float:
    """Return mean(last quarter of the curve) / mean(first quarter); inf when the first quarter is all zero."""
    quarter = max(len(curve) // 4, 1)
    first, last = float(np.mean(curve[:quarter])), float(np.mean(curve[-quarter:]))
    return last / first if first > 0 else float("inf")


def run_experiment(config: ml_collections.ConfigDict, workdir: str) -> dict[str, Any]:
    """Train every architecture on keyword sentiment; write accuracy, sensitivity, curves and recency ratios."""
    validate_config(config)
    run = engine.RunFolder.open(workdir, config)

    data = config.data
    dataset = make_keyword_sentiment(
        num_samples=data.num_samples, length=data.length, vocab_size=data.vocab_size,
        num_keywords=data.num_keywords, max_keyword_count=data.max_keyword_count, seed=config.seed,
    )
    results = common.compare_architectures(dataset, "keywords", config, run)
    sigma = config.sensitivity.sigma
    run.save_figure(common.plot_position_curves(results, "keyword sentiment: per-position sensitivity", sigma), "keywords_positions")
    run.save_figure(common.plot_bars(results, "keyword sentiment: accuracy and sensitivity"), "keywords_bars")

    summary = common.summarize(results)
    summary["recency_ratio"] = {a: recency_ratio(np.asarray(r["per_position"])) for a, r in results.items()}
    summary["per_position"] = {a: r["per_position"] for a, r in results.items()}
    summary["sigma"] = sigma
    summary = run.write_summary(summary)
    run.close()
    print(f"language: summary in {run.summary_path}, figures in {run.figures_dir}")
    return summary
