"""Search over candidate frequency combinations, ranked by the significance of their M-PLV.

A candidate gives each input component a coefficient from a small set (zero allowed) and the output
component the weight -1. Only candidates whose predicted frequency Σ c_l f_l lies within `tolerance`
Hz of the output's frequency are tested. A combination whose phase sum turns at a different frequency
than the output cannot stay locked to it. Each candidate gets a surrogate test at the same lag, and
the list is ranked by p-value, then by z-score. A candidate is called significant when its p-value is
at most alpha / (number of candidates). This is the Bonferroni correction, which keeps the chance of
any false positive below alpha.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from fractions import Fraction

import jax
import numpy as np

from jaxlab.mplv.inputs import check_output_index, check_phases
from jaxlab.mplv.significance import surrogate_test
from jaxlab.mplv.weights import as_fraction, format_relation


@dataclasses.dataclass(frozen=True)
class RankedCombination:
    """One candidate combination with its test result. Rank 1 is the most significant."""

    rank: int
    weights: tuple[Fraction, ...]  # one per component; the output's is -1
    relation: str  # e.g. "φ1 + φ2 + φ3 - φ4"
    predicted_frequency: float  # Σ c_l f_l over the inputs, in Hz
    mean_psi: float
    time_averaged_threshold: float
    p_value: float
    z_score: float
    significant: bool


def candidate_combinations(
    frequencies: Sequence[float],
    *,
    output_index: int = -1,
    coefficients: Sequence[float | int | Fraction | str] = (-2, -1, 1, 2),
    tolerance: float = 1.0,
    max_inputs: int | None = None,
) -> list[tuple[Fraction, ...]]:
    """Return the weight vectors whose predicted frequency matches the output's within `tolerance` Hz.

    Each input gets 0 or one of `coefficients`; at most `max_inputs` inputs (default: all) are
    nonzero. The output component's weight is -1.
    """
    n_components = len(frequencies)
    output_index = check_output_index(output_index, n_components)
    choices = [Fraction(0)]
    for coefficient in coefficients:
        fraction = as_fraction(coefficient)
        if fraction is None or fraction == 0:
            raise ValueError(f"coefficients must be nonzero rational numbers, got {coefficient!r}")
        choices.append(fraction)
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 Hz, got {tolerance!r}")

    inputs = [index for index in range(n_components) if index != output_index]
    max_inputs = len(inputs) if max_inputs is None else max_inputs
    candidates = []
    for assignment in itertools.product(choices, repeat=len(inputs)):
        used = sum(1 for coefficient in assignment if coefficient != 0)
        if used == 0 or used > max_inputs:
            continue
        predicted = sum(float(c) * frequencies[i] for c, i in zip(assignment, inputs))
        if abs(predicted - frequencies[output_index]) > tolerance:
            continue
        weights = [Fraction(-1)] * n_components
        for coefficient, index in zip(assignment, inputs):
            weights[index] = coefficient
        candidates.append(tuple(weights))
    return candidates


def search_combinations(
    phases: np.ndarray | jax.Array,
    frequencies: Sequence[float],
    *,
    output_index: int = -1,
    coefficients: Sequence[float | int | Fraction | str] = (-2, -1, 1, 2),
    tolerance: float = 1.0,
    max_inputs: int | None = None,
    candidates: Sequence[Sequence[float | int | Fraction | str]] | None = None,
    lag: int = 0,
    n_surrogates: int = 1000,
    method: str = "time_shift",
    percentile: float = 95.0,
    alpha: float = 0.05,
    seed: int = 0,
    names: Sequence[str] | None = None,
    chunk_size: int = 128,
) -> list[RankedCombination]:
    """Test every candidate combination of the components and return them ranked by significance.

    `phases` has shape (trials, components, times) and `frequencies` gives each component's centre
    frequency in Hz. Candidates come from `candidate_combinations` unless given explicitly. Every
    candidate is tested at the same `lag` (samples), because choosing each candidate's best lag
    would bias its p-value downwards. Raises ValueError when n_surrogates is too small for any
    candidate to reach alpha / (number of candidates).
    """
    phases = check_phases(phases)
    if len(frequencies) != phases.shape[1]:
        raise ValueError(f"frequencies has {len(frequencies)} entries but phases has {phases.shape[1]} components")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if candidates is None:
        candidates = candidate_combinations(
            frequencies, output_index=output_index, coefficients=coefficients, tolerance=tolerance,
            max_inputs=max_inputs,
        )
    if not candidates:
        raise ValueError(
            f"no candidate combination predicts the output frequency {frequencies[output_index]:g} Hz within "
            f"{tolerance:g} Hz; widen tolerance or add coefficients"
        )
    corrected_alpha = alpha / len(candidates)
    if 1 / (n_surrogates + 1) > corrected_alpha:
        raise ValueError(
            f"n_surrogates={n_surrogates} is too small for {len(candidates)} candidates at alpha={alpha}: "
            f"the smallest p-value 1/(n+1) must be <= {corrected_alpha:.2g}, so use at least "
            f"{int(np.ceil(1 / corrected_alpha)) - 1} surrogates"
        )

    output_index = check_output_index(output_index, phases.shape[1])
    results = []
    for position, candidate in enumerate(candidates):
        weights = tuple(as_fraction(weight) for weight in candidate)
        if None in weights or len(weights) != phases.shape[1]:
            raise ValueError(
                f"candidates[{position}]={list(candidate)!r} must have {phases.shape[1]} rational weights"
            )
        test = surrogate_test(
            phases, weights, lag=lag, method=method, n_surrogates=n_surrogates, percentile=percentile,
            seed=seed, output_index=output_index, chunk_size=chunk_size,
        )
        predicted = sum(float(weights[i]) * frequencies[i] for i in range(len(weights)) if i != output_index)
        results.append((test.p_value, -test.z_score, weights, test, predicted))

    results.sort(key=lambda item: (item[0], item[1]))
    return [
        RankedCombination(
            rank=rank,
            weights=weights,
            relation=format_relation(weights, names),
            predicted_frequency=float(predicted),
            mean_psi=test.observed_mean,
            time_averaged_threshold=test.time_averaged_threshold,
            p_value=test.p_value,
            z_score=test.z_score,
            significant=test.p_value <= corrected_alpha,
        )
        for rank, (_, _, weights, test, predicted) in enumerate(results, start=1)
    ]
