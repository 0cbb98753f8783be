"""Phase weights: clearing the denominators of rational weights, and readable labels.

A wrapped phase φ in (-π, π] is defined only modulo 2π, so w·φ is well defined modulo 2π only for an
integer w. A relation with rational weights, such as φ3 = 2/3·φ1 + 1/3·φ2, is therefore multiplied
by the common denominator, here 3, before use: 2·φ1 + φ2 - 3·φ3 ≡ 0 (mod 2π). The M-PLV of the
integer form is what every function of `jaxlab.mplv` computes. Integer weights are used as given and
are never divided by their common divisor, because 2:2 locking is a different quantity from 1:1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

DEFAULT_MAX_DENOMINATOR = 12
# A float weight is taken as rational when it is this close to its nearest small-denominator fraction.
RATIONAL_TOLERANCE = 1e-6


def as_fraction(
    weight: float | int | Fraction | str, max_denominator: int = DEFAULT_MAX_DENOMINATOR
) -> Fraction | None:
    """Return the exact fraction of a weight, or None when it is not a small-denominator ratio.

    Fractions, integers and strings such as "2/3" are exact. A float must lie within
    RATIONAL_TOLERANCE of a fraction whose denominator is at most `max_denominator`. So 2/3 written
    as the float 0.6666666666666666 qualifies, but 0.667 does not.
    """
    if isinstance(weight, (Fraction, int, np.integer, str)) and not isinstance(weight, bool):
        try:
            return Fraction(weight)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"weight {weight!r} is not a number or a fraction such as '2/3'") from None
    value = float(weight)
    if not math.isfinite(value):
        raise ValueError(f"weight {weight!r} must be finite")
    nearest = Fraction(value).limit_denominator(max_denominator)
    if abs(float(nearest) - value) > RATIONAL_TOLERANCE * max(1.0, abs(value)):
        return None
    return nearest


def clear_denominators(
    weights: Sequence[float | int | Fraction | str], max_denominator: int = DEFAULT_MAX_DENOMINATOR
) -> tuple[np.ndarray, int]:
    """Return the integer weights and the common denominator that produced them.

    (2/3, 1/3, -1) becomes ((2, 1, -3), 3). Raises ValueError when a weight is not a ratio of
    integers with a denominator up to `max_denominator`. Such weights need `unwrap=True` in the
    functions that accept it.
    """
    if len(weights) == 0:
        raise ValueError("weights is empty; pass one weight per component")
    fractions = []
    for index, weight in enumerate(weights):
        fraction = as_fraction(weight, max_denominator)
        if fraction is None:
            raise ValueError(
                f"weights[{index}]={float(weight)!r} is not a ratio of integers with denominator <= "
                f"{max_denominator} (nearest {Fraction(float(weight)).limit_denominator(max_denominator)}). "
                "Pass an exact Fraction or a string such as '2/3', raise max_denominator, "
                "or use unwrap=True for irrational weights"
            )
        fractions.append(fraction)
    if all(fraction == 0 for fraction in fractions):
        raise ValueError(f"weights must contain at least one nonzero value, got {list(weights)!r}")

    denominator = math.lcm(*(fraction.denominator for fraction in fractions))
    integers = np.array([int(fraction * denominator) for fraction in fractions], dtype=np.int64)
    return integers, denominator


def float_weights(weights: Sequence[float | int | Fraction | str]) -> np.ndarray:
    """Return the weights as floats (for unwrapped phases), rejecting empty, all-zero or non-finite ones."""
    if len(weights) == 0:
        raise ValueError("weights is empty; pass one weight per component")
    values = np.array([float(Fraction(w)) if isinstance(w, str) else float(w) for w in weights])
    if not np.isfinite(values).all():
        raise ValueError(f"weights must be finite, got {list(weights)!r}")
    if not values.any():
        raise ValueError(f"weights must contain at least one nonzero value, got {list(weights)!r}")
    return values


def format_relation(weights: Sequence[float | int | Fraction], names: Sequence[str] | None = None) -> str:
    """Write weights as a phase relation, e.g. (1, 1, 1, -1) -> "φ1 + φ2 + φ3 - φ4"."""
    names = names or [f"φ{index + 1}" for index in range(len(weights))]
    terms = []
    for weight, name in zip(weights, names):
        fraction = as_fraction(weight) if not isinstance(weight, str) else Fraction(weight)
        if fraction is None:
            fraction_text, magnitude_is_one, negative = f"{abs(float(weight)):g}", False, float(weight) < 0
        else:
            if fraction == 0:
                continue
            fraction_text, magnitude_is_one, negative = str(abs(fraction)), abs(fraction) == 1, fraction < 0
        term = name if magnitude_is_one else f"{fraction_text}·{name}"
        terms.append(("- " if negative else "+ ") + term)
    text = " ".join(terms)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]
