"""RNN training engine: K independent small RNNs trained as one batched computation.

Every tensor carries a leading model dim K, so an ensemble of seeds / learning rates / clipping
thresholds costs about as much as one run (tiny RNNs on a CPU are latency-bound, not FLOP-bound).

All cells (tanh, sigmoid, relu, linear, lstm) use a hand-written BPTT instead of autograd: the state
buffer holds rows [h_t | x_{t+1} | 1], so each step is one matmul with [W | V | b] into preallocated
buffers, and the gradients of W, V, b for all steps are one big matmul at the end. Gradients equal
autograd's (tests/test_engine.py). Model (row-vector form, W h == h @ W^T):
    h_t = f(W h_{t-1} + V x_t + b),  h_0 = 0,   y_hat = U h + c
All of a member's parameters live in one row of a flat (K, P) tensor, so gradient norms, clipping
and the optimisers are a handful of (K, P) ops, with no mixing across members.
On a shared 2-core CPU, torch.set_num_threads(1) per process avoids OpenMP stalls under load.
"""
import math
import time
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["Member", "Ensemble", "fit", "set_flush_denormal", "init_recurrent", "clip_by_global_norm",
           "omega_penalty", "omega_penalty_authors", "CELLS", "INITS", "OPTIMIZERS", "OMEGA_FORMS",
           "OMEGA_WEIGHT", "ON_BAD_GRADIENT"]

CELLS = ("tanh", "sigmoid", "relu", "linear", "lstm")
INITS = ("gaussian", "orthogonal", "identity", "sparse")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
_OMEGA_EPS = 1e-20      # ||dE/dh||^2 below this: the Omega term is masked (as in Pascanu et al.'s code)
DATA_CHUNK = 50         # fit() draws this many batches per sample() call; part of the data stream's definition

# Omega as the paper's text writes it, or as the authors' code computes it (pascanur/trainingRNNs, RNN.py
# lines 194-217): see omega_penalty / omega_penalty_authors. The weight each form was used with: the
# paper's Fig. 7 text gives 4 (unverified), the authors' script sets state['alpha'] = 2. (RNN.py line 467).
OMEGA_FORMS = ("paper", "authors")
OMEGA_WEIGHT = {"paper": 4.0, "authors": 2.0}
# What a member does when its gradient norm is not usable: "freeze" (stop it, count it diverged) or
# "authors" (RNN.py lines 234-243: replace the step by 0.02 W on W and 0 elsewhere, and train on).
ON_BAD_GRADIENT = ("freeze", "authors")
BAD_NORM = 1e10         # the authors' code does not trust a float32 gradient norm above this (RNN.py line 237)


def set_flush_denormal():
    # identity-init ReLU nets decay into denormals, which run ~100x slower on x86 without this
    torch.set_flush_denormal(True)


set_flush_denormal()


@dataclass(frozen=True)
class Member:
    """One independent run inside an ensemble."""
    seed: int
    lr: float = 0.01
    clip: float | None = None   # global-norm clipping threshold over this member's params; None = off
    omega: float = 0.0          # weight of Pascanu's Omega regulariser; 0 = off
    init: str = "gaussian"      # gaussian | orthogonal | identity | sparse
    rec_scale: float = 0.1      # gaussian: std; orthogonal: gain; identity: multiplier; sparse: spectral radius
    sparse_k: int = 15          # sparse: non-zero incoming weights per unit
    in_std: float = 0.1
    out_std: float = 0.1


# ----------------------------------------------------------------------------- initialisation

def init_recurrent(kind, n, scale, k=15, generator=None):
    """Recurrent matrix W (n, n), float64 on CPU (cast later, so init is independent of dtype/device)."""
    g = generator
    if kind == "gaussian":
        return torch.randn(n, n, generator=g, dtype=torch.float64) * scale
    if kind == "orthogonal":
        q, r = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
        return q * torch.sign(torch.diagonal(r)) * scale   # sign fix makes Q Haar-distributed
    if kind == "identity":
        return torch.eye(n, dtype=torch.float64) * scale
    if kind == "sparse":
        k = min(k, n)
        w = torch.zeros(n, n, dtype=torch.float64)
        for i in range(n):    # row i = incoming weights of unit i
            cols = torch.randperm(n, generator=g)[:k]
            w[i, cols] = torch.randn(k, generator=g, dtype=torch.float64)
        rho = torch.linalg.eigvals(w).abs().max().item()
        return w * (scale / rho) if rho > 0 else w
    raise ValueError(f"unknown init {kind!r}; expected one of {INITS}")


def _param_shapes(cell, n_in, n, n_out):
    # the recurrent cell keeps [W | V | b] as one (rows, n + n_in + 1) block: with the state buffer
    # holding rows [h_t | x_{t+1} | 1], each step is one matmul and all its weight gradients are one matmul.
    # LSTM: [W_hh | W_ih | b], gate order i, f, g, o as in torch.nn.LSTM, one bias (b_ih + b_hh merged)
    rows = 4 * n if cell == "lstm" else n
    return {"Wcat": (rows, n + n_in + 1), "U": (n_out, n), "c": (n_out,)}


