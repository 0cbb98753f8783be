"""Tests of the attention-SVM library: the max-margin solvers, data, model, step rules, training and fits."""

import cvxpy as cp
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxlab.attention_svm import analysis, data, model, step_rules, svm, training


def random_problem(seed: int, attention: str = "cross", n: int = 4, T: int = 5, d: int = 6):
    """Return float64 tokens, queries and optimal tokens of one unit-Gaussian data set."""
    sample = data.unit_gaussian_data(jax.random.key(seed), n, T, d, attention=attention)
    return (
        np.asarray(sample.tokens, dtype=np.float64),
        np.asarray(sample.queries, dtype=np.float64),
        np.asarray(sample.optimal),
    )


PROBLEMS = [(seed, attention) for seed in range(3) for attention in ("cross", "self")]


@pytest.mark.parametrize("seed,attention", PROBLEMS)
def test_w_mm_meets_every_margin(seed, attention):
    tokens, queries, opt = random_problem(seed, attention)
    w = svm.w_mm(tokens, queries, opt)

    n, T, _ = tokens.shape
    for i in range(n):
        for t in range(T):
            if t != opt[i]:
                margin = (tokens[i, opt[i]] - tokens[i, t]) @ w @ queries[i]
                assert margin >= 1.0 - 1e-6, (i, t, margin)


@pytest.mark.parametrize("seed,attention", PROBLEMS)
def test_w_mm_matches_cvxpy_norm(seed, attention):
    tokens, queries, opt = random_problem(seed, attention)
    d = tokens.shape[-1]
    constraints = svm.attention_margin_constraints(tokens, queries, opt).matrix

    w = cp.Variable((d, d))
    problem = cp.Problem(cp.Minimize(cp.sum_squares(w)), [constraints @ cp.vec(w, order="C") >= 1])
    problem.solve(solver=cp.CLARABEL)
    assert problem.status == cp.OPTIMAL

    ours = np.linalg.norm(svm.w_mm(tokens, queries, opt))
    theirs = np.linalg.norm(w.value)
    assert abs(ours - theirs) <= 1e-5 * max(1.0, theirs)


@pytest.mark.parametrize("seed,attention", PROBLEMS)
def test_w_mm_kkt_conditions(seed, attention):
    tokens, queries, opt = random_problem(seed, attention)
    constraints = svm.attention_margin_constraints(tokens, queries, opt).matrix
    solution = svm.solve_min_norm_margin(constraints)
    margins = constraints @ solution.x

    assert np.all(solution.dual >= 0.0)
    np.testing.assert_allclose(solution.x, constraints.T @ solution.dual, atol=1e-9)
    assert np.all(margins >= 1.0 - 1e-9)
    assert np.max(np.abs(solution.dual * (margins - 1.0))) <= 1e-9
    np.testing.assert_allclose(margins[solution.dual > 0], 1.0, atol=1e-9)


def test_w_mm_nuclear_matches_dual_program():
    tokens, queries, opt = random_problem(0, "cross", n=3, T=4, d=4)
    d = tokens.shape[-1]
    constraints = svm.attention_margin_constraints(tokens, queries, opt).matrix
    w_nuclear = svm.w_mm(tokens, queries, opt, norm="nuclear")
    primal = np.linalg.norm(w_nuclear, "nuc")

    # Dual of min ||W||_* s.t. <A_k, W> >= 1: max sum(alpha) s.t. ||sum_k alpha_k A_k||_2 <= 1, alpha >= 0.
    alpha = cp.Variable(constraints.shape[0], nonneg=True)
    combination = cp.reshape(constraints.T @ alpha, (d, d), order="C")
    dual_problem = cp.Problem(cp.Maximize(cp.sum(alpha)), [cp.sigma_max(combination) <= 1])
    dual_problem.solve(solver=cp.CLARABEL)

    assert np.all(constraints @ w_nuclear.ravel() >= 1.0 - 1e-6)
    assert abs(primal - dual_problem.value) <= 1e-5 * max(1.0, primal)


def test_w_mm_nuclear_beats_frobenius_in_nuclear_norm():
    tokens, queries, opt = random_problem(1, "self", n=3, T=4, d=4)
    w_nuclear = svm.w_mm(tokens, queries, opt, norm="nuclear")
    w_frobenius = svm.w_mm(tokens, queries, opt)

    assert np.linalg.norm(w_nuclear, "nuc") <= np.linalg.norm(w_frobenius, "nuc") + 1e-6
    assert np.linalg.norm(w_frobenius) <= np.linalg.norm(w_nuclear) + 1e-6


