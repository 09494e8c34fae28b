"""Experiment 2: the cliff's vectorised gradient, clipping, and the jump at the wall."""
import numpy as np
import torch

from experiments import cliff


def autograd_gradient(w, b):
    w = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    x = torch.tensor(cliff.X0, dtype=torch.float64)
    for _ in range(cliff.STEPS):
        x = w * torch.sigmoid(x) + b
    E = (torch.sigmoid(x) - cliff.TARGET) ** 2
    E.backward()
    return E.item(), w.grad.item(), b.grad.item()


def test_vectorised_gradient_matches_autograd():
    rng = np.random.default_rng(0)
    ws, bs = rng.uniform(*cliff.W_RANGE, 25), rng.uniform(*cliff.B_RANGE, 25)
    E, gw, gb = cliff.error_and_gradient(ws, bs)
    for i in range(len(ws)):
        np.testing.assert_allclose([E[i], gw[i], gb[i]], autograd_gradient(ws[i], bs[i]), rtol=1e-8, atol=1e-14)


def test_clipped_step_never_exceeds_threshold():
    for start in cliff.STARTS:
        r = cliff.descend(start, 300, clip=cliff.CLIP)
        steps = np.linalg.norm(np.diff(r["path"], axis=0), axis=1)
        assert np.all(steps <= cliff.LEARNING_RATE * cliff.CLIP * (1 + 1e-12))


def test_step_at_the_wall_is_orders_of_magnitude_larger():
    plain = [cliff.descend(s, 300) for s in cliff.STARTS]
    jumps = [np.linalg.norm(np.diff(r["path"], axis=0), axis=1) for r in plain]
    biggest = max(j.max() for j in jumps)
    typical = np.median(np.concatenate([j[:20] for j in jumps]))  # steps on the plateau, far from the wall
    assert biggest > 1e3 * typical
    # the clipped runs from the same starts never jump
    clipped = [cliff.descend(s, 300, clip=cliff.CLIP) for s in cliff.STARTS]
    assert max(np.linalg.norm(np.diff(r["path"], axis=0), axis=1).max() for r in clipped) < biggest / 100


def test_grid_has_a_wall():
    r = cliff.run(dict(grid=60, descent_steps=10), {}, "cpu")
    assert r["error"].shape == (60, 60)
    assert r["grad_norm"].max() > 1e3 * np.median(r["grad_norm"])
