"""What the evaluation asks (`Case`) and what came back, scored (`Record`).

    cases = build_cases(read_heldout("data/processed/heldout.jsonl"), SUITES, problems)
    record = Record(cases[0], response="### Solution ...")

Suites: "sanity" and "compile" (seed 000's prompts), "format" (held-out curated prompts,
`kind` "code" or "explain") and "humaneval". A record is one line of
`<name>_responses.jsonl` (`Record.to_dict`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from askbuddyx.errors import AskBuddyXError
from askbuddyx.eval.prompts import COMPILE_SMOKE_PROMPTS, SANITY_PROMPTS
from askbuddyx.prompting import user_message

SUITES = ("sanity", "format", "humaneval")
# A held-out record's `kind`: "code" asks for the runnable-first format, "explain" for prose.
KINDS = ("code", "explain")


@dataclass(frozen=True)
class Case:
    """One prompt to answer.

    Attributes:
        suite: "sanity", "compile", "format" (held-out curated) or "humaneval".
        prompt: The user message.
        kind: format suite: "code" or "explain" (the held-out record's kind).
        reference: format suite: the curated answer (teacher-forced heading probability).
        task_id: humaneval: the problem, e.g. "HumanEval/0".
    """

    suite: str
    prompt: str
    kind: str = "code"
    reference: str = ""
    task_id: str = ""

    @property
    def heldout_code(self) -> bool:
        """A held-out prompt that asks for code: the runnable-first format is expected."""
        return self.suite == "format" and self.kind == "code"

    @property
    def heldout_explain(self) -> bool:
        """A held-out prompt that asks for an explanation: prose is expected."""
        return self.suite == "format" and self.kind == "explain"

    @property
    def asks_for_code(self) -> bool:
        """Seed prompts that do not just ask for an explanation, and held-out code prompts."""
        if self.suite in ("sanity", "compile"):
            return not is_explanatory(self.prompt)
        return self.heldout_code


@dataclass(frozen=True)
class Execution:
    """One program run in the sandbox: passed, its status (passed, failed, timed_out,
    killed) and the error's last lines."""

    passed: bool
    status: str
    error: str = ""


@dataclass
class Record:
    """A case, the model's answer, and how it scored.

    Attributes:
        checks: The suite's checks (sanity, compile or format), each a bool.
        passed: The suite's verdict (checks["passed"], or the HumanEval program's).
        runs: Sandbox runs by name: "runnable" (Solution + Usage) and "sanity_passed"
            (+ Sanity test) for held-out code answers, "program" for HumanEval.
        sample: HumanEval sampled answers (pass@k): the sample's index; None when greedy.
        candidates, candidate: Held-out code answers picked among candidates
            (`eval.candidates`): how many there were and which one `response` is (0: the
            greedy one, then kept in `greedy_response` too).
    """

    case: Case
    response: str
    checks: dict = field(default_factory=dict)
    passed: bool | None = None
    runs: dict = field(default_factory=dict)
    sample: int | None = None
    candidates: int = 1
    candidate: int = 0
    greedy_response: str = ""

    def ran(self, name: str) -> bool:
        """Whether the run `name` passed (False when it did not run: no code to run)."""
        return name in self.runs and self.runs[name].passed

    def to_dict(self) -> dict:
        """One JSONL line: the case's fields that are set, the answer, checks and runs."""
        row = {k: v for k, v in asdict(self.case).items() if v != ""}
        row.update(response=self.response, passed=self.passed)
        if self.checks:
            row["checks"] = self.checks
        for name, run in self.runs.items():
            row.update({name: run.passed, f"{name}_status": run.status,
                        f"{name}_error": run.error})
        if self.sample is not None:
            row.update(sample=self.sample, sampled=True)
        if self.candidates > 1:
            row.update(candidates=self.candidates, candidate=self.candidate,
                       greedy_response=self.greedy_response)
        return row


def is_explanatory(prompt: str) -> bool:
    """A seed prompt that asks for an explanation, not code ("Explain Python decorators")."""
    return prompt.strip().lower().startswith(("explain", "what is", "why "))


def suites_for(name: str) -> tuple:
    """CLI suite name ("all" or one of SUITES) -> the suites to run."""
    return SUITES if name == "all" else (name,)


def heldout_case(record: dict, where: str = "held-out record") -> Case:
    """A format-suite case from a held-out record (instruction, input, output, kind).

    `kind` defaults to "code": files made before records carried it held out code prompts.
    """
    kind = record.get("kind", "code")
    if kind not in KINDS:
        raise AskBuddyXError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}.",
                             hint='Give each held-out record "kind": "code" (runnable-first '
                             'answer expected) or "explain" (prose expected).')
    return Case("format", user_message(record["instruction"], record.get("input", "")),
                kind=kind, reference=record["output"])


def read_heldout(path: str | Path) -> list[Case]:
    """The held-out prompts of a JSONL file (data/processed/heldout.jsonl) as cases."""
    from askbuddyx.data.io import read_jsonl, require_file

    require_file(path, "Held-out prompts", "Run `dvc repro prepare_data` (it writes "
                 "data/processed/heldout.jsonl), or pass --heldout FILE.jsonl.")
    return [heldout_case(r, f"{path} line {i}") for i, r in enumerate(read_jsonl(path), 1)]


def build_cases(heldout: list[Case], suites=SUITES, humaneval_problems=()) -> list[Case]:
    """Every case of `suites`: seed prompts, the held-out cases, HumanEval problems."""
    from askbuddyx.eval.humaneval import problem_prompt

    cases = []
    if "sanity" in suites:
        cases += [Case("sanity", p) for p in SANITY_PROMPTS]
        cases += [Case("compile", p) for p in COMPILE_SMOKE_PROMPTS]
    if "format" in suites:
        cases += list(heldout)
    if "humaneval" in suites:
        cases += [Case("humaneval", problem_prompt(p), task_id=p["task_id"])
                  for p in humaneval_problems]
    return cases


def cases_digest(cases: list[Case]) -> str:
    """A short fingerprint of the cases (suites, prompts, kinds), so that two evaluations can
    tell whether they answered the same questions."""
    text = json.dumps([[c.suite, c.prompt, c.kind, c.task_id] for c in cases])
    return hashlib.sha256(text.encode()).hexdigest()[:16]