def test_w_mm_duplicate_token_is_infeasible():
    tokens, queries, opt = random_problem(0)
    other = (opt[2] + 1) % tokens.shape[1]
    tokens[2, other] = tokens[2, opt[2]]

    with pytest.raises(svm.InfeasibleMarginError, match=rf"within sample 2.*\(sample 2, token {other}\)"):
        svm.w_mm(tokens, queries, opt)


def test_w_mm_zero_query_is_infeasible():
    tokens, queries, opt = random_problem(0)
    queries[1] = 0.0

    with pytest.raises(svm.InfeasibleMarginError, match="within sample 1"):
        svm.w_mm(tokens, queries, opt)


def test_w_mm_conflicting_samples_are_infeasible():
    tokens, queries, opt = random_problem(0, n=2)
    # Sample 1 repeats sample 0 with its optimal token and token 0 swapped: their constraints conflict.
    other = 1 if opt[0] == 0 else 0
    tokens[1], queries[1] = tokens[0], queries[0]
    opt = np.array([opt[0], other])

    with pytest.raises(svm.InfeasibleMarginError, match=r"across samples \[0, 1\]"):
        svm.w_mm(tokens, queries, opt)


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda t, q, o: (t[0], q, o), "shape"),
        (lambda t, q, o: (t, q[:, :-1], o), "queries"),
        (lambda t, q, o: (t, q, o + 100), "opt entries"),
        (lambda t, q, o: (t, q, o.astype(float)), "integer"),
    ],
)
def test_w_mm_rejects_bad_inputs(change, message):
    tokens, queries, opt = random_problem(0)
    with pytest.raises(ValueError, match=message):
        svm.w_mm(*change(tokens, queries, opt))
    with pytest.raises(ValueError, match="norm must be"):
        svm.w_mm(tokens, queries, opt, norm="spectral")


def test_decoder_mm_separates_selected_tokens():
    rng = np.random.default_rng(0)
    labels = np.array([1.0, -1.0, 1.0, -1.0])
    selected = labels[:, None] * np.array([1.0, 0.0, 0.0]) + 0.1 * rng.normal(size=(4, 3))
    decoder = svm.decoder_mm(selected, labels)

    assert np.all(labels * (selected @ decoder) >= 1.0 - 1e-9)
    with pytest.raises(svm.InfeasibleMarginError, match="not linearly separable"):
        svm.decoder_mm(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([1.0, -1.0]))


def test_unit_gaussian_data_properties():
    sample = data.unit_gaussian_data(jax.random.key(0), 5, 7, 4, attention="self")
    scores = data.token_scores(sample.tokens, sample.labels, sample.decoder)

    np.testing.assert_allclose(np.linalg.norm(sample.tokens, axis=-1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(sample.queries, sample.tokens[:, 0])
    np.testing.assert_array_equal(sample.optimal, np.argmax(scores, axis=-1))
    assert set(np.asarray(sample.labels).tolist()) <= {1.0, -1.0}


def test_equal_score_data_scores():
    sample = data.equal_score_data(jax.random.key(1), 6, 8, 10, optimal_score=0.6, other_score=-0.2)
    scores = np.asarray(data.token_scores(sample.tokens, sample.labels, sample.decoder))
    is_optimal = np.arange(8)[None, :] == np.asarray(sample.optimal)[:, None]

    np.testing.assert_allclose(scores[is_optimal], 0.6, atol=1e-5)
    np.testing.assert_allclose(scores[~is_optimal], -0.2, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(sample.tokens, axis=-1), 1.0, atol=1e-5)


def test_orthogonal_data_tokens_are_orthonormal():
    sample = data.orthogonal_data(jax.random.key(2), 3, 4, 12)
    flat = np.asarray(sample.tokens).reshape(12, 12)

    np.testing.assert_allclose(flat @ flat.T, np.eye(12), atol=1e-5)
    with pytest.raises(ValueError, match="dim >= num_samples"):
        data.orthogonal_data(jax.random.key(2), 3, 4, 11)


def test_signal_token_data_puts_label_on_optimal_token():
    sample = data.signal_token_data(jax.random.key(3), 8, 5, 16, noise_scale=0.05)
    signal = np.asarray(sample.tokens)[np.arange(8), np.asarray(sample.optimal)]

    np.testing.assert_allclose(signal @ np.asarray(sample.decoder), np.asarray(sample.labels), atol=0.2)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(num_samples=0, num_tokens=4, dim=3), "num_samples"),
        (dict(num_samples=2, num_tokens=1, dim=3), "num_tokens"),
        (dict(num_samples=2, num_tokens=4, dim=3, attention="causal"), "attention"),
    ],
)
def test_data_rejects_bad_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.unit_gaussian_data(jax.random.key(0), **kwargs)
    with pytest.raises(ValueError, match="setting"):
        data.make_data(jax.random.key(0), "uniform", 2, 4, 3)


