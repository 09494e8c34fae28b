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


def test_a_grid_job_runs_a_pilot_on_a_validation_set_then_its_seeds_at_the_chosen_rate():
    config = dict(adding.PROFILES["smoke"], lengths=[10], seeds=2, updates=20, eval_every=10, n_test=50,
                  n_validation=40, lr_grid=[1e-3, 1e-2], pilot_seeds=2, pilot_updates=8)
    r = adding.run(config, {"model": "irnn", "length": 10}, "cpu")
    p = r["pilot"]
    assert p["lrs"] == [1e-3, 1e-2] and len(p["seeds"]) == 2 and p["validation_mse"].shape == (4,)
    assert adding.VALIDATION_SEED != TEST_SEED and not set(p["seeds"]) & set(r["seeds"])
    # the choice is the lower median validation MSE of the pilots, whatever the test set says
    medians = [np.median(p["validation_mse"][:2]), np.median(p["validation_mse"][2:])]
    assert r["lr"] == p["lrs"][int(np.argmin(medians))] and r["lrs"] == [r["lr"]]
    assert r["test_mse"].shape[0] == 2
    chosen = choose_rate(r)
    assert chosen["validation"]["chosen"] == r["lr"] and chosen["validation"]["median"] == pytest.approx(medians)


def test_the_pilot_choice_counts_a_diverged_pilot_at_the_baseline():
    # at 1e-2 one pilot diverged (baseline 1/6) and one reached 0.01: median (1/6 + 0.01)/2 > 0.055 at 1e-3
    lr, medians = adding.choose_pilot_rate([1e-3, 1e-2], [1, 2], np.array([0.05, 0.06, np.nan, 0.01]))
    assert lr == 1e-3 and medians[1] == pytest.approx((BASELINE + 0.01) / 2)
    assert adding.choose_pilot_rate([1e-3, 1e-2], [1], np.array([0.05, 0.01]))[0] == 1e-2
    assert choose_rate(dict(lr=1e-3, pilot=None))["validation"] is None


def test_full_gives_every_model_the_same_grid_and_default_records_where_its_rates_came_from():
    full, default = adding.PROFILES["full"], adding.PROFILES["default"]
    assert full["lr_grid"] and full["seeds"] == 5
    assert all(adding.learning_rates(full, {"model": m, "length": 150}) == full["lr_grid"] for m in full["lr"])
    assert full["pilot_updates"] > 0 and full["pilot_seeds"] >= 1
    assert default["lr_grid"] is None and default["seeds"] >= 4
    assert adding.LR_SOURCE and default["lr"] == adding.LR_DEFAULT


def test_mnist_full_gives_every_model_the_same_grid_and_pilot_and_holds_out_validation_images():
    from experiments import sequential_mnist as sm
    from analysis.sequential_mnist import choose_rate
    full, default = sm.PROFILES["full"], sm.PROFILES["default"]
    assert full["lr_grid"] and full["pilot_updates"] > 0 and full["pilot_seeds"] >= 1
    assert full["seeds"]["irnn"] >= 4 and full["seeds"]["tanh_gauss"] >= 4     # C7's two groups
    assert all(full["seeds"][m] >= 1 for m in full["models"])
    assert sm.updates_per_epoch(full) * full["epochs"] >= 8000      # issue 18: at least 8k updates
    assert all(default["seeds"][m] >= 4 for m in default["models"])
    assert full["n_train"] + full["n_validation"] <= 60000      # validation images are never trained on
    assert all(sm.learning_rates(full, m) == full["lr_grid"] for m in full["models"])
    # the pilot's choice reads the validation accuracy only; a diverged pilot (NaN) counts at chance
    lr, medians = sm.choose_pilot_rate([1e-4, 3e-4, 1e-3], [1, 2], np.array([0.7, 0.8, 0.9, np.nan, 0.2, 0.3]))
    assert lr == 1e-4 and medians == pytest.approx([0.75, 0.5, 0.25])
    assert sm.choose_pilot_rate([1e-4, 1e-3], [1], np.array([0.5, 0.6]))[0] == 1e-3
    r = dict(lr=1e-4, seeds=[1, 2], pilot=dict(lrs=[1e-4, 1e-3], seeds=[9], updates=10, diverged_at=[None, 3],
                                                validation_median=[0.7, 0.1], validation_accuracy=np.array([0.7, np.nan])))
    v = choose_rate(r)["validation"]
    assert v["chosen"] == 1e-4 and v["grid"] == [1e-4, 1e-3] and v["pilot_diverged"] == 1
    assert choose_rate(dict(r, pilot=None))["validation"] is None


def test_an_mnist_grid_job_runs_a_pilot_on_held_out_images_then_its_seeds_at_the_chosen_rate():
    from experiments import Unavailable
    from experiments import sequential_mnist as sm
    config = dict(sm.PROFILES["smoke"], n_train=128, n_test=64, lr_grid=[1e-4, 1e-3], n_validation=64,
                  pilot_seeds=1, pilot_updates=4, seeds={"irnn": 2}, n_hidden=16)
    try:
        r = sm.run(config, {"model": "irnn", "dataset": "mnist"}, "cpu")
    except Unavailable:
        pytest.skip("MNIST not available")
    p = r["pilot"]
    assert p["lrs"] == [1e-4, 1e-3] and p["validation_accuracy"].shape == (2,)
    assert np.all((p["validation_accuracy"] >= 0) & (p["validation_accuracy"] <= 1))
    assert r["lr"] == sm.choose_pilot_rate(p["lrs"], p["seeds"], p["validation_accuracy"])[0]
    assert r["test_accuracy"].shape[0] == 2 and not set(p["seeds"]) & set(r["seeds"])


def test_default_trains_at_the_rates_the_shipped_full_run_chose():
    """Issue 16: `default` uses the rates `full` chose on validation data, for every model full chose for (MNIST: the
    IRNN and the tanh RNN; adding at T = 150: all five)."""
    import json
    from experiments import CHOSEN_RATES, sequential_mnist as sm
    chosen = json.loads(CHOSEN_RATES.read_text())
    mnist, add = chosen["sequential_mnist"]["lr"]["mnist"], chosen["adding"]["lr"]["150"]
    assert set(mnist) >= {"irnn", "tanh_gauss"} and len(add) == 5
    assert all(sm.PROFILES["default"]["lr"][m] == lr for m, lr in mnist.items())
    assert all(adding.PROFILES["default"]["lr"][m] == lr for m, lr in add.items())
