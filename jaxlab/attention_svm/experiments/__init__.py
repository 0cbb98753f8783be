"""One module per attention-SVM experiment; each defines validate_config and run_experiment."""
