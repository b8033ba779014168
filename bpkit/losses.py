"""Cost functions C(a, y) over a mini-batch, and their gradients ∇_a C.

a is the network's output a^L and y the target, both (n_L, m): one column per sample.
Costs are means over the batch, so every gradient carries a factor 1/m — and so does
every δ computed from it (DESIGN: δ^l = ∂C/∂z^l).
"""
from __future__ import annotations

import numpy as np

from . import _checks

# Cross-entropy takes ln a and ln(1 − a); outputs of exactly 0 or 1 (a saturated sigmoid)
# are nudged this far inside (0, 1) so the cost stays finite.
EPS = 1e-12


def _pair(a, y, equation: str, *, outputs01: bool = False,
          targets01: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """a and y checked: float64 matrices of one shape, optionally with values in [0, 1]."""
    a = _checks.array(a, "a", equation)
    y = _checks.array(y, "y", equation)
    _checks.same_shape(a, y, "a, y", equation)
    if outputs01:
        _outputs01(a, equation)
    if targets01:
        check_targets(y, equation)
    return a, y


def check_targets(y: np.ndarray, equation: str) -> None:
    """Raise unless every target lies in [0, 1], as cross-entropy needs."""
    if y.size and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"{equation}: targets y must lie in [0, 1] (labels or one-hot), "
                         f"got values in [{y.min():g}, {y.max():g}].")


def mse(a, y) -> float:
    """Quadratic cost C = 1/(2m) Σ_x ||a^L(x) − y(x)||².

    For one sample (m = 1) and one output this is seed 004's E = ½(out − y)².
    a, y: (n_L, m).  Returns: a float.
    """
    a, y = _pair(a, y, "C = 1/(2m) Σ ||a − y||²")
    return _mse(a, y)


def mse_grad(a, y) -> np.ndarray:
    """∇_a C = (a − y)/m for the quadratic cost.   a, y: (n_L, m).  Returns: (n_L, m)."""
    a, y = _pair(a, y, "∇_a C = (a − y)/m")
    return _mse_grad(a, y)


def cross_entropy(a, y) -> float:
    """Cross-entropy C = −1/m Σ [y ln a + (1 − y) ln(1 − a)] (seed 003's L, averaged).

    Needs outputs a in [0, 1] (a sigmoid output layer) and targets y in [0, 1]. Outputs of
    exactly 0 or 1 are clipped by 1e-12 so the cost is large but finite.
    a, y: (n_L, m).  Returns: a float.
    """
    a, y = _pair(a, y, "C = −1/m Σ [y ln a + (1 − y) ln(1 − a)]", outputs01=True, targets01=True)
    return _cross_entropy(a, y)


def cross_entropy_grad(a, y) -> np.ndarray:
    """∇_a C = (a − y) / (m a (1 − a)) for cross-entropy.

    Multiplied by a sigmoid's σ′(z) = a(1 − a) in BP1, the denominator cancels and
    δ^L = (a − y)/m — seed 003's dz2 = a2 − y, with the mean's 1/m. See delta_sigmoid_cross_entropy.
    a, y: (n_L, m).  Returns: (n_L, m).
    """
    a, y = _pair(a, y, "∇_a C = (a − y) / (m a(1 − a))", outputs01=True, targets01=True)
    return _cross_entropy_grad(a, y)


def delta_sigmoid_cross_entropy(a, y) -> np.ndarray:
    """BP1 for a sigmoid output with cross-entropy, simplified: δ^L = (a − y)/m.

    ∇_a C ⊙ σ′(z^L) = (a − y)/(m a(1 − a)) ⊙ a(1 − a) = (a − y)/m. Computing it this way
    never divides by a(1 − a), so it stays exact when the sigmoid saturates (a = 0 or 1).
    a, y: (n_L, m).  Returns: (n_L, m).
    """
    a, y = _pair(a, y, "BP1 with sigmoid + cross-entropy: δ^L = (a − y)/m", targets01=True)
    return _delta_sigmoid_cross_entropy(a, y)


def _outputs01(a: np.ndarray, equation: str) -> None:
    if a.size and (a.min() < 0 or a.max() > 1):
        raise ValueError(f"{equation}: outputs a must lie in [0, 1] (use a sigmoid output "
                         f"layer with cross-entropy), got values in [{a.min():g}, {a.max():g}].")


# Unchecked kernels, for the training loop (inputs already checked once).

def _mse(a: np.ndarray, y: np.ndarray) -> float:
    d = a - y
    return float(np.sum(d * d) / (2 * a.shape[1]))


def _mse_grad(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (a - y) / a.shape[1]


def _cross_entropy(a: np.ndarray, y: np.ndarray) -> float:
    a = np.clip(a, EPS, 1 - EPS)
    return float(-np.sum(y * np.log(a) + (1 - y) * np.log1p(-a)) / a.shape[1])


def _cross_entropy_grad(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    a = np.clip(a, EPS, 1 - EPS)
    return (a - y) / (a * (1 - a) * a.shape[1])


def _delta_sigmoid_cross_entropy(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (a - y) / a.shape[1]


LOSSES = {
    "mse": (mse, mse_grad, _mse, _mse_grad),
    "cross_entropy": (cross_entropy, cross_entropy_grad, _cross_entropy, _cross_entropy_grad),
}


def check_loss_name(loss) -> str:
    """Return ``loss`` if it names a cost ("mse" or "cross_entropy"), else raise."""
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a name, 'mse' or 'cross_entropy', got {type(loss).__name__}.")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose 'mse' or 'cross_entropy'.")
    return loss
