"""Training jobs as DVC experiments on DVC's own queue (`dvc exp run --queue`, `dvc queue`).

A job is a queued DVC experiment, named after the adapter it makes:

    dvc exp run --queue train -n <name> -C data/sources/uploads/<dataset> \
        -S profile=<profile> -S 'data.sources=[{name:<dataset>,kind:local,path:...}]' \
        -S data.curated_holdout={code:0,explain:0} -S data.val_fraction=0.1 -S train.iters=...
    dvc queue start -j <serve.train_workers>

(those two as commands in the project; the queries, kill and adapter copy through DVC's Python
API: `Repo.experiments.celery_queue`, `DVCFileSystem`), so `dvc exp show`, `dvc queue
status/logs/kill` and `dvc exp apply <name>` see and keep every job, and a job queued from the
command line is listed here too. The target is the `train` stage: DVC runs it and what it needs
(fetch_model, fetch_data, prepare_data, build_text), never the evaluations.

How DVC runs queued experiments (dvc/repo/experiments/queue/celery.py): `dvc queue start -j N`
spawns N detached `dvc exp queue-worker` processes (celery over a filesystem broker in
.dvc/tmp/exps/celery); each takes one experiment at a time, runs it in a temporary clone
(.dvc/tmp/exps/tmpXXXX) and exits after 10 s with an empty queue. So nothing runs when nobody
trains, jobs queued together run one after another with one worker, and `submit` (re)starts
workers after every queueing when fewer are alive (`live_workers`); the server's watcher does
the same while a job waits, for a worker that exited just as the job was queued.

What a job reports: DVC's queue state (queued, running, success, failed), and while it runs the
curves the train stage's dvclive logger writes in the experiment's clone
(metrics/train_live/plots/metrics/{train,val}/loss.tsv; askbuddyx/train/callbacks.py
`LiveCurves`), afterwards the same files from the experiment's commit (DVCFileSystem). The ETA
is the time per iteration since the train stage made its dvclive folder times the iterations
left. A failed job's reason is its log's "error:" lines (our stages print AskBuddyXError so),
else DVC's "ERROR:" lines. Cancel is DVC's queue kill (SIGINT to the experiment's process,
SIGKILL if it outlives `cancel_grace_s`); DVC then marks the experiment failed.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

TRAIN_TARGET = "train"
LIVE_DIR = "metrics/train_live/plots/metrics"
ADAPTER_OUT = "outputs/adapters/dev"  # where the train stage writes the adapter (dvc.yaml)
STATES = {"Queued": "queued", "Running": "running", "Success": "succeeded",
          "Failed": "failed"}
# Keys a job may override: hyperparameters and the data split, not what the job is about.
OVERRIDABLE = ("train.", "data.val_fraction", "data.seed", "data.near_dup_threshold",
               "data.overlong", "data.max_bad_fraction")


class JobNotFound(KeyError):
    """No experiment of that name in this repository."""


@dataclass
class JobSpec:
    """What `POST /v1/training/jobs` asks for.

    Args:
        name: The adapter's name, also the DVC experiment's name.
        source: The `data.sources` entry of the dataset (askbuddyx.serve.datasets).
        copy_path: The dataset's folder, relative to the project (copied into the job's clone).
        profile: conf/profile/<profile>.yaml (smol, tiny, release).
        overrides: Param key -> value, applied after the profile (`-S key=value`).
    """

    name: str
    source: dict
    copy_path: str
    profile: str
    overrides: dict = field(default_factory=dict)

    def set_params(self) -> list:
        """The `-S` overrides, in Hydra's syntax."""
        src = self.source
        sources = f"[{{name:{src['name']},kind:local,path:'{src['path']}'}}]"
        params = [f"profile={self.profile}", f"data.sources={sources}",
                  "data.curated_holdout={code:0,explain:0}", "data.val_fraction=0.1"]
        return params + [f"{key}={hydra_value(key, value)}"
                         for key, value in self.overrides.items()]


def hydra_value(key: str, value) -> str:
    """A JSON scalar as a Hydra override value (strings quoted); else a clear error."""
    if not key.startswith(OVERRIDABLE):
        raise AskBuddyXError(f"Override {key!r} is not allowed.",
                             hint="Override train.* keys or data.val_fraction / data.seed "
                             "(the dataset and profile have their own fields).")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str) and "'" not in value:
        return f"'{value}'"
    raise AskBuddyXError(f"Override {key}={value!r}: only numbers, booleans and strings.")


