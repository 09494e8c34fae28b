"""Pascanu et al.'s (2013) regulariser Omega, which keeps the norm of the error signal as it flows back through
W, in its two forms: as the paper's text writes it (omega_penalty) and as the authors' code computes it
(omega_penalty_authors, pascanur/trainingRNNs RNN.py lines 194-217). An Ensemble takes one of OMEGA_FORMS
(`regulariser=`) and adds its gradient, weighted by each member's `omega`, to the recurrent weights' gradient.

A form is called as form(W, D, DH, s, batch, keep, v) with the engine's BPTT buffers: W (K, n, n); D (K, T, B, n),
D[:, t] = dE/dpre_{t+1}; DH (K, T, B, n), DH[:, t] = dE/dh_{t+1}; s the first step that gets gradient; keep
None (every transition exists) or (1, (T-s-1)*B) the transitions that exist in the graph (truncated BPTT); v None
or D[:, s+1:] @ W as (K, (T-s-1)*B, n), which the engine has already computed when keep is None (a form may use it
instead of recomputing it). It returns (Omega (K,), dOmega/dW)."""
import torch

_OMEGA_EPS = 1e-20      # ||dE/dh||^2 below this: the Omega term is masked (as in Pascanu et al.'s code)


def omega_penalty(W, a, delta, batch, keep=None, v=None):
    """Pascanu et al. (2013) Omega, for all transitions h_k -> h_{k+1} at once.
    W: (K, n, n); a: (K, M, n) = delta_{k+1} * f'(pre_{k+1}) (rows over transitions x batch);
    delta: (K, M, n) = dE/dh_{k+1}; batch: B (the sum over k is divided by B = mean over the batch);
    keep: optional (K or 1, M) bool of transitions that exist in the graph (truncated BPTT).
    delta and f' are constants; only the direct dependence on W is differentiated.
    Returns (Omega (K,), dOmega/dW (K, n, n))."""
    v = torch.bmm(a, W)                                # delta_{k+1} diag(f') W, as a row vector
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


def omega_paper(W, D, DH, s, batch, keep, v=None):
    """The paper's form over the transitions h_k -> h_{k+1} that get gradient, k > s."""
    K, n = W.shape[0], W.shape[-1]
    return omega_penalty(W, D[:, s + 1:].reshape(K, -1, n), DH[:, s + 1:].reshape(K, -1, n), batch, keep, v)


def omega_authors(W, D, DH, s, batch, keep, v=None):
    """The authors' form over every step that gets gradient, h_s -> h_{s+1} too: theirs (no truncation) has
    h_0 -> h_1 (so the engine's v, which starts at h_{s+1}, does not serve)."""
    K, n = W.shape[0], W.shape[-1]
    return omega_penalty_authors(W, D[:, s:].reshape(K, -1, n), DH[:, s:].reshape(K, -1, n))


# name -> form. The weight each form was used with: the paper's Fig. 7 text gives 4 (unverified), the authors'
# script sets state['alpha'] = 2. (RNN.py line 467); rnn/models.py's METHODS pair each form with its weight.
OMEGA_FORMS = {"paper": omega_paper, "authors": omega_authors}
