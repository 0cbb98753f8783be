"""One module per sensitivity experiment; each defines validate_config(config) and run_experiment(config, workdir)."""
