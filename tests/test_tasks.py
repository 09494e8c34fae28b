"""Checks of the synthetic task generators against the layout in PAPERS.md, recomputed from x."""

import math

import numpy as np
import pytest

from rnn import tasks
from rnn.tasks import IGNORE, TASKS


def rng(seed=0):
    return np.random.default_rng(seed)


def chi2(counts):
    counts = np.asarray(counts, dtype=float)
    expected = counts.sum() / len(counts)
    return ((counts - expected) ** 2 / expected).sum()


# chi-square critical values at p = 0.001 (df = k - 1)
CHI2_CRIT = {1: 10.83, 3: 16.27, 4: 18.47, 7: 24.32, 97: 145.0}


def symbols(x):
    """Decode one-hot inputs, asserting they are exactly one-hot."""
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert np.all(x.sum(-1) == 1)
    return x.argmax(-1)


@pytest.mark.parametrize("name", list(TASKS))
def test_shapes_and_metadata(name):
    task = TASKS[name]
    x, y = task.sample(rng(1), 13, 60)
    assert x.dtype == np.float32 and x.ndim == 3 and x.shape[1:] == (13, task.n_in)
    if task.output == "last":
        assert y.shape[0] == 13
    else:
        assert y.shape == x.shape[:2]
    if task.loss == "ce":
        assert y.dtype == np.int64
        assert y[y != IGNORE].min() >= 0 and y.max() < task.n_out
    else:
        assert y.dtype == np.float32 and y.shape == (13, task.n_out)
    assert 0 < task.chance_error < 1 and task.chance_loss > 0


@pytest.mark.parametrize("name", list(TASKS))
def test_too_short_raises(name):
    with pytest.raises(ValueError):
        TASKS[name].sample(rng(), 4, 0)


@pytest.mark.parametrize("name, starts", [("temporal_order", (1, 5)), ("temporal_order_3bit", (1, 3, 6))])
@pytest.mark.parametrize("length", [50, 137])
def test_temporal_order(name, starts, length):
    task = TASKS[name]
    x, y = task.sample(rng(2), 20000, length)
    assert x.shape == (length, 20000, 6)
    s = symbols(x)
    is_ab = s < 2
    assert np.all(is_ab.sum(0) == len(starts))  # distractors c..f everywhere else
    assert set(np.unique(s[~is_ab])) == {2, 3, 4, 5}
    t_idx, n_idx = np.nonzero(is_ab.T)           # per sequence, positions in time order
    pos = n_idx.reshape(-1, len(starts))
    bits = s[pos, np.arange(20000)[:, None]]
    for k, start in enumerate(starts):
        # the authors' window int(s L) + [0, int(0.1 L)): [0.1 s L, 0.1 (s+1) L) up to rounding down
        lo, hi = start * length // 10, start * length // 10 + length // 10
        assert lo == math.floor(start * length / 10) and hi <= (start + 1) * length / 10
        # the whole window [lo, hi) is used, nothing outside it
        assert pos[:, k].min() == lo and pos[:, k].max() == hi - 1
        assert chi2(np.bincount(pos[:, k] - lo, minlength=hi - lo)) < CHI2_CRIT.get(hi - lo - 1, 60)
    expect = np.zeros(20000, dtype=int)
    for k in range(len(starts)):
        expect = 2 * expect + bits[:, k]       # AA=0, AB=1, BA=2, BB=3 (first symbol most significant)
    np.testing.assert_array_equal(y, expect)
    counts = np.bincount(y, minlength=task.n_out)
    assert len(counts) == task.n_out
    assert chi2(counts) < CHI2_CRIT[task.n_out - 1]


def test_temporal_order_class_names():
    # hand-made: A at p0 and B at p1 is class AB = 1
    x, y = tasks.temporal_order(rng(3), 5000, 40)
    s = symbols(x)
    first, second = s[4:8], s[20:24]
    a_first = (first == 0).any(0)
    b_second = (second == 1).any(0)
    assert np.all(y[a_first & b_second] == 1)