def parse_curve(text: str) -> list:
    """dvclive's TSV (`step<TAB>loss`) -> [[step, loss], ...]."""
    rows = [line.split("\t") for line in text.splitlines()[1:] if line.strip()]
    return [[int(step), float(loss)] for step, loss in rows]


def failure_reason(log: str) -> str | None:
    """The "error:" block our stages print (with its "how to fix"), else the exception of a
    traceback and DVC's last ERROR line, else that line alone."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("error: "):
            block = [line[7:]] + [x.strip() for x in lines[i + 1:i + 3]
                                  if x.startswith("  ")]
            return " ".join(block)
    errors = [i for i, line in enumerate(lines) if line.startswith("ERROR:")]
    if not errors:
        return None
    # an uncaught exception: its last traceback line ("ValueError: ...") says more than DVC
    raised = [line for line in lines[:errors[0]] if line.strip()]
    said = lines[errors[-1]][7:]
    return f"{raised[-1].strip()} ({said})" if any("Traceback" in x for x in raised) else said


class TrainingQueue:
    """The DVC experiments of the project at `root`, as training jobs.

    Args:
        root: The DVC project (where dvc.yaml and .dvc/ are).
        workers: Queue workers to run at once (`serve.train_workers`).
        cancel_grace_s: How long a cancelled job gets to stop on SIGINT before SIGKILL.
    """

    def __init__(self, root: Path, workers: int = 1, cancel_grace_s: float = 10.0):
        self.root = Path(root).resolve()
        if not (self.root / ".dvc").is_dir() or not (self.root / ".git").exists():
            raise AskBuddyXError(
                f"{self.root} is not a DVC project in a git repository: jobs are DVC "
                "experiments.", hint="Serve from the project (`make serve`), after `git init` "
                "and `dvc init` there.")
        self.workers = workers
        self.cancel_grace_s = cancel_grace_s
        self._lock = threading.Lock()  # one DVC repo operation at a time from this server
        # The queue workers are spawned as `dvc ...`: the one next to this Python.
        bin_dir = str(Path(sys.executable).parent)
        if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")

    def _repo(self):
        from dvc.repo import Repo

        # A queue worker holds the repository's lock while it sets up or collects a job:
        # wait for it, as `dvc --wait-for-lock` does, instead of failing.
        return Repo(str(self.root), _wait_for_lock=True)

    # -- changes ------------------------------------------------------------------------
    def submit(self, spec: JobSpec) -> dict:
        """Queue the experiment and make sure workers run; returns its listing.

        `dvc exp run --queue` runs as a command in the project, not through `Repo`: DVC
        resolves a stage target against the working directory, which is the server's."""
        with self._lock, self._repo() as repo:
            if spec.name in self._names(repo) or spec.name in self._entries(repo):
                raise AskBuddyXError(f"A job (DVC experiment) named {spec.name!r} exists.",
                                     hint="Pick another adapter name, or remove it: "
                                     f"`dvc exp remove {spec.name}` (`dvc queue remove`).")
        sets = [arg for param in spec.set_params() for arg in ("-S", param)]
        self._dvc("exp", "run", "--queue", TRAIN_TARGET, "-n", spec.name, "-C",
                  spec.copy_path, *sets)
        self.start_workers()
        return {"id": spec.name, "state": "queued"}

    def _dvc(self, *args: str) -> str:
        """Run `dvc ARGS` in the project; a failure is an AskBuddyXError with DVC's words."""
        import subprocess
        import tempfile

        # Output to a file, not a pipe: `dvc queue start` leaves a worker daemon behind that
        # inherits its stdout, and a pipe would then stay open until the worker exits.
        with tempfile.TemporaryFile(mode="w+") as out:
            done = subprocess.run(["dvc", "--wait-for-lock", *args], cwd=self.root,
                                  stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=300)
            out.seek(0)
            said = out.read()
        if done.returncode != 0:
            raise AskBuddyXError(f"`dvc {' '.join(args[:3])} ...` failed: {said.strip()[-800:]}",
                                 hint=f"Run it in {self.root} to see the whole output.")
        return said

    def start_workers(self) -> None:
        """`dvc queue start -j N` in a child process, never from this one: DVC forks the
        worker's daemon from its caller, and a fork of the server shares its asyncio signal
        wake-up fd, so the SIGINT of a later `queue kill` to the worker's process group would
        reach the server's loop and shut the server down."""
        if self.live_workers() < self.workers:
            self._dvc("queue", "start", "-j", str(self.workers))

    def live_workers(self) -> int:
        """Queue workers running now, from the process files DVC keeps for them
        (.dvc/tmp/exps/celery/dvc-exp-worker-N.json). `dvc queue start` looks for its workers
        with celery's inspect instead, which a worker busy training on a loaded machine may
        not answer in time: DVC then starts a second worker of the same name, and two jobs
        train at once. So the queue is started only when fewer workers are alive."""
        import json

        alive = 0
        for path in (self.root / ".dvc" / "tmp" / "exps" / "celery").glob(
                "dvc-exp-worker-*.json"):
            info = json.loads(path.read_text())
            if info.get("returncode") is None and not wait_gone(info.get("pid"), 0):
                alive += 1
        return alive

    def cancel(self, name: str) -> dict:
        """Kill a running job (DVC's queue kill) or drop a queued one; returns its state."""
        with self._lock, self._repo() as repo:
            entry = self._entries(repo).get(name)
            if entry is None:
                raise JobNotFound(name)
            state, queue_entry = entry
            queue = repo.experiments.celery_queue
            if state == "queued":
                queue.remove([name])
                return {"id": name, "state": "cancelled", "was": state}
            if state != "running":
                raise AskBuddyXError(f"Job {name!r} is {state}: there is nothing to cancel.")
        self._kill(name)
        with self._lock, self._repo() as repo:  # its process info exists once it was killable
            pid = self._pid(repo.experiments.celery_queue, queue_entry.stash_rev)
        gone = wait_gone(pid, self.cancel_grace_s)
        if not gone:
            with self._lock, self._repo() as repo:
                repo.experiments.celery_queue.kill([name], force=True)
            gone = wait_gone(pid, 5.0)
        return {"id": name, "state": "cancelled", "was": state, "pid": pid,
                "process_gone": gone}

    def _kill(self, name: str) -> None:
        """DVC's queue kill, retried while DVC says the task is still initializing (a worker
        took it but its process has not started yet)."""
        from dvc.repo.experiments.queue.exceptions import CannotKillTasksError

        deadline = time.monotonic() + self.cancel_grace_s
        while True:
            try:
                with self._lock, self._repo() as repo:
                    repo.experiments.celery_queue.kill([name])
                return
            except CannotKillTasksError:
                if time.monotonic() > deadline:
                    raise AskBuddyXError(f"Job {name!r} is still starting; it was not killed.",
                                         hint="Cancel it again in a few seconds.") from None
                time.sleep(0.5)

    def export_adapter(self, name: str, dest: Path) -> Path:
        """Copy a finished job's adapter from its experiment commit (DVC cache) to `dest`."""
        from dvc.api import DVCFileSystem

        dest = Path(dest)
        tmp = dest.with_name(f".{dest.name}.incoming")
        with self._lock:
            fs = DVCFileSystem(str(self.root), rev=name)
            tmp.mkdir(parents=True, exist_ok=True)
            for file in ("adapters.safetensors", "adapter_config.json", "run_meta.json"):
                fs.get_file(f"{ADAPTER_OUT}/{file}", str(tmp / file))
        if dest.exists():
            raise AskBuddyXError(f"{dest} exists: the adapter of job {name!r} is not copied "
                                 "over it.", hint=f"Remove {dest} and register it again.")
        tmp.replace(dest)
        return dest

    # -- queries ------------------------------------------------------------------------
    def jobs(self) -> list:
        """Every experiment: the queue's (any state), then finished ones run outside it."""
        with self._lock, self._repo() as repo:
            entries = self._entries(repo)
            done = [n for n in self._names(repo) if n not in entries]
        return ([{"id": n, "state": state} for n, (state, _) in entries.items()]
                + [{"id": n, "state": "succeeded"} for n in done])

    def state(self, name: str) -> str:
        """queued, running, succeeded or failed (JobNotFound if no such experiment)."""
        with self._lock, self._repo() as repo:
            entry = self._entries(repo).get(name)
            if entry is not None:
                return entry[0]
            if name in self._names(repo):
                return "succeeded"
        raise JobNotFound(name)

    def job(self, name: str) -> dict:
        """State, iteration, loss curves so far, ETA; the failure reason of a failed job."""
        with self._lock, self._repo() as repo:
            entry = self._entries(repo).get(name)
            if entry is None and name not in self._names(repo):
                raise JobNotFound(name)
            queue = repo.experiments.celery_queue
            state = entry[0] if entry else "succeeded"
            rev = entry[1].stash_rev if entry else None
            info = {"id": name, "state": state}
            log = self._log_file(queue, rev) if rev else None
            root = self._run_root(queue, rev) if state == "running" else None
        if root is not None:
            info.update(progress_from_dir(root))
        elif state == "succeeded":
            info.update(self._progress_from_commit(name))
        if state == "failed" and log is not None:
            info["error"] = failure_reason(log.read_text(errors="replace")) or \
                "the experiment failed; see its log"
        return info

    def log_path(self, name: str) -> Path | None:
        """The job's log file (None while it waits in the queue)."""
        with self._lock, self._repo() as repo:
            entry = self._entries(repo).get(name)
            if entry is None:
                if name in self._names(repo):
                    return None
                raise JobNotFound(name)
            return self._log_file(repo.experiments.celery_queue, entry[1].stash_rev)

    # -- DVC internals, under the lock --------------------------------------------------
    @staticmethod
    def _entries(repo) -> dict:
        """name -> (state, QueueEntry) for every experiment DVC's queue knows."""
        queue = repo.experiments.celery_queue
        out = {}
        for entry in queue.iter_queued():
            out[entry.name or entry.stash_rev[:7]] = ("queued", entry)
        for entry in queue.iter_active():
            out[entry.name or entry.stash_rev[:7]] = ("running", entry)
        for state, results in (("succeeded", queue.iter_success()),
                               ("failed", queue.iter_failed())):
            for result in results:
                out.setdefault(result.entry.name or result.entry.stash_rev[:7],
                               (state, result.entry))
        return out

    @staticmethod
    def _names(repo) -> set:
        """Names of the experiments that have a commit (finished, in the queue or not)."""
        return {name for exps in repo.experiments.ls(all_commits=True).values()
                for name, _ in exps}

    @staticmethod
    def _pid(queue, stash_rev: str) -> int | None:
        info = queue.proc.get(stash_rev)
        return info.pid if info is not None else None

    @staticmethod
    def _log_file(queue, stash_rev: str) -> Path | None:
        info = queue.proc.get(stash_rev)
        return Path(info.stdout) if info is not None and info.stdout else None

    @staticmethod
    def _run_root(queue, stash_rev: str) -> Path | None:
        """The running experiment's temporary clone (from DVC's executor info file)."""
        import json

        path = Path(queue.get_infofile_path(stash_rev))
        if not path.is_file():
            return None
        return Path(json.loads(path.read_text())["root_dir"])

    def _progress_from_commit(self, name: str) -> dict:
        from dvc.api import DVCFileSystem

        with self._lock:
            fs = DVCFileSystem(str(self.root), rev=name)
            curves = {}
            for split in ("train", "val"):
                path = f"{LIVE_DIR}/{split}/loss.tsv"
                curves[split] = parse_curve(fs.read_text(path)) if fs.exists(path) else []
            params = _yaml(fs.read_text("params.yaml"))
        return progress(curves, _iters(params), None)