def _init_member(cell, n_in, n, n_out, m):
    """Initial parameters of one member, float64, from torch.Generator(seed) only."""
    g = torch.Generator().manual_seed(m.seed)
    f64 = torch.float64
    if cell == "lstm":
        # torch.nn.LSTM's init for W_hh and U, Gaussian input weights, forget-gate bias 1
        s = 1 / math.sqrt(n)
        W_ih = torch.randn(4 * n, n_in, generator=g, dtype=f64) * m.in_std
        W_hh = (torch.rand(4 * n, n, generator=g, dtype=f64) * 2 - 1) * s
        b = torch.zeros(4 * n, 1, dtype=f64)
        b[n:2 * n] = 1.0
        return {"Wcat": torch.cat([W_hh, W_ih, b], 1),
                "U": (torch.rand(n_out, n, generator=g, dtype=f64) * 2 - 1) * s,
                "c": torch.zeros(n_out, dtype=f64)}
    W = init_recurrent(m.init, n, m.rec_scale, m.sparse_k, g)
    V = torch.randn(n, n_in, generator=g, dtype=f64) * m.in_std
    return {"Wcat": torch.cat([W, V, torch.zeros(n, 1, dtype=f64)], 1),   # b = 0
            "U": torch.randn(n_out, n, generator=g, dtype=f64) * m.out_std,
            "c": torch.zeros(n_out, dtype=f64)}


# ----------------------------------------------------------------------------- shared maths

def clip_by_global_norm(g, clip):
    """g: (K, P) flat gradients, clip: (K,) thresholds (inf = off). In place; returns the norms before.
    Pascanu et al. Alg. 1: if ||g|| >= threshold, g <- threshold * g / ||g||."""
    norm = torch.linalg.vector_norm(g, dim=1)
    scale = torch.where(norm >= clip, clip / norm, torch.ones_like(norm))
    g.mul_(scale[:, None])
    return norm


def omega_penalty(W, a, delta, batch, keep=None, v=None):
    """Pascanu et al. (2013) Omega, for all transitions h_k -> h_{k+1} at once.
    W: (K, n, n); a: (K, M, n) = delta_{k+1} * f'(pre_{k+1}) (rows over transitions x batch);
    delta: (K, M, n) = dE/dh_{k+1}; batch: B (the sum over k is divided by B = mean over the batch);
    keep: optional (K or 1, M) bool of transitions that exist in the graph (truncated BPTT);
    v: optional torch.bmm(a, W), when the caller has it already.
    delta and f' are constants; only the direct dependence on W is differentiated.
    Returns (Omega (K,), dOmega/dW (K, n, n))."""
    if v is None:
        v = torch.bmm(a, W)                            # delta_{k+1} diag(f') W, as a row vector
    nv = torch.linalg.vector_norm(v, dim=-1)
    nd2 = (delta * delta).sum(-1)
    mask = nd2 >= _OMEGA_EPS
    if keep is not None:
        mask = mask & keep
    nd = nd2.clamp_min(_OMEGA_EPS).sqrt()
    ratio = nv / nd
    zero = torch.zeros((), dtype=W.dtype, device=W.device)
    omega = torch.where(mask, (ratio - 1) ** 2, zero).sum(1) / batch
    # d/dv (||v||/||d|| - 1)^2 = 2 (ratio - 1) v / (||v|| ||d||); v = a W  =>  dW = a^T (d/dv)
    coef = torch.where(mask, 2 * (ratio - 1) / (nv * nd).clamp_min(1e-30), zero) / batch
    return omega, torch.bmm(a.transpose(1, 2), v * coef[..., None])


def omega_penalty_authors(W, a, delta, eps=_OMEGA_EPS):
    """Omega as the authors' code computes it (pascanur/trainingRNNs, RNN.py lines 194-210):
        mean over the (transition, example) pairs with ||delta||^2 >= 1e-20 of (||a W||^2 / ||delta||^2 - 1)^2,
    squared norms, a mean rather than the paper's sum over k / B, and the h_0 -> h_1 transition included
    (their d_ht[1:] runs over dC/dh_1 .. dC/dh_T). Arguments as omega_penalty: a = delta * f' (rows over
    transitions x batch), delta = dE/dh_{k+1}; both constants, only the direct dependence on W counts.
    Returns (Omega (K,), dOmega/dW (K, n, n))."""
    v = torch.bmm(a, W)
    nv2 = (v * v).sum(-1)
    nd2 = (delta * delta).sum(-1)
    mask = nd2 >= eps
    nd2 = nd2.clamp_min(eps)
    zero = torch.zeros((), dtype=W.dtype, device=W.device)
    r = torch.where(mask, nv2 / nd2 - 1, zero)
    # theirs divides by the number of unmasked pairs (0/0 = NaN if none; we give 0 then)
    count = mask.sum(1).clamp_min(1).to(W.dtype)
    omega = (r * r).sum(1) / count
    # d/dv (||v||^2/||d||^2 - 1)^2 = 4 r v / ||d||^2; v = a W  =>  dW = a^T (d/dv)
    coef = 4 * r / (nd2 * count[:, None])
    return omega, torch.bmm(a.transpose(1, 2), v * coef[..., None])


