"""Cost functions C(a, y) over a mini-batch, their gradients ∇_a C, and the δ^L they give.

a is the network's output a^L and y the target, both (n_L, m): one column per sample.
Costs are means over the batch, so every gradient carries a factor 1/m — and so does
every δ computed from it (δ^l = ∂C/∂z^l).

The functions (``mse``, ``cross_entropy``, …) are the formulas behind an input check. A
cost is also an object, ``MSE()`` or ``CrossEntropy()``, holding the same formulas
unchecked — ``value``, ``grad`` and ``delta``, the output error of BP1 — which is what
Network uses: each cost knows its own δ^L, so the network never asks which cost it has.
"""
from __future__ import annotations

import numpy as np

from . import _checks
from .activations import get_activation
from .equations import bp1

# Cross-entropy takes ln a and ln(1 − a); outputs of exactly 0 or 1 (a saturated sigmoid)
# are nudged this far inside (0, 1) so the cost stays finite.
EPS = 1e-12


def check_pair(a, y, equation: str, *, outputs01: bool = False,
               targets01: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """a and y checked: float64 matrices of one shape, optionally with values in [0, 1]."""
    a = _checks.array(a, "a", equation)
    y = _checks.array(y, "y", equation)
    _checks.same_shape(a, y, "a, y", equation)
    if outputs01:
        _checks.in_unit_interval(a, "outputs a", equation,
                                 " (use a sigmoid output layer with cross-entropy)")
    if targets01:
        check_targets(y, equation)
    return a, y


def check_targets(y: np.ndarray, equation: str, name: str = "y") -> None:
    """Raise unless every target lies in [0, 1], as cross-entropy needs."""
    _checks.in_unit_interval(y, f"targets {name}", equation, " (labels or one-hot)")


def _check_pair_for(equation: str, **ranges):
    return lambda a, y: check_pair(a, y, equation, **ranges)


# --------------------------------------------------------------------------- quadratic
@_checks.checked(_check_pair_for("C = 1/(2m) Σ ||a − y||²"))
def mse(a, y) -> float:
    """Quadratic cost C = 1/(2m) Σ_x ||a^L(x) − y(x)||².

    For one sample (m = 1) and one output this is seed 004's E = ½(out − y)².
    a, y: (n_L, m).  Returns: a float.
    """
    d = a - y
    return float(np.sum(d * d) / (2 * a.shape[1]))


@_checks.checked(_check_pair_for("∇_a C = (a − y)/m"))
def mse_grad(a, y) -> np.ndarray:
    """∇_a C = (a − y)/m for the quadratic cost.   a, y: (n_L, m).  Returns: (n_L, m)."""
    return (a - y) / a.shape[1]


# --------------------------------------------------------------------------- cross-entropy
@_checks.checked(_check_pair_for("C = −1/m Σ [y ln a + (1 − y) ln(1 − a)]",
                             outputs01=True, targets01=True))
def cross_entropy(a, y) -> float:
    """Cross-entropy C = −1/m Σ [y ln a + (1 − y) ln(1 − a)] (seed 003's L, averaged).

    Needs outputs a in [0, 1] (a sigmoid output layer) and targets y in [0, 1]. Outputs of
    exactly 0 or 1 are clipped by 1e-12 so the cost is large but finite.
    a, y: (n_L, m).  Returns: a float.
    """
    a = np.clip(a, EPS, 1 - EPS)
    return float(-np.sum(y * np.log(a) + (1 - y) * np.log1p(-a)) / a.shape[1])


@_checks.checked(_check_pair_for("∇_a C = (a − y) / (m a(1 − a))", outputs01=True, targets01=True))
def cross_entropy_grad(a, y) -> np.ndarray:
    """∇_a C = (a − y) / (m a (1 − a)) for cross-entropy.

    Multiplied by a sigmoid's σ′(z) = a(1 − a) in BP1, the denominator cancels and
    δ^L = (a − y)/m — seed 003's dz2 = a2 − y, with the mean's 1/m. See delta_sigmoid_cross_entropy.
    a, y: (n_L, m).  Returns: (n_L, m).
    """
    a = np.clip(a, EPS, 1 - EPS)
    return (a - y) / (a * (1 - a) * a.shape[1])


@_checks.checked(_check_pair_for("BP1 with sigmoid + cross-entropy: δ^L = (a − y)/m",
                             outputs01=True, targets01=True))
def delta_sigmoid_cross_entropy(a, y) -> np.ndarray:
    """BP1 for a sigmoid output with cross-entropy, simplified: δ^L = (a − y)/m.

    ∇_a C ⊙ σ′(z^L) = (a − y)/(m a(1 − a)) ⊙ a(1 − a) = (a − y)/m. Computing it this way
    never divides by a(1 − a), so it stays exact when the sigmoid saturates (a = 0 or 1).
    a, y: (n_L, m), a in [0, 1] (a sigmoid's output).  Returns: (n_L, m).
    """
    return (a - y) / a.shape[1]


# --------------------------------------------------------------------------- cost objects
class Loss:
    """A cost C(a, y): its ``value``, its gradient ``grad`` = ∇_a C, and ``delta``, the
    output layer's error δ^L = ∂C/∂z^L (BP1). All three are formulas for float64 arrays of
    shape (n_L, m) that are already checked; the checked functions are bp.mse etc."""
    name: str = ""
    needs_unit_outputs = False  # True when a^L must lie in (0, 1), i.e. a sigmoid output

    def value(self, a, y) -> float:
        raise NotImplementedError

    def grad(self, a, y) -> np.ndarray:
        raise NotImplementedError

    def delta(self, a, y, z, activation) -> np.ndarray:
        """BP1: δ^L = ∇_a C ⊙ σ′(z^L), with a = σ(z) the output and σ = activation."""
        return bp1.__wrapped__(self.grad(a, y), z, activation)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSE(Loss):
    """The quadratic cost C = 1/(2m) Σ ||a − y||²; its δ^L is BP1 as written."""
    name = "mse"
    value = staticmethod(mse.__wrapped__)
    grad = staticmethod(mse_grad.__wrapped__)


class CrossEntropy(Loss):
    """Cross-entropy C = −1/m Σ [y ln a + (1 − y) ln(1 − a)], for outputs in (0, 1).

    With a sigmoid output its δ^L simplifies to (a − y)/m: σ′(z) = a(1 − a) cancels the
    gradient's denominator, so δ^L stays exact where the sigmoid saturates and
    ∇_a C ⊙ σ′(z) would lose it (a = 1.0 exactly: 0/0)."""
    name = "cross_entropy"
    needs_unit_outputs = True
    value = staticmethod(cross_entropy.__wrapped__)
    grad = staticmethod(cross_entropy_grad.__wrapped__)

    def delta(self, a, y, z, activation) -> np.ndarray:
        if get_activation(activation).name == "sigmoid":
            return delta_sigmoid_cross_entropy.__wrapped__(a, y)
        return super().delta(a, y, z, activation)


LOSSES: dict[str, Loss] = {loss.name: loss for loss in (MSE(), CrossEntropy())}


def get_loss(loss) -> Loss:
    """The cost called ``loss`` ("mse" or "cross_entropy"), or ``loss`` itself if it is a Loss."""
    if isinstance(loss, Loss):
        return loss
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a name, 'mse' or 'cross_entropy' (or a bp.losses.Loss), "
                        f"got {type(loss).__name__}.")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose 'mse' or 'cross_entropy'.")
    return LOSSES[loss]
