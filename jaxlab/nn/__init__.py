"""Layers shared by the papers: sequence classifiers, complex-valued layers."""