def _loss_and_grad(z, y, kind, need_grad=True):
    """z: (K, M, n_out) outputs, y: (K, M) int targets (-100 = ignored) or (K, M, n_out) floats.
    Returns (sum of per-item losses (K,), item count (K,), dsum/dz or None)."""
    if kind == "ce":
        valid = y != -100
        yc = y.clamp_min(0)
        logp = torch.log_softmax(z, -1)
        nll = -logp.gather(-1, yc[..., None]).squeeze(-1)
        total = torch.where(valid, nll, torch.zeros_like(nll)).sum(1)
        count = valid.sum(1).to(z.dtype)
        dz = None
        if need_grad:
            dz = logp.exp_()
            dz.scatter_add_(-1, yc[..., None], torch.full_like(nll, -1.0)[..., None])
            dz.mul_(valid[..., None])
        return total, count, dz
    if kind == "mse":   # mean over batch, steps and output units (== F.mse_loss)
        diff = z - y
        total = (diff * diff).flatten(1).sum(1)
        count = torch.full_like(total, diff[0].numel())
        return total, count, (2 * diff if need_grad else None)
    raise ValueError(f"unknown loss {kind!r}; expected 'ce' or 'mse'")


# h = f(pre) in place on a contiguous (K, B, n) block, which the forward then copies into the state rows: CPU bmm
# with a non-contiguous out= falls off its fast path (~7x slower), and torch.tanh / torch.sigmoid into strided rows
# run ~10x slower than on one block (tanh calls MKL once per row; sigmoid leaves each row's tail unvectorised)
_ACT = {"tanh": torch.Tensor.tanh_, "sigmoid": torch.Tensor.sigmoid_, "relu": lambda h: h.clamp_min_(0),
        "linear": lambda h: h}
_tanh_bw = torch.ops.aten.tanh_backward.grad_input          # d * (1 - y^2), y = tanh(pre)
_sigmoid_bw = torch.ops.aten.sigmoid_backward.grad_input    # d * y (1 - y)
_threshold_bw = torch.ops.aten.threshold_backward.grad_input   # d * (y > 0)
# out <- d * f'(pre), with f' read off h = f(pre): the forward pass keeps only hidden states
_ACT_BACKWARD = {"tanh": lambda d, h, out: _tanh_bw(d, h, grad_input=out),
                 "sigmoid": lambda d, h, out: _sigmoid_bw(d, h, grad_input=out),
                 "relu": lambda d, h, out: _threshold_bw(d, h, 0, grad_input=out),
                 "linear": lambda d, h, out: out.copy_(d) if out is not d else out}


# ----------------------------------------------------------------------------- the ensemble

