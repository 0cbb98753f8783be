"""Implicit bias of attention: gradient descent on softmax attention converges to the max-margin W_mm.

The model is f(X) = v^T X^T softmax(X W z) with logistic loss. `w_mm` solves the hard-margin SVM
that separates each sample's optimal token from the others; the step rules (GD, normalized GD and
the Polyak step) are optax transformations; `train_seeds` trains many seeds in one compiled call
and records the correlation with W_mm, the softmax weight on the optimal token, the loss and ||W||.
"""

from jaxlab.attention_svm.analysis import (
    fit_loglog_slope,
    fit_semilog_rate,
    fit_stretched_exponent,
    iterations_to_reach,
    seed_statistics,
)
from jaxlab.attention_svm.data import (
    AttentionData,
    equal_score_data,
    make_data,
    make_seeds_data,
    optimal_tokens,
    orthogonal_data,
    signal_token_data,
    token_scores,
    unit_gaussian_data,
)
from jaxlab.attention_svm.model import (
    attention_logits,
    attention_weights,
    excess_loss,
    key_query_matrix,
    logistic_loss,
    loss_infimum,
    margins,
    non_optimal_attention,
    predict,
)
from jaxlab.attention_svm.step_rules import (
    gradient_descent,
    make_step_rule,
    normalized_gradient_descent,
    polyak_step,
)
from jaxlab.attention_svm.svm import (
    InfeasibleMarginError,
    MarginSolution,
    attention_margin_constraints,
    decoder_mm,
    solve_min_norm_margin,
    w_mm,
)
from jaxlab.attention_svm.training import Reference, correlation, init_params, train, train_seeds
