"""Transformers learn low-sensitivity functions: exact Boolean and noise-based sensitivity, the sensitivity regularizer."""
