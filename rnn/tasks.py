"""
Synthetic sequence tasks for the exploding/vanishing gradient experiments.

Pascanu, Mikolov & Bengio 2013, §4.1 ("pathological" tasks after Hochreiter &
Schmidhuber 1997), laid out as the authors' code (pascanur/trainingRNNs)
generates them, plus the adding problem of Le, Jaitly & Hinton 2015.

Every generator is `sample(rng, n, length) -> (x, y)`:
  x float32 (T, n, n_in), time-major;
  y int64 (n,) class ids for "ce"/"last" tasks, float32 (n, 1) for "mse"/"last"
    tasks, int64 (T, n) for "ce"/"every" tasks (IGNORE = -100 where no target).
A window like [0.1L, 0.2L) is, as in the authors' code, int(0.1L) + randint(int(0.1L)):
exactly [0.1L, 0.2L) when 10 divides L, else its start is rounded down. We compute int(k/10 L)
as L*k//10, which avoids floating-point rounding.
"""

import functools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

IGNORE = -100     # target of steps that carry no loss (torch's ignore_index)
WRONG_MSE = 0.04  # Pascanu: a regression sequence is wrong if its squared error exceeds this
TEST_SEED = 2013  # default seed of the fixed test sets


def _onehot(ids, k):
    return np.eye(k, dtype=np.float32)[ids]


def _frac(length, tenths):
    return length * tenths // 10


def _check_length(length, minimum):
    if length < minimum:
        raise ValueError(f"length must be >= {minimum}, got {length}")


# ---------------------------------------------------------------------------
# temporal order: symbols 0=A, 1=B, 2..5 = distractors c, d, e, f

def _temporal_order(rng, n, length, starts):
    _check_length(length, 10)
    width = _frac(length, 1)
    sym = rng.integers(2, 6, size=(length, n))             # distractors everywhere
    bits = rng.integers(0, 2, size=(len(starts), n))       # A=0 / B=1 at each position
    cols = np.arange(n)
    for k, start in enumerate(starts):
        pos = _frac(length, start) + rng.integers(0, width, size=n)  # [start/10 L, start/10 L + 0.1L)
        sym[pos, cols] = bits[k]
    # read the bits in order as a binary number: AA=0, AB=1, BA=2, BB=3 (3-bit: AAA=0 ... BBB=7)
    y = np.zeros(n, dtype=np.int64)
    for b in bits:
        y = 2 * y + b
    return _onehot(sym, 6), y


def temporal_order(rng, n, length):
    """A/B at p0 in [0.1L, 0.2L) and p1 in [0.5L, 0.6L); 4 classes AA AB BA BB (ids 0..3)."""
    return _temporal_order(rng, n, length, starts=(1, 5))


def temporal_order_3bit(rng, n, length):
    """A/B at [0.1,0.2)L, [0.3,0.4)L, [0.6,0.7)L; 8 classes AAA=0 ... BBB=7."""
    return _temporal_order(rng, n, length, starts=(1, 3, 6))


# ---------------------------------------------------------------------------
# adding / multiplication: channel 0 = value U[0,1), channel 1 = marker

def _two_markers(rng, n, length):
    # the authors draw one extra length L' = L + randint(0.1L) per batch, shared by the batch
    _check_length(length, 10)
    T = length + int(rng.integers(0, _frac(length, 1)))
    p0 = rng.integers(0, _frac(T, 1), size=n)                          # [0, 0.1L')
    p1 = _frac(T, 1) + rng.integers(0, _frac(T, 4), size=n)            # [0.1L', 0.5L')
    x = np.zeros((T, n, 2), dtype=np.float32)
    x[:, :, 0] = rng.random((T, n), dtype=np.float32)
    cols = np.arange(n)
    x[p0, cols, 1] = 1.0
    x[p1, cols, 1] = 1.0
    return x, x[p0, cols, 0], x[p1, cols, 0]


def adding(rng, n, length):
    """Pascanu's addition: target (a+b)/2 of the two marked values, read at the last step."""
    x, a, b = _two_markers(rng, n, length)
    return x, ((a + b) / 2)[:, None].astype(np.float32)


def multiplication(rng, n, length):
    """Same layout as `adding`; target a*b."""
    x, a, b = _two_markers(rng, n, length)
    return x, (a * b)[:, None].astype(np.float32)