@pytest.mark.parametrize("name, op", [("adding", lambda a, b: (a + b) / 2), ("multiplication", lambda a, b: a * b)])
def test_adding_multiplication(name, op):
    length, lengths = 100, set()
    for seed in range(40):
        x, y = TASKS[name].sample(rng(seed), 500, length)
        T = x.shape[0]
        lengths.add(T)
        assert length <= T < length + length // 10
        value, marker = x[..., 0], x[..., 1]
        assert value.min() >= 0 and value.max() < 1
        assert set(np.unique(marker)) == {0.0, 1.0} and np.all(marker.sum(0) == 2)
        t_idx, n_idx = np.nonzero(marker.T)
        p0, p1 = n_idx.reshape(-1, 2).T
        assert np.all(p0 < T // 10) and np.all(p1 >= T // 10) and np.all(p1 < T // 2)
        cols = np.arange(500)
        np.testing.assert_allclose(y[:, 0], op(value[p0, cols], value[p1, cols]), rtol=1e-6)
    assert len(lengths) > 3  # L' really varies between batches


def test_adding_marker_ranges_are_filled():
    x, _ = tasks.adding(rng(5), 20000, 10)  # L' = 10: p0 in [0, 1), p1 in [1, 5)
    _, n_idx = np.nonzero(x[..., 1].T)
    p0, p1 = n_idx.reshape(-1, 2).T
    assert set(p0) == {0} and set(p1) == {1, 2, 3, 4}


def test_adding_le():
    x, y = tasks.adding_le(rng(6), 20000, 150)
    assert x.shape == (150, 20000, 2)
    value, marker = x[..., 0], x[..., 1]
    assert np.all(marker.sum(0) == 2)
    _, n_idx = np.nonzero(marker.T)
    p0, p1 = n_idx.reshape(-1, 2).T
    assert p0.min() == 0 and p0.max() == 74 and p1.min() == 75 and p1.max() == 149
    cols = np.arange(20000)
    np.testing.assert_allclose(y[:, 0], value[p0, cols] + value[p1, cols], rtol=1e-6)
    # Le et al.'s baseline: always predicting 1 gives MSE 1/6
    assert abs(((y - 1) ** 2).mean() - 1 / 6) < 0.005


def test_random_permutation():
    x, y = tasks.random_permutation(rng(7), 20000, 30)
    assert x.shape == (30, 20000, 100)
    s = symbols(x)
    np.testing.assert_array_equal(y, s[0])
    assert set(np.unique(s[0])) == {0, 1}
    assert set(np.unique(s[1:])) == set(range(2, 100))
    assert chi2(np.bincount(y)) < CHI2_CRIT[1]
    assert chi2(np.bincount(s[1:].ravel())[2:]) < CHI2_CRIT[97]


@pytest.mark.parametrize("length", [1, 30])
def test_noiseless_memorization(length):
    n_pos, n_val = tasks.MEM_POSITIONS, tasks.MEM_VALUES
    x, y = tasks.noiseless_memorization(rng(8), 10000, length)
    T = length + 2 * n_pos
    assert x.shape == (T, 10000, n_val + 2) and y.shape == (T, 10000)
    s = symbols(x)
    blank, trigger = n_val, n_val + 1
    assert s[:n_pos].max() < n_val                        # the symbols to store
    trig_at = length + n_pos
    assert np.all(s[trig_at] == trigger)
    rest = np.delete(s[n_pos:], trig_at - n_pos, axis=0)
    assert np.all(rest == blank)
    assert np.all(y[:-n_pos] == IGNORE)
    np.testing.assert_array_equal(y[-n_pos:], s[:n_pos])  # recall in order
    for k in range(n_pos):
        assert chi2(np.bincount(s[k], minlength=n_val)) < CHI2_CRIT[n_val - 1]


def test_class_error():
    pred = np.array([[0.1, 0.9, 0, 0], [2, 1, 0, 0], [0, 0, 0, 5]])
    np.testing.assert_array_equal(tasks.class_error(pred, np.array([1, 1, 3])), [False, True, False])


def test_sequence_class_error():
    x, y = tasks.noiseless_memorization(rng(9), 6, 5)
    perfect = np.eye(tasks.MEM_VALUES)[np.where(y == IGNORE, 0, y)]
    assert not tasks.sequence_class_error(perfect, y).any()
    pred = perfect.copy()
    pred[0, 2] = np.roll(pred[0, 2], 1)                 # a step without a target: ignored
    assert not tasks.sequence_class_error(pred, y).any()
    pred[-3, 4] = np.roll(pred[-3, 4], 1)               # one recalled symbol wrong: sequence wrong
    np.testing.assert_array_equal(tasks.sequence_class_error(pred, y), [0, 0, 0, 0, 1, 0])


def test_regression_error_threshold():
    y = np.zeros((4, 1), dtype=np.float32)
    pred = np.array([[0.0], [0.19], [-0.21], [0.3]])  # squared errors 0, .0361, .0441, .09
    np.testing.assert_array_equal(tasks.regression_error(pred, y), [False, False, True, True])


def test_success_criterion():
    assert tasks.success(0.009) and tasks.success(0.0)
    assert not tasks.success(0.01) and not tasks.success(0.5)
    # on hand-made predictions over 10,000 test sequences: 90 wrong succeeds, 100 wrong fails
    y = np.zeros(10000, dtype=np.int64)
    pred = np.tile([1.0, 0.0, 0.0, 0.0], (10000, 1))
    pred[:90] = [0, 1, 0, 0]
    assert tasks.success(tasks.class_error(pred, y).mean())
    pred[:100] = [0, 1, 0, 0]
    assert not tasks.success(tasks.class_error(pred, y).mean())


@pytest.mark.parametrize("name, guess", [("adding", 0.5), ("multiplication", 0.25), ("adding_le", 1.0)])
def test_chance_error_regression(name, guess):
    task = TASKS[name]
    _, y = task.sample(rng(10), 40000, 20)
    wrong = task.error(np.full_like(y, guess), y).mean()
    assert abs(wrong - task.chance_error) < 0.01
    assert abs(((y - y.mean()) ** 2).mean() - task.chance_loss) < 0.1 * task.chance_loss


def test_test_set_is_fixed_and_fresh():
    x1, y1 = tasks.test_set("temporal_order", 50, n=500, seed=3)
    x2, y2 = tasks.test_set(TASKS["temporal_order"], 50, n=500, seed=3)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    x3, _ = tasks.test_set("temporal_order", 50, n=500, seed=4)
    assert not np.array_equal(x1, x3)
    x4, _ = tasks.temporal_order(np.random.default_rng(3), 500, 50)  # a trainer seeded with 3
    assert not np.array_equal(x1, x4)
    x5, _ = tasks.test_set("adding", 100)
    assert x5.shape[1] == 10000


def test_test_batches():
    chunks = list(tasks.test_batches("random_permutation", 20, n=2500, seed=1, chunk=1000))
    assert [c[0].shape[1] for c in chunks] == [1000, 1000, 500]
    again = list(tasks.test_batches("random_permutation", 20, n=2500, seed=1, chunk=1000))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(chunks, again))


