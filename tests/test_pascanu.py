"""Claims behind the Pascanu et al. (2013) experiments: clipping, truncated BPTT, the success criterion,
and the experiment modules' contract (smoke-sized)."""
import numpy as np
import pytest
import torch

from experiments import explosion, tbptt
from rnn import models
from analysis import explosion as explosion_numbers, vanishing as vanishing_numbers
from rnn.tasks import TASKS, success



@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def test_success_criterion_on_hand_made_predictions():
    t = TASKS["temporal_order"]
    y = np.arange(1000) % 4
    logits = np.eye(4)[y]
    wrong = logits.copy()
    wrong[:9] = np.roll(wrong[:9], 1, axis=1)          # 9 of 1000 wrong: 0.9% -> success
    assert success(t.error(wrong, y).mean())
    wrong[9] = np.roll(wrong[9], 1)                     # 10 of 1000: 1.0% -> not a success (strictly fewer)
    assert not success(t.error(wrong, y).mean())
    a = TASKS["adding"]
    target = np.full((100, 1), 0.5, dtype=np.float32)
    pred = target.copy()
    pred[0] += 0.21                                      # squared error 0.0441 > 0.04: wrong
    pred[1] += 0.19                                      # 0.0361: right
    assert a.error(pred, target).sum() == 1
    # the experiment's metric gives one wrong fraction per ensemble member
    m = models.metric("adding")(np.stack([pred, target]), target)
    assert m.shape == (2,) and m[0] == pytest.approx(0.01) and m[1] == 0


def test_clipping_reduces_divergence():
    """A linear RNN with spectral radius ≈ 1.4 (rec_scale 0.2 · √50): with these seeds unclipped SGD at
    lr 0.01 overflows to NaN within a few steps; clipping at 1 must keep (strictly) more runs finite."""
    plain, clipped = explosion.divergence_counts(seeds=6, updates=30)
    assert plain >= 4, "the setting should make unclipped SGD diverge"
    assert clipped < plain


@pytest.mark.parametrize("cell", ["tanh", "sigmoid"])
def test_tbptt_window_cuts_the_gradient(cell):
    """No gradient reaches steps before the window: ∂E/∂h_k = 0 for k ≤ T − w, and the input weights get
    no signal from inputs before the window (changing them does not change the gradient)."""
    from rnn.engine import Ensemble, Member
    t = TASKS["temporal_order"]
    T, w = 30, 8
    x, y = t.sample(np.random.default_rng(0), 4, T)
    ens = Ensemble(cell, t.n_in, 12, t.n_out, [Member(seed=1, init="gaussian", rec_scale=0.5, in_std=0.5)])
    r = ens.train_step(x, y, "ce", window=w, record_dEdh=True)
    d = r["dEdh"][0]
    assert torch.all(d[: T - w] == 0) and torch.all(d[T - w:] > 0)
    # the engine's truncated gradient is autograd's with the state detached where the window starts
    f = {"tanh": torch.tanh, "sigmoid": torch.sigmoid}[cell]
    ref = Ensemble(cell, t.n_in, 12, t.n_out, [Member(seed=1, init="gaussian", rec_scale=0.5, in_std=0.5, lr=0.0)],
                   dtype=torch.float64)
    ref.train_step(x, y, "ce", window=w)
    P = {k: getattr(ref, k)[0].detach().clone().requires_grad_(True) for k in ("W", "V", "b", "U", "c")}
    xt = torch.as_tensor(x, dtype=torch.float64)
    h = torch.zeros(4, 12, dtype=torch.float64)
    for k in range(T):
        if k == T - w:
            h = h.detach()
        h = f(h @ P["W"].T + xt[k] @ P["V"].T + P["b"])
    loss = torch.nn.functional.cross_entropy(h @ P["U"].T + P["c"], torch.as_tensor(y))
    grads = torch.autograd.grad(loss, list(P.values()))
    for (name, _), g in zip(P.items(), grads):
        assert torch.allclose(ref._view(ref.grad, name)[0], g, atol=1e-10), name
    # and it differs from full BPTT: the cut removes real gradient
    full = Ensemble(cell, t.n_in, 12, t.n_out, [Member(seed=1, init="gaussian", rec_scale=0.5, in_std=0.5, lr=0.0)],
                    dtype=torch.float64)
    full.train_step(x, y, "ce")
    assert not torch.allclose(full._view(full.grad, "W"), ref._view(ref.grad, "W"))


def test_tbptt_lags_match_the_generator():
    """The lags the tbptt module quotes are those of the generator's symbol positions."""
    L = 20
    x, _ = TASKS["temporal_order"].sample(np.random.default_rng(3), 5000, L)
    sym = x.argmax(-1)
    pos = [np.flatnonzero(sym[:, i] < 2) for i in range(sym.shape[1])]
    first = np.array([p[0] for p in pos])
    second = np.array([p[1] for p in pos])
    (f_lo, f_hi), (s_lo, s_hi) = tbptt.lags(L)
    assert (L - first).min() == f_lo and (L - first).max() == f_hi
    assert (L - second).min() == s_lo and (L - second).max() == s_hi


def test_vanishing_profile_ratio():
    prof = np.array([[1e-6, 1e-3, 1.0], [1.0, 1.0, 1.0]])
    assert vanishing_numbers.ratio(prof).tolist() == [1e-6, 1.0]


def test_explosion_spikes_and_jumps():
    norm = np.ones(200)
    norm[100] = 50.0
    loss = np.r_[np.full(101, 0.7), np.full(99, 1.4)]
    sp = explosion_numbers.spikes(norm)
    assert sp.tolist() == [100]
    assert explosion_numbers.loss_jumps(loss, sp)[0] == pytest.approx(0.7)
