"""Sensitivity of learned functions, after "Transformers Learn Low Sensitivity Functions" (Vasudeva et al.).

Sensitivity is how often a model's predicted label changes when its input is changed at random.
This package holds:
  boolean       exact Fourier coefficients, influences and average sensitivity of truth tables,
                and of two-class token classifiers evaluated on the whole n-bit cube
  noise         label-flip rates under Gaussian noise per position and on all positions, and the
                sensitivity regularizer loss
  corruptions   Gaussian noise and patch occlusion for robustness tests
  training      an engine Task for any sequence classifier, with or without the regularizer
  experiments   one module per experiment config under experiments/sensitivity/
"""

from jaxlab.sensitivity.boolean import (
    average_sensitivity,
    average_sensitivity_by_flips,
    classifier_boolean_sensitivity,
    classifier_truth_table,
    cube_tokens,
    fourier_coefficients,
    influences,
    walsh_hadamard_transform,
)
from jaxlab.sensitivity.noise import (
    NoiseSensitivity,
    noise_sensitivity,
    noise_sensitivity_batched,
    sensitivity_regularized_loss,
)

__all__ = [
    "NoiseSensitivity",
    "average_sensitivity",
    "average_sensitivity_by_flips",
    "classifier_boolean_sensitivity",
    "classifier_truth_table",
    "cube_tokens",
    "fourier_coefficients",
    "influences",
    "noise_sensitivity",
    "noise_sensitivity_batched",
    "sensitivity_regularized_loss",
    "walsh_hadamard_transform",
]
