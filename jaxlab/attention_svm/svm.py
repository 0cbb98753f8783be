"""Hard-margin SVM problems behind attention's implicit bias: W_mm and the decoder's max-margin direction.

The attention SVM separates each sample's optimal token from the others through the key-query matrix:

    W_mm = argmin ||W||  subject to  (x_{i,opt_i} - x_{i,t})^T W z_i >= 1  for every i and t != opt_i.

Each constraint is linear in W, <A_k, W> >= 1 with A_k = (x_{i,opt_i} - x_{i,t}) z_i^T, so with the
Frobenius norm this is a least-distance quadratic program. `solve_min_norm_margin` solves it exactly
with the Lawson-Hanson reduction to non-negative least squares (an active-set method that ends in a
finite number of steps), then polishes the active set to machine precision. The nuclear-norm variant,
the limit of the factorized W = K Q^T form, is a semidefinite program and goes to cvxpy with Clarabel.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.optimize

# A constraint set whose minimum-norm solution would exceed this norm is reported as infeasible,
# because the non-negative least-squares residual that separates the two cases is then below
# about 1 / _MAX_FEASIBLE_NORM and indistinguishable from rounding error.
_MAX_FEASIBLE_NORM = 1e8

# Dual weights below this fraction of the largest one are treated as zero when the active set is read.
_ACTIVE_DUAL_FRACTION = 1e-9


class InfeasibleMarginError(ValueError):
    """No solution satisfies the margin constraints.

    `rows` contains the indices of the constraint rows in the Farkas certificate: a non-negative
    combination of exactly these rows sums to zero, so they cannot all have margin 1.
    """

    def __init__(self, message: str, rows: np.ndarray):
        super().__init__(message)
        self.rows = rows


@dataclasses.dataclass(frozen=True)
class MarginSolution:
    """Solution of min ||x||_2 subject to constraints @ x >= 1, with its Lagrange multipliers.

    `dual` has one non-negative entry per constraint row and satisfies x = constraints.T @ dual; it is
    zero on every constraint with slack, so the rows with positive dual are the support vectors.
    """

    x: np.ndarray
    dual: np.ndarray


@dataclasses.dataclass(frozen=True)
class MarginConstraints:
    """Rows of the attention SVM: row k is vec(A_k) for the pair (sample[k], token[k])."""

    matrix: np.ndarray  # (num_constraints, d * d), each row is A_k flattened in row-major order
    sample: np.ndarray  # (num_constraints,) sample index i of each row
    token: np.ndarray  # (num_constraints,) non-optimal token index t of each row


def attention_margin_constraints(tokens: np.ndarray, queries: np.ndarray, opt: np.ndarray) -> MarginConstraints:
    """Build the constraint rows vec((x_{i,opt_i} - x_{i,t}) z_i^T) for every sample i and token t != opt_i.

    Args:
        tokens: (n, T, d) token rows of each sample.
        queries: (n, d) query z_i of each sample (the first token for self-attention).
        opt: (n,) index of each sample's optimal token.
    """
    tokens = np.asarray(tokens, dtype=np.float64)
    queries = np.asarray(queries, dtype=np.float64)
    opt = np.asarray(opt)
    _check_attention_shapes(tokens, queries, opt)
    num_samples, num_tokens, dim = tokens.shape

    rows, samples, token_ids = [], [], []
    for i in range(num_samples):
        for t in range(num_tokens):
            if t == opt[i]:
                continue
            difference = tokens[i, opt[i]] - tokens[i, t]
            rows.append(np.outer(difference, queries[i]).ravel())
            samples.append(i)
            token_ids.append(t)

    matrix = np.asarray(rows).reshape(len(rows), dim * dim)
    return MarginConstraints(matrix=matrix, sample=np.asarray(samples), token=np.asarray(token_ids))


def _check_attention_shapes(tokens: np.ndarray, queries: np.ndarray, opt: np.ndarray) -> None:
    if tokens.ndim != 3:
        raise ValueError(f"tokens must have shape (n, T, d), got {tokens.shape}")
    num_samples, num_tokens, dim = tokens.shape
    if num_tokens < 2:
        raise ValueError(f"tokens must have T >= 2 tokens per sample to separate, got T={num_tokens}")
    if queries.shape != (num_samples, dim):
        raise ValueError(f"queries must have shape (n, d) = {(num_samples, dim)}, got {queries.shape}")
    if opt.shape != (num_samples,) or not np.issubdtype(opt.dtype, np.integer):
        raise ValueError(f"opt must be an integer array of shape (n,) = ({num_samples},), got {opt.dtype} {opt.shape}")
    if np.any(opt < 0) or np.any(opt >= num_tokens):
        raise ValueError(f"opt entries must be token indices in [0, {num_tokens - 1}], got {opt.tolist()}")


def solve_min_norm_margin(constraints: np.ndarray) -> MarginSolution:
    """Solve min ||x||_2 subject to constraints @ x >= 1 exactly, or raise InfeasibleMarginError.

    Lawson and Hanson's reduction turns this least-distance program into non-negative least squares:
    minimize ||E u - e|| over u >= 0, with E = [constraints^T; 1^T] and e the last unit vector. At the
    optimum the residual r = E u - e gives x = -r[:-1] / r[-1]. A zero residual means the constraints
    are infeasible, and then u is a Farkas certificate: a non-negative combination of constraint rows
    that sums to zero.
    """
    constraints = np.asarray(constraints, dtype=np.float64)
    if constraints.ndim != 2 or constraints.shape[0] == 0:
        raise ValueError(f"constraints must be a non-empty (m, p) matrix, got shape {constraints.shape}")
    if not np.all(np.isfinite(constraints)):
        raise ValueError("constraints contain NaN or infinite entries")
    num_constraints, dim = constraints.shape

    stacked = np.vstack([constraints.T, np.ones((1, num_constraints))])
    target = np.zeros(dim + 1)
    target[-1] = 1.0
    weights, _ = scipy.optimize.nnls(stacked, target, maxiter=50 * (dim + num_constraints))
    residual = stacked @ weights - target

    # The residual norm is 1 / sqrt(1 + ||x*||^2) at the optimum, so a tiny residual means a huge or
    # nonexistent solution.
    if np.linalg.norm(residual) * _MAX_FEASIBLE_NORM < 1.0:
        rows = np.flatnonzero(weights > _ACTIVE_DUAL_FRACTION * weights.max())
        raise InfeasibleMarginError(
            f"margin constraints are infeasible: a non-negative combination of rows {rows.tolist()} sums to zero",
            rows,
        )

    x = -residual[:dim] / residual[-1]
    dual = weights / -residual[-1]
    return _polish_active_set(constraints, MarginSolution(x=x, dual=dual))


def _polish_active_set(constraints: np.ndarray, solution: MarginSolution) -> MarginSolution:
    """Re-solve on the active set so that active margins equal 1 to rounding error.

    On the support S of the dual, the optimum is the minimum-norm solution of constraints[S] x = 1.
    The polished point is kept only if it is still feasible with a non-negative dual; otherwise
    the non-negative least-squares point is returned unchanged.
    """
    active = np.flatnonzero(solution.dual > _ACTIVE_DUAL_FRACTION * max(solution.dual.max(), 0.0))
    if active.size == 0:
        return solution
    active_rows = constraints[active]

    x, *_ = np.linalg.lstsq(active_rows, np.ones(active.size), rcond=None)
    dual_active, *_ = np.linalg.lstsq(active_rows.T, x, rcond=None)
    feasible = np.all(constraints @ x >= 1.0 - 1e-10)
    if not feasible or np.any(dual_active < 0.0) or not np.allclose(active_rows @ x, 1.0, atol=1e-10):
        return solution

    dual = np.zeros_like(solution.dual)
    dual[active] = dual_active
    return MarginSolution(x=x, dual=dual)


def w_mm(tokens: np.ndarray, queries: np.ndarray, opt: np.ndarray, norm: str = "fro") -> np.ndarray:
    """Solve the attention SVM for the (d, d) key-query matrix W_mm.

    Args:
        tokens: (n, T, d) token rows of each sample.
        queries: (n, d) query of each sample (the first token for self-attention).
        opt: (n,) index of each sample's optimal token, usually `optimal_tokens(...)`.
        norm: "fro" for the minimum-Frobenius-norm solution (the gradient-descent limit for W), or
            "nuclear" for the minimum-nuclear-norm solution (the limit for W = K Q^T).

    Raises:
        InfeasibleMarginError: when no W meets every margin; the message lists the conflicting
            (sample, token) pairs.
    """
    if norm not in ("fro", "nuclear"):
        raise ValueError(f"norm must be 'fro' or 'nuclear', got {norm!r}")
    tokens = np.asarray(tokens, dtype=np.float64)
    constraints = attention_margin_constraints(tokens, queries, opt)
    dim = tokens.shape[-1]

    try:
        solution = solve_min_norm_margin(constraints.matrix)
    except InfeasibleMarginError as error:
        raise InfeasibleMarginError(_describe_infeasible_attention(constraints, error.rows), error.rows) from None

    if norm == "fro":
        return solution.x.reshape(dim, dim)
    return _nuclear_norm_w_mm(constraints.matrix, dim)


def _describe_infeasible_attention(constraints: MarginConstraints, rows: np.ndarray) -> str:
    """Explain which (sample, token) constraints cannot hold together, from the Farkas certificate's rows."""
    pairs = [(int(constraints.sample[k]), int(constraints.token[k])) for k in rows]
    samples = sorted({sample for sample, _ in pairs})
    listed_pairs = ", ".join(f"(sample {sample}, token {token})" for sample, token in pairs[:12])
    more = f" and {len(pairs) - 12} more" if len(pairs) > 12 else ""
    where = f"within sample {samples[0]}" if len(samples) == 1 else f"across samples {samples}"
    return (
        f"attention SVM is infeasible {where}: no W gives (x_opt - x_t)^T W z >= 1 for all of "
        f"{listed_pairs}{more}, because a non-negative combination of these constraints sums to zero. "
        "Look for a zero query, a token equal to the optimal one, or samples whose token "
        "differences contradict each other; choose other optimal tokens or regenerate the data."
    )


