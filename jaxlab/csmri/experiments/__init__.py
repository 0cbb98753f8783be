"""CS-MRI experiments: Co-VeGAN, the structure-preserving GAN, and the undersampling masks.

Each module defines `validate_config(config)` and `run_experiment(config, workdir)` for the
launcher; the configs live in experiments/csmri/.
"""