def adding_le(rng, n, length):
    """Le et al. 2015: exactly `length` steps, one marker in [0, T/2), one in [T/2, T); target a+b.
    Channel 0 = value U[0,1), channel 1 = marker. Predicting 1 always gives MSE Var(a+b) = 1/6."""
    _check_length(length, 2)
    half = length // 2
    p0 = rng.integers(0, half, size=n)
    p1 = rng.integers(half, length, size=n)
    x = np.zeros((length, n, 2), dtype=np.float32)
    x[:, :, 0] = rng.random((length, n), dtype=np.float32)
    cols = np.arange(n)
    x[p0, cols, 1] = 1.0
    x[p1, cols, 1] = 1.0
    return x, (x[p0, cols, 0] + x[p1, cols, 0])[:, None]


# ---------------------------------------------------------------------------
# random permutation: one-hot over 100 symbols

PERM_SYMBOLS = 100


def random_permutation(rng, n, length):
    """First symbol in {0, 1}, then distractors 2..99; predict the first symbol at the end.
    As in the authors' code the output layer has 100 units; only classes 0 and 1 occur."""
    _check_length(length, 2)
    sym = rng.integers(2, PERM_SYMBOLS, size=(length, n))
    y = rng.integers(0, 2, size=n)
    sym[0] = y
    return _onehot(sym, PERM_SYMBOLS), y.astype(np.int64)


# ---------------------------------------------------------------------------
# noiseless memorisation

MEM_VALUES = 5     # symbols 0..4 (one-hot), as MemTask(n_values=5) in the authors' code
MEM_POSITIONS = 10  # n = 10 symbols to store and recall, as MemTask(n_pos=10)


MEM_TARGETS = ("recall", "authors")


def noiseless_memorization(rng, n, length, targets="recall"):
    """Store n=10 symbols (each one of 5, i.i.d. uniform), wait, recall them after a trigger.

    T = length + 2n. Inputs (7 channels): symbols 0..4, then BLANK=5 and TRIGGER=6.
    Steps 0..n-1 show the symbols; all later steps show BLANK except step length+n, which
    shows TRIGGER. The recall steps are the last n (length+n .. T-1, the trigger's step
    included): the target there is the stored symbol, in order; elsewhere it is IGNORE.
    targets="recall": steps outside the recall carry no loss (IGNORE), so the output has 5 units.
    targets="authors": as memorization.py (MemTask.generate, lines 59-63 and 76): every other step has
    the target BLANK (class 5, a 6th output unit), and with their report == 'all' error (RNN.py line 280)
    a sequence is wrong if any of its T steps is wrong: sequence_class_error does that when no step is
    IGNORE. The inputs are the same either way (same rng draws, so the same sequences).
    """
    if targets not in MEM_TARGETS:
        raise ValueError(f"unknown targets {targets!r}; expected one of {MEM_TARGETS}")
    _check_length(length, 1)
    npos, blank, trigger = MEM_POSITIONS, MEM_VALUES, MEM_VALUES + 1
    T = length + 2 * npos
    stored = rng.integers(0, MEM_VALUES, size=(npos, n))
    sym = np.full((T, n), blank)
    sym[:npos] = stored
    sym[length + npos] = trigger
    y = np.full((T, n), IGNORE if targets == "recall" else blank, dtype=np.int64)
    y[-npos:] = stored
    return _onehot(sym, MEM_VALUES + 2), y


# ---------------------------------------------------------------------------
# error functions: pred -> per-example bool "wrong"

def class_error(pred, y):
    """'last' classification: wrong when argmax differs from the class."""
    return np.asarray(pred).argmax(-1) != np.asarray(y)


def sequence_class_error(pred, y):
    """'every' classification: a sequence is wrong if any step with a target is wrong."""
    y = np.asarray(y)
    miss = (np.asarray(pred).argmax(-1) != y) & (y != IGNORE)
    return miss.any(axis=0)


