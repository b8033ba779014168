"""bpkit — backpropagation, built by hand.

A small library behind the course: the activations and costs, the four equations of
backpropagation (bp1 … bp4), a Network that composes them, gradient checking, datasets and
plots. Notation (samples are columns): X is (n_0, m), W^l is (n_l, n_(l−1)), b^l is (n_l, 1),
z^l = W^l a^(l−1) + b^l, a^l = σ(z^l), δ^l = ∂C/∂z^l.

    import bpkit as bp
    net = bp.Network([2, 3, 1], activations="sigmoid", loss="mse", seed=0)
    X, Y = bp.datasets.xor()
    history = net.fit(X, Y, epochs=2000, lr=2.0, batch_size=4, seed=0, progress=False)
"""
from .activations import (ACTIVATIONS, Activation, get_activation, identity, identity_prime,
                          relu, relu_prime, sigmoid, sigmoid_prime, tanh, tanh_prime)
from .equations import bp1, bp2, bp3, bp4, weighted_input
from .losses import (cross_entropy, cross_entropy_grad, delta_sigmoid_cross_entropy, mse,
                     mse_grad)
from .network import ForwardPass, Gradients, History, Network
from .gradcheck import GradientReport, check_gradients, numerical_gradient, relative_error
from . import datasets, plotting, widgets

__version__ = "0.1.0"