def _yaml(text: str) -> dict:
    import yaml

    return yaml.safe_load(text) or {}


def _iters(params: dict) -> int | None:
    return (params.get("train") or {}).get("iters")


def progress_from_dir(root: Path) -> dict:
    """A running job's progress from the files in its clone (see the module docstring)."""
    live = root / LIVE_DIR
    curves = {split: parse_curve((live / split / "loss.tsv").read_text())
              if (live / split / "loss.tsv").is_file() else [] for split in ("train", "val")}
    params = _yaml((root / "params.yaml").read_text()) if (root / "params.yaml").is_file() \
        else {}
    started = (root / "metrics" / "train_live").stat().st_mtime \
        if (root / "metrics" / "train_live").is_dir() else None
    return progress(curves, _iters(params), started)


def progress(curves: dict, iters: int | None, started: float | None) -> dict:
    train, val = curves["train"], curves["val"]
    iteration = train[-1][0] if train else 0
    eta = None
    if started is not None and iteration and iters:
        per_iter = (time.time() - started) / iteration
        eta = round(per_iter * max(iters - iteration, 0), 1)
    return {"iteration": iteration, "iters": iters,
            "train_loss": train[-1][1] if train else None,
            "val_loss": val[-1][1] if val else None,
            "curves": {"train": train, "val": val}, "eta_s": eta}


def wait_gone(pid: int | None, timeout: float) -> bool:
    """True once process `pid` no longer exists (or was reaped), within `timeout` seconds."""
    if pid is None:
        return True
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
