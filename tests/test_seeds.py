"""The seeds' closed forms, reproduced with numbers — typos corrected and documented.

Each seed uses its own notation; the mapping to the course's (README, "Notation") is spelled out in
each test. For one sample (m = 1) our mean cost C equals the seeds' E = ½ Σ (a − y)².
"""
import numpy as np
import pytest

import bpkit as bp

s, ds = bp.sigmoid, bp.sigmoid_prime
rng = np.random.default_rng(2024)


def finite_difference(f, x):
    return bp.numerical_gradient(lambda _: f(), x)


class TestSeed004TwoTwoOne:
    """Seed 004: inputs x1, x2; h1 = w11 x1 + w13 x2 + b11, h2 = w12 x1 + w14 x2 + b12,
    α_i = σ(h_i); z = w21 α1 + w22 α2 + b21, out = σ(z); E = ½(out − y)².
    Course notation: h → z^1, α → a^1, z → z^2, out → a^2,
    W^1 = [[w11, w13], [w12, w14]], b^1 = [[b11], [b12]], W^2 = [[w21, w22]], b^2 = [[b21]]."""

    w11, w12, w13, w14, w21, w22 = rng.standard_normal(6)
    b11, b12, b21 = rng.standard_normal(3)
    x1, x2, y = 0.7, -1.3, 1.0

    def net(self):
        return bp.Network.from_params(
            weights=[np.array([[self.w11, self.w13], [self.w12, self.w14]]), np.array([[self.w21, self.w22]])],
            biases=[np.array([[self.b11], [self.b12]]), np.array([[self.b21]])])

    def forward(self):
        h1 = self.w11 * self.x1 + self.w13 * self.x2 + self.b11
        h2 = self.w12 * self.x1 + self.w14 * self.x2 + self.b12
        z = self.w21 * s(h1) + self.w22 * s(h2) + self.b21
        return h1, h2, z, s(z)

    def test_output_layer_derivatives(self):
        h1, h2, z, out = self.forward()
        g = self.net().backward(np.array([[self.x1], [self.x2]]), np.array([[self.y]]))
        # Δw21 = (out − y) σ(z)(1 − σ(z)) α1, and likewise w22, b21 — as printed in the seed.
        common = (out - self.y) * s(z) * (1 - s(z))
        np.testing.assert_allclose(g.dW[1], [[common * s(h1), common * s(h2)]], rtol=1e-12)
        np.testing.assert_allclose(g.db[1], [[common]], rtol=1e-12)

    def test_hidden_layer_derivatives_have_one_sigma_prime_not_two(self):
        h1, h2, z, out = self.forward()
        X, Y = np.array([[self.x1], [self.x2]]), np.array([[self.y]])
        net = self.net()
        g = net.backward(X, Y)
        # The seed's final expression for Δw12 (one factor σ(h2)(1 − σ(h2))) is right:
        dw12 = (out - self.y) * ds(z) * self.w22 * ds(h2) * self.x1
        assert g.dW[0][1, 0] == pytest.approx(dw12, rel=1e-12)
        numeric = finite_difference(lambda: net.loss(X, Y), net.weights[0])
        assert numeric[1, 0] == pytest.approx(dw12, rel=1e-5)      # a small entry: FD noise ~1e-7
        # ... but its chain lists ∂α2/∂h2 twice. Taken literally, that chain is wrong:
        as_printed = (out - self.y) * ds(z) * self.w22 * ds(h2) * ds(h2) * self.x1
        assert abs(as_printed - numeric[1, 0]) > 0.5 * abs(numeric[1, 0])   # ≥ 4× off: σ′ ≤ ¼
        # The other five (w14, b12, w11, w13, b11) follow the same corrected pattern.
        dw11 = (out - self.y) * ds(z) * self.w21 * ds(h1)
        np.testing.assert_allclose(g.dW[0], [[dw11 * self.x1, dw11 * self.x2],
                                             [dw12, dw12 / self.x1 * self.x2]], rtol=1e-12)
        np.testing.assert_allclose(g.db[0], [[dw11], [dw12 / self.x1]], rtol=1e-12)

    def test_seeds_numpy_code_never_applies_the_relu_derivative(self):
        """The seed's code masks with `grad_a[a < 0] = 0`, but a = max(h, 0) is never < 0:
        the mask is a no-op and the gradient is wrong. The mask must test h (h <= 0)."""
        W1 = rng.standard_normal((3, 4))        # seed layout: (D_in, H), used as W1.T
        x, G = rng.standard_normal((3, 5)), rng.standard_normal((4, 5))   # G = ∂loss/∂a
        h = W1.T @ x
        a = np.maximum(h, 0)
        loss = lambda: np.sum(G * np.maximum(W1.T @ x, 0))
        numeric = finite_difference(loss, W1)
        seed_grad = G.copy(); seed_grad[a < 0] = 0
        fixed_grad = G.copy(); fixed_grad[h <= 0] = 0
        assert np.array_equal(seed_grad, G)                            # the mask did nothing
        assert bp.relative_error(x @ seed_grad.T, numeric) > 1e-2
        assert bp.relative_error(x @ fixed_grad.T, numeric) < 1e-7


