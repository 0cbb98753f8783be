"""Training the decoder jointly with W: the loss goes to zero while W and v align with their max-margin directions.

Command:   python -m jaxlab.run --config=experiments/attention_svm/joint.py:quick
CPU time:  quick ~1 min on 2 cores; full ~1 min.
Expected:  summary.json "ngd_final_w_correlation" and "ngd_final_decoder_correlation" above 0.98, and
           "ngd_final_loss_median" below 1e-30 (GD's is about 5e-5).
"""
import ml_collections

from jaxlab.attention_svm.experiments.defaults import base_config, check_variant


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
    check_variant(arg)
    config = base_config("joint")
    config.data.setting = "signal_token"
    # A separate unit query keeps the logits on the scale of the signal token. With self-attention the
    # query is usually a noise token of norm 0.1, so attention sparsifies far more slowly.
    config.data.attention = "cross"
    config.data.options = ml_collections.ConfigDict({"signal_strength": 1.0, "noise_scale": 0.1})
    config.model.train_decoder = True
    config.fit_start = 0.1  # fit the loss decay over the last 90% of iterations
    if arg == "quick":
        config.data.num_seeds = 20
        config.train.num_steps = 1500
    return config
