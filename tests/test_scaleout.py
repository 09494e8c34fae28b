"""The same results whichever runs the jobs: in-process, a local process pool, or a Dask cluster."""
import json

import pytest

import build


def numbers(out):
    return json.loads((out / "results.json").read_text())["exp"]


def test_process_pool_and_dask_give_the_same_numbers(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    args = ["--profile", "smoke", "--only", "cliff", "--no-pdf"]
    assert build.main(args + ["--jobs", "1", "--out", str(tmp_path / "a"), "--cache", str(tmp_path / "ca")]) == 0
    assert build.main(args + ["--jobs", "2", "--out", str(tmp_path / "b"), "--cache", str(tmp_path / "cb")]) == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        assert build.main(args + ["--scheduler", cluster.scheduler_address,
                                  "--out", str(tmp_path / "c"), "--cache", str(tmp_path / "cc")]) == 0
    a, b, c = (numbers(tmp_path / x)["cliff"] for x in "abc")
    for result in (b, c):
        assert {k: v for k, v in result.items() if k != "seconds"} == {k: v for k, v in a.items() if k != "seconds"}
