"""The training loop: fit(ens, sample, ...) trains an Ensemble on batches drawn per member, evaluates it on a
fixed test set and, when given a success check, stops members that succeeded (the caller's protocol, e.g.
Pascanu et al.'s: rnn/models.py's success_check)."""
import math
import time

import numpy as np
import torch

DATA_CHUNK = 50         # fit() draws this many batches per sample() call; part of the data stream's definition


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
            **({"bad_steps": ens.bad_steps.tolist()} if ens.on_bad_gradient is not None else {})}

