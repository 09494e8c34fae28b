"""The two losses, summed per member with their gradient with respect to the outputs: cross-entropy over classes
(targets -100 are ignored) and the mean squared error (== F.mse_loss)."""
import torch


def loss_and_grad(z, y, kind, need_grad=True):
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
