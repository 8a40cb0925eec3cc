"""The training API of `askbuddyx serve` (seed 003, Step 7): data in, DVC experiments out.

    POST   /v1/training/data?name=N          JSONL body (Alpaca, ChatML, ShareGPT) or Markdown
                                             (Content-Type text/markdown, or ?format=markdown),
                                             or multipart with a `file` (a .md is a document)
                                             and an optional `name`: stored, checked -> report
    GET    /v1/training/data                 the stored datasets and their reports
    POST   /v1/training/jobs                 {"dataset", "adapter", "profile", "overrides"}
                                             -> 202 {"id"} at once; queued as a DVC
                                             experiment in the background ("submitting")
    GET    /v1/training/jobs                 every experiment (also those run from the CLI)
    GET    /v1/training/jobs/{id}            state, iteration, train/val loss so far, ETA,
                                             error (failed), adapter + load time (finished)
    GET    /v1/training/jobs/{id}/logs       the job's log, streamed until it ends
                                             (?follow=false: what is there now)
    DELETE /v1/training/jobs/{id}            cancel (also POST /v1/training/jobs/{id}/cancel)

Same API key and OpenAI-style error bodies as the rest of the server (app.py's middlewares).
Data handling is askbuddyx/serve/datasets.py, the DVC queue askbuddyx/serve/jobs.py. A job's
id is its adapter's name and its DVC experiment's name: `dvc exp show`, `dvc queue logs <id>`
and `dvc exp apply <id>` work on it. While a job the server submitted is unfinished, a watcher
polls its state every `poll_s`; when it succeeds the adapter is copied from the experiment to
`<serve.adapters_dir>/<id>/` and loaded on the engine thread, so `model: <id>` answers at once.
Nothing polls, and no DVC worker runs, when nobody trains. The server's job records (request,
outcome) are kept in `<root>/outputs/training_jobs.json` (`records_path`), so a job that
finishes while the server is down is registered when it starts again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

from aiohttp import web

from askbuddyx.errors import AskBuddyXError
from askbuddyx.serve.datasets import (
    MARKDOWN_SUFFIXES,
    check_name,
    list_datasets,
    source_entry,
    store_upload,
)
from askbuddyx.serve.jobs import JobNotFound, JobSpec, TrainingQueue
from askbuddyx.serve.schema import ApiError, bad, parse_json
from askbuddyx.serve.state import ENGINE, REGISTRY

log = logging.getLogger("askbuddyx.serve.training")
FINISHED = ("succeeded", "failed", "cancelled")
PROFILES = ("tiny", "smol", "release")


@dataclass
class TrainingSettings:
    """Where data and adapters go and how uploads are checked (params.yaml + serve flags).

    Args:
        root: The DVC project (the params file's folder).
        uploads: The datasets folder (askbuddyx.serve.datasets.UPLOADS_DIR under root).
        adapters_dir: Where finished jobs' adapters are copied (`serve.adapters_dir`).
        profile: A job's profile when the request names none (params.yaml `profile`).
        workers: DVC queue workers, i.e. jobs training at once (`serve.train_workers`).
        max_seq_length, max_bad_fraction, near_dup_threshold: the data stages' params.
        poll_s: How often the watcher looks at unfinished jobs.
    """

    root: Path
    uploads: Path
    adapters_dir: Path
    profile: str = "smol"
    workers: int = 1
    max_seq_length: int = 768
    max_bad_fraction: float = 0.05
    near_dup_threshold: float = 0.9
    poll_s: float = 1.0
    records_path: Path | None = None  # the job records across restarts (None: memory only)


@dataclass
class JobRecord:
    """What the server adds to a job it submitted: its request and what became of it."""

    dataset: str
    profile: str
    overrides: dict
    submitted: float = field(default_factory=time.time)
    cancelled: bool = False
    queued: bool = False  # DVC has it (until then the state is "submitting")
    queueing: object = None  # the asyncio task that queues it
    adapter: str | None = None
    load_s: float | None = None
    error: str | None = None


class TrainingService:
    """The training routes' state: the queue (None when the project is not a DVC repo)."""

    def __init__(self, settings: TrainingSettings):
        self.settings = settings
        self.records: dict = {}
        self.queue: TrainingQueue | None = None
        self.unavailable: str | None = None
        try:
            self.queue = TrainingQueue(settings.root, settings.workers)
        except AskBuddyXError as exc:
            self.unavailable = str(exc)
        self._wake = asyncio.Event()
        self._submitting = asyncio.Lock()
        self._watcher: asyncio.Task | None = None
        self.load()

    def load(self) -> None:
        """The records a previous run of the server saved (see `save`)."""
        path = self.settings.records_path
        if path is None or not path.is_file():
            return
        kept = {f.name for f in fields(JobRecord)} - {"queueing"}
        for name, data in json.loads(path.read_text(encoding="utf-8")).items():
            record = JobRecord(**{k: v for k, v in data.items() if k in kept})
            if not record.queued and record.error is None:
                record.error = "the server stopped before DVC had queued this job; submit it again"
            self.records[name] = record

    def save(self) -> None:
        """Write the records atomically (temp file + rename), so a crash leaves the last set."""
        path = self.settings.records_path
        if path is None:
            return
        # not dataclasses.asdict: it deep-copies every field, the asyncio task included
        data = {name: {f.name: getattr(r, f.name) for f in fields(r) if f.name != "queueing"}
                for name, r in self.records.items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    def need_queue(self) -> TrainingQueue:
        if self.queue is None:
            raise ApiError(503, f"Training is unavailable: {self.unavailable}",
                           "server_error", code="training_unavailable")
        return self.queue

    def pending(self) -> list:
        return [name for name, r in self.records.items()
                if r.queued and r.adapter is None and r.error is None and not r.cancelled]

    def submitting(self) -> list:
        """Jobs the server accepted that DVC does not list yet."""
        return [{"id": name, "state": "submitting"} for name, r in self.records.items()
                if not r.queued and r.error is None]

    async def watch(self, app: web.Application) -> None:
        """Register each submitted job's adapter when it succeeds; sleeps while none runs."""
        while True:
            if not self.pending():
                self._wake.clear()
                await self._wake.wait()
            for name in self.pending():
                try:
                    await self._check(app, name)
                except AskBuddyXError as exc:
                    self.records[name].error = str(exc)
                    log.error("job %s: %s", name, exc)
                if name not in self.pending():  # it ended: keep what became of it
                    self.save()
            await asyncio.sleep(self.settings.poll_s)

    async def _check(self, app: web.Application, name: str) -> None:
        record = self.records[name]
        state = await asyncio.to_thread(self.queue.state, name)
        if state == "queued":  # a worker may have exited just as the job was queued
            await asyncio.to_thread(self.queue.start_workers)
        elif state == "failed":
            info = await asyncio.to_thread(self.queue.job, name)
            record.error = info.get("error") or "the experiment failed; see its log"
            log.info("job %s failed: %s", name, record.error)
        elif state == "succeeded":
            dest = self.settings.adapters_dir / name
            await asyncio.to_thread(self.queue.export_adapter, name, dest)
            registry = app[REGISTRY]
            t0 = time.perf_counter()
            await asyncio.wrap_future(app[ENGINE].call(registry.register, name, str(dest), True))
            record.load_s = round(time.perf_counter() - t0, 3)
            record.adapter = str(dest)
            log.info("job %s done: adapter %s loaded in %.2f s", name, dest, record.load_s)

    async def enqueue(self, spec: JobSpec) -> None:
        """Queue a submitted job in DVC (one at a time: the queue's lock); then watch it."""
        record = self.records[spec.name]
        try:
            async with self._submitting:  # FIFO: DVC queues the jobs in the order they came
                await asyncio.to_thread(self.queue.submit, spec)
            record.queued = True
        except AskBuddyXError as exc:
            record.error = str(exc)
            log.error("job %s could not be queued: %s", spec.name, exc)
        self.save()
        self._wake.set()

    async def start(self, app: web.Application) -> None:
        self._watcher = asyncio.create_task(self.watch(app))
        if self.pending():  # jobs from before a restart: register those that finished since
            self._wake.set()

    async def stop(self, _app: web.Application) -> None:
        if self._watcher is not None:
            self._watcher.cancel()

    def describe(self, info: dict) -> dict:
        record = self.records.get(info["id"])
        if record is None:
            return {**info, "submitted_by": "dvc"}
        out = {**info, "submitted_by": "server", "dataset": record.dataset,
               "profile": record.profile, "overrides": record.overrides,
               "created": int(record.submitted)}
        if record.cancelled:
            out["state"] = "cancelled"
        elif info["state"] == "succeeded":
            out.update(adapter=record.adapter, adapter_load_s=record.load_s,
                       model=info["id"] if record.adapter else None)
            if record.adapter is None and record.error is None:
                out["state"] = "registering"
        if record.error and not record.cancelled:
            out.update(state="failed", error=record.error)
        return out


SERVICE = web.AppKey("training", TrainingService)


def _not_found(name: str) -> ApiError:
    return ApiError(404, f"No training job {name!r}.", param="id", code="job_not_found")


async def _call(fn, *args):
    """Run a blocking DVC or data call in a thread; its AskBuddyXError is the client's 400."""
    try:
        return await asyncio.to_thread(fn, *args)
    except JobNotFound as exc:
        raise _not_found(exc.args[0]) from None
    except AskBuddyXError as exc:
        raise bad(str(exc)) from None


# -- data ---------------------------------------------------------------------------------
async def _read_upload(request: web.Request) -> tuple[str, bytes, bool]:
    """(name, bytes, is_markdown) from a multipart form or a plain body."""
    name = request.query.get("name")
    markdown = request.query.get("format") == "markdown"
    if request.content_type.startswith("multipart/"):
        body, filename = None, None
        async for part in await request.multipart():
            if part.name == "file":
                filename, body = part.filename or "", await part.read()
            elif part.name == "name":
                name = (await part.text()).strip()
        if body is None:
            raise bad("The multipart form has no `file` part.", "file")
        markdown = markdown or filename.lower().endswith(MARKDOWN_SUFFIXES)
        name = name or Path(filename).stem
    else:
        body = await request.read()
        markdown = markdown or request.content_type in ("text/markdown", "text/x-markdown")
    if not body:
        raise bad("The upload is empty.", "file")
    if not name:
        raise bad("Name the dataset: ?name=<name> (or a `name` form field).", "name")
    return name, body, markdown


async def upload_data(request: web.Request) -> web.Response:
    s = request.app[SERVICE].settings
    name, body, markdown = await _read_upload(request)
    try:
        check_name(name)
    except AskBuddyXError as exc:
        raise bad(str(exc), "name") from None
    tokenizer = request.app[REGISTRY].tokenizer
    report = await _call(store_upload, s.uploads, s.root, name, body, markdown, tokenizer,
                         s.max_seq_length, s.max_bad_fraction, s.near_dup_threshold)
    return web.json_response({"object": "training.dataset", **report}, status=201)


async def get_data(request: web.Request) -> web.Response:
    data = await asyncio.to_thread(list_datasets, request.app[SERVICE].settings.uploads)
    return web.json_response({"object": "list", "data": data})


# -- jobs ---------------------------------------------------------------------------------
def job_spec(body, settings: TrainingSettings, registered: list) -> JobSpec:
    """The JobSpec of a `POST /v1/training/jobs` body; every mistake is a 400 naming it."""
    if not isinstance(body, dict):
        raise bad('Send {"dataset": str, "adapter": str, "profile": str, "overrides": {}}.')
    for key in ("dataset", "adapter"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise bad(f'"{key}" is required (a name).', key)
    profile = body.get("profile", settings.profile)
    if profile not in PROFILES:
        raise bad(f'"profile" must be one of {", ".join(PROFILES)}, got {profile!r}.',
                  "profile")
    overrides = body.get("overrides", {})
    if not isinstance(overrides, dict):
        raise bad('"overrides" must map param keys to values, e.g. {"train.iters": 40}.',
                  "overrides")
    try:
        name = check_name(body["adapter"], "adapter")
        source = source_entry(settings.uploads, check_name(body["dataset"]), settings.root)
    except AskBuddyXError as exc:
        raise bad(str(exc), "adapter" if "adapter" in str(exc) else "dataset") from None
    if name in registered:
        raise ApiError(409, f"An adapter named {name!r} is already served.", param="adapter",
                       code="adapter_exists")
    return JobSpec(name=name, source=source, copy_path=str(Path(source["path"]).parent),
                   profile=profile,
                   overrides=overrides)


async def create_job(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    service.need_queue()  # a 503 when the project is no DVC repository
    body = parse_json(await request.read())
    spec = job_spec(body, service.settings, request.app[REGISTRY].names())
    # Checked here, not by DVC later: the overrides become Hydra syntax (400 if they cannot).
    try:
        spec.set_params()
    except AskBuddyXError as exc:
        raise bad(str(exc), "overrides") from None
    request["model"] = spec.name
    if spec.name in service.records:
        raise ApiError(409, f"A job named {spec.name!r} was submitted already.",
                       param="adapter", code="job_exists")
    record = JobRecord(spec.source["name"], spec.profile, spec.overrides)
    service.records[spec.name] = record
    service.save()
    # Queueing takes DVC seconds (`dvc exp run --queue`, `dvc queue start`): answer at once.
    record.queueing = asyncio.create_task(service.enqueue(spec))
    return web.json_response({"object": "training.job", **service.describe(
        {"id": spec.name, "state": "submitting"})}, status=202)


async def list_jobs(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    jobs = await _call(service.need_queue().jobs)
    known = {job["id"] for job in jobs}
    jobs += [job for job in service.submitting() if job["id"] not in known]
    jobs += [{"id": name, "state": "failed"} for name, r in service.records.items()
             if not r.queued and r.error is not None and name not in known]
    return web.json_response({"object": "list",
                              "data": [service.describe(job) for job in jobs]})


async def get_job(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    name = request.match_info["id"]
    record = service.records.get(name)
    if record is not None and not record.queued:
        info = {"id": name, "state": "failed" if record.error else "submitting"}
    else:
        info = await _call(service.need_queue().job, name)
    return web.json_response({"object": "training.job", **service.describe(info)})


async def cancel_job(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    name = request.match_info["id"]
    record = service.records.get(name)
    if record is not None and record.queueing is not None:
        await record.queueing  # cancel what DVC has, not a job about to be queued
    result = await _call(service.need_queue().cancel, name)
    if name in service.records:
        service.records[name].cancelled = True
        service.save()
    return web.json_response({"object": "training.job", **result})


async def job_logs(request: web.Request) -> web.StreamResponse:
    """The job's log as it grows (chunked text), until the job has ended."""
    queue = request.app[SERVICE].need_queue()
    name = request.match_info["id"]
    follow = request.query.get("follow", "true").lower() != "false"
    await _call(queue.state, name)  # a 404 before the stream starts
    response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
    await response.prepare(request)
    offset = 0
    while True:
        path = await asyncio.to_thread(queue.log_path, name)
        ended = (await asyncio.to_thread(queue.state, name)) not in ("queued", "running")
        if path is not None and path.is_file():
            with path.open("rb") as f:
                f.seek(offset)
                chunk = f.read()
            offset += len(chunk)
            if chunk:
                await response.write(chunk)
        if ended or not follow:
            break
        await asyncio.sleep(0.5)
    await response.write_eof()
    return response


def add_training_routes(app: web.Application, settings: TrainingSettings) -> TrainingService:
    """Mount the training routes on the server's app (askbuddyx/serve/cli.py calls this)."""
    service = TrainingService(settings)
    app[SERVICE] = service
    app.router.add_post("/v1/training/data", upload_data)
    app.router.add_get("/v1/training/data", get_data)
    app.router.add_post("/v1/training/jobs", create_job)
    app.router.add_get("/v1/training/jobs", list_jobs)
    app.router.add_get("/v1/training/jobs/{id}", get_job)
    app.router.add_get("/v1/training/jobs/{id}/logs", job_logs)
    app.router.add_delete("/v1/training/jobs/{id}", cancel_job)
    app.router.add_post("/v1/training/jobs/{id}/cancel", cancel_job)
    app.on_startup.append(service.start)
    app.on_shutdown.append(service.stop)
    return service
