"""askbuddyx.serve.jobs without DVC running: the -S overrides, curves, failure reasons."""

import pytest

from askbuddyx.errors import AskBuddyXError
from askbuddyx.serve.jobs import JobSpec, TrainingQueue, failure_reason, parse_curve, progress


def spec(**overrides):
    return JobSpec(name="a", source={"name": "doc", "kind": "local",
                                     "path": "data/sources/uploads/doc/doc.jsonl"},
                   copy_path="data/sources/uploads/doc", profile="smol", overrides=overrides)


def test_set_params_are_hydra_overrides_with_the_dataset_only():
    params = spec(**{"train.iters": 40, "train.learning_rate": 1e-3, "train.mask_prompt": False,
                     "train.hostfile": "h.txt"}).set_params()
    assert params[:2] == ["profile=smol", "data.sources=[{name:doc,kind:local,"
                                          "path:'data/sources/uploads/doc/doc.jsonl'}]"]
    assert "data.curated_holdout={code:0,explain:0}" in params  # no curated source to hold out
    assert params[-4:] == ["train.iters=40", "train.learning_rate=0.001",
                           "train.mask_prompt=false", "train.hostfile='h.txt'"]


@pytest.mark.parametrize("key,value", [("data.sources", "x"), ("model.path", "m"),
                                       ("train.iters", [1]), ("train.seed", "it's")])
def test_overrides_outside_training_or_not_scalars_are_refused(key, value):
    with pytest.raises(AskBuddyXError):
        spec(**{key: value}).set_params()


def test_curves_and_eta():
    curve = parse_curve("step\tloss\n2\t3.5\n4\t2.25\n")
    assert curve == [[2, 3.5], [4, 2.25]]
    done = progress({"train": curve, "val": [[4, 3.0]]}, iters=8, started=None)
    assert (done["iteration"], done["train_loss"], done["val_loss"]) == (4, 2.25, 3.0)
    assert done["eta_s"] is None
    import time

    running = progress({"train": curve, "val": []}, iters=8, started=time.time() - 10)
    assert 9 <= running["eta_s"] <= 11  # 4 of 8 iterations in 10 s: 10 s left


def test_failure_reason_prefers_our_error_then_the_exception():
    ours = "Running stage 'train':\nerror: Invalid hyperparameter: train.warmup must be in " \
           "[0, train.iters).\n  how to fix: Fix params.yaml.\nERROR: failed to reproduce"
    assert failure_reason(ours) == ("Invalid hyperparameter: train.warmup must be in "
                                    "[0, train.iters). how to fix: Fix params.yaml.")
    crash = "Traceback (most recent call last):\n  File x\nValueError: too few\n" \
            "ERROR: failed to reproduce 'train': exited with 1"
    assert failure_reason(crash) == "ValueError: too few (failed to reproduce 'train': " \
                                    "exited with 1)"
    assert failure_reason("ERROR: Unable to copy 'a'") == "Unable to copy 'a'"
    assert failure_reason("all fine") is None


def test_wait_gone_looks_at_least_once():
    import os
    import subprocess
    import sys

    from askbuddyx.serve.jobs import wait_gone

    assert wait_gone(os.getpid(), 0) is False
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert wait_gone(child.pid, 0) is True


def test_a_folder_that_is_no_dvc_project_says_so(tmp_path):
    with pytest.raises(AskBuddyXError, match="not a DVC project"):
        TrainingQueue(tmp_path)


def test_job_records_survive_a_restart(tmp_path):
    import threading

    from askbuddyx.serve.training import JobRecord, TrainingService, TrainingSettings

    settings = TrainingSettings(root=tmp_path, uploads=tmp_path / "uploads",
                                adapters_dir=tmp_path / "adapters",
                                records_path=tmp_path / "outputs/training_jobs.json")
    first = TrainingService(settings)
    first.records["done"] = JobRecord("docs", "tiny", {"train.iters": 4}, queued=True,
                                      adapter=str(tmp_path / "adapters/done"), load_s=0.2)
    first.records["running"] = JobRecord("docs", "smol", {}, queued=True)
    first.records["lost"] = JobRecord("docs", "smol", {})  # the server died while queueing
    first.records["lost"].queueing = threading.Lock()  # like the server's asyncio task: it
    # cannot be copied, and is not saved
    first.save()
    again = TrainingService(settings)
    assert again.records["done"] == first.records["done"]
    assert again.pending() == ["running"]  # the watcher registers it once DVC says succeeded
    assert "submit it again" in again.records["lost"].error
    assert not (tmp_path / "outputs/training_jobs.json.tmp").exists()