class Ensemble:
    """K independent RNNs of one shape trained as one batched computation (leading model dim K).
    omega_form: "paper" (omega_penalty) or "authors" (omega_penalty_authors); on_bad_gradient: "freeze" or
    "authors" (see ON_BAD_GRADIENT). The defaults are the engine's behaviour before these options existed."""

    def __init__(self, cell, n_in, n_hidden, n_out, members, optimizer="sgd", momentum=0.0,
                 output="last", device="cpu", dtype=torch.float32, omega_form="paper", on_bad_gradient="freeze"):
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; expected one of {CELLS}")
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {OPTIMIZERS}")
        if output not in ("last", "every"):
            raise ValueError("output must be 'last' or 'every'")
        if omega_form not in OMEGA_FORMS:
            raise ValueError(f"unknown omega_form {omega_form!r}; expected one of {OMEGA_FORMS}")
        if on_bad_gradient not in ON_BAD_GRADIENT:
            raise ValueError(f"unknown on_bad_gradient {on_bad_gradient!r}; expected one of {ON_BAD_GRADIENT}")
        self.omega_form, self.on_bad_gradient = omega_form, on_bad_gradient
        self.members = list(members)
        self.K = K = len(self.members)
        self.cell, self.n_in, self.n_hidden, self.n_out = cell, n_in, n_hidden, n_out
        self.optimizer, self.momentum, self.output = optimizer, momentum, output
        self.device, self.dtype = torch.device(device), dtype
        if cell == "lstm" and any(m.omega for m in self.members):
            raise ValueError("Omega is defined for plain cells only")

        self._shapes = _param_shapes(cell, n_in, n_hidden, n_out)
        self._offsets, P = {}, 0
        for name, shape in self._shapes.items():
            size = math.prod(shape)
            self._offsets[name] = (P, size)
            P += size
        self.P = P
        kw = dict(dtype=dtype, device=self.device)
        self.flat = torch.zeros(K, P, **kw)      # parameters; W, V, ... are views into it
        self.grad = torch.zeros(K, P, **kw)
        for k, m in enumerate(self.members):
            for name, value in _init_member(cell, n_in, n_hidden, n_out, m).items():
                self._view(self.flat, name)[k].copy_(value)
        self._names = ("W_ih", "W_hh", "b", "U", "c") if cell == "lstm" else ("W", "V", "b", "U", "c")
        for name, view in self.views(self.flat).items():   # plain cells: W, V, b are column blocks of Wcat
            setattr(self, name, view)
        self.Wcat = self._view(self.flat, "Wcat")

        self.lr = torch.tensor([m.lr for m in self.members], **kw)[:, None]
        self.clip = torch.tensor([math.inf if m.clip is None else m.clip for m in self.members], **kw)
        self.omega = torch.tensor([m.omega for m in self.members], **kw)
        self.use_omega = bool(any(m.omega for m in self.members))
        self.opt_state = {}
        if optimizer in ("momentum", "rmsprop"):
            self.opt_state["buf"] = torch.zeros(K, P, **kw)
        if optimizer == "adam":
            self.opt_state["m"] = torch.zeros(K, P, **kw)
            self.opt_state["v"] = torch.zeros(K, P, **kw)
        self.step = 0                                                    # updates done
        self.diverged = torch.zeros(K, dtype=torch.bool, device=self.device)
        self.done = torch.zeros(K, dtype=torch.bool, device=self.device)     # stopped by fit's success check
        self.bad_steps = torch.zeros(K, dtype=torch.long, device=self.device)   # authors' replacement steps taken
        self._diverged_step = torch.full((K,), -1, dtype=torch.long, device=self.device)
        self._bufs = {}
        self._views = {}      # per-step views of the buffers, see _step_views

    # ---- bookkeeping
    def views(self, flat):
        """Named (K, ...) views into a flat (K, P) tensor: ens.views(ens.grad)["W"] is W's gradient."""
        return {name: self._view(flat, name) for name in self._names}

    def _view(self, flat, name):
        if name in ("W", "V", "b", "W_hh", "W_ih"):   # column blocks of Wcat
            n, wcat = self.n_hidden, self._view(flat, "Wcat")
            return {"W": wcat[..., :n], "W_hh": wcat[..., :n], "V": wcat[..., n:n + self.n_in],
                    "W_ih": wcat[..., n:n + self.n_in], "b": wcat[..., -1]}[name]
        o, size = self._offsets[name]
        return flat[:, o:o + size].view(flat.shape[0], *self._shapes[name])

    def _buf(self, name, shape):
        """Preallocated scratch tensor, reused across steps of the same shape."""
        b = self._bufs.get(name)
        if b is None or b.shape != shape:
            b = self._bufs[name] = torch.empty(shape, dtype=self.dtype, device=self.device)
        return b

    def _step_views(self, key, buf, steps, cols=None):
        """[_steps(buf)[t] for t < steps] ((K, B, ...), or (B, ...) when K == 1), built once per buffer: slicing
        costs ~1 us a view, a sizeable part of a small step. cols: a slice of the last dim (h in Z's rows, a gate)."""
        key = key, None if cols is None else (cols.start, cols.stop)
        hit = self._views.get(key)
        if hit is not None and hit[0] is buf:
            return hit[1]
        per = list(self._steps(buf)[:steps].unbind(0))
        if cols is not None:
            per = [v[..., cols] for v in per]
        self._views[key] = (buf, per)
        return per

    @property
    def diverged_at(self):
        return [None if s < 0 else int(s) for s in self._diverged_step.tolist()]

    def state_dict(self):
        return {"flat": self.flat.clone(), "opt_state": {k: v.clone() for k, v in self.opt_state.items()},
                "step": self.step, "diverged": self.diverged.clone(), "diverged_step": self._diverged_step.clone(),
                "done": self.done.clone(), "bad_steps": self.bad_steps.clone()}

    def load_state_dict(self, sd):
        self.flat.copy_(sd["flat"])
        for k, v in sd["opt_state"].items():
            self.opt_state[k].copy_(v)
        self.step = sd["step"]
        self.diverged.copy_(sd["diverged"])
        self._diverged_step.copy_(sd["diverged_step"])
        if "done" in sd:        # absent in state dicts saved before these existed
            self.done.copy_(sd["done"])
            self.bad_steps.copy_(sd["bad_steps"])

    def _x(self, x):
        x = torch.as_tensor(x, dtype=self.dtype, device=self.device)
        if x.dim() not in (3, 4) or x.shape[-1] != self.n_in or (x.dim() == 4 and x.shape[0] != self.K):
            raise ValueError(f"x must be (T,B,{self.n_in}) or ({self.K},T,B,{self.n_in}), got {tuple(x.shape)}")
        return x

    def _y(self, y, loss, T, B):
        """Targets as (K, M) / (K, M, n_out) with M = B ('last') or T*B ('every', time-major)."""
        y = torch.as_tensor(y, device=self.device)
        y = y.long() if loss == "ce" else y.to(self.dtype)
        base = (1 if loss == "ce" else 2) + (self.output == "every")
        if y.dim() == base:
            y = y.expand(self.K, *y.shape)
        M = T * B if self.output == "every" else B
        return y.reshape(self.K, M) if loss == "ce" else y.reshape(self.K, M, self.n_out)

    # ---- forward
    # Buffers are (K, T, B, ...). _steps(buf)[t] is step t's slice: (B, ...) when K == 1, so that 2-D
    # mm/addmm skip bmm's batching overhead, else (K, B, ...).
    def _steps(self, buf):
        return buf[0] if self.K == 1 else buf.transpose(0, 1)

    def _mat(self, M):
        return M[0] if self.K == 1 else M

    def _state_buffer(self, x, name):
        """Z (K, T+1, B, n+n_in+1) with Z[:, t] = [h_t | x_{t+1} | 1]; h_0 = 0, h_t filled by the caller."""
        K, n, n_in = self.K, self.n_hidden, self.n_in
        T, B = x.shape[-3], x.shape[-2]
        shape = (K, T + 1, B, n + n_in + 1)
        Z = self._bufs.get("Z" + name)
        if Z is None or Z.shape != shape:   # h_0, the last row's input and the 1s are never overwritten
            Z = self._buf("Z" + name, shape)
            Z[:, 0, :, :n].zero_()
            Z[:, T, :, n:].zero_()
            Z[:, :, :, -1].fill_(1.0)
        Z[:, :T, :, n:n + n_in] = x
        return Z

    def _forward(self, x, name=""):
        """Runs the recurrence; returns Z (LSTM: also stores gates A, cells C, tanh(C) in buffers)."""
        Z = self._state_buffer(x, name)
        n, T = self.n_hidden, x.shape[-3]
        K, B = self.K, x.shape[-2]
        mm, Zs = (torch.mm if K == 1 else torch.bmm), self._step_views("Z" + name, Z, T + 1)
        # a contiguous copy of [W | V | b]^T: MKL's small GEMMs run up to ~1.4x faster on it than on the transposed
        # view (K = 16, n = 50), with the same bits on this project's machine (torch 2.13 with MKL 2024.2)
        Wt = self._buf("Wt", (K, Z.shape[-1], self.Wcat.shape[1]))
        Wt.copy_(self.Wcat.transpose(1, 2))
        Wt = self._mat(Wt)
        if self.cell != "lstm":
            # the product and the activation run on a contiguous (K, B, n) block, which is then copied into the
            # state rows (the backward reads f' off them): see _ACT
            h, hz = self._mat(self._buf("pre", (K, B, n))), self._step_views("hZ" + name, Z, T + 1, cols=slice(0, n))
            act = _ACT[self.cell]
            for t in range(T):
                act(mm(Zs[t], Wt, out=h))
                hz[t + 1].copy_(h)
            return Z
        A = self._buf("A" + name, (K, T, B, 4 * n))       # gate activations i, f, g, o
        C = self._buf("C" + name, (K, T + 1, B, n))       # cells, c_0 = 0
        TC = self._buf("TC" + name, (K, T, B, n))         # tanh(c_{t+1})
        C[:, 0].zero_()
        sv = self._step_views
        a_if, a_i, a_f, a_g, a_o = (sv("A" + name, A, T, cols=c) for c in (slice(0, 2 * n), slice(0, n),
                                    slice(n, 2 * n), slice(2 * n, 3 * n), slice(3 * n, 4 * n)))
        Cs, TCs, hz = sv("C" + name, C, T + 1), sv("TC" + name, TC, T), sv("hZ" + name, Z, T + 1, cols=slice(0, n))
        pre = self._mat(self._buf("pre", (K, B, 4 * n)))
        p_if, p_g, p_o = pre[..., :2 * n], pre[..., 2 * n:3 * n], pre[..., 3 * n:]
        for t in range(T):
            mm(Zs[t], Wt, out=pre)
            torch.sigmoid(p_if, out=a_if[t])
            torch.tanh(p_g, out=a_g[t])
            torch.sigmoid(p_o, out=a_o[t])
            c = torch.mul(a_f[t], Cs[t], out=Cs[t + 1]).addcmul_(a_i[t], a_g[t])
            torch.mul(a_o[t], torch.tanh(c, out=TCs[t]), out=hz[t + 1])
        return Z

    def _outputs(self, Z):
        K, T1, B, _ = Z.shape
        n = self.n_hidden
        hs = Z[:, T1 - 1, :, :n] if self.output == "last" else Z[:, 1:, :, :n].reshape(K, (T1 - 1) * B, n)
        return torch.baddbmm(self.c[:, None, :], hs, self.U.transpose(1, 2)), hs

    # ---- training
    def train_step(self, x, y, loss, window=None, record_dEdh=False):
        x = self._x(x)
        T, B = x.shape[-3], x.shape[-2]
        y = self._y(y, loss, T, B)
        w = T if window is None else max(1, min(int(window), T))
        loss_v, dEdh, omega = self._backprop(x, y, loss, w, record_dEdh)
        norm = clip_by_global_norm(self.grad, self.clip)   # norm before clipping, Omega's gradient included

        # a member whose loss or gradient is not finite is frozen from now on
        before = self.diverged
        bad = ~(torch.isfinite(loss_v) & torch.isfinite(norm))
        if self.on_bad_gradient == "authors":
            # RNN.py 234-243: with clipping on, a norm that is NaN, Inf or > 1e10 makes the step
            # W <- W - lr * 0.02 W (a shrink) with 0 for the other parameters, and training goes on.
            # Their check sits inside `if clipstyle == 'rescale'`: unclipped members keep the freeze.
            bad_norm = ~torch.isfinite(norm) | (norm > BAD_NORM)
            shrink = bad_norm & torch.isfinite(self.clip) & ~before & ~self.done
            if shrink.any():
                g = torch.where(shrink[:, None], torch.zeros((), dtype=self.dtype, device=self.device), self.grad)
                gW = self._view(g, "Wcat")[..., :self.n_hidden]
                gW.copy_(torch.where(shrink[:, None, None], 0.02 * self.W, gW))
                self.grad.copy_(g)
                self.bad_steps += shrink
            bad = bad & ~shrink
        self._diverged_step = torch.where(bad & ~before, self.step, self._diverged_step)
        self.diverged = before | bad
        self._update(~self.diverged & ~self.done)
        self.step += 1
        nan = torch.full_like(loss_v, math.nan)
        omega = torch.where(self.omega > 0, omega, torch.zeros_like(omega))
        out = {"loss": torch.where(before, nan, loss_v), "grad_norm": torch.where(before, nan, norm),
               "omega": torch.where(before, nan, omega)}
        if record_dEdh:
            out["dEdh"] = torch.where(before[:, None], nan[:, None], dEdh)
        return out

    def _update(self, active):
        # torch.optim's update rules with default hyper-parameters, one lr per member; frozen members
        # get neither an update nor optimiser state (torch.where, so NaN in their grads stays theirs)
        zero = torch.zeros((), dtype=self.dtype, device=self.device)
        a = active[:, None]
        g = torch.where(a, self.grad, zero)
        if self.optimizer == "sgd":
            delta = g
        elif self.optimizer == "momentum":
            delta = self.opt_state["buf"].mul_(self.momentum).add_(g)
        elif self.optimizer == "rmsprop":   # alpha=0.99, eps=1e-8
            sq = self.opt_state["buf"].mul_(0.99).addcmul_(g, g, value=0.01)
            delta = g / (sq.sqrt() + 1e-8)
        else:                               # adam: betas=(0.9, 0.999), eps=1e-8
            t = self.step + 1
            m = self.opt_state["m"].mul_(0.9).add_(g, alpha=0.1)
            v = self.opt_state["v"].mul_(0.999).addcmul_(g, g, value=0.001)
            delta = (m / (1 - 0.9 ** t)) / (v.sqrt() / math.sqrt(1 - 0.999 ** t) + 1e-8)
        self.flat.sub_(torch.where(a, delta * self.lr, zero))

    def _backprop(self, x, y, loss, w, record_dEdh):
        """Hand-written BPTT into self.grad. w: truncation window ('last': only the last w steps get
        gradient; 'every': chunks of w steps, state carried but detached between chunks).
        Returns (loss (K,), dEdh (K, T) or None, Omega (K,))."""
        K, n = self.K, self.n_hidden
        T, B = x.shape[-3], x.shape[-2]
        every = self.output == "every"
        s = 0 if every else T - w                        # first step that receives gradient
        linked = [not (every and k % w == 0) for k in range(T + 1)]   # does h_k feed step k+1's graph?
        g = self.views(self.grad)
        g["Wcat"] = self._view(self.grad, "Wcat")
        mm = torch.mm if K == 1 else torch.bmm

        Z = self._forward(x)
        z, hs = self._outputs(Z)
        total, count, dz = _loss_and_grad(z, y, loss)
        dz.div_(count[:, None, None])
        g["U"].copy_(torch.bmm(dz.transpose(1, 2), hs))
        g["c"].copy_(dz.sum(1))
        G = torch.bmm(dz, self.U)            # direct dE/dh from the outputs: (K, B, n) or (K, T*B, n)
        need_dh = record_dEdh or self.use_omega
        DH = None
        if need_dh:   # dE/dh_{t+1}: 0 before s (no gradient); every later step is written below
            DH = self._buf("DH", (K, T, B, n))
            DH[:, :s].zero_()

        if self.cell != "lstm":
            # D[:, t] = dE/dpre_{t+1} = dE/dh_{t+1} * f'; dE/dh_t = direct + dE/dpre_{t+1} W
            D = self._buf("D", (K, T, B, n))
            if every:
                D.view(K, T * B, n).copy_(G)
            else:
                D[:, T - 1] = G
            if need_dh:
                DH[:, T - 1] = D[:, T - 1]
                if every:
                    DH[:, :T - 1] = D[:, :T - 1]
            Ds, W, fprime = self._step_views("D", D, T), self._mat(self.W), _ACT_BACKWARD[self.cell]
            hs = self._step_views("hZ", Z, T + 1, cols=slice(0, n))     # hs[t + 1] = h_{t+1}
            addmm, tmp = (torch.addmm if K == 1 else torch.baddbmm), self._mat(self._buf("pre", (K, B, n)))
            for t in range(T - 1, s - 1, -1):
                if t < T - 1 and linked[t + 1]:   # D[t] (holding the direct part if every) + D[t+1] W
                    d = addmm(Ds[t], Ds[t + 1], W, out=tmp) if every else mm(Ds[t + 1], W, out=tmp)
                else:
                    d = Ds[t]
                fprime(d, hs[t + 1], Ds[t])
            Dw = D[:, s:].reshape(K, (T - s) * B, n)
        else:
            Dw = self._backprop_lstm(Z, G, s, linked, DH)

        # gradients of the recurrent block: one matmul over all steps, dE/dpre^T [h_{t-1} | x_t | 1]
        Zw = Z[:, s:T].reshape(K, (T - s) * B, -1)
        if self.cell == "lstm":   # with 4n rows MKL runs the transposed product ~1.4x faster (same bits here)
            g["Wcat"].copy_(torch.bmm(Zw.transpose(1, 2), Dw).transpose(1, 2))
        else:
            g["Wcat"].copy_(torch.bmm(Dw.transpose(1, 2), Zw))

        omega = torch.zeros(K, dtype=self.dtype, device=self.device)
        if self.cell != "lstm" and need_dh:
            # dE/dh_{t+1} for t in [s, T-1): add dE/dpre_{t+2} W over the links that exist in the graph
            a = D[:, s + 1:].reshape(K, (T - s - 1) * B, n)
            aW = torch.bmm(a, self.W)            # also Omega's v (paper form): computed once
            keep = None                          # every link exists (output "last"): no mask to apply
            if not all(linked[s + 1:T]):
                keep = torch.tensor(linked[s + 1:T], device=self.device).repeat_interleave(B)[None]
                aW = torch.where(keep[..., None], aW, torch.zeros((), dtype=self.dtype, device=self.device))
            if every:   # DH holds the direct part: add
                DH[:, s:T - 1] += aW.view(K, T - 1 - s, B, n)
            else:
                DH[:, s:T - 1] = aW.view(K, T - 1 - s, B, n)
            if self.use_omega:
                if self.omega_form == "paper":
                    omega, gO = omega_penalty(self.W, a, DH[:, s + 1:].reshape(K, -1, n), B, keep,
                                              v=aW if keep is None else None)
                else:
                    # every step that gets gradient, h_s -> h_{s+1} too: theirs (no truncation) has h_0 -> h_1
                    omega, gO = omega_penalty_authors(self.W, D[:, s:].reshape(K, -1, n),
                                                      DH[:, s:].reshape(K, -1, n))
                g["W"].add_(gO * self.omega[:, None, None])
        dEdh = torch.linalg.vector_norm(DH, dim=-1).mean(-1) if record_dEdh else None
        return total / count, dEdh, omega

    def _backprop_lstm(self, Z, G, s, linked, DH):
        """LSTM BPTT; returns dE/d(gate pre-activations) (K, (T-s)*B, 4n) for the weight gradient."""
        K, T1, B, _ = Z.shape
        T, n = T1 - 1, self.n_hidden
        every = self.output == "every"
        dA = self._buf("dA", (K, T, B, 4 * n))
        sv, A = self._step_views, self._bufs["A"]
        a_if, a_i, a_f, a_g, a_o = (sv("A", A, T, cols=c) for c in (slice(0, 2 * n), slice(0, n),
                                    slice(n, 2 * n), slice(2 * n, 3 * n), slice(3 * n, 4 * n)))
        Cs, TCs, dAs = sv("C", self._bufs["C"], T + 1), sv("TC", self._bufs["TC"], T), sv("dA", dA, T)
        d_if, d_i, d_f, d_g, d_o = (sv("dA", dA, T, cols=c) for c in (slice(0, 2 * n), slice(0, n),
                                    slice(n, 2 * n), slice(2 * n, 3 * n), slice(3 * n, 4 * n)))
        Gs = self._steps(G.view(K, T, B, n)) if every else self._mat(G)
        DHs = self._steps(DH) if DH is not None else None
        dh_buf, dc, tmp = (self._mat(self._buf(k, (K, B, n))) for k in ("dh", "dc", "dc_tmp"))
        Whh, mm = self._mat(self.W_hh), (torch.mm if K == 1 else torch.bmm)
        addmm = torch.addmm if K == 1 else torch.baddbmm
        for t in range(T - 1, s - 1, -1):
            tc, o, gg = TCs[t], a_o[t], a_g[t]
            nxt = t < T - 1 and linked[t + 1]
            # dE/dh_{t+1}: direct + through the next step's gates
            if every:
                dh = addmm(Gs[t], dAs[t + 1], Whh, out=dh_buf) if nxt else Gs[t]
            else:
                dh = Gs if t == T - 1 else mm(dAs[t + 1], Whh, out=dh_buf)
            if DHs is not None:
                DHs[t].copy_(dh)
            # dE/dc_{t+1} = dh o (1 - tanh^2 c_{t+1}) + dE/dc_{t+2} f_{t+2}
            torch.mul(dh, o, out=tmp)
            _tanh_bw(tmp, tc, grad_input=tmp)
            if nxt:
                tmp.addcmul_(dc, a_f[t + 1])
            dc, tmp = tmp, dc
            torch.mul(dc, gg, out=d_i[t])
            torch.mul(dc, Cs[t], out=d_f[t])
            torch.mul(dc, a_i[t], out=d_g[t])
            torch.mul(dh, tc, out=d_o[t])
            _sigmoid_bw(d_if[t], a_if[t], grad_input=d_if[t])
            _tanh_bw(d_g[t], gg, grad_input=d_g[t])
            _sigmoid_bw(d_o[t], o, grad_input=d_o[t])
        return dA[:, s:].reshape(K, (T - s) * B, 4 * n)

    # ---- inference
    @torch.no_grad()
    def _predict(self, x):
        """Outputs (K, M, n_out), M = B ('last') or T*B ('every')."""
        return self._outputs(self._forward(x, "_eval"))[0]

    @torch.no_grad()
    def evaluate(self, x, y, loss, batch_size=None):
        """No gradient. {"loss": (K,), "pred": (K,B,n_out) or (K,T,B,n_out)}; loss = mean over all items."""
        x = self._x(x)
        T, B = x.shape[-3], x.shape[-2]
        y = self._y(y, loss, T, B)
        every = self.output == "every"
        if every:
            y = y.view(self.K, T, B, *y.shape[2:])
        bs = B if batch_size is None else batch_size
        total = count = 0
        preds = []
        for i in range(0, B, bs):
            xb = x[..., i:i + bs, :]
            nb = xb.shape[-2]
            yb = y[:, :, i:i + bs].reshape(self.K, T * nb, *y.shape[3:]) if every else y[:, i:i + bs]
            z = self._predict(xb)
            t_, c_, _ = _loss_and_grad(z, yb, loss, need_grad=False)
            total, count = total + t_, count + c_
            preds.append(z.view(self.K, T, nb, self.n_out) if every else z)
        return {"loss": total / count, "pred": torch.cat(preds, 2 if every else 1)}

    @torch.no_grad()
    def hidden_states(self, x):
        """(K, T, B, n) hidden states h_1..h_T."""
        x = self._x(x)
        return self._forward(x, "_eval")[:, 1:, :, :self.n_hidden].clone()