def _nuclear_norm_w_mm(constraint_matrix: np.ndarray, dim: int) -> np.ndarray:
    """Solve min ||W||_* subject to constraint_matrix @ vec(W) >= 1 with cvxpy and Clarabel."""
    try:
        import cvxpy as cp
    except ImportError as error:
        raise ImportError("w_mm(norm='nuclear') needs cvxpy; install it with `pip install cvxpy`") from error

    w = cp.Variable((dim, dim))
    problem = cp.Problem(cp.Minimize(cp.normNuc(w)), [constraint_matrix @ cp.vec(w, order="C") >= 1])
    problem.solve(solver=cp.CLARABEL)
    if problem.status != cp.OPTIMAL:
        raise RuntimeError(f"nuclear-norm attention SVM failed: cvxpy/Clarabel returned status {problem.status!r}")
    return np.asarray(w.value)


def decoder_mm(selected_tokens: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Solve the decoder's hard-margin SVM: min ||v|| subject to y_i v^T x_{i,opt_i} >= 1.

    This is the direction a jointly trained decoder approaches once attention has selected the
    optimal tokens. `selected_tokens` is (n, d), the optimal token of each sample; labels are +-1.
    """
    selected_tokens = np.asarray(selected_tokens, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    if selected_tokens.ndim != 2 or labels.shape != selected_tokens.shape[:1]:
        raise ValueError(
            f"selected_tokens must be (n, d) and labels (n,), got {selected_tokens.shape} and {labels.shape}"
        )
    if not np.all(np.abs(labels) == 1.0):
        raise ValueError(f"labels must be +1 or -1, got values {np.unique(labels).tolist()}")

    try:
        return solve_min_norm_margin(labels[:, None] * selected_tokens).x
    except InfeasibleMarginError as error:
        raise InfeasibleMarginError(
            f"decoder SVM is infeasible: no v gives y_i v^T x_(i,opt_i) >= 1 for all of samples "
            f"{error.rows.tolist()}, so their optimal tokens are not linearly separable by label",
            error.rows,
        ) from None