class TestSeed003CrossEntropy:
    """Seed 003: x → z1 = w1 x + b1 → a1 = σ(z1) → z2 = w2 a1 + b2 → a2 = σ(z2), cross-entropy.
    Course: w1 → W^1, z1 → z^1, … Its dZ is per sample (no 1/m); ours δ = dZ/m."""

    m = 6
    X, Y = rng.standard_normal((3, m)), (rng.uniform(size=(2, m)) > 0.5).astype(float)
    net = bp.Network([3, 4, 2], activations="sigmoid", loss="cross_entropy", seed=3)

    def test_dz2_is_a2_minus_y(self):
        """(8-13): ∂L/∂z2 = a2 − y, because σ′ = a(1 − a) cancels the cost's denominator."""
        fwd, g = self.net.forward(self.X), self.net.backward(self.X, self.Y)
        np.testing.assert_allclose(self.m * g.delta[1], fwd.output - self.Y, rtol=1e-12)

    def test_the_rest_with_its_typos_corrected(self):
        W2 = self.net.weights[1]
        fwd, g = self.net.forward(self.X), self.net.backward(self.X, self.Y)
        a1, dz2 = fwd.a[1], fwd.output - self.Y
        # (8-14) dw2 = 1/m dz2 a1 — needs a1ᵀ to be a matrix product of the right shape.
        np.testing.assert_allclose(g.dW[1], dz2 @ a1.T / self.m, rtol=1e-12)
        # (8-15) db2 = a2 − y — is per sample; the batch gradient is its mean over samples.
        np.testing.assert_allclose(g.db[1], dz2.mean(axis=1, keepdims=True), rtol=1e-12)
        # (8-16, 8-17) da1 = (a2 − y) w2 — must be w2ᵀ dz2; dz1 = da1 ⊙ σ′(z1).
        dz1 = (W2.T @ dz2) * ds(fwd.z[0])
        np.testing.assert_allclose(self.m * g.delta[0], dz1, rtol=1e-12)
        # (8-18, 8-19) with the same 1/m and transpose as the second layer.
        np.testing.assert_allclose(g.dW[0], dz1 @ self.X.T / self.m, rtol=1e-12)
        np.testing.assert_allclose(g.db[0], dz1.mean(axis=1, keepdims=True), rtol=1e-12)
        # Its forward pass, printed as z2 = w2 x + b2, must read z2 = w2 a1 + b2:
        np.testing.assert_allclose(fwd.z[1], W2 @ a1 + self.net.biases[1])


class TestSeed001NodeErrors:
    """Seed 001: nodes 1–3 inputs, 4–7 hidden, 8–9 outputs, all sigmoid; w_ij goes from node j
    to node i (as ours); e_i = ∂E/∂a_i, the node error; E = ½[(a8 − y1)² + (a9 − y2)²].
    Course: W^1[i−4, j−1] = w_ij, W^2[i−8, j−4] = w_ij, and δ_i = e_i σ′(z_i)."""

    net = bp.Network([3, 4, 2], seed=7)
    x, y = rng.standard_normal((3, 1)), np.array([[1.0], [0.0]])

    def node_errors(self):
        """The seed's scalar recipe: e8 = a8 − y1, e9 = a9 − y2, then
        e_j = Σ_i w_ij a_i(1 − a_i) e_i for the hidden nodes j = 4 … 7."""
        fwd = self.net.forward(self.x)
        a = {1 + k: self.x[k, 0] for k in range(3)}
        a.update({4 + k: fwd.a[1][k, 0] for k in range(4)})
        a.update({8 + k: fwd.a[2][k, 0] for k in range(2)})
        w = lambda i, j: (self.net.weights[0][i - 4, j - 1] if i < 8 else self.net.weights[1][i - 8, j - 4])
        e = {8: a[8] - self.y[0, 0], 9: a[9] - self.y[1, 0]}
        for j in range(4, 8):
            e[j] = sum(w(i, j) * a[i] * (1 - a[i]) * e[i] for i in (8, 9))
        return a, e

    def test_node_errors_are_delta_over_sigma_prime(self):
        a, e = self.node_errors()
        g, fwd = self.net.backward(self.x, self.y), self.net.forward(self.x)
        np.testing.assert_allclose(g.delta[1][:, 0], [e[8] * ds(fwd.z[1][0, 0]), e[9] * ds(fwd.z[1][1, 0])], rtol=1e-12)
        np.testing.assert_allclose(g.delta[0][:, 0] / ds(fwd.z[0][:, 0]), [e[j] for j in range(4, 8)], rtol=1e-12)

    def test_weight_gradients_from_node_errors(self):
        """∂E/∂w84 = e8 a8(1 − a8) a4 and ∂E/∂w41 = e4 a4(1 − a4) x1 (seed figures 8, 13)."""
        a, e = self.node_errors()
        g = self.net.backward(self.x, self.y)
        assert g.dW[1][0, 0] == pytest.approx(e[8] * a[8] * (1 - a[8]) * a[4], rel=1e-12)
        assert g.dW[0][0, 0] == pytest.approx(e[4] * a[4] * (1 - a[4]) * a[1], rel=1e-12)
        assert g.db[0][3, 0] == pytest.approx(e[7] * a[7] * (1 - a[7]), rel=1e-12)