@pytest.fixture(scope="module")
def small_model():
    sample = data.unit_gaussian_data(jax.random.key(4), 4, 5, 3)
    params = {"w": 3.0 * jax.random.normal(jax.random.key(5), (3, 3))}
    return sample, params


def test_predict_matches_plain_formula(small_model):
    sample, params = small_model
    tokens, queries = np.asarray(sample.tokens), np.asarray(sample.queries)
    w, v = np.asarray(params["w"]), np.asarray(sample.decoder)

    expected = []
    for i in range(tokens.shape[0]):
        logits = tokens[i] @ w @ queries[i]
        weights = np.exp(logits - logits.max())
        expected.append(v @ tokens[i].T @ (weights / weights.sum()))

    np.testing.assert_allclose(model.predict(params, sample), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        model.margins(params, sample), np.asarray(sample.labels) * np.asarray(expected), rtol=1e-5, atol=1e-6
    )


def test_excess_loss_and_its_gradient_match_logistic_loss(small_model):
    sample, params = small_model
    loss = model.logistic_loss(params, sample)
    gap = model.excess_loss(params, sample)

    np.testing.assert_allclose(gap + model.loss_infimum(sample), loss, rtol=1e-5)
    assert gap >= 0.0
    np.testing.assert_allclose(
        jax.grad(model.excess_loss)(params, sample)["w"],
        jax.grad(model.logistic_loss)(params, sample)["w"],
        rtol=1e-4,
        atol=1e-7,
    )


def test_key_query_matrix_of_factors():
    params = {"key": jnp.arange(6.0).reshape(3, 2), "query": jnp.ones((3, 2))}
    np.testing.assert_allclose(model.key_query_matrix(params), np.arange(6.0).reshape(3, 2) @ np.ones((2, 3)))


def test_ngd_step_length_for_tiny_gradient():
    rule = step_rules.make_step_rule("ngd", learning_rate=0.1)
    gradient = {"w": jnp.full((3, 3), 1e-30), "decoder": jnp.full((3,), -2e-30)}
    updates, _ = rule.update(gradient, rule.init(gradient), gradient, value=jnp.float32(0.0))

    norm = np.sqrt(sum(np.sum(np.asarray(leaf, dtype=np.float64) ** 2) for leaf in jax.tree.leaves(updates)))
    np.testing.assert_allclose(norm, 0.1, rtol=1e-5)
    assert np.all(np.asarray(updates["w"]) < 0)


def test_polyak_step_size_and_cap():
    gradient = {"w": jnp.array([3.0, 4.0])}
    uncapped = step_rules.make_step_rule("polyak", max_learning_rate=100.0)
    updates, _ = uncapped.update(gradient, uncapped.init(gradient), gradient, value=jnp.float32(2.0))
    np.testing.assert_allclose(updates["w"], -2.0 / 25.0 * np.array([3.0, 4.0]), rtol=1e-6)

    capped = step_rules.make_step_rule("polyak", max_learning_rate=0.01)
    updates, _ = capped.update(gradient, capped.init(gradient), gradient, value=jnp.float32(2.0))
    np.testing.assert_allclose(updates["w"], -0.01 * np.array([3.0, 4.0]), rtol=1e-6)

    # ||g||^2 = 2.5e-49 underflows float32; the step 5e-26 / 2.5e-49 = 2e23 must still come out right.
    tiny = {"w": jnp.array([3e-25, 4e-25])}
    huge_cap = step_rules.make_step_rule("polyak", max_learning_rate=1e30)
    updates, _ = huge_cap.update(tiny, huge_cap.init(tiny), tiny, value=jnp.float32(5e-26))
    np.testing.assert_allclose(np.asarray(updates["w"], dtype=np.float64), -np.array([0.06, 0.08]), rtol=1e-4)


