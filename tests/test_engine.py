"""Checks of the batched RNN engine against plain per-member autograd and torch.optim."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnn.engine import Ensemble, Member
from rnn.fit import fit
from rnn.init import INITS, init_recurrent
from rnn.models import authors_bad_gradient
from rnn.optim import clip_by_global_norm
from rnn.regularisers import omega_penalty, omega_penalty_authors

torch.set_num_threads(1)
PLAIN = ("tanh", "sigmoid", "relu", "linear")
ACT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "linear": lambda p: p}



def reference_loss(hs, U, c, y, loss, output):
    """The loss by plain torch ops, from the list of hidden states (what the engine must agree with)."""
    if output == "last":
        z = hs[-1] @ U.T + c
        return F.cross_entropy(z, y) if loss == "ce" else F.mse_loss(z, y)
    z = torch.stack(hs) @ U.T + c
    if loss == "ce":
        return F.cross_entropy(z.reshape(-1, z.shape[-1]), y.reshape(-1), ignore_index=-100)
    return F.mse_loss(z, y)

def data(T, B, n_in, n_out, output, loss, seed=0, K=None):
    g = torch.Generator().manual_seed(seed)
    lead = () if K is None else (K,)
    x = torch.randn(*lead, T, B, n_in, generator=g, dtype=torch.float64)
    steps = (T,) if output == "every" else ()
    if loss == "ce":
        y = torch.randint(0, n_out, (*lead, *steps, B), generator=g)
        if output == "every":
            y[..., : T // 3, :] = -100   # ignored steps
    else:
        y = torch.randn(*lead, *steps, B, n_out, generator=g, dtype=torch.float64)
    return x, y


def reference(cell, params, x, y, loss, output, window=None, alpha=0.0):
    """One member with plain autograd, Omega from per-step vector-Jacobian products.
    Returns (loss, Omega, flat gradient of loss + alpha * Omega, [dE/dh_t])."""
    W, V, b, U, c = (p.detach().clone().requires_grad_() for p in params)
    T, B = x.shape[0], x.shape[1]
    w = T if window is None else window
    h = torch.zeros(B, W.shape[0], dtype=x.dtype)
    hs, pres, inputs, linked = [], [], [], []
    for t in range(T):
        cut = (output == "last" and t == T - w) or (output == "every" and t > 0 and t % w == 0)
        linked.append(t > 0 and not cut)          # is h_t -> h_{t+1} in the graph?
        hin = h.detach() if cut else h
        pre = hin @ W.T + x[t] @ V.T + b
        h = ACT[cell](pre)
        inputs.append(hin)
        pres.append(pre)
        hs.append(h)
    E = reference_loss(hs, U, c, y, loss, output)
    dh = torch.autograd.grad(E, hs, retain_graph=True, allow_unused=True)
    dh = [torch.zeros_like(hs[0]) if d is None else d for d in dh]
    omega = torch.zeros((), dtype=x.dtype)
    for k in range(1, T):              # transition h_k -> h_{k+1}: hs[k-1] -> hs[k]
        if not linked[k]:
            continue
        delta = dh[k].detach()
        # delta_{k+1} dh_{k+1}/dh_k by autograd, for the value ...
        vjp = torch.autograd.grad(hs[k], inputs[k], delta, retain_graph=True)[0]
        # ... and the same with f' held constant, so only the direct dependence on W is differentiated
        fprime = torch.autograd.grad(ACT[cell](pres[k]), pres[k], torch.ones_like(pres[k]), retain_graph=True)[0]
        v = (delta * fprime.detach()) @ W
        assert torch.allclose(v.detach(), vjp, rtol=1e-6, atol=1e-12)
        nd2 = (delta ** 2).sum(1)
        term = (v.norm(dim=1) / nd2.clamp_min(1e-20).sqrt() - 1) ** 2
        omega = omega + torch.where(nd2 >= 1e-20, term, torch.zeros_like(term)).sum() / B
    total = E + alpha * omega if alpha else E
    grads = torch.autograd.grad(total, (W, V, b, U, c), allow_unused=True)
    flat = torch.cat([torch.zeros_like(p).flatten() if g is None else g.flatten()
                      for g, p in zip(grads, (W, V, b, U, c))])
    return E.detach(), omega.detach(), flat, [d.detach() for d in dh]


def rel(a, b):
    return ((a - b).norm() / b.norm().clamp_min(1e-30)).item()


def check_against_reference(cell, init, output, loss, window, dtype, tol):
    T, B, n_in, n, n_out = 9, 4, 2, 6, 3
    members = [Member(0, init=init, rec_scale=1.0 if init != "gaussian" else 0.5, in_std=0.5, out_std=0.5),
               Member(1, init=init, rec_scale=0.9, clip=0.05, in_std=0.5, out_std=0.5),
               Member(2, init=init, rec_scale=1.1, clip=0.2, omega=0.7, in_std=0.5, out_std=0.5)]
    ens = Ensemble(cell, n_in, n, n_out, members, output=output, dtype=dtype)
    x, y = data(T, B, n_in, n_out, output, loss, seed=3)
    before = [v.clone().double() for v in ens.views(ens.flat).values()]   # W, V, b, U, c
    r = ens.train_step(x.to(dtype), y.to(dtype) if loss == "mse" else y, loss, window=window, record_dEdh=True)
    for k, m in enumerate(members):
        E, omega, g, dh = reference(cell, [p[k] for p in before], x, y, loss, output, window, m.omega)
        norm = g.norm()
        assert abs(r["loss"][k].item() - E.item()) <= tol * abs(E.item())
        assert abs(r["grad_norm"][k].item() - norm.item()) <= tol * norm.item()
        if m.omega:
            assert omega > 0 and abs(r["omega"][k].item() - omega.item()) <= tol * omega.item()
        if m.clip is not None and norm >= m.clip:
            g = g * (m.clip / norm)
        got = torch.cat([v[k].flatten() for v in ens.views(ens.grad).values()]).double()
        assert rel(got, g) < tol, (cell, init, output, window, k)
        dEdh = torch.stack([d.norm(dim=1).mean() for d in dh])
        assert torch.allclose(r["dEdh"][k].double(), dEdh, rtol=tol, atol=1e-12)


@pytest.mark.parametrize("cell", PLAIN)
@pytest.mark.parametrize("init", INITS)
def test_fast_path_gradients_match_autograd_float64(cell, init):
    for output, loss, window in [("last", "ce", None), ("last", "mse", 4), ("every", "ce", None),
                                 ("every", "mse", 4), ("every", "ce", 3)]:
        check_against_reference(cell, init, output, loss, window, torch.float64, 1e-9)  # stricter than 1e-5


@pytest.mark.parametrize("cell", PLAIN)
def test_fast_path_gradients_match_autograd_float32(cell):
    for output, loss, window in [("last", "ce", None), ("every", "ce", 4), ("last", "mse", 5)]:
        check_against_reference(cell, "orthogonal", output, loss, window, torch.float32, 1e-4)


def test_omega_penalty_matches_finite_differences():
    # the closed-form dOmega/dW against central differences of the Omega value itself
    g = torch.Generator().manual_seed(0)
    K, M, n = 2, 7, 4
    W = torch.randn(K, n, n, generator=g, dtype=torch.float64)
    a = torch.randn(K, M, n, generator=g, dtype=torch.float64)
    delta = torch.randn(K, M, n, generator=g, dtype=torch.float64)
    delta[0, 2] = 0     # masked term
    om, gW = omega_penalty(W, a, delta, batch=3)
    eps = 1e-6
    for (k, i, j) in [(0, 0, 0), (1, 2, 3), (0, 3, 1)]:
        Wp, Wm = W.clone(), W.clone()
        Wp[k, i, j] += eps
        Wm[k, i, j] -= eps
        fd = (omega_penalty(Wp, a, delta, 3)[0][k] - omega_penalty(Wm, a, delta, 3)[0][k]) / (2 * eps)
        assert abs(fd.item() - gW[k, i, j].item()) < 1e-6


def test_lstm_matches_nn_lstm_and_gradients():
    torch.manual_seed(0)
    T, B, n_in, n, n_out = 7, 3, 2, 5, 3
    ens = Ensemble("lstm", n_in, n, n_out, [Member(4, in_std=0.5)], dtype=torch.float64)
    lstm = torch.nn.LSTM(n_in, n).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(ens.W_ih[0])
        lstm.weight_hh_l0.copy_(ens.W_hh[0])
        lstm.bias_ih_l0.copy_(ens.b[0])
        lstm.bias_hh_l0.zero_()
    assert torch.all(ens.b[0, n:2 * n] == 1) and torch.all(ens.b[0, :n] == 0)
    x, y = data(T, B, n_in, n_out, "last", "ce")
    out, _ = lstm(x)
    assert torch.allclose(ens.hidden_states(x)[0], out, atol=1e-12)
    U, c = ens.U[0].clone(), ens.c[0].clone()
    E = F.cross_entropy(out[-1] @ U.T + c, y)
    E.backward()
    r = ens.train_step(x, y, "ce")
    assert abs(r["loss"].item() - E.item()) < 1e-12
    g = ens.views(ens.grad)["W_hh"][0]
    assert torch.allclose(g, lstm.weight_hh_l0.grad, atol=1e-12)


def reference_lstm(params, x, y, loss, output, window=None):
    """One LSTM member with plain autograd: (loss, flat gradient in engine order, [dE/dh_t])."""
    W_ih, W_hh, b, U, c = (p.detach().clone().requires_grad_() for p in params)
    T, B = x.shape[0], x.shape[1]
    n = W_hh.shape[1]
    w = T if window is None else window
    h = cell = torch.zeros(B, n, dtype=x.dtype)
    hs = []
    for t in range(T):
        if (output == "last" and t == T - w) or (output == "every" and t > 0 and t % w == 0):
            h, cell = h.detach(), cell.detach()
        i, f, g, o = (x[t] @ W_ih.T + h @ W_hh.T + b).chunk(4, 1)
        cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(cell)
        hs.append(h)
    E = reference_loss(hs, U, c, y, loss, output)
    grads = torch.autograd.grad(E, (W_ih, W_hh, b, U, c) + tuple(hs), allow_unused=True)
    dh = [torch.zeros_like(hs[0]) if d is None else d for d in grads[5:]]
    return E.detach(), torch.cat([g.flatten() for g in grads[:5]]), dh


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-9), (torch.float32, 1e-4)])
def test_lstm_gradients_match_autograd(dtype, tol):
    T, B, n_in, n, n_out = 9, 4, 2, 5, 3
    members = [Member(0, in_std=0.8), Member(1, clip=0.05, in_std=0.8)]
    for output, loss, window in [("last", "ce", None), ("last", "mse", 4), ("every", "ce", None),
                                 ("every", "mse", 4), ("every", "ce", 3)]:
        ens = Ensemble("lstm", n_in, n, n_out, members, output=output, dtype=dtype)
        x, y = data(T, B, n_in, n_out, output, loss, seed=5)
        before = [v.clone().double() for v in ens.views(ens.flat).values()]   # W_ih, W_hh, b, U, c
        r = ens.train_step(x.to(dtype), y.to(dtype) if loss == "mse" else y, loss, window=window,
                           record_dEdh=True)
        for k, m in enumerate(members):
            E, g, dh = reference_lstm([p[k] for p in before], x, y, loss, output, window)
            assert abs(r["loss"][k].item() - E.item()) <= tol * E.item()
            assert abs(r["grad_norm"][k].item() - g.norm().item()) <= tol * g.norm().item()
            if m.clip is not None and g.norm() >= m.clip:
                g = g * (m.clip / g.norm())
            got = torch.cat([v[k].flatten() for v in ens.views(ens.grad).values()]).double()
            assert rel(got, g) < tol, (output, loss, window, k)
            dEdh = torch.stack([d.norm(dim=1).mean() for d in dh])
            assert torch.allclose(r["dEdh"][k].double(), dEdh, rtol=tol, atol=1e-12)


def test_inits():
    g = torch.Generator().manual_seed(0)
    assert torch.equal(init_recurrent("identity", 5, 1.0, generator=g), torch.eye(5, dtype=torch.float64))
    q = init_recurrent("orthogonal", 6, 1.5, generator=g)
    assert torch.allclose(q.T @ q, 2.25 * torch.eye(6, dtype=torch.float64))
    s = init_recurrent("sparse", 30, 0.95, k=15, generator=g)
    assert ((s != 0).sum(1) == 15).all()
    assert abs(torch.linalg.eigvals(s).abs().max().item() - 0.95) < 1e-9
    w = init_recurrent("gaussian", 200, 0.1, generator=g)
    assert abs(w.std().item() - 0.1) < 0.005


def test_clipped_update_never_exceeds_threshold():
    x, y = data(20, 8, 2, 3, "last", "ce")
    members = [Member(0, lr=0.5, clip=0.01, init="gaussian", rec_scale=1.5), Member(1, lr=0.5, rec_scale=1.5)]
    ens = Ensemble("tanh", 2, 10, 3, members)
    for _ in range(5):
        before = ens.flat.clone()
        r = ens.train_step(x.float(), y, "ce")
        step = (ens.flat - before).norm(dim=1) / 0.5
        assert r["grad_norm"][0] > 0.01                    # clipping was active ...
        assert step[0] <= 0.01 * (1 + 1e-5)                # ... and bounded the update
        assert abs(step[1] - r["grad_norm"][1]) < 1e-4 * r["grad_norm"][1]   # unclipped member: full step
    g = torch.tensor([[3.0, 4.0], [0.3, 0.4]])
    norm = clip_by_global_norm(g, torch.tensor([1.0, 1.0]))
    assert torch.allclose(norm, torch.tensor([5.0, 0.5])) and torch.allclose(g, torch.tensor([[0.6, 0.8], [0.3, 0.4]]))


@pytest.mark.parametrize("opt", ["momentum", "rmsprop", "adam"])
def test_optimizers_match_torch_optim(opt):
    x, y = data(6, 4, 2, 3, "last", "ce")
    ens = Ensemble("tanh", 2, 5, 3, [Member(0, lr=0.03), Member(1, lr=0.1)], optimizer=opt, momentum=0.9,
                   dtype=torch.float64)
    params = [torch.nn.Parameter(ens.flat[k].clone()) for k in range(2)]
    make = {"momentum": lambda p, lr: torch.optim.SGD([p], lr=lr, momentum=0.9),
            "rmsprop": lambda p, lr: torch.optim.RMSprop([p], lr=lr),
            "adam": lambda p, lr: torch.optim.Adam([p], lr=lr)}[opt]
    opts = [make(params[k], m.lr) for k, m in enumerate(ens.members)]
    for _ in range(4):
        ens.train_step(x, y, "ce")
        for k in range(2):
            params[k].grad = ens.grad[k].clone()
            opts[k].step()
            assert torch.allclose(params[k].data, ens.flat[k], rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ fit: determinism, ensembles, divergence

def sample(rng, n, T=12):
    """Toy task: class of the sign pattern of the first two inputs."""
    x = rng.standard_normal((T, n, 2)).astype(np.float32)
    y = ((x[0, :, 0] > 0).astype(np.int64) + 2 * (x[1, :, 1] > 0)).astype(np.int64)
    return x, y


def error(pred, y):
    return (pred.argmax(-1) != y[None]).mean(1)


TEST = sample(np.random.default_rng(99), 64)


class Counter:
    n = 0

    def update(self, k):
        self.n += k


def run(members, cell="tanh", updates=12, **kw):
    ens = Ensemble(cell, 2, 8, 4, members, **kw)
    bar = Counter()
    out = fit(ens, sample, updates=updates, batch_size=5, loss="ce", eval_every=5, test=TEST, metric=error,
              dEdh_every=4, progress=bar)
    assert bar.n == updates
    return out


RECORDS = ("test_loss", "test_error", "train_loss", "grad_norm", "dEdh")


@pytest.mark.parametrize("cell", ["relu", "lstm"])
def test_member_in_ensemble_equals_member_alone(cell):
    members = [Member(1, lr=0.05, init="identity", rec_scale=1.0), Member(2, lr=0.1, clip=0.5, init="orthogonal"),
               Member(3, lr=0.02, omega=0.0 if cell == "lstm" else 0.3, init="sparse", rec_scale=0.95, sparse_k=3)]
    together = run(members, cell, optimizer="adam")
    assert together["train_loss"].shape == (3, 12) and together["dEdh"].shape == (3, 3, 12)
    assert list(together["eval_steps"]) == [0, 5, 10, 12]
    for k, m in enumerate(members):
        alone = run([m], cell, optimizer="adam")
        for key in RECORDS:
            np.testing.assert_allclose(together[key][k], alone[key][0], rtol=2e-5, atol=1e-6)


def test_same_seed_identical_records():
    members = [Member(5, lr=0.1), Member(6, lr=0.1, clip=1.0, omega=0.1)]
    a, b = run(members), run(members)
    for key in RECORDS:
        assert np.array_equal(a[key], b[key])
    # and a different seed does give different records
    c = run([Member(7, lr=0.1), Member(6, lr=0.1, clip=1.0, omega=0.1)])
    assert not np.array_equal(a["train_loss"][0], c["train_loss"][0])


def test_shared_seed_members_see_the_same_data():
    members = [Member(5, lr=0.1), Member(5, lr=0.03)]
    together = run(members)
    alone = run([members[1]])
    np.testing.assert_allclose(together["train_loss"][1], alone["train_loss"][0], rtol=2e-5)


def test_divergence_is_contained():
    bomb = Member(0, lr=50.0, init="gaussian", rec_scale=3.0, in_std=3.0, out_std=3.0)   # no clipping
    calm = Member(1, lr=0.05)
    together = run([bomb, calm], cell="relu", updates=30)
    d = together["diverged_at"][0]
    assert d is not None and together["diverged_at"][1] is None
    assert np.isnan(together["train_loss"][0, d + 1:]).all()
    for key in RECORDS:
        assert np.isfinite(together[key][1]).all()
    alone = run([calm], cell="relu", updates=30)
    np.testing.assert_allclose(together["train_loss"][1], alone["train_loss"][0], rtol=2e-5)


def test_diverged_member_is_frozen():
    # adam: a frozen member must not keep moving on its optimiser state
    ens = Ensemble("tanh", 2, 6, 3, [Member(0, lr=0.1), Member(1, lr=0.1)], optimizer="adam")
    x, y = data(10, 4, 2, 3, "last", "ce", K=2)
    x = x.float()
    for _ in range(3):
        ens.train_step(x, y, "ce")
    poisoned = x.clone()
    poisoned[0, 0, 0, 0] = math.inf          # member 0 only (one batch per member)
    r = ens.train_step(poisoned, y, "ce")
    assert ens.diverged.tolist() == [True, False] and ens.diverged_at == [3, None]
    assert torch.isfinite(r["loss"][1]) and torch.isfinite(ens.flat).all()
    frozen, other = ens.flat[0].clone(), ens.flat[1].clone()
    r = ens.train_step(x, y, "ce")
    assert torch.equal(ens.flat[0], frozen) and torch.isnan(r["loss"][0]) and torch.isfinite(r["loss"][1])
    assert not torch.equal(ens.flat[1], other)
    # a member whose forward pass overflows diverges at once; its sibling does not
    ens = Ensemble("linear", 2, 6, 3, [Member(0, rec_scale=30.0), Member(1)])
    xs, ys = data(40, 4, 2, 3, "last", "ce")
    r = ens.train_step(xs.float(), ys, "ce")
    assert ens.diverged_at == [0, None] and torch.isfinite(r["loss"][1]) and torch.isfinite(ens.flat[1]).all()


@pytest.mark.parametrize("cell", ["tanh", "lstm"])
def test_window_blocks_gradient_before_it(cell):
    T, w = 15, 4
    x, y = data(T, 6, 2, 3, "last", "ce")
    ens = Ensemble(cell, 2, 7, 3, [Member(0, init="orthogonal", rec_scale=1.0)], dtype=torch.float64)
    r = ens.train_step(x, y, "ce", window=w, record_dEdh=True)
    assert (r["dEdh"][0, : T - w] == 0).all() and (r["dEdh"][0, T - w:] > 0).all()
    full = Ensemble(cell, 2, 7, 3, [Member(0, init="orthogonal", rec_scale=1.0)], dtype=torch.float64)
    assert (full.train_step(x, y, "ce", record_dEdh=True)["dEdh"][0] > 0).all()
    # chunks of `window` for output="every": the state is carried, the gradient is not
    ens = Ensemble(cell, 2, 7, 3, [Member(0)], output="every", dtype=torch.float64)
    xe, ye = data(T, 6, 2, 3, "every", "mse")
    g_full = ens.train_step(xe, ye, "mse")["grad_norm"]
    ens2 = Ensemble(cell, 2, 7, 3, [Member(0)], output="every", dtype=torch.float64)
    g_win = ens2.train_step(xe, ye, "mse", window=w)["grad_norm"]
    assert not torch.allclose(g_full, g_win)


def test_per_member_batches_and_evaluate():
    K, T, B = 2, 8, 5
    ens = Ensemble("tanh", 2, 6, 3, [Member(0), Member(1)], output="every", dtype=torch.float64)
    x, y = data(T, B, 2, 3, "every", "ce", K=K)
    r = ens.evaluate(x, y, "ce", batch_size=2)
    assert r["pred"].shape == (K, T, B, 3)
    whole = ens.evaluate(x, y, "ce")
    assert torch.allclose(r["loss"], whole["loss"]) and torch.allclose(r["pred"], whole["pred"])
    t = ens.train_step(x, y, "ce")
    assert torch.allclose(t["loss"], whole["loss"])
    assert ens.hidden_states(x[0]).shape == (K, T, B, 6)


# ------------------------------------------------------------------ the authors' code (pascanur/trainingRNNs)

def their_omega(W_hh, d_ht, ht, bound=1e-20):
    """RNN.py lines 197-209 (tanh branch), transcribed to numpy. Their row convention:
    h_t = tanh(h_{t-1} W_hh + u_t W_uh + b), so W_hh is our W transposed. d_ht: (T+1, B, n) total
    dC/dh_0..dC/dh_T; ht: (T, B, n) = h_1..h_T."""
    tmp_x = d_ht[1:] * (1 - ht ** 2)
    sh0, sh1, sh2 = tmp_x.shape
    tmp_x = tmp_x.reshape((sh0 * sh1, sh2))
    tmp_x = np.dot(tmp_x, W_hh.T)
    tmp_x = (tmp_x.reshape((sh0, sh1, sh2)) ** 2).sum(2)
    tmp_y = (d_ht[1:] ** 2).sum(2)
    with np.errstate(divide="ignore", invalid="ignore"):
        tmp_reg = (np.where(tmp_y >= bound, tmp_x / tmp_y, 1) - 1.) ** 2
    n_elems = np.mean(tmp_y >= bound, axis=1)
    return tmp_reg.mean(1).sum() / n_elems.sum()


def their_omega_grad(W_hh, d_ht, ht, eps=1e-6):
    """TT.grad(tmp_reg, W_hh) with d_ht and ht held constant, by central differences."""
    g = np.zeros_like(W_hh)
    for i, j in np.ndindex(*W_hh.shape):
        Wp, Wm = W_hh.copy(), W_hh.copy()
        Wp[i, j] += eps
        Wm[i, j] -= eps
        g[i, j] = (their_omega(Wp, d_ht, ht) - their_omega(Wm, d_ht, ht)) / (2 * eps)
    return g


def test_omega_authors_matches_their_code_on_random_inputs():
    rng = np.random.default_rng(0)
    T, B, n = 6, 4, 5
    W_hh = rng.standard_normal((n, n))
    ht = np.tanh(rng.standard_normal((T, B, n)))
    d_ht = rng.standard_normal((T + 1, B, n))
    d_ht[3, 2] = 0           # a masked (step, example) pair
    W = torch.tensor(W_hh.T)[None]
    a = torch.tensor(d_ht[1:] * (1 - ht ** 2)).reshape(1, T * B, n)
    om, gW = omega_penalty_authors(W, a, torch.tensor(d_ht[1:]).reshape(1, T * B, n))
    assert abs(om.item() - their_omega(W_hh, d_ht, ht)) < 1e-12 * their_omega(W_hh, d_ht, ht)
    np.testing.assert_allclose(gW[0].numpy(), their_omega_grad(W_hh, d_ht, ht).T, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("output", ["last", "every"])
def test_engine_omega_authors_matches_their_code(output):
    # the engine's Omega and alpha * dOmega/dW inside a full training step, against their formula on the
    # hidden states and dE/dh of a plain autograd run
    T, B, n_in, n, n_out, alpha = 9, 4, 2, 6, 3, 2.0
    members = [Member(0, omega=alpha, init="sparse", rec_scale=0.95, sparse_k=3, in_std=0.5, out_std=0.5),
               Member(1, omega=alpha, init="gaussian", rec_scale=0.5, in_std=0.5, out_std=0.5)]
    ens = Ensemble("tanh", n_in, n, n_out, members, output=output, dtype=torch.float64, omega_form="authors")
    x, y = data(T, B, n_in, n_out, output, "ce", seed=4)
    before = [v.clone() for v in ens.views(ens.flat).values()]
    hs = ens.hidden_states(x).numpy()
    r = ens.train_step(x, y, "ce")
    for k in range(len(members)):
        _, _, g, dh = reference("tanh", [p[k] for p in before], x, y, "ce", output)
        d_ht = np.concatenate([np.zeros((1, B, n)), torch.stack(dh).numpy()])   # dC/dh_0 is never read
        W_hh = before[0][k].numpy().T
        want = their_omega(W_hh, d_ht, hs[k])
        assert abs(r["omega"][k].item() - want) <= 1e-9 * want
        gW = g[:n * n].reshape(n, n).numpy() + alpha * their_omega_grad(W_hh, d_ht, hs[k]).T
        np.testing.assert_allclose(ens.views(ens.grad)["W"][k].numpy(), gW, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(ens.views(ens.grad)["U"][k].numpy().ravel(),
                                   g[-n_out * n - n_out:-n_out].numpy(), rtol=1e-9)


def test_authors_bad_gradient_step():
    # RNN.py 234-243: a NaN/Inf/>1e10 norm makes the step W <- W - lr * 0.02 W, zero elsewhere, and the run
    # goes on; unclipped members keep the freeze (their check sits under clipstyle == 'rescale')
    members = [Member(0, lr=0.1, clip=1.0), Member(1, lr=0.1, clip=1.0), Member(2, lr=0.1)]
    ens = Ensemble("tanh", 2, 6, 3, members, on_bad_gradient=authors_bad_gradient)
    twin = Ensemble("tanh", 2, 6, 3, members)                       # the default: freeze
    x, y = data(10, 4, 2, 3, "last", "ce", K=3)
    x = x.float()
    poisoned = x.clone()
    poisoned[0, 0, 0, 0] = poisoned[2, 0, 0, 0] = math.inf          # members 0 and 2 only
    before = ens.flat.clone()
    ens.train_step(poisoned, y, "ce")
    twin.train_step(poisoned, y, "ce")
    want = before[0].clone()
    W = ens._view(want[None], "Wcat")[0, :, :6]
    W.sub_((0.02 * W) * ens.lr[0])
    assert torch.equal(ens.flat[0], want)
    assert torch.equal(ens.flat[1], twin.flat[1])                   # the other members: as without the option
    assert torch.equal(ens.flat[2], before[2])
    assert ens.diverged.tolist() == [False, False, True] and ens.bad_steps.tolist() == [1, 0, 0]
    assert twin.diverged.tolist() == [True, False, True]
    r = ens.train_step(x, y, "ce")                                  # member 0 trains on
    assert torch.isfinite(r["loss"][0]) and not torch.equal(ens.flat[0], want)
    assert torch.equal(ens.flat[2], before[2]) and ens.bad_steps.tolist() == [1, 0, 0]
    # a finite norm above 1e10 is bad too (freeze mode clips it as usual)
    huge = [Member(0, lr=0.1, clip=1.0, out_std=1e12), Member(1, lr=0.1, clip=1.0)]
    ens, twin = Ensemble("tanh", 2, 6, 3, huge, on_bad_gradient=authors_bad_gradient), Ensemble("tanh", 2, 6, 3, huge)
    V0 = ens.V[0].clone()
    r = ens.train_step(x[0], y[0], "ce")
    twin.train_step(x[0], y[0], "ce")
    assert 1e10 < r["grad_norm"][0] < math.inf and ens.bad_steps.tolist() == [1, 0]
    assert torch.equal(ens.V[0], V0) and not torch.equal(twin.V[0], V0)       # twin: an ordinary clipped step
    assert not twin.diverged.any() and torch.equal(ens.flat[1], twin.flat[1])


def test_fit_success_check():
    members = [Member(0, lr=0.1), Member(1, lr=0.1), Member(2, lr=0.1)]
    seen = []

    def check(ens):                     # member 2 succeeds at the first check, member 0 at the second
        seen.append(ens.step)
        return [len(seen) >= 2, False, True]

    ens = Ensemble("tanh", 2, 8, 4, members)
    out = fit(ens, sample, updates=70, batch_size=5, loss="ce", eval_every=25, test=TEST, metric=error,
              check=check, check_every=20)
    # as RNN.py: the counter n starts at 0 and the check runs when n % 20 == 0 and n > 0
    assert seen == [21, 41, 61] and out["success_at"] == [41, None, 21] and out["stopped_at"] is None
    # a member that succeeded is frozen: its parameters are those after its success update
    for k, steps in [(2, 21), (0, 41)]:
        short = Ensemble("tanh", 2, 8, 4, members)
        fit(short, sample, updates=steps, batch_size=5, loss="ce", eval_every=25, test=TEST, metric=error)
        assert torch.equal(ens.flat[k], short.flat[k])
    assert not torch.equal(ens.flat[1], short.flat[1])       # member 1 trained on to 70
    # without the check: the same records up to the first success (the option changes nothing else)
    plain = run(members, updates=70)
    np.testing.assert_array_equal(out["train_loss"][:, :21], plain["train_loss"][:, :21])
    # once every member has finished, the remaining updates are skipped
    ens = Ensemble("tanh", 2, 8, 4, members)
    bar = Counter()
    out = fit(ens, sample, updates=70, batch_size=5, loss="ce", eval_every=25, test=TEST, metric=error,
              check=lambda e: [True] * 3, check_every=20, progress=bar)
    assert out["success_at"] == [21] * 3 and out["stopped_at"] == 21 and bar.n == 70
    assert out["train_loss"].shape == (3, 70) and np.isnan(out["train_loss"][:, 21:]).all()
    assert out["test_error"].shape == (3, 4) and np.array_equal(out["test_error"][:, 2], out["test_error"][:, 3])


@pytest.mark.parametrize("cell", ["tanh", "lstm"])
def test_reused_buffers_after_another_length(cell):
    """The engine keeps its state buffers (and their constant parts and per-step views) across updates; after
    updates and evaluations at other lengths it must compute exactly what a fresh ensemble computes."""
    members = [Member(k, lr=0.0, clip=1.0, omega=0.5 if k == 1 and cell != "lstm" else 0.0) for k in range(3)]
    used, fresh = (Ensemble(cell, 2, 8, 3, members) for _ in range(2))
    for T in (7, 4, 7):
        x, y = data(T, 5, 2, 3, "last", "ce", seed=T, K=3)
        used.train_step(x.float(), y, "ce", window=3 if T == 4 else None, record_dEdh=True)
        used.evaluate(x.float(), y, "ce")
    x, y = data(5, 5, 2, 3, "last", "ce", seed=9, K=3)
    a = used.train_step(x.float(), y, "ce", record_dEdh=True)
    b = fresh.train_step(x.float(), y, "ce", record_dEdh=True)
    assert all(torch.equal(a[k], b[k]) for k in a) and torch.equal(used.grad, fresh.grad)
    assert torch.equal(used.hidden_states(x.float()), fresh.hidden_states(x.float()))
