"""Experiment 1: the exact Jacobian products, their bound, and agreement with autograd."""
import numpy as np
import pytest
import torch

from experiments import jacobian as J
from analysis import jacobian as jacobian_numbers
from figures import jacobian as jacobian_figures

SMALL = dict(n_hidden=30, steps=40, n_in=5, seeds=2)


@pytest.fixture(scope="module")
def runs():
    return {f: J.run(SMALL, {"activation": f}, "cpu") for f in J.ACTIVATIONS}


def test_bound_holds_in_every_run(runs):
    for f, r in runs.items():
        assert r["norms"].shape == (len(J.weight_configs()), SMALL["seeds"], SMALL["steps"])
        assert np.all(np.isfinite(r["norms"]))
        assert np.all(r["norms"] <= r["bounds"] * (1 + 1e-9)), f


def test_bound_is_not_vacuous(runs):
    # a test that could fail: for the linear net with Gaussian W, distance 1 gives ||W|| = λ₁ = the bound itself
    r = runs["linear"]
    for c, (label, kind, target) in enumerate(J.weight_configs()):
        if kind == "gaussian":
            np.testing.assert_allclose(r["norms"][c, :, 0], target, rtol=1e-9)


def test_orthogonal_linear_keeps_all_singular_values_at_one(runs):
    c = [k for _, k, _ in J.weight_configs()].index("orthogonal")
    np.testing.assert_allclose(runs["linear"]["spectra"][c], 1.0, atol=1e-9)
    np.testing.assert_allclose(runs["linear"]["norms"][c], 1.0, atol=1e-9)


def test_vanishing_below_one_and_sigmoid_always_vanishes(runs):
    labels = runs["tanh"]["labels"]
    assert np.all(runs["tanh"]["norms"][labels.index("gauss 0.5"), :, -1] < 1e-6)
    assert np.all(runs["sigmoid"]["norms"][labels.index("gauss 1"), :, -1] < 1e-6)


@pytest.mark.parametrize("f", J.ACTIVATIONS)
def test_exact_product_matches_autograd(f):
    n, T, n_in = 12, 15, 3
    gen = torch.Generator().manual_seed(7)
    W = J.recurrent("gaussian", 1.1, f, n, gen)
    V = torch.randn(n, n_in, generator=gen, dtype=torch.float64)
    b = torch.randn(n, generator=gen, dtype=torch.float64) * 0.1
    x = torch.randn(T, n_in, generator=gen, dtype=torch.float64)
    pres = J.trajectory(W, V, b, x, f)
    P = J.jacobian_products(W, pres, f)
    act = J.activation(f)
    for k in (0, 5, T - 1):  # ∂h_T/∂h_k by autograd, rolling forward from h_k
        h_k = act(pres[k - 1]) if k > 0 else torch.zeros(n, dtype=torch.float64)

        def roll(h):
            for t in range(k, T):
                h = act(W @ h + V @ x[t] + b)
            return h
        auto = torch.autograd.functional.jacobian(roll, h_k)
        torch.testing.assert_close(P[T - k - 1], auto, rtol=1e-10, atol=1e-12)


def test_report_numbers(tmp_path, runs):
    jacobian_figures.draw(SMALL, [runs[f] for f in J.ACTIVATIONS], tmp_path)
    numbers = jacobian_numbers.numbers(SMALL, [runs[f] for f in J.ACTIVATIONS])
    assert numbers["violations"] == 0
    assert numbers["runs"] == len(J.ACTIVATIONS) * len(J.weight_configs()) * SMALL["seeds"]
    # λ₁ > 1 is not enough: a Gaussian W with γλ₁ = 1.5 has ρ ≈ 0.75 and vanishes; ρ = 1.2 explodes when f is linear
    assert numbers["linear_15_dT"] < 1 < numbers["gauss_15_radius"] * 2
    assert numbers["linear_rho_dT"] > 1e2 > numbers["tanh_rho_dT"]
    assert (tmp_path / "jacobian_gaussian.pdf").exists() and (tmp_path / "jacobian_spectrum.png").exists()
