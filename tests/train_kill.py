"""Run a stage script and SIGKILL it at a chosen point of its training (for
tests/test_train_resume.py): a real kill, with no cleanup, at a point a test can name.

    ASKBUDDYX_TEST_KILL=report:6 python tests/train_kill.py stages/train.py ARGS...

    report:N   right after the loss report of iteration N (mid-training, past a checkpoint)
    commit:N   while checkpoint N is written: all its files are on disk, the rename not done

Without ASKBUDDYX_TEST_KILL the stage runs unchanged.
"""

import os
import runpy
import signal
import sys

from askbuddyx.accel import cpu_cores, maybe_reexec_with_openblas

ENV = "ASKBUDDYX_TEST_KILL"


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def arm(mode: str, iteration: int) -> None:
    from askbuddyx.train import callbacks, checkpoint

    if mode == "report":
        report = callbacks.LossHistory.on_train_loss_report

        def report_then_die(self, info):
            report(self, info)
            if info["iteration"] == iteration:
                die()

        callbacks.LossHistory.on_train_loss_report = report_then_die
    elif mode == "commit":
        commit = checkpoint._commit

        def die_before_rename(tmp, final):
            if final.name == f"{checkpoint.STEP_PREFIX}{iteration:07d}":
                die()
            commit(tmp, final)

        checkpoint._commit = die_before_rename
    else:
        raise SystemExit(f"{ENV}={mode}:{iteration}: the mode must be report or commit")


if __name__ == "__main__":
    # As the stage does, before anything imports mlx (the stage's own call is then a no-op).
    maybe_reexec_with_openblas(threads=cpu_cores())
    if os.environ.get(ENV):
        mode, _, at = os.environ[ENV].partition(":")
        arm(mode, int(at))
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
