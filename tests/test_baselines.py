"""Fair baselines (experiments/adding.py): with a learning-rate grid every model trains at every rate on the same
seeds, the rate is chosen on a validation set apart from the test set, and the documents report that rate's runs."""
import numpy as np
import pytest
import torch

from experiments import adding
from rnn.tasks import TEST_SEED
from analysis.adding import BASELINE, choose_rate


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def test_a_grid_job_trains_every_rate_on_the_same_seeds_and_scores_a_validation_set():
    config = dict(adding.PROFILES["smoke"], lengths=[10], seeds=2, updates=20, eval_every=10, n_test=50,
                  n_validation=40, lr_grid=[1e-3, 1e-2])
    r = adding.run(config, {"model": "irnn", "length": 10}, "cpu")
    assert r["lrs"] == [1e-3, 1e-2] and len(r["seeds"]) == 2
    assert r["test_mse"].shape[0] == 4 and r["validation_mse"].shape == (4,)
    assert adding.VALIDATION_SEED != TEST_SEED
    chosen = choose_rate(r)
    assert chosen["lr"] in r["lrs"] and chosen["test_mse"].shape[0] == 2
    # the choice is the lower median validation MSE, whatever the test set says
    medians = [np.median(r["validation_mse"][:2]), np.median(r["validation_mse"][2:])]
    assert chosen["lr"] == r["lrs"][int(np.argmin(medians))]


def test_the_choice_reads_the_validation_set_and_counts_a_diverged_run_at_the_baseline():
    r = dict(lr=1e-3, lrs=[1e-3, 1e-2], seeds=[1, 2], diverged_at=[None, None, 5, None],
             test_mse=np.array([[0.1, 0.1], [0.1, 0.1], [0.0, np.nan], [0.0, 0.0]]),
             validation_mse=np.array([0.05, 0.06, np.nan, 0.01]))
    # at 1e-2 one run diverged (baseline 1/6) and one reached 0.01: median (1/6 + 0.01)/2 > 0.055 at 1e-3
    chosen = choose_rate(r)
    assert chosen["lr"] == 1e-3
    assert chosen["validation"]["median"][1] == pytest.approx((BASELINE + 0.01) / 2)
    assert choose_rate(dict(r, lrs=[1e-3]))["validation"] is None


def test_full_gives_every_model_the_same_grid_and_default_records_where_its_rates_came_from():
    full, default = adding.PROFILES["full"], adding.PROFILES["default"]
    assert full["lr_grid"] and full["seeds"] == 5
    assert all(adding.learning_rates(full, {"model": m, "length": 150}) == full["lr_grid"] for m in full["lr"])
    assert default["lr_grid"] is None and default["seeds"] >= 4
    assert adding.LR_SOURCE and default["lr"] == adding.LR_DEFAULT


def test_mnist_full_gives_every_model_the_same_grid_and_holds_out_validation_images():
    from experiments import sequential_mnist as sm
    from analysis.sequential_mnist import choose_rate
    full, default = sm.PROFILES["full"], sm.PROFILES["default"]
    assert full["lr_grid"] and full["seeds"] == 5 and default["seeds"] >= 4
    assert full["n_train"] + full["n_validation"] <= 60000      # validation images are never trained on
    assert all(sm.learning_rates(full, m) == full["lr_grid"] for m in full["models"])
    r = dict(lr=1e-4, lrs=[1e-4, 1e-3], seeds=[1, 2], diverged_at=[None] * 4,
             test_accuracy=np.array([[0.1, 0.5], [0.1, 0.6], [0.1, 0.9], [0.1, 0.95]]),
             validation_accuracy=np.array([0.7, 0.8, 0.2, np.nan]))
    chosen = choose_rate(r)   # by validation (0.75 against 0.15), not by the test set (which prefers 1e-3)
    assert chosen["lr"] == 1e-4 and chosen["test_accuracy"].shape == (2, 2)


def test_an_mnist_grid_job_scores_held_out_images():
    from experiments import Unavailable
    from experiments import sequential_mnist as sm
    config = dict(sm.PROFILES["smoke"], n_train=128, n_test=64, lr_grid=[1e-4, 1e-3], n_validation=64, seeds=2,
                  n_hidden=16)
    try:
        r = sm.run(config, {"model": "irnn", "dataset": "mnist"}, "cpu")
    except Unavailable:
        pytest.skip("MNIST not available")
    assert r["lrs"] == [1e-4, 1e-3] and r["test_accuracy"].shape[0] == 4
    assert r["validation_accuracy"].shape == (4,) and np.all((r["validation_accuracy"] >= 0) & (r["validation_accuracy"] <= 1))
