"""Le, Jaitly & Hinton 2015 (IRNN): the models' initialisation, the experiments' contracts and one claim.

Fast (smoke-sized). The claim test trains real networks with fixed seeds and can fail."""
import math

import numpy as np
import pytest
import torch

from experiments import Unavailable, adding, gradient_flow, sequential_mnist
from rnn import data as mnist
from rnn.models import LE_CLIP, LE_MODELS as MODELS, le_ensemble as ensemble, le_member as member
from analysis import adding as adding_numbers
from figures import adding as adding_figures


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny RNNs are latency-bound: with torch's default threads on a busy machine a step can be 100x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make(model, n_in=2, n=16, seed=0):
    return ensemble(model, [member(model, seed, 1e-3, n)], n_in, n, 1, "cpu")


# --- initialisation ------------------------------------------------------------------------

def test_identity_init_is_exactly_identity():
    ens = make("irnn", n=16)
    assert ens.cell == "relu"
    assert torch.equal(ens.W[0], torch.eye(16, dtype=ens.W.dtype))
    assert torch.count_nonzero(ens.b) == 0
    assert torch.count_nonzero(ens.V) > 0        # input weights are small Gaussian, not zero


def test_irnn_with_zero_input_keeps_its_state():
    ens = make("irnn", n_in=2, n=16, seed=3)
    T, B = 50, 8
    x = torch.zeros(T, B, 2)
    x[0] = torch.rand(B, 2) + 0.5               # one non-zero input, then nothing
    h = ens.hidden_states(x)[0]                  # (T, B, n)
    assert torch.count_nonzero(h[0]) > 0
    assert torch.equal(h[1:], h[0].expand_as(h[1:]))   # h_t = ReLU(I h_{t-1} + 0) = h_{t-1}, exactly


def test_the_other_models_are_what_they_say():
    n = 64
    gauss = make("tanh_gauss", n=n, seed=1).W[0].double()
    assert abs(gauss.std().item() - 1 / math.sqrt(n)) < 0.1 / math.sqrt(n)
    orth = make("tanh_orth", n=n, seed=1).W[0].double()
    assert torch.allclose(orth.T @ orth, torch.eye(n, dtype=torch.float64), atol=1e-5)
    lstm = make("lstm", n=n)
    assert torch.all(lstm.b[0, n:2 * n] == 1) and torch.all(lstm.b[0, :n] == 0)   # forget-gate bias 1
    assert {m: MODELS[m]["cell"] for m in MODELS} == {"irnn": "relu", "relu_gauss": "relu", "tanh_gauss": "tanh",
                                                      "tanh_orth": "tanh", "lstm": "lstm"}
    assert all(member(m, 0, 1e-3, n).clip == LE_CLIP for m in MODELS)   # clipping on for all


# --- the experiments' contracts --------------------------------------------------------------

@pytest.mark.parametrize("module", [adding, sequential_mnist, gradient_flow])
def test_profiles_and_jobs(module):
    assert set(module.PROFILES) == {"smoke", "default", "full", "paper"}
    for profile, config in module.PROFILES.items():
        specs = module.jobs(config)
        assert specs and len({tuple(sorted(s.items())) for s in specs}) == len(specs)
        assert isinstance(module.budget(config), str)
    for profile in ("full", "paper"):
        config = module.PROFILES[profile]
        assert config["n_hidden"] == 100
    assert set(adding.PROFILES["paper"]["lengths"]) == {150, 200, 300, 400}


def test_adding_run_is_deterministic_and_draws(tmp_path):
    config = dict(adding.PROFILES["smoke"], updates=10, eval_every=5)
    spec = {"model": "irnn", "length": 12}
    a, b = adding.run(config, spec, "cpu"), adding.run(config, spec, "cpu")
    np.testing.assert_array_equal(a["test_mse"], b["test_mse"])
    results = [adding.run(config, {"model": m, "length": 12}, "cpu") for m in MODELS]
    saved = adding_figures.draw(dict(config, lengths=[12]), results, tmp_path)
    assert saved == [tmp_path / "adding_mse.pdf", tmp_path / "adding_mse.png", tmp_path / "adding_mse.csv"]   # + plotted numbers
    assert all(f.is_file() for f in saved)
    out = adding_numbers.numbers(dict(config, lengths=[12]), results)
    assert out["budget"] and out["baseline"] == pytest.approx(1 / 6)
    assert set(out["final_short"]) == set(MODELS)


def test_mnist_unavailable_is_reported_not_crashed(monkeypatch):
    def missing(*args, **kwargs):
        raise mnist.MnistUnavailable("no files here")
    monkeypatch.setattr(sequential_mnist, "load_mnist", missing)
    with pytest.raises(Unavailable, match="MNIST"):
        sequential_mnist.run(sequential_mnist.PROFILES["smoke"], {"model": "irnn", "dataset": "mnist"}, "cpu")


def test_mnist_data_dir_and_permutation(monkeypatch, tmp_path):
    """--data-dir reaches load_mnist; permuted MNIST is the fixed, seeded bijection of the pixels."""
    rng = np.random.default_rng(0)
    fake = (rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), rng.integers(0, 10, 20, dtype=np.uint8),
            rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), rng.integers(0, 10, 10, dtype=np.uint8))
    seen = {}

    def load(data_dir=None, **kwargs):
        seen["data_dir"] = data_dir
        return fake
    monkeypatch.setattr(sequential_mnist, "load_mnist", load)
    config = sequential_mnist.PROFILES["smoke"]
    assert sequential_mnist.prepare(config, data_dir=tmp_path) is not config and "data_dir" not in config  # passed, not stored
    config = dict(sequential_mnist.prepare(config, data_dir=tmp_path), n_train=20, n_test=10)
    x, y, xt, yt = sequential_mnist.data(config, "mnist")
    px, _, _, _ = sequential_mnist.data(config, "permuted")
    assert seen["data_dir"] == str(tmp_path)
    assert x.shape == (784, 20, 1) and px.shape == x.shape
    perm = mnist.fixed_permutation(sequential_mnist.PERMUTATION_SEED)
    assert sorted(perm) == list(range(784))
    np.testing.assert_array_equal(px[:, :, 0], x[perm, :, 0])
    np.testing.assert_array_equal(np.sort(px, axis=0), np.sort(x, axis=0))   # same pixels, other order

# The claim itself (IRNN and LSTM below 1/60, tanh at the baseline) is checked at T = 150 in tests/test_claims.py.