def regression_error(pred, y):
    """Pascanu: a sequence is wrong when its squared error exceeds 0.04."""
    pred = np.asarray(pred, dtype=np.float64).reshape(len(pred), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    return ((pred - y) ** 2).sum(axis=1) > WRONG_MSE


def success(wrong_fraction, threshold=0.01):
    """Pascanu's criterion: a run succeeds when fewer than 1% of test sequences are wrong.
    The authors' code stops a run only when `error < .0001` with error in percent (RNN.py lines 361
    and 400), i.e. no wrong sequence among its 10,000 (its state['minerr'] = .01 is never read):
    threshold=AUTHORS_SUCCESS."""
    return bool(wrong_fraction < threshold)


AUTHORS_SUCCESS = 1e-6   # RNN.py: error * 100 < .0001


# ---------------------------------------------------------------------------
# metadata

@dataclass(frozen=True)
class Task:
    name: str
    sample: Callable            # (rng, n, length) -> (x, y)
    n_in: int
    n_out: int
    loss: str                   # "ce" or "mse"
    output: str                 # "last" (pred (N, n_out)) or "every" (pred (T, N, n_out))
    error: Callable             # (pred, y) -> bool (N,) "wrong"
    chance_error: float         # wrong fraction of the best input-blind guess
    chance_loss: float          # loss of the best input-blind guess (the level a stalled net sits at)


def _mul_chance_error():
    # P(|ab - 1/4| > 0.2) with P(ab <= z) = z - z ln z; predicting the mean 1/4
    cdf = lambda z: z - z * math.log(z)
    return cdf(0.05) + 1 - cdf(0.45)


TASKS = {t.name: t for t in [
    Task("temporal_order", temporal_order, 6, 4, "ce", "last", class_error, 3 / 4, math.log(4)),
    Task("temporal_order_3bit", temporal_order_3bit, 6, 8, "ce", "last", class_error, 7 / 8, math.log(8)),
    # (a+b)/2 - 1/2 has |.| > 0.2 with probability 0.6^2; Var((a+b)/2) = 1/24
    Task("adding", adding, 2, 1, "mse", "last", regression_error, 0.36, 1 / 24),
    # Var(ab) = 1/9 - 1/16
    Task("multiplication", multiplication, 2, 1, "mse", "last", regression_error,
         _mul_chance_error(), 1 / 9 - 1 / 16),
    Task("random_permutation", random_permutation, PERM_SYMBOLS, PERM_SYMBOLS, "ce", "last",
         class_error, 1 / 2, math.log(2)),
    Task("noiseless_memorization", noiseless_memorization, MEM_VALUES + 2, MEM_VALUES, "ce", "every",
         sequence_class_error, 1 - MEM_VALUES ** -MEM_POSITIONS, math.log(MEM_VALUES)),
    # the authors' targets (blank class on non-recall steps); chance_loss is per recall step: a net that
    # has learnt the blanks but not the symbols sits at n/T of it in the mean over all T steps
    Task("noiseless_memorization_authors", functools.partial(noiseless_memorization, targets="authors"),
         MEM_VALUES + 2, MEM_VALUES + 1, "ce", "every", sequence_class_error,
         1 - MEM_VALUES ** -MEM_POSITIONS, math.log(MEM_VALUES)),
    # predicting 1: |a+b-1| > 0.2 with probability 0.8^2; MSE 1/6 (Le et al.'s baseline)
    Task("adding_le", adding_le, 2, 1, "mse", "last", regression_error, 0.64, 1 / 6),
]}


def get_task(task):
    return task if isinstance(task, Task) else TASKS[task]


def _test_rng(seed):
    # a stream of its own, so a test set never repeats a trainer's default_rng(seed) batches
    return np.random.default_rng([seed, 0x7E57])


def test_set(task, length, n=10000, seed=TEST_SEED):
    """A fixed set of n fresh sequences (same arguments -> same arrays)."""
    return get_task(task).sample(_test_rng(seed), n, length)


def test_batches(task, length, n=10000, seed=TEST_SEED, chunk=1000):
    """The same idea in chunks of `chunk` sequences, for tasks too big to hold at once
    (e.g. random_permutation: 100 channels). Deterministic for a given seed and chunk."""
    task, rng = get_task(task), _test_rng(seed)
    for start in range(0, n, chunk):
        yield task.sample(rng, min(chunk, n - start), length)


test_set.__test__ = False  # not a pytest test when imported into a test module
test_batches.__test__ = False