# ----------------------------------------------------------------------------- training loop

def default_eval_batch_size(members, length, n_hidden, n):
    """Sequences per evaluation pass: keeps the K × T × B × n activations near 16M floats (64 MB)."""
    return max(1, min(n, (1 << 24) // max(1, members * length * n_hidden)))


def fit(ens, sample, *, updates, batch_size, loss, eval_every, test, metric, window=None,
        dEdh_every=None, progress=None, eval_batch_size=None, check=None, check_every=20):
    """Train `ens` for `updates` SGD steps on batches from `sample(rng, n) -> (x (T,n,n_in), y)`.
    Member k draws from its own np.random.default_rng(seed), DATA_CHUNK batches per call, so its data
    does not depend on the ensemble it is in. Records are numpy, NaN after a member diverged.

    check: optional `check(ens) -> (K,) bools`, "has member k succeeded?", on data of its own (the
    authors test on fresh sequences). As in the authors' loop (RNN.py lines 342 and 400-412: their update
    counter n starts at 0, the test runs when n % checkFreq == 0 and n > 0, and success ends the run) it runs
    after the update with 0-based index i whenever i > 0 and i % check_every == 0; a member that succeeds
    is frozen and "success_at" records the updates it had (i + 1). Once every member has succeeded or
    diverged the rest of the updates are skipped: their train records are NaN and the remaining test
    evaluations repeat the last one (the models no longer change). Off by default."""
    t0 = time.perf_counter()
    K, dev = ens.K, ens.device
    seeds = [m.seed for m in ens.members]
    shared = len(set(seeds)) == 1       # one stream, passed as a shared (T,B,n_in) batch
    rngs = [np.random.default_rng(s) for s in (seeds[:1] if shared else seeds)]
    ybatch_dim = 2 if ens.output == "every" else 1     # in the stacked (K', ...) targets

    def draw():
        data = [sample(rng, DATA_CHUNK * batch_size) for rng in rngs]
        xs = torch.as_tensor(np.stack([d[0] for d in data]), dtype=ens.dtype, device=dev)
        ys = torch.as_tensor(np.stack([np.asarray(d[1]) for d in data]), device=dev)
        return (xs[0], ys[0]) if shared else (xs, ys)

    x_test, y_test = test
    x_test_t = torch.as_tensor(x_test, dtype=ens.dtype, device=dev)
    if eval_batch_size is None:   # keep the evaluation's state buffer around 64 MB
        T_, N_ = x_test_t.shape[-3], x_test_t.shape[-2]
        eval_batch_size = default_eval_batch_size(K, T_, ens.n_hidden, N_)

    eval_steps = sorted(set(range(0, updates, eval_every)) | {updates}) if eval_every else [0, updates]
    eval_set = set(eval_steps)
    test_loss, test_err, train_loss, grad_norm, dEdh_steps, dEdh = [], [], [], [], [], []

    def evaluate(step):
        r = ens.evaluate(x_test_t, y_test, loss, batch_size=eval_batch_size)
        dead = [d is not None and d < step for d in ens.diverged_at]
        l = r["loss"].cpu().numpy().astype(np.float64)
        e = np.asarray(metric(r["pred"].cpu().numpy(), y_test), dtype=np.float64)
        l[dead], e[dead] = np.nan, np.nan
        test_loss.append(l)
        test_err.append(e)

    chunk = None
    success_at = [None] * K
    stopped = None          # update index at which all members had finished (check only)
    for i in range(updates):
        if i in eval_set:
            evaluate(i)
        if check is not None and bool((ens.done | ens.diverged).all()):
            stopped = i
            break
        j = i % DATA_CHUNK
        if j == 0:
            chunk = draw()
        xb = chunk[0][..., j * batch_size:(j + 1) * batch_size, :]
        yb = chunk[1].narrow(ybatch_dim - shared, j * batch_size, batch_size)
        rec = dEdh_every is not None and i % dEdh_every == 0
        r = ens.train_step(xb, yb, loss, window=window, record_dEdh=rec)
        train_loss.append(r["loss"])
        grad_norm.append(r["grad_norm"])
        if rec:
            dEdh_steps.append(i)
            dEdh.append(r["dEdh"])
        if check is not None and i > 0 and i % check_every == 0:
            ok = torch.as_tensor(np.asarray(check(ens), dtype=bool), device=dev)
            new = ok & ~ens.done & ~ens.diverged
            for k in torch.nonzero(new).flatten().tolist():
                success_at[k] = i + 1
            ens.done |= new
        if progress is not None:
            progress.update(1)
    if stopped is None:
        evaluate(updates)
    else:
        nan = torch.full((K,), math.nan, dtype=ens.dtype, device=dev)
        train_loss += [nan] * (updates - stopped)
        grad_norm += [nan] * (updates - stopped)
        if progress is not None:
            progress.update(updates - stopped)
        rest = [s for s in eval_steps if s > stopped]     # never empty: `updates` is one
        evaluate(rest[0])
        for _ in rest[1:]:          # the models no longer change
            test_loss.append(test_loss[-1])
            test_err.append(test_err[-1])

    def stack(xs, shape):
        return torch.stack(xs, 1).cpu().numpy() if xs else np.zeros(shape)
    return {"eval_steps": np.asarray(eval_steps), "test_loss": np.stack(test_loss, 1),
            "test_error": np.stack(test_err, 1), "train_loss": stack(train_loss, (K, 0)),
            "grad_norm": stack(grad_norm, (K, 0)), "diverged_at": ens.diverged_at,
            "dEdh_steps": dEdh_steps, "dEdh": stack(dEdh, (K, 0, 0)),
            "seconds": time.perf_counter() - t0,
            **({"success_at": success_at, "stopped_at": stopped} if check is not None else {}),
            **({"bad_steps": ens.bad_steps.tolist()} if ens.on_bad_gradient == "authors" else {})}
