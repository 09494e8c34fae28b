"""Initial parameters: the recurrent matrices (Gaussian, orthogonal, identity, sparse) and a member's full
parameter set, float64 on CPU from torch.Generator(seed) only, so an initialisation does not depend on the dtype,
the device or the ensemble a member trains in."""
import math

import torch

INITS = ("gaussian", "orthogonal", "identity", "sparse")


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



def init_member(cell, n_in, n, n_out, m):
    """Initial parameters of one member, float64, from torch.Generator(seed) only."""
    g = torch.Generator().manual_seed(m.seed)
    f64 = torch.float64
    if cell == "lstm":
        # torch.nn.LSTM's init for W_hh and U, Gaussian input weights, forget-gate bias m.forget_bias
        s = 1 / math.sqrt(n)
        W_ih = torch.randn(4 * n, n_in, generator=g, dtype=f64) * m.in_std
        W_hh = (torch.rand(4 * n, n, generator=g, dtype=f64) * 2 - 1) * s
        b = torch.zeros(4 * n, 1, dtype=f64)
        b[n:2 * n] = m.forget_bias
        return {"Wcat": torch.cat([W_hh, W_ih, b], 1),
                "U": (torch.rand(n_out, n, generator=g, dtype=f64) * 2 - 1) * s,
                "c": torch.zeros(n_out, dtype=f64)}
    W = init_recurrent(m.init, n, m.rec_scale, m.sparse_k, g)
    V = torch.randn(n, n_in, generator=g, dtype=f64) * m.in_std
    return {"Wcat": torch.cat([W, V, torch.zeros(n, 1, dtype=f64)], 1),   # b = 0
            "U": torch.randn(n_out, n, generator=g, dtype=f64) * m.out_std,
            "c": torch.zeros(n_out, dtype=f64)}

