"""What every task family shares: word pools, Python literals, phrasing, the function template.

A family draws its names, data and code from one `random.Random`; a "write a function" family
returns a `FunctionTask` and `FunctionTask.render` draws the rest the same way for all of them:
the instruction phrasing, whether the data sits in `input` with a call after the code, or a
function-free script answers instead. Every draw happens in a fixed order, so the records
depend only on the seed (the committed JSONL pins that order: see `build.py`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class Task:
    """One code-alpaca-shaped record plus the code that verifies its answer.

    `check`, run right after `output` in the same namespace, asserts the answer is right; it
    is not written to the JSONL, which looks like code-alpaca.
    """

    instruction: str
    input: str
    output: str
    check: str
    family: str = ""

    def record(self) -> dict:
        """The code-alpaca record written to JSONL; `check` and `family` stay out."""
        return {"instruction": self.instruction, "input": self.input, "output": self.output}


# ---------------------------------------------------------------------------- pools

WORDS = (
    "apple", "banana", "cherry", "orange", "grape", "lemon", "mango", "peach", "melon", "kiwi",
    "python", "code", "data", "table", "chair", "window", "garden", "river", "ocean", "forest",
    "tiger", "eagle", "zebra", "rabbit", "turtle", "dragon", "rocket", "planet", "silver",
    "golden", "music", "light", "stone", "cloud", "green", "yellow", "purple", "bridge",
    "candle", "pencil", "house", "train", "coffee", "butter", "summer", "winter", "spring",
    "autumn", "laptop", "mouse",
)
PALINDROMES = (
    "level", "radar", "noon", "civic", "kayak", "rotor", "stats", "madam", "refer", "racecar",
    "deified", "reviver", "tenet", "wow", "anna",
)
PALINDROME_PHRASES = (
    "A man, a plan, a canal: Panama", "Was it a car or a cat I saw?", "No lemon, no melon",
    "Never odd or even", "Step on no pets", "Madam, in Eden, I'm Adam",
    "Eva, can I see bees in a cave?",
)
NAMES = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "kevin", "laura", "mike", "nina", "oscar", "peter",
)
DOMAINS = ("example.com", "mail.org", "company.net", "school.edu", "shop.io")
LIST_PARAMS = ("numbers", "nums", "lst", "arr", "values")
LOOP_VARS = ("x", "n", "num", "value")
DICT_PARAMS = ("d", "data", "mapping", "dictionary")

T = TypeVar("T")


def pick(rng: random.Random, options: Sequence[T]) -> T:
    return options[rng.randrange(len(options))]


def one_of(rng: random.Random, options: str | Sequence[str]) -> str:
    """A phrasing: `options` itself when it is one string (no draw), else one drawn from it."""
    return options if isinstance(options, str) else pick(rng, options)


def chance(rng: random.Random, p: float, yes: T, no: T) -> T:
    """`yes` with probability `p`, else `no`: one draw, after both values are made (so only
    for values that draw nothing themselves)."""
    return yes if rng.random() < p else no


def word(rng: random.Random) -> str:
    return pick(rng, WORDS)


def words(rng: random.Random, lo: int, hi: int) -> list[str]:
    """``lo..hi`` distinct words."""
    return rng.sample(WORDS, rng.randint(lo, hi))


def sentence(rng: random.Random, lo: int = 3, hi: int = 6) -> str:
    return " ".join(word(rng) for _ in range(rng.randint(lo, hi)))


def ints(rng: random.Random, lo: int, hi: int, n_lo: int = 4, n_hi: int = 8) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(rng.randint(n_lo, n_hi))]


def word_int_dict(rng: random.Random, lo: int = 3, hi: int = 5) -> dict[str, int]:
    keys = words(rng, lo, hi)
    return dict(zip(keys, rng.sample(range(1, 50), len(keys))))


# ------------------------------------------------------------------------- literals


def lines(*parts: str) -> str:
    return "\n".join(parts)


def q(text: str) -> str:
    """A Python string literal, double-quoted when that is safe."""
    if '"' in text or "\\" in text or "\n" in text:
        return repr(text)
    return '"' + text + '"'


def lit(value: object) -> str:
    """A Python literal for ``value`` (strings double-quoted, containers recursed)."""
    if isinstance(value, str):
        return q(value)
    if isinstance(value, list):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    if isinstance(value, tuple):
        if len(value) == 1:
            return "(" + lit(value[0]) + ",)"
        return "(" + ", ".join(lit(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{lit(k)}: {lit(v)}" for k, v in value.items()) + "}"
    return repr(value)


def function_code(name: str, params: str, body: Sequence[str], imports: str = "") -> str:
    """`def name(params):` over `body` (lines written without the function's indentation)."""
    header = [imports, "", ""] if imports else []
    return lines(*header, f"def {name}({params}):", *(f"    {line}" for line in body))


def for_loop(var: str, init: str, v: str, items: str, step: str, cond: str = "") -> list[str]:
    """`var = init`, `step` for each `v` in `items` (when `cond`), then `return var`."""
    inner = [f"    if {cond}:", f"        {step}"] if cond else [f"    {step}"]
    return [f"{var} = {init}", f"for {v} in {items}:", *inner, f"return {var}"]


def collect_loop(v: str, items: str, expr: str, cond: str = "", var: str = "result") -> list[str]:
    """The for-loop form of `[expr for v in items if cond]`."""
    return for_loop(var, "[]", v, items, f"{var}.append({expr})", cond)


def total_loop(v: str, items: str, expr: str, cond: str = "", var: str = "total") -> list[str]:
    """The for-loop form of `sum(expr for v in items if cond)`."""
    return for_loop(var, "0", v, items, f"{var} += {expr}", cond)


def assert_eq(expr: str, expected: object) -> str:
    if expected is None:
        return f"assert {expr} is None"
    if isinstance(expected, float):
        return f"assert abs({expr} - {expected!r}) < 1e-6"
    if isinstance(expected, list) and expected and all(isinstance(v, float) for v in expected):
        return (
            f"assert len({expr}) == {len(expected)} and all("
            f"abs(a - b) < 1e-6 for a, b in zip({expr}, {lit(expected)}))"
        )
    return f"assert {expr} == {lit(expected)}"


Case = tuple[str, object]  # (argument source, expected result)


def call_checks(name: str, cases: Sequence[Case]) -> str:
    return lines(*(assert_eq(f"{name}({args})", expected) for args, expected in cases))


# ------------------------------------------------------------------------- phrasing

PREFIX_TO = (
    "Create a function to", "Write a code to", "Write a Python function to",
    "Construct an algorithm to", "Develop a Python script to", "Write a function in Python to",
    "Create a Python program to", "Write a program to", "Write a Python code to",
    "Create a code to", "Design an algorithm to",
)
PREFIX_THAT = (
    "Generate a Python program that", "Implement a function which", "Design a function that",
    "Write a Python function that", "Create a program that", "Write a function that",
    "Develop a function that", "Create a function that", "Generate a function that",
)
NAMED_TO = (
    "Create a function called {name} to", "Write a Python function named {name} to",
    "Define a function {name} to", "Write a function {name}() to",
)
NAMED_THAT = (
    "Write a function named {name} that", "Implement a function {name}() which",
    "Design a function called {name} that", "Create a Python function {name} that",
)
SCRIPT_TO = (
    "Write a code to", "Write a Python program to", "Develop a Python script to",
    "Write a Python code to", "Create a program to", "Write a script to",
)
_COORDINATED_VERB = re.compile(r"\b(and|or) (return|rename|use|print)\b")


def third_person(verb: str) -> str:
    if verb.endswith(("s", "sh", "ch", "x", "z")):
        return verb + "es"
    if len(verb) > 1 and verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def conjugate(clause: str) -> str:
    """'reverse a string and return it' -> 'reverses a string and returns it'.

    The clause must start with a verb; a few verbs coordinated with "and"/"or" later in the
    clause are conjugated too.
    """
    verb, sep, rest = clause.partition(" ")
    rest = _COORDINATED_VERB.sub(lambda m: f"{m.group(1)} {third_person(m.group(2))}", rest)
    return third_person(verb) + sep + rest


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def instruction(rng: random.Random, clause: str, name: str = "", *, bare: bool = False) -> str:
    """Wrap a verb clause ('find the maximum of a list') in code-alpaca phrasing."""
    r = rng.random()
    if bare and r < 0.12:
        return capitalize(clause) + "."
    if name and r < 0.35:
        if rng.random() < 0.5:
            return pick(rng, NAMED_TO).format(name=name) + " " + clause + "."
        return pick(rng, NAMED_THAT).format(name=name) + " " + conjugate(clause) + "."
    if rng.random() < 0.55:
        return pick(rng, PREFIX_TO) + " " + clause + "."
    return pick(rng, PREFIX_THAT) + " " + conjugate(clause) + "."


def script_instruction(rng: random.Random, clause: str) -> str:
    if rng.random() < 0.15:
        return capitalize(clause) + "."
    return pick(rng, SCRIPT_TO) + " " + clause + "."


# --------------------------------------------------------- the "write a function" template

Shown = Callable[[random.Random], str]


def as_text(text: str, var: str = "") -> Shown:
    """How code-alpaca presents a string in `input`: bare, quoted, or `var = "..."`."""

    def show(rng: random.Random) -> str:
        r = rng.random()
        if r < 0.4:
            return text
        if r < 0.75 or not var:
            return q(text)
        return f"{var} = {q(text)}"

    return show


def as_value(value: object, var: str = "") -> Shown:
    """How code-alpaca presents a list / dict / number in `input`: a literal or `var = ...`."""

    def show(rng: random.Random) -> str:
        if var and rng.random() < 0.35:
            return f"{var} = {lit(value)}"
        return lit(value)

    return show


@dataclass(frozen=True)
class Example:
    """The worked example: `shown` in the record's input, called with `args`, giving `expected`.

    `shown` is the text itself, or drawn when the record is rendered (`as_text`, `as_value`).
    """

    shown: str | Shown
    args: str
    expected: object


@dataclass(frozen=True)
class Script:
    """A function-free answer: `lines` compute `var`, which must equal `expected`."""

    lines: Sequence[str]
    var: str
    expected: object


@dataclass(frozen=True)
class FunctionTask:
    """A "write a function" record before its phrasing is drawn.

    `clause` describes the task in the abstract ("find the maximum of a list"), `given` when
    the data is in `input` ("find the maximum of the given list"); either may be a tuple of
    phrasings to draw from. `cases` feed the check; `script` optionally answers without a
    function.
    """

    name: str
    code: str
    clause: str | Sequence[str]
    given: str | Sequence[str]
    cases: Sequence[Case]
    example: Example
    script: Script | None = None

    def render(self, rng: random.Random) -> Task:
        clause, given = one_of(rng, self.clause), one_of(rng, self.given)
        ex = self.example
        shown = ex.shown if isinstance(ex.shown, str) else ex.shown(rng)
        r = rng.random()
        if self.script is not None and r < 0.18:
            return Task(script_instruction(rng, given), shown, lines(*self.script.lines),
                        assert_eq(self.script.var, self.script.expected))
        if r < 0.58:
            text = instruction(rng, given, self.name, bare=True)
            call = f"{self.name}({ex.args})"
            if rng.random() < 0.7:
                tail = f"print({call})"
            else:
                var = pick(rng, ("result", "output", "answer"))
                tail = lines(f"{var} = {call}", f"print({var})")
            return Task(text, shown, self.code + "\n\n" + tail,
                        call_checks(self.name, [(ex.args, ex.expected), *self.cases]))
        text = instruction(rng, clause, self.name)
        output = chance(rng, 0.12, f"# Function to {clause}\n{self.code}", self.code)
        return Task(text, "", output, call_checks(self.name, self.cases))
