"""One module per M-PLV experiment; each defines validate_config(config) and run_experiment(config, workdir)."""