@pytest.mark.parametrize("name", step_rules.STEP_RULES)
def test_step_rules_leave_zero_gradient_unchanged(name):
    rule = step_rules.make_step_rule(name, learning_rate=1.0, max_learning_rate=1.0)
    zero = {"w": jnp.zeros((2, 2))}
    updates, _ = rule.update(zero, rule.init(zero), zero, value=jnp.float32(1.0))
    np.testing.assert_array_equal(updates["w"], 0.0)


def test_gradient_descent_step():
    rule = step_rules.make_step_rule("gd", learning_rate=0.5)
    gradient = {"w": jnp.array([1.0, -2.0])}
    updates, _ = rule.update(gradient, rule.init(gradient), gradient, value=jnp.float32(1.0))
    np.testing.assert_allclose(updates["w"], [-0.5, 1.0])
    assert step_rules.make_step_rule("gd", learning_rate=0.5) is rule
    assert isinstance(rule, optax.GradientTransformationExtraArgs)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(name="adam", learning_rate=1.0), "must be one of"),
        (dict(name="ngd"), "learning_rate > 0"),
        (dict(name="gd", learning_rate=-1.0), "learning_rate > 0"),
        (dict(name="polyak", learning_rate=1.0), "max_learning_rate > 0"),
    ],
)
def test_make_step_rule_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        step_rules.make_step_rule(**kwargs)


def test_train_seeds_records_metrics_per_iteration():
    seeds, steps, dim = 3, 5, 4
    batch = data.make_seeds_data(jax.random.key(0), seeds, "unit_gaussian", 2, 3, dim)
    params = jax.vmap(lambda key: training.init_params(key, dim, train_decoder=True))(
        jax.random.split(jax.random.key(1), seeds)
    )
    reference = training.Reference(w=jnp.ones((seeds, dim, dim)), decoder=jnp.ones((seeds, dim)))
    rule = step_rules.make_step_rule("ngd", learning_rate=0.1)
    final, history = training.train_seeds(params, batch, reference, rule, steps)

    assert final["w"].shape == (seeds, dim, dim)
    for name in ("loss", "loss_gap", "correlation", "optimal_attention", "w_norm", "decoder_correlation"):
        assert history[name].shape == (seeds, steps), name
    np.testing.assert_allclose(history["correlation_gap"], 1.0 - history["correlation"], atol=1e-5)
    np.testing.assert_allclose(history["w_norm"][:, 0], 0.01, rtol=1e-5)
    assert np.all(history["w_norm"][:, -1] > history["w_norm"][:, 0])


def test_init_params_rejects_bad_arguments():
    with pytest.raises(ValueError, match="parametrization"):
        training.init_params(jax.random.key(0), 3, parametrization="lora")
    with pytest.raises(ValueError, match="init_scale"):
        training.init_params(jax.random.key(0), 3, init_scale=0.0)
    params = training.init_params(jax.random.key(0), 3, parametrization="kq", rank=2, init_scale=0.04)
    assert params["key"].shape == (3, 2)
    np.testing.assert_allclose(jnp.linalg.norm(params["key"]), 0.2, rtol=1e-5)


def test_iterations_to_reach():
    assert analysis.iterations_to_reach(np.array([0.1, 0.5, 0.99, 0.98]), 0.99) == 2
    assert analysis.iterations_to_reach(np.array([0.1, 0.5]), 0.99) is None


def test_fits_recover_known_rates():
    t = np.arange(2001, dtype=np.float64)  # entry t is iteration t
    t[0] = 1.0  # keeps the power law finite; the fits start at 100
    assert analysis.fit_loglog_slope(3.0 * t**-1.5, start=100) == pytest.approx(-1.5, abs=1e-6)
    assert analysis.fit_semilog_rate(2.0 * np.exp(-0.01 * t), start=100) == pytest.approx(0.01, rel=1e-6)
    assert analysis.fit_stretched_exponent(np.exp(-0.5 * t ** (1 / 3)), start=100) == pytest.approx(1 / 3, abs=1e-6)
    assert analysis.fit_loglog_slope(np.zeros(100), start=10) is None


def test_underflow_iteration_uses_seed_median():
    norms = np.array([[1.0, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [1.0, 0.5, 0.5, 0.0]])
    assert analysis.underflow_iteration(norms) == 2
    assert analysis.underflow_iteration(np.ones((2, 3))) is None
