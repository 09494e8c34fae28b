"""The cells' elementwise maths for rnn/engine.py's Ensemble: the plain cells' activations and their derivatives,
and the LSTM's time loops (forward and BPTT), which work on the Ensemble's buffers (its _buf, _step_views, _mat).

LSTM layout: one [W_hh | W_ih | b] block of 4n rows, gate order i, f, g, o as in torch.nn.LSTM. The forward keeps
the gate activations A (K, T, B, 4n), the cells C (K, T+1, B, n, c_0 = 0) and tanh(C) TC (K, T, B, n) in buffers
for the backward; hidden states go into the state buffer Z's h columns, as for the plain cells."""
import torch

# h = f(pre) in place on a contiguous (K, B, n) block, which the forward then copies into the state rows: CPU bmm
# with a non-contiguous out= falls off its fast path (~7x slower), and torch.tanh / torch.sigmoid into strided rows
# run ~10x slower than on one block (tanh calls MKL once per row; sigmoid leaves each row's tail unvectorised)
ACT = {"tanh": torch.Tensor.tanh_, "sigmoid": torch.Tensor.sigmoid_, "relu": lambda h: h.clamp_min_(0),
       "linear": lambda h: h}
_tanh_bw = torch.ops.aten.tanh_backward.grad_input          # d * (1 - y^2), y = tanh(pre)
_sigmoid_bw = torch.ops.aten.sigmoid_backward.grad_input    # d * y (1 - y)
_threshold_bw = torch.ops.aten.threshold_backward.grad_input   # d * (y > 0)
# out <- d * f'(pre), with f' read off h = f(pre): the forward pass keeps only hidden states
ACT_BACKWARD = {"tanh": lambda d, h, out: _tanh_bw(d, h, grad_input=out),
                "sigmoid": lambda d, h, out: _sigmoid_bw(d, h, grad_input=out),
                "relu": lambda d, h, out: _threshold_bw(d, h, 0, grad_input=out),
                "linear": lambda d, h, out: out.copy_(d) if out is not d else out}


def _gates(ens, key, buf, T, n):
    """Per-step views of a (K, T, B, 4n) gate buffer: (i|f, i, f, g, o), each a list over t."""
    return (ens._step_views(key, buf, T, cols=c) for c in (slice(0, 2 * n), slice(0, n), slice(n, 2 * n),
                                                           slice(2 * n, 3 * n), slice(3 * n, 4 * n)))


def lstm_forward(ens, Z, Zs, Wt, mm, name):
    """Runs the LSTM recurrence into Z's h columns; Zs: Z's per-step views, Wt: [W_hh | W_ih | b]^T."""
    K, T1, B, _ = Z.shape
    T, n, sv = T1 - 1, ens.n_hidden, ens._step_views
    A = ens._buf("A" + name, (K, T, B, 4 * n))       # gate activations i, f, g, o
    C = ens._buf("C" + name, (K, T + 1, B, n))       # cells, c_0 = 0
    TC = ens._buf("TC" + name, (K, T, B, n))         # tanh(c_{t+1})
    C[:, 0].zero_()
    a_if, a_i, a_f, a_g, a_o = _gates(ens, "A" + name, A, T, n)
    Cs, TCs, hz = sv("C" + name, C, T + 1), sv("TC" + name, TC, T), sv("hZ" + name, Z, T + 1, cols=slice(0, n))
    pre = ens._mat(ens._buf("pre", (K, B, 4 * n)))
    p_if, p_g, p_o = pre[..., :2 * n], pre[..., 2 * n:3 * n], pre[..., 3 * n:]
    for t in range(T):
        mm(Zs[t], Wt, out=pre)
        torch.sigmoid(p_if, out=a_if[t])
        torch.tanh(p_g, out=a_g[t])
        torch.sigmoid(p_o, out=a_o[t])
        c = torch.mul(a_f[t], Cs[t], out=Cs[t + 1]).addcmul_(a_i[t], a_g[t])
        torch.mul(a_o[t], torch.tanh(c, out=TCs[t]), out=hz[t + 1])


def lstm_backward(ens, Z, G, s, linked, DH):
    """LSTM BPTT from step T-1 down to s (linked[k]: does h_k feed step k+1's graph); G: direct dE/dh from the
    outputs; DH: None or (K, T, B, n) to receive dE/dh_{t+1}. Returns dE/d(gate pre-activations)
    (K, (T-s)*B, 4n) for the weight gradient."""
    K, T1, B, _ = Z.shape
    T, n = T1 - 1, ens.n_hidden
    every = ens.output == "every"
    dA = ens._buf("dA", (K, T, B, 4 * n))
    sv, A = ens._step_views, ens._bufs["A"]
    a_if, a_i, a_f, a_g, a_o = _gates(ens, "A", A, T, n)
    Cs, TCs, dAs = sv("C", ens._bufs["C"], T + 1), sv("TC", ens._bufs["TC"], T), sv("dA", dA, T)
    d_if, d_i, d_f, d_g, d_o = _gates(ens, "dA", dA, T, n)
    Gs = ens._steps(G.view(K, T, B, n)) if every else ens._mat(G)
    DHs = ens._steps(DH) if DH is not None else None
    dh_buf, dc, tmp = (ens._mat(ens._buf(k, (K, B, n))) for k in ("dh", "dc", "dc_tmp"))
    Whh, mm = ens._mat(ens.W_hh), (torch.mm if K == 1 else torch.bmm)
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