def test_noiseless_memorization_authors_targets():
    n_pos, n_val, length, n = tasks.MEM_POSITIONS, tasks.MEM_VALUES, 30, 500
    x, y = tasks.noiseless_memorization(rng(8), n, length, targets="authors")
    x0, y0 = tasks.noiseless_memorization(rng(8), n, length)
    np.testing.assert_array_equal(x, x0)                       # the same sequences, only the targets differ
    # memorization.py MemTask.generate (lines 55-76), transcribed, from the same stored symbols
    T = length + 2 * n_pos
    data = x[:n_pos]
    input_data = np.zeros((T, n, n_val + 2), dtype=np.float32)
    targ_data = np.zeros((T, n, n_val + 1), dtype=np.float32)
    targ_data[:-n_pos, :, -1] = 1
    input_data[n_pos:, :, -2] = 1
    input_data[length + n_pos, :, -2] = 0
    input_data[length + n_pos, :, -1] = 1
    input_data[:n_pos, :, :] = data
    targ_data[-n_pos:, :, :] = data[:, :, :-1]
    np.testing.assert_array_equal(x, input_data)
    np.testing.assert_array_equal(y, targ_data.argmax(-1))
    assert np.array_equal(y[-n_pos:], y0[-n_pos:]) and np.all(y[:-n_pos] == n_val)
    # their error (report == 'all', RNN.py line 280): any wrong step, blank steps included
    task = TASKS["noiseless_memorization_authors"]
    assert task.n_out == n_val + 1 and task.sample.keywords == {"targets": "authors"}
    perfect = np.eye(task.n_out)[y[:, :6]]
    assert not task.error(perfect, y[:, :6]).any()
    pred = perfect.copy()
    pred[3, 4] = np.roll(pred[3, 4], 1)                        # a blank step wrong
    np.testing.assert_array_equal(task.error(pred, y[:, :6]), [0, 0, 0, 0, 1, 0])
    with pytest.raises(ValueError):
        tasks.noiseless_memorization(rng(), 3, 5, targets="blank")


def test_authors_success_threshold():
    # RNN.py stops a run only at error < .0001 percent: no wrong sequence among 10,000
    assert tasks.success(0.0, tasks.AUTHORS_SUCCESS) and not tasks.success(1e-4, tasks.AUTHORS_SUCCESS)
    assert tasks.success(1e-4)
