"""Offline generator of code-alpaca-shaped training records for AskBuddyX.

The training machine has no internet access, so instead of downloading the
``code-alpaca-20k`` dataset this module synthesises records of the same shape
(``instruction`` / ``input`` / ``output``) from a few dozen families of small
programming tasks: string and list manipulation, dictionaries, math, recursion,
simple classes, error handling, parsing, iteration, sorting, plus a few
non-function records ("What is the output of the following code?", "Fix the bug
in this function", "Edit the following code so that ...", "Rewrite ... using a
list comprehension").

Every record is randomised (names, constants, data and instruction phrasing) from
a single ``random.Random(seed)``, so the result depends only on ``(count, seed)``.
Each :class:`Task` also carries a ``check`` snippet: Python code that, executed
right after ``output`` in the same namespace, asserts that the answer is correct.
The check is *not* written to the JSONL file, so the dataset looks like
code-alpaca.

Regenerate the bundled dataset with::

    python -m askbuddyx.data.task_generator --count 2400 --seed 1234 \\
        --output assets/datasets/code_tasks.jsonl

Only the standard library is used and nothing is read or written at import time.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from askbuddyx.data.io import write_jsonl

__all__ = [
    "FAMILY_NAMES",
    "Task",
    "generate_tasks",
    "main",
    "write_jsonl",
]


@dataclass(frozen=True)
class Task:
    """One code-alpaca-shaped record plus the code that verifies its answer."""

    instruction: str
    input: str
    output: str
    check: str
    family: str

    def record(self) -> dict:
        """The code-alpaca record written to JSONL; ``check`` and ``family`` stay out."""
        return {"instruction": self.instruction, "input": self.input, "output": self.output}


FamilyFn = Callable[[random.Random], Task]
_FAMILIES: list[tuple[str, FamilyFn]] = []


def _family(name: str) -> Callable[[FamilyFn], FamilyFn]:
    """Register a task family under ``name`` (registration order is fixed)."""

    def register(fn: FamilyFn) -> FamilyFn:
        if any(existing == name for existing, _ in _FAMILIES):
            raise ValueError(f"duplicate task family: {name}")
        _FAMILIES.append((name, fn))
        return fn

    return register


# ---------------------------------------------------------------------------
# Word pools and small random helpers
# ---------------------------------------------------------------------------

_WORDS = (
    "apple", "banana", "cherry", "orange", "grape", "lemon", "mango", "peach", "melon", "kiwi",
    "python", "code", "data", "table", "chair", "window", "garden", "river", "ocean", "forest",
    "tiger", "eagle", "zebra", "rabbit", "turtle", "dragon", "rocket", "planet", "silver",
    "golden", "music", "light", "stone", "cloud", "green", "yellow", "purple", "bridge",
    "candle", "pencil", "house", "train", "coffee", "butter", "summer", "winter", "spring",
    "autumn", "laptop", "mouse",
)
_PALINDROMES = (
    "level", "radar", "noon", "civic", "kayak", "rotor", "stats", "madam", "refer", "racecar",
    "deified", "reviver", "tenet", "wow", "anna",
)
_PALINDROME_PHRASES = (
    "A man, a plan, a canal: Panama",
    "Was it a car or a cat I saw?",
    "No lemon, no melon",
    "Never odd or even",
    "Step on no pets",
    "Madam, in Eden, I'm Adam",
    "Eva, can I see bees in a cave?",
)
_NAMES = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "kevin", "laura", "mike", "nina", "oscar", "peter",
)
_DOMAINS = ("example.com", "mail.org", "company.net", "school.edu", "shop.io")


T = TypeVar("T")


def _pick(rng: random.Random, options: Sequence[T]) -> T:
    return options[rng.randrange(len(options))]


def _word(rng: random.Random) -> str:
    return _pick(rng, _WORDS)


def _words(rng: random.Random, lo: int, hi: int) -> list[str]:
    """``lo..hi`` distinct words."""
    return rng.sample(_WORDS, rng.randint(lo, hi))


def _sentence(rng: random.Random, lo: int = 3, hi: int = 6) -> str:
    return " ".join(_word(rng) for _ in range(rng.randint(lo, hi)))


def _ints(rng: random.Random, lo: int, hi: int, n_lo: int = 4, n_hi: int = 8) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(rng.randint(n_lo, n_hi))]


def _lines(*parts: str) -> str:
    return "\n".join(parts)


def _q(text: str) -> str:
    """A Python string literal, double-quoted when that is safe."""
    if '"' in text or "\\" in text or "\n" in text:
        return repr(text)
    return '"' + text + '"'


def _lit(value: object) -> str:
    """A Python literal for ``value`` (strings double-quoted, containers recursed)."""
    if isinstance(value, str):
        return _q(value)
    if isinstance(value, list):
        return "[" + ", ".join(_lit(v) for v in value) + "]"
    if isinstance(value, tuple):
        if len(value) == 1:
            return "(" + _lit(value[0]) + ",)"
        return "(" + ", ".join(_lit(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_lit(k)}: {_lit(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _str_input(rng: random.Random, text: str, var: str = "") -> str:
    """How code-alpaca tends to present a string in the ``input`` field."""
    r = rng.random()
    if r < 0.4:
        return text
    if r < 0.75 or not var:
        return _q(text)
    return f"{var} = {_q(text)}"


def _val_input(rng: random.Random, value: object, var: str = "") -> str:
    """How code-alpaca tends to present a list / dict / number in ``input``."""
    if var and rng.random() < 0.35:
        return f"{var} = {_lit(value)}"
    return _lit(value)


# ---------------------------------------------------------------------------
# Instruction phrasing
# ---------------------------------------------------------------------------

_PREFIX_TO = (
    "Create a function to",
    "Write a code to",
    "Write a Python function to",
    "Construct an algorithm to",
    "Develop a Python script to",
    "Write a function in Python to",
    "Create a Python program to",
    "Write a program to",
    "Write a Python code to",
    "Create a code to",
    "Design an algorithm to",
)
_PREFIX_THAT = (
    "Generate a Python program that",
    "Implement a function which",
    "Design a function that",
    "Write a Python function that",
    "Create a program that",
    "Write a function that",
    "Develop a function that",
    "Create a function that",
    "Generate a function that",
)
_NAMED_TO = (
    "Create a function called {name} to",
    "Write a Python function named {name} to",
    "Define a function {name} to",
    "Write a function {name}() to",
)
_NAMED_THAT = (
    "Write a function named {name} that",
    "Implement a function {name}() which",
    "Design a function called {name} that",
    "Create a Python function {name} that",
)
_SCRIPT_TO = (
    "Write a code to",
    "Write a Python program to",
    "Develop a Python script to",
    "Write a Python code to",
    "Create a program to",
    "Write a script to",
)


def _third_person(verb: str) -> str:
    if verb.endswith(("s", "sh", "ch", "x", "z")):
        return verb + "es"
    if len(verb) > 1 and verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


_COORDINATED_VERB = re.compile(r"\b(and|or) (return|rename|use|print)\b")


def _conjugate(clause: str) -> str:
    """'reverse a string and return it' -> 'reverses a string and returns it'.

    The clause must start with a verb; a few verbs coordinated with "and"/"or"
    later in the clause are conjugated too.
    """
    verb, sep, rest = clause.partition(" ")
    rest = _COORDINATED_VERB.sub(lambda m: f"{m.group(1)} {_third_person(m.group(2))}", rest)
    return _third_person(verb) + sep + rest


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _instruction(
    rng: random.Random, clause: str, name: str = "", *, bare: bool = False
) -> str:
    """Wrap a verb clause ('find the maximum of a list') in code-alpaca phrasing."""
    r = rng.random()
    if bare and r < 0.12:
        return _capitalize(clause) + "."
    if name and r < 0.35:
        if rng.random() < 0.5:
            return _pick(rng, _NAMED_TO).format(name=name) + " " + clause + "."
        return _pick(rng, _NAMED_THAT).format(name=name) + " " + _conjugate(clause) + "."
    if rng.random() < 0.55:
        return _pick(rng, _PREFIX_TO) + " " + clause + "."
    return _pick(rng, _PREFIX_THAT) + " " + _conjugate(clause) + "."


def _script_instruction(rng: random.Random, clause: str) -> str:
    if rng.random() < 0.15:
        return _capitalize(clause) + "."
    return _pick(rng, _SCRIPT_TO) + " " + clause + "."


# ---------------------------------------------------------------------------
# Assertions and the generic "write a function" record builder
# ---------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _assert_eq(expr: str, expected: object) -> str:
    if expected is None:
        return f"assert {expr} is None"
    if isinstance(expected, float):
        return f"assert abs({expr} - {expected!r}) < 1e-6"
    if isinstance(expected, list) and expected and all(isinstance(v, float) for v in expected):
        return (
            f"assert len({expr}) == {len(expected)} and all("
            f"abs(a - b) < 1e-6 for a, b in zip({expr}, {_lit(expected)}))"
        )
    return f"assert {expr} == {_lit(expected)}"


Case = tuple[str, object]


def _build(
    rng: random.Random,
    *,
    clause: str,
    given: str,
    code: str,
    name: str,
    cases: Sequence[Case],
    example: tuple[str, str, object] | None = None,
    script: tuple[Sequence[str], str, object] | None = None,
) -> Task:
    """Build a "write a function" record.

    ``clause`` describes the task in the abstract ("find the maximum of a list"),
    ``given`` when the data is in ``input`` ("find the maximum of the given list").
    ``cases`` are ``(argument source, expected result)`` pairs for the check;
    ``example`` is ``(input text, argument source, expected)``; ``script`` is an
    optional function-free answer ``(lines, result variable, expected)``.
    """
    r = rng.random()
    if script is not None and example is not None and r < 0.18:
        lines, var, expected = script
        return Task(
            instruction=_script_instruction(rng, given),
            input=example[0],
            output=_lines(*lines),
            check=_assert_eq(var, expected),
            family="",
        )
    checks = list(cases)
    if example is not None and r < 0.58:
        input_text, args, expected = example
        instruction = _instruction(rng, given, name, bare=True)
        call = f"{name}({args})"
        if rng.random() < 0.7:
            tail = f"print({call})"
        else:
            var = _pick(rng, ("result", "output", "answer"))
            tail = _lines(f"{var} = {call}", f"print({var})")
        output = code + "\n\n" + tail
        checks.insert(0, (args, expected))
    else:
        input_text = ""
        instruction = _instruction(rng, clause, name)
        output = code
        if rng.random() < 0.12:
            output = f"# Function to {clause}\n{output}"
    check = _lines(*(_assert_eq(f"{name}({args})", exp) for args, exp in checks))
    return Task(instruction, input_text, output, check, "")


# ---------------------------------------------------------------------------
# String families
# ---------------------------------------------------------------------------


@_family("reverse_string")
def _reverse_string(rng: random.Random) -> Task:
    name = _pick(rng, ("reverse_string", "reverse", "string_reverse", "reverse_text"))
    p = _pick(rng, ("s", "text", "string", "word"))
    impl = rng.randrange(3)
    if impl == 0:
        body = [f"    return {p}[::-1]"]
    elif impl == 1:
        body = [f'    return "".join(reversed({p}))']
    else:
        body = ['    result = ""', f"    for ch in {p}:", "        result = ch + result",
                "    return result"]
    code = _lines(f"def {name}({p}):", *body)
    sample = _word(rng) if rng.random() < 0.5 else _sentence(rng, 2, 4)
    cases = [(_q(w), w[::-1]) for w in (_word(rng), _sentence(rng, 2, 3))] + [('""', "")]
    var = _pick(rng, ("text", "my_string", "s"))
    out = _pick(rng, ("reversed_text", "result", "reversed_string"))
    script = ([f"{var} = {_q(sample)}", f"{out} = {var}[::-1]", f"print({out})"], out,
              sample[::-1])
    return _build(
        rng,
        clause=_pick(rng, ("reverse a string", "reverse a given string",
                           "return the reverse of a string",
                           "reverse the order of the characters in a string")),
        given=_pick(rng, ("reverse the given string", "reverse the following string",
                          "print the reverse of the given string")),
        code=code, name=name, cases=cases,
        example=(_str_input(rng, sample, "string"), _q(sample), sample[::-1]),
        script=script,
    )


def _is_loose_palindrome(text: str) -> bool:
    cleaned = "".join(ch.lower() for ch in text if ch.isalnum())
    return cleaned == cleaned[::-1]


@_family("palindrome")
def _palindrome(rng: random.Random) -> Task:
    name = _pick(rng, ("is_palindrome", "check_palindrome", "palindrome_check"))
    p = _pick(rng, ("s", "text", "word"))
    if rng.random() < 0.4:
        if rng.random() < 0.5:
            first = f'    cleaned = "".join(ch.lower() for ch in {p} if ch.isalnum())'
        else:
            first = f"    cleaned = [ch.lower() for ch in {p} if ch.isalnum()]"
        body = [first, "    return cleaned == cleaned[::-1]"]
        pool = [_pick(rng, _PALINDROME_PHRASES), _capitalize(_pick(rng, _PALINDROMES)),
                _capitalize(_sentence(rng, 2, 4)), "Hello, World!"]
        ref = _is_loose_palindrome
        clause = _pick(rng, (
            "check whether a string is a palindrome, ignoring case, spaces and punctuation",
            ("determine if a sentence is a palindrome when case and non-alphanumeric "
            "characters are ignored"),
        ))
        given = _pick(rng, (
            ("check whether the given sentence is a palindrome, ignoring case, spaces and "
            "punctuation"),
            "determine if the following text is a palindrome (ignore case and punctuation)",
        ))
    else:
        impl = rng.randrange(3)
        if impl == 0:
            body = [f"    return {p} == {p}[::-1]"]
        elif impl == 1:
            body = [f'    return {p} == "".join(reversed({p}))']
        else:
            body = [f"    left, right = 0, len({p}) - 1", "    while left < right:",
                    f"        if {p}[left] != {p}[right]:", "            return False",
                    "        left += 1", "        right -= 1", "    return True"]
        pool = [_pick(rng, _PALINDROMES), _word(rng), _pick(rng, _PALINDROMES), _word(rng)]

        def ref(text: str) -> bool:
            return text == text[::-1]

        clause = _pick(rng, ("check if a given string is a palindrome",
                             "determine whether a word is a palindrome",
                             "check whether a string reads the same forwards and backwards"))
        given = _pick(rng, ("check if the given string is a palindrome",
                            "determine whether the given word is a palindrome"))
    code = _lines(f"def {name}({p}):", *body)
    sample = _pick(rng, pool[:3])
    cases = [(_q(t), ref(t)) for t in pool]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_str_input(rng, sample, "string"), _q(sample), ref(sample)))


@_family("count_vowels")
def _count_vowels(rng: random.Random) -> Task:
    p = _pick(rng, ("s", "text", "sentence", "string"))
    consonants = rng.random() < 0.3
    if consonants:
        name = _pick(rng, ("count_consonants", "consonant_count", "num_consonants"))
        cond = 'ch.isalpha() and ch not in "aeiou"'
        clause = _pick(rng, ("count the number of consonants in a string",
                             "count how many consonants a given string contains"))
        given = "count the number of consonants in the given string"

        def ref(text: str) -> int:
            return sum(1 for ch in text.lower() if ch.isalpha() and ch not in "aeiou")
    else:
        name = _pick(rng, ("count_vowels", "vowel_count", "num_vowels"))
        cond = 'ch in "aeiou"'
        clause = _pick(rng, ("count the number of vowels in a string",
                             "count how many vowels a given string contains",
                             ("return the number of vowels (a, e, i, o, u) in a string, "
                             "ignoring case")))
        given = _pick(rng, ("count the number of vowels in the given string",
                            "find the number of vowels in the following sentence"))

        def ref(text: str) -> int:
            return sum(1 for ch in text.lower() if ch in "aeiou")
    if rng.random() < 0.5:
        body = ["    count = 0", f"    for ch in {p}.lower():", f"        if {cond}:",
                "            count += 1", "    return count"]
    else:
        body = [f"    return sum(1 for ch in {p}.lower() if {cond})"]
    code = _lines(f"def {name}({p}):", *body)
    sample = _sentence(rng, 2, 5)
    if rng.random() < 0.5:
        sample = sample.title()
    cases = [(_q(t), ref(t)) for t in (_sentence(rng, 1, 4), _word(rng).upper(), "")]
    var = _pick(rng, ("text", "sentence"))
    script = None
    if not consonants:
        script = ([f"{var} = {_q(sample)}",
                   f'count = sum(1 for ch in {var}.lower() if ch in "aeiou")',
                   "print(count)"], "count", ref(sample))
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_str_input(rng, sample, "string"), _q(sample), ref(sample)),
                  script=script)


def _cap_words(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


@_family("capitalize_words")
def _capitalize_words(rng: random.Random) -> Task:
    name = _pick(rng, ("capitalize_words", "title_case", "capitalize_each_word"))
    p = _pick(rng, ("s", "text", "sentence"))
    impl = rng.randrange(3)
    if impl == 0:
        body = [f'    return " ".join(word.capitalize() for word in {p}.split())']
    elif impl == 1:
        body = [f'    return " ".join(word[0].upper() + word[1:] for word in {p}.split())']
    else:
        body = ["    words = []", f"    for word in {p}.split():",
                "        words.append(word[0].upper() + word[1:])", '    return " ".join(words)']
    code = _lines(f"def {name}({p}):", *body)
    sample = _sentence(rng, 2, 5)
    cases = [(_q(t), _cap_words(t)) for t in (_sentence(rng, 1, 4), _word(rng))]
    return _build(
        rng,
        clause=_pick(rng, ("capitalize the first letter of each word in a string",
                           "convert the first letter of every word in a sentence to uppercase",
                           "capitalize every word of a given sentence")),
        given=_pick(rng, ("capitalize the first letter of each word in the given string",
                          "capitalize every word of the following sentence")),
        code=code, name=name, cases=cases,
        example=(_str_input(rng, sample, "sentence"), _q(sample), _cap_words(sample)),
    )


def _caesar(text: str, shift: int) -> str:
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            out.append(chr((ord(ch) - 97 + shift) % 26 + 97))
        elif "A" <= ch <= "Z":
            out.append(chr((ord(ch) - 65 + shift) % 26 + 65))
        else:
            out.append(ch)
    return "".join(out)


@_family("caesar_cipher")
def _caesar_cipher(rng: random.Random) -> Task:
    k = rng.randint(1, 25)
    p = _pick(rng, ("text", "message", "s"))
    mode = rng.randrange(3)
    if mode == 0:
        name = _pick(rng, ("caesar_encrypt", "encrypt", "caesar_cipher"))
        params, expr, shift = p, f"+ {k}", k
        clause = f"encrypt a string using a Caesar cipher with a shift of {k}"
        given = f"encrypt the given text with a Caesar cipher that shifts each letter by {k}"
    elif mode == 1:
        name = _pick(rng, ("caesar_decrypt", "decrypt", "decode_caesar"))
        params, expr, shift = p, f"- {k}", -k
        clause = f"decrypt a message that was encoded with a Caesar cipher using a shift of {k}"
        given = f"decrypt the given Caesar cipher text, which was shifted by {k}"
    else:
        name = _pick(rng, ("caesar_cipher", "shift_letters", "caesar_shift"))
        params, expr, shift = f"{p}, shift", "+ shift", k
        clause = ("shift every letter of a string by a given number of positions in the "
                  "alphabet (Caesar cipher), keeping case and leaving other characters as is")
        given = f"apply a Caesar cipher with a shift of {k} to the given text"
    body = [
        '    result = ""',
        f"    for ch in {p}:",
        "        if ch.isupper():",
        f"            result += chr((ord(ch) - 65 {expr}) % 26 + 65)",
        "        elif ch.islower():",
        f"            result += chr((ord(ch) - 97 {expr}) % 26 + 97)",
        "        else:",
        "            result += ch",
        "    return result",
    ]
    code = _lines(f"def {name}({params}):", *body)
    extra = f", {k}" if mode == 2 else ""
    texts = [_capitalize(_sentence(rng, 2, 3)) + "!", _word(rng).upper(), _word(rng)]
    cases = [(_q(t) + extra, _caesar(t, shift)) for t in texts]
    if mode == 2:
        cases.append((f"{_q(texts[2])}, 0", texts[2]))
    sample = _capitalize(_sentence(rng, 2, 3))
    if mode == 1:
        sample = _caesar(sample, k)
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_str_input(rng, sample, "text"), _q(sample) + extra,
                           _caesar(sample, shift)))


@_family("remove_char")
def _remove_char(rng: random.Random) -> Task:
    p = _pick(rng, ("s", "text", "string"))
    sample = _sentence(rng, 2, 4)
    c = _pick(rng, sorted({ch for ch in sample if ch != " "}))
    name = _pick(rng, ("remove_char", "remove_character", "strip_char", "delete_char"))
    as_param = rng.random() < 0.4
    if as_param:
        params, target = f"{p}, char", "char"
    else:
        params, target = p, _q(c)
    if rng.random() < 0.5:
        body = [f'    return {p}.replace({target}, "")']
    else:
        body = [f'    return "".join(ch for ch in {p} if ch != {target})']
    code = _lines(f"def {name}({params}):", *body)
    extra = f", {_q(c)}" if as_param else ""
    others = [_sentence(rng, 2, 3), c * 3 + "x", ""]
    cases = [(_q(t) + extra, t.replace(c, "")) for t in others]
    if as_param:
        clause = _pick(rng, ("remove all occurrences of a given character from a string",
                             "delete every occurrence of a character from a string"))
        given = "remove all occurrences of the given character from the given string"
        input_text = f"string = {_q(sample)}, character = {_q(c)}"
    else:
        clause = _pick(rng, (f"remove all occurrences of the character '{c}' from a string",
                             f"delete every '{c}' from a given string"))
        given = f"remove all occurrences of the character '{c}' from the given string"
        input_text = _str_input(rng, sample, "string")
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(input_text, _q(sample) + extra, sample.replace(c, "")))


def _count_overlapping(text: str, sub: str) -> int:
    return sum(1 for i in range(len(text) - len(sub) + 1) if text[i:i + len(sub)] == sub)


@_family("count_substring")
def _count_substring(rng: random.Random) -> Task:
    alphabet = _pick(rng, ("ab", "abc", "xy", "aab"))
    name = _pick(rng, ("count_substring", "count_occurrences", "substring_count"))
    p = _pick(rng, ("text", "s", "string"))
    sub_name = _pick(rng, ("sub", "pattern", "substring"))

    def rand_text() -> str:
        return "".join(_pick(rng, alphabet) for _ in range(rng.randint(7, 14)))

    sample, sub = rand_text(), _pick(rng, alphabet) + _pick(rng, alphabet)
    overlapping = rng.random() < 0.5
    if overlapping:
        body = ["    count = 0", f"    for i in range(len({p}) - len({sub_name}) + 1):",
                f"        if {p}[i:i + len({sub_name})] == {sub_name}:",
                "            count += 1", "    return count"]
        ref = _count_overlapping
        clause = _pick(rng, (
            ("count how many times a substring occurs in a string, including overlapping "
            "occurrences"),
            "count the overlapping occurrences of a pattern in a string",
        ))
        given = "count the occurrences (overlapping ones included) of the substring in the string"
    else:
        if rng.random() < 0.5:
            body = [f"    return {p}.count({sub_name})"]
        else:
            body = ["    count = 0", "    start = 0", "    while True:",
                    f"        index = {p}.find({sub_name}, start)", "        if index == -1:",
                    "            return count", "        count += 1",
                    f"        start = index + len({sub_name})"]

        def ref(text: str, pattern: str) -> int:
            return text.count(pattern)

        clause = _pick(rng, (
            "count the number of non-overlapping occurrences of a substring in a string",
            "count how many times a substring appears in a string (without overlaps)",
        ))
        given = "count the non-overlapping occurrences of the substring in the given string"
    code = _lines(f"def {name}({p}, {sub_name}):", *body)
    cases = []
    for _ in range(3):
        t, s = rand_text(), _pick(rng, alphabet) + _pick(rng, alphabet)
        cases.append((f"{_q(t)}, {_q(s)}", ref(t, s)))
    cases.append((f"{_q(sub * 3)}, {_q(sub)}", ref(sub * 3, sub)))
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(f"string = {_q(sample)}, substring = {_q(sub)}",
                           f"{_q(sample)}, {_q(sub)}", ref(sample, sub)))


def _runs(rng: random.Random) -> list[tuple[str, int]]:
    runs: list[tuple[str, int]] = []
    for _ in range(rng.randint(3, 6)):
        ch = _pick(rng, [c for c in "abcd" if not runs or c != runs[-1][0]])
        runs.append((ch, rng.randint(1, 5)))
    return runs


@_family("run_length_encoding")
def _run_length_encoding(rng: random.Random) -> Task:
    p = _pick(rng, ("s", "text", "data"))
    runs, other = _runs(rng), [_runs(rng), _runs(rng)]
    mode = rng.randrange(3)

    def plain(rs: list[tuple[str, int]]) -> str:
        return "".join(ch * n for ch, n in rs)

    def enc(rs: list[tuple[str, int]]) -> str:
        if mode == 1:
            return "".join(f"{n}{ch}" for ch, n in rs)
        return "".join(f"{ch}{n}" for ch, n in rs)

    if mode == 2:
        name = _pick(rng, ("rle_decode", "decode_rle", "run_length_decode"))
        body = ['    result = ""', f"    for i in range(0, len({p}), 2):",
                f"        result += {p}[i] * int({p}[i + 1])", "    return result"]
        ex = enc(runs)
        clause = ("decode a run-length encoded string in which every character is followed by "
                  f'a single-digit count, e.g. "{ex}" becomes "{plain(runs)}"')
        given = "decode the given run-length encoded string"
        cases = [(_q(enc(rs)), plain(rs)) for rs in other] + [('""', "")]
        example = (_str_input(rng, ex), _q(ex), plain(runs))
    else:
        name = _pick(rng, ("run_length_encode", "rle_encode", "compress_string", "encode_rle"))
        piece = "str(count) + current" if mode == 1 else "current + str(count)"
        if rng.random() < 0.6:
            body = [f"    if not {p}:", '        return ""', "    result = []",
                    f"    current = {p}[0]", "    count = 1", f"    for ch in {p}[1:]:",
                    "        if ch == current:", "            count += 1", "        else:",
                    f"            result.append({piece})", "            current = ch",
                    "            count = 1", f"    result.append({piece})",
                    '    return "".join(result)']
            header: list[str] = []
        else:
            piece = "str(len(list(group))) + ch" if mode == 1 else "ch + str(len(list(group)))"
            body = [f'    return "".join({piece} for ch, group in groupby({p}))']
            header = ["from itertools import groupby", "", ""]
        ex = plain(runs)
        clause = (f'compress a string using run-length encoding, e.g. "{ex}" becomes '
                  f'"{enc(runs)}"')
        order = "each character followed by its count" if mode == 0 else (
            "each count followed by its character")
        given = f"compress the given string using run-length encoding ({order})"
        cases = [(_q(plain(rs)), enc(rs)) for rs in other] + [('""', "")]
        example = (_str_input(rng, ex), _q(ex), enc(runs))
        body = header + [f"def {name}({p}):"] + body
    if mode == 2:
        body = [f"def {name}({p}):"] + body
    code = _lines(*body)
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=example)


@_family("longest_word")
def _longest_word(rng: random.Random) -> Task:
    p = _pick(rng, ("sentence", "text", "s"))
    longest = rng.random() < 0.6
    fn, cmp = (max, ">") if longest else (min, "<")
    label = "longest" if longest else "shortest"
    name = _pick(rng, (f"{label}_word", f"find_{label}_word", f"get_{label}_word"))
    if rng.random() < 0.5:
        body = [f"    return {fn.__name__}({p}.split(), key=len)"]
    else:
        body = [f"    words = {p}.split()", f"    {label} = words[0]", "    for word in words[1:]:",
                f"        if len(word) {cmp} len({label}):", f"            {label} = word",
                f"    return {label}"]
    code = _lines(f"def {name}({p}):", *body)
    sample = _sentence(rng, 3, 7)
    cases = [(_q(s), fn(s.split(), key=len)) for s in (_sentence(rng, 2, 6), _word(rng))]
    return _build(
        rng,
        clause=_pick(rng, (f"find the {label} word in a sentence",
                           (f"return the {label} word of a string (the first one if there is a "
                           "tie)"))),
        given=f"find the {label} word in the given sentence",
        code=code, name=name, cases=cases,
        example=(_str_input(rng, sample, "sentence"), _q(sample),
                 fn(sample.split(), key=len)),
    )


def _is_anagram(a: str, b: str) -> bool:
    return sorted(a.replace(" ", "").lower()) == sorted(b.replace(" ", "").lower())


@_family("anagram")
def _anagram(rng: random.Random) -> Task:
    name = _pick(rng, ("is_anagram", "are_anagrams", "check_anagram"))
    a, b = _pick(rng, (("s1", "s2"), ("str1", "str2"), ("first", "second"), ("a", "b")))
    if rng.random() < 0.5:
        body = [(f'    return sorted({a}.replace(" ", "").lower()) == '
                f'sorted({b}.replace(" ", "").lower())')]
        header: list[str] = []
    else:
        body = [(f'    return Counter({a}.replace(" ", "").lower()) == '
                f'Counter({b}.replace(" ", "").lower())')]
        header = ["from collections import Counter", "", ""]
    code = _lines(*header, f"def {name}({a}, {b}):", *body)
    pairs = [("listen", "silent"), ("Dormitory", "Dirty room"), ("evil", "vile"),
             ("night", "thing"), ("dusty", "study"), ("hello", "world"), ("apple", "paple")]
    w = _word(rng)
    shuffled = "".join(rng.sample(w, len(w)))
    chosen = [pairs[i] for i in rng.sample(range(len(pairs)), 3)]
    chosen += [(w, shuffled), (_word(rng), _word(rng))]
    cases = [(f"{_q(x)}, {_q(y)}", _is_anagram(x, y)) for x, y in chosen]
    x, y = chosen[0]
    return _build(
        rng,
        clause=_pick(rng, (("check if two strings are anagrams of each other, ignoring case "
                           "and spaces"),
                           "determine whether two words are anagrams (ignore spaces and case)")),
        given="check if the two given strings are anagrams of each other",
        code=code, name=name, cases=cases,
        example=(f"{_q(x)}, {_q(y)}" if rng.random() < 0.5 else f"{a} = {_q(x)}, {b} = {_q(y)}",
                 f"{_q(x)}, {_q(y)}", _is_anagram(x, y)),
    )


@_family("count_words")
def _count_words(rng: random.Random) -> Task:
    p = _pick(rng, ("sentence", "text", "s"))
    mode = rng.randrange(3)
    n = rng.randint(3, 5)
    c = _pick(rng, "abcgmpst")
    if mode == 0:
        name = _pick(rng, ("count_words", "word_count", "number_of_words"))
        body = [f"    return len({p}.split())"]
        clause = _pick(rng, ("count the number of words in a sentence",
                             "return how many words a string contains"))
        given = "count the number of words in the given sentence"

        def ref(text: str) -> int:
            return len(text.split())
    elif mode == 1:
        name = _pick(rng, ("count_long_words", "long_word_count"))
        body = [f"    return sum(1 for word in {p}.split() if len(word) > {n})"]
        clause = f"count the words in a sentence that are longer than {n} characters"
        given = f"count how many words in the given sentence have more than {n} characters"

        def ref(text: str) -> int:
            return sum(1 for word in text.split() if len(word) > n)
    else:
        name = _pick(rng, ("count_words_starting_with", "count_starting_words"))
        body = [f"    return sum(1 for word in {p}.split() if word.lower().startswith({_q(c)}))"]
        clause = f"count how many words in a sentence start with the letter '{c}'"
        given = f"count the words of the given sentence that start with '{c}'"

        def ref(text: str) -> int:
            return sum(1 for word in text.split() if word.lower().startswith(c))
    code = _lines(f"def {name}({p}):", *body)
    sample = _sentence(rng, 4, 9)
    fixed = f"{c * (n + 1)} {c} xyz {'q' * (n + 2)} {c}{'w' * n}"
    cases = [(_q(s), ref(s)) for s in (_sentence(rng, 3, 8), _sentence(rng, 1, 2), "", fixed)]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_str_input(rng, sample, "sentence"), _q(sample), ref(sample)))


# ---------------------------------------------------------------------------
# List families
# ---------------------------------------------------------------------------

_LIST_PARAMS = ("numbers", "nums", "lst", "arr", "values")
_LOOP_VARS = ("x", "n", "num", "value")


@_family("list_sum_product")
def _list_sum_product(rng: random.Random) -> Task:
    p, v = _pick(rng, _LIST_PARAMS), _pick(rng, _LOOP_VARS)
    if v == p:
        v = "item"
    op = rng.randrange(3)
    loop = rng.random() < 0.5
    header: list[str] = []
    if op == 0:
        name = _pick(rng, ("sum_list", "list_sum", "calculate_sum", "total"))
        body = (["    total = 0", f"    for {v} in {p}:", f"        total += {v}",
                 "    return total"] if loop else [f"    return sum({p})"])
        clause = _pick(rng, ("calculate the sum of all numbers in a list",
                             "compute the sum of the elements of a list",
                             "add up all the numbers in a list"))
        given = _pick(rng, ("calculate the sum of the numbers in the given list",
                            "find the sum of all elements in the following list"))
        data = _ints(rng, -20, 60)
        expected = sum(data)
        script = (["numbers = " + _lit(data), "total = sum(numbers)", "print(total)"], "total",
                  expected)
        ref: Callable[[list[int]], int] = sum
    elif op == 1:
        name = _pick(rng, ("product_of_list", "list_product", "multiply_list", "product"))
        if loop:
            body = ["    result = 1", f"    for {v} in {p}:", f"        result *= {v}",
                    "    return result"]
        else:
            header = ["import math", "", ""]
            body = [f"    return math.prod({p})"]
        clause = _pick(rng, ("calculate the product of all numbers in a list",
                             "multiply all the numbers in a list together"))
        given = "calculate the product of the numbers in the given list"
        data = _ints(rng, -5, 9, 3, 6)
        expected = math.prod(data)
        script = (["numbers = " + _lit(data), "product = 1", "for n in numbers:",
                   "    product *= n", "print(product)"], "product", expected)
        ref = math.prod
    else:
        name = _pick(rng, ("sum_of_squares", "square_sum", "sum_squares"))
        body = (["    total = 0", f"    for {v} in {p}:", f"        total += {v} * {v}",
                 "    return total"] if loop else [f"    return sum({v} ** 2 for {v} in {p})"])
        clause = _pick(rng, ("compute the sum of the squares of the numbers in a list",
                             "return the sum of squares of a list of integers"))
        given = "compute the sum of the squares of the numbers in the given list"
        data = _ints(rng, -10, 15)
        expected = sum(x * x for x in data)
        script = (["numbers = " + _lit(data), "total = sum(n * n for n in numbers)",
                   "print(total)"], "total", expected)

        def ref(xs: list[int]) -> int:
            return sum(x * x for x in xs)
    code = _lines(*header, f"def {name}({p}):", *body)
    others = [_ints(rng, -9, 9, 2, 6), [rng.randint(1, 9)], []]
    cases = [(_lit(xs), ref(xs)) for xs in others]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, data, "numbers"), _lit(data), expected),
                  script=script)


@_family("list_max_min")
def _list_max_min(rng: random.Random) -> Task:
    p, v = _pick(rng, _LIST_PARAMS), _pick(rng, _LOOP_VARS)
    mode = rng.randrange(3)
    data = _ints(rng, -50, 99)
    others = [_ints(rng, -50, 99, 1, 7), _ints(rng, -30, -1, 2, 5)]
    if mode < 2:
        fn, label, cmp = (max, "largest", ">") if mode == 0 else (min, "smallest", "<")
        word = "maximum" if mode == 0 else "minimum"
        name = _pick(rng, (f"find_{fn.__name__}", f"{label}_number", f"get_{word}"))
        if rng.random() < 0.5:
            body = [f"    return {fn.__name__}({p})"]
        else:
            body = [f"    {label} = {p}[0]", f"    for {v} in {p}[1:]:",
                    f"        if {v} {cmp} {label}:", f"            {label} = {v}",
                    f"    return {label}"]
        clause = _pick(rng, (f"find the {word} of a list of numbers",
                             f"return the {label} number in a list",
                             f"find the {label} element in an array of integers"))
        given = _pick(rng, (f"find the {word} of the given list",
                            f"find the {label} number in the following array"))
        expected: object = fn(data)
        script = (["numbers = " + _lit(data), f"{label} = {fn.__name__}(numbers)",
                   f"print({label})"], label, expected)
        cases = [(_lit(xs), fn(xs)) for xs in others]
    else:
        name = _pick(rng, ("min_max", "find_min_max", "get_extremes"))
        body = [f"    return min({p}), max({p})"]
        if rng.random() < 0.5:
            body = [f"    smallest = largest = {p}[0]", f"    for {v} in {p}:",
                    f"        if {v} < smallest:", f"            smallest = {v}",
                    f"        if {v} > largest:", f"            largest = {v}",
                    "    return smallest, largest"]
        clause = _pick(rng, (("return both the smallest and the largest number of a list as a "
                             "tuple (min, max)"),
                             ("find the minimum and maximum values of a list and return them as "
                             "a tuple")))
        given = "find the minimum and maximum of the given list and return them as a tuple"
        expected = (min(data), max(data))
        script = None
        cases = [(_lit(xs), (min(xs), max(xs))) for xs in others]
    code = _lines(f"def {name}({p}):", *body)
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, data, "numbers"), _lit(data), expected),
                  script=script)


@_family("filter_parity")
def _filter_parity(rng: random.Random) -> Task:
    p, v = _pick(rng, _LIST_PARAMS), _pick(rng, _LOOP_VARS)
    even = rng.random() < 0.55
    label = "even" if even else "odd"
    cond = f"{v} % 2 == {0 if even else 1}"
    name = _pick(rng, (f"filter_{label}", f"get_{label}_numbers", f"{label}_numbers",
                       f"keep_{label}"))
    impl = rng.randrange(3)
    if impl == 0:
        body = [f"    return [{v} for {v} in {p} if {cond}]"]
    elif impl == 1:
        body = ["    result = []", f"    for {v} in {p}:", f"        if {cond}:",
                f"            result.append({v})", "    return result"]
    else:
        body = [f"    return list(filter(lambda {v}: {cond}, {p}))"]
    code = _lines(f"def {name}({p}):", *body)
    data = _ints(rng, -10, 40, 5, 9)
    m = 0 if even else 1

    def ref(xs: list[int]) -> list[int]:
        return [x for x in xs if x % 2 == m]

    cases = [(_lit(xs), ref(xs)) for xs in (_ints(rng, -10, 40, 3, 8), [1, 2, 3, 4, -5], [])]
    script = (["numbers = " + _lit(data), f"{label}s = [n for n in numbers if n % 2 == {m}]",
               f"print({label}s)"], f"{label}s", ref(data))
    return _build(
        rng,
        clause=_pick(rng, (f"filter out all the {label} numbers from a list",
                           f"return a new list containing only the {label} numbers of a list",
                           f"select the {label} elements from a list of integers")),
        given=_pick(rng, (f"filter the {label} numbers from the given list",
                          f"print only the {label} numbers of the following list")),
        code=code, name=name, cases=cases,
        example=(_val_input(rng, data, "numbers"), _lit(data), ref(data)), script=script,
    )


@_family("filter_threshold")
def _filter_threshold(rng: random.Random) -> Task:
    p, v = _pick(rng, _LIST_PARAMS), _pick(rng, _LOOP_VARS)
    kind = rng.randrange(4)
    k = rng.randint(2, 7) if kind == 3 else rng.randint(-5, 30)
    as_param = rng.random() < 0.3
    kname = _pick(rng, ("k", "threshold", "limit")) if kind < 3 else "divisor"
    kexpr = kname if as_param else str(k)
    cond_fmt, text = (
        ("{v} > {k}", "greater than {k}"),
        ("{v} < {k}", "less than {k}"),
        ("{v} >= {k}", "greater than or equal to {k}"),
        ("{v} % {k} == 0", "divisible by {k}"),
    )[kind]
    cond = cond_fmt.format(v=v, k=kexpr)
    name = _pick(rng, (("filter_greater", "greater_than", "above_threshold"),
                       ("filter_less", "less_than", "below_threshold"),
                       ("filter_at_least", "at_least", "filter_min"),
                       ("filter_divisible", "divisible_by", "multiples_of"))[kind])
    if rng.random() < 0.6:
        body = [f"    return [{v} for {v} in {p} if {cond}]"]
    else:
        body = ["    result = []", f"    for {v} in {p}:", f"        if {cond}:",
                f"            result.append({v})", "    return result"]
    params = f"{p}, {kname}" if as_param else p
    code = _lines(f"def {name}({params}):", *body)

    def ref(xs: list[int]) -> list[int]:
        if kind == 0:
            return [x for x in xs if x > k]
        if kind == 1:
            return [x for x in xs if x < k]
        if kind == 2:
            return [x for x in xs if x >= k]
        return [x for x in xs if x % k == 0]

    data = _ints(rng, -10, 50, 5, 9)
    extra = f", {k}" if as_param else ""
    fixed = [k - 1, k, k + 1, 2 * k, k + 7, k - 7]
    cases = [(_lit(xs) + extra, ref(xs)) for xs in (_ints(rng, -10, 50, 3, 8), fixed)]
    if as_param:
        clause = f"return the numbers of a list that are {text.format(k='a given ' + kname)}"
        given = f"return the numbers of the given list that are {text.format(k=k)}"
        input_text = f"{_lit(data)}, {kname} = {k}"
    else:
        clause = _pick(rng, (f"filter a list so that it only keeps numbers {text.format(k=k)}",
                             f"return all the elements of a list that are {text.format(k=k)}"))
        given = f"find all the numbers in the given list that are {text.format(k=k)}"
        input_text = _val_input(rng, data, "numbers")
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(input_text, _lit(data) + extra, ref(data)))


def _dedupe_ref(items: list) -> list:
    return list(dict.fromkeys(items))


@_family("remove_duplicates")
def _remove_duplicates(rng: random.Random) -> Task:
    p = _pick(rng, ("items", "lst", "values", "elements"))
    name = _pick(rng, ("remove_duplicates", "dedupe", "unique_items", "remove_dups"))
    impl = rng.randrange(3)
    if impl == 0:
        body = ["    seen = set()", "    result = []", f"    for item in {p}:",
                "        if item not in seen:", "            seen.add(item)",
                "            result.append(item)", "    return result"]
    elif impl == 1:
        body = [f"    return list(dict.fromkeys({p}))"]
    else:
        body = ["    result = []", f"    for item in {p}:", "        if item not in result:",
                "            result.append(item)", "    return result"]
    code = _lines(f"def {name}({p}):", *body)
    if rng.random() < 0.6:
        data: list = [rng.randint(1, 9) for _ in range(rng.randint(6, 10))]
        other: list = [rng.randint(1, 5) for _ in range(6)]
    else:
        pool = _words(rng, 3, 4)
        data = [_pick(rng, pool) for _ in range(rng.randint(5, 8))]
        other = [_pick(rng, pool) for _ in range(5)]
    cases = [(_lit(other), _dedupe_ref(other)), ("[]", [])]
    script = (["items = " + _lit(data), "unique = list(dict.fromkeys(items))", "print(unique)"],
              "unique", _dedupe_ref(data))
    return _build(
        rng,
        clause=_pick(rng, ("remove duplicate elements from a list while preserving the order",
                           ("remove all duplicates from a list, keeping the first occurrence of "
                           "each element"),
                           "return the unique elements of a list in their original order")),
        given=_pick(rng, ("remove the duplicates from the given list, preserving the order",
                          "remove all duplicate elements from the following list")),
        code=code, name=name, cases=cases,
        example=(_val_input(rng, data, "my_list"), _lit(data), _dedupe_ref(data)),
        script=script,
    )


@_family("rotate_list")
def _rotate_list(rng: random.Random) -> Task:
    p = _pick(rng, ("items", "lst", "arr", "values"))
    left = rng.random() < 0.5
    direction = "left" if left else "right"
    name = _pick(rng, (f"rotate_{direction}", "rotate_list", "rotate"))
    as_param = rng.random() < 0.5
    k = rng.randint(1, 4)
    kname = "k" if as_param else "steps"
    body = [f"    if not {p}:", "        return []"]
    if as_param:
        body.append(f"    k = k % len({p})")
    else:
        body.append(f"    {kname} = {k} % len({p})")
    if left:
        body.append(f"    return {p}[{kname}:] + {p}[:{kname}]")
    else:
        body.append(f"    return {p}[-{kname}:] + {p}[:-{kname}]")
    if not as_param and rng.random() < 0.5:
        body = [f"    if not {p}:", "        return []", f"    {kname} = {k} % len({p})",
                (f"    return {p}[{kname}:] + {p}[:{kname}]" if left
                 else f"    return {p}[len({p}) - {kname}:] + {p}[:len({p}) - {kname}]")]
    params = f"{p}, k" if as_param else p
    code = _lines(f"def {name}({params}):", *body)

    def ref(xs: list[int], steps: int) -> list[int]:
        if not xs:
            return []
        steps %= len(xs)
        if left:
            return xs[steps:] + xs[:steps]
        return xs[len(xs) - steps:] + xs[:len(xs) - steps]

    data = _ints(rng, 0, 30, 4, 8)
    cases = []
    for xs in (_ints(rng, 0, 9, 2, 7), list(range(1, k + 1)), list(range(1, k + 3))):
        cases.append((_lit(xs) + (f", {k}" if as_param else ""), ref(xs, k)))
    if as_param:
        cases.append((f"{_lit(data)}, {len(data) + 1}", ref(data, len(data) + 1)))
        cases.append(("[], 3", []))
        clause = f"rotate a list to the {direction} by k positions"
        given = f"rotate the given list to the {direction} by k positions"
        input_text = f"{_lit(data)}, k = {k}"
        args = f"{_lit(data)}, {k}"
    else:
        cases.append(("[]", []))
        s = "s" if k > 1 else ""
        clause = _pick(rng, (f"rotate a list to the {direction} by {k} position{s}",
                             (f"shift the elements of a list {k} place{s} to the {direction}, "
                             "wrapping around")))
        given = f"rotate the given list {k} position{s} to the {direction}"
        input_text = _val_input(rng, data, "my_list")
        args = _lit(data)
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(input_text, args, ref(data, k)))


@_family("flatten_list")
def _flatten_list(rng: random.Random) -> Task:
    p = _pick(rng, ("nested", "lists", "matrix", "list_of_lists"))
    name = _pick(rng, ("flatten", "flatten_list", "flatten_one_level"))
    impl = rng.randrange(3)
    if impl == 0:
        body = [f"    return [item for sub in {p} for item in sub]"]
    elif impl == 1:
        body = ["    result = []", f"    for sub in {p}:", "        result.extend(sub)",
                "    return result"]
    else:
        body = ["    flat = []", f"    for sub in {p}:", "        for item in sub:",
                "            flat.append(item)", "    return flat"]
    code = _lines(f"def {name}({p}):", *body)

    def nested() -> list[list[int]]:
        return [_ints(rng, 0, 20, 0, 4) for _ in range(rng.randint(2, 4))]

    data = nested()
    while not any(data):
        data = nested()

    def ref(xss: list[list[int]]) -> list[int]:
        return [x for xs in xss for x in xs]

    cases = [(_lit(x), ref(x)) for x in (nested(), [[1], [], [2, 3]], [])]
    script = (["nested = " + _lit(data), "flat = [x for sub in nested for x in sub]",
               "print(flat)"], "flat", ref(data))
    return _build(
        rng,
        clause=_pick(rng, ("flatten a list of lists into a single list",
                           "flatten a nested list by one level",
                           "convert a two-dimensional list into a one-dimensional list")),
        given=_pick(rng, ("flatten the given list of lists", "flatten the following nested list")),
        code=code, name=name, cases=cases,
        example=(_val_input(rng, data, "list_of_lists"), _lit(data), ref(data)), script=script,
    )


@_family("chunk_list")
def _chunk_list(rng: random.Random) -> Task:
    p = _pick(rng, ("items", "lst", "data", "values"))
    name = _pick(rng, ("chunk_list", "chunks", "split_into_chunks", "batch"))
    n = rng.randint(2, 4)
    as_param = rng.random() < 0.5
    size = "size" if as_param else str(n)
    if rng.random() < 0.6:
        body = [f"    return [{p}[i:i + {size}] for i in range(0, len({p}), {size})]"]
    else:
        body = ["    result = []", f"    for i in range(0, len({p}), {size}):",
                f"        result.append({p}[i:i + {size}])", "    return result"]
    params = f"{p}, size" if as_param else p
    code = _lines(f"def {name}({params}):", *body)

    def ref(xs: list[int]) -> list[list[int]]:
        return [xs[i:i + n] for i in range(0, len(xs), n)]

    data = list(range(1, rng.randint(5, 11)))
    extra = f", {n}" if as_param else ""
    cases = [(_lit(xs) + extra, ref(xs)) for xs in (_ints(rng, 0, 50, 3, 9), [])]
    if as_param:
        clause = "split a list into chunks of a given size (the last chunk may be shorter)"
        given = f"split the given list into chunks of size {n}"
        input_text = f"{_lit(data)}, size = {n}"
    else:
        clause = _pick(rng, (f"split a list into chunks of {n} elements",
                             (f"divide a list into sublists of length {n}; the last one may be "
                             "shorter")))
        given = f"split the given list into groups of {n} elements"
        input_text = _val_input(rng, data, "numbers")
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(input_text, _lit(data) + extra, ref(data)))


@_family("second_largest")
def _second_largest(rng: random.Random) -> Task:
    p, v = _pick(rng, _LIST_PARAMS), _pick(rng, _LOOP_VARS)
    largest = rng.random() < 0.65
    label = "largest" if largest else "smallest"
    name = _pick(rng, (f"second_{label}", f"find_second_{label}", f"get_second_{label}"))
    cmp = ">" if largest else "<"
    if rng.random() < 0.5:
        body = [f"    return sorted(set({p}))[{-2 if largest else 1}]"]
    else:
        body = ["    first = second = None", f"    for {v} in {p}:",
                f"        if first is None or {v} {cmp} first:",
                f"            first, second = {v}, first",
                f"        elif {v} != first and (second is None or {v} {cmp} second):",
                f"            second = {v}", "    return second"]
    code = _lines(f"def {name}({p}):", *body)

    def sample() -> list[int]:
        while True:
            xs = _ints(rng, -20, 60, 3, 8)
            if len(set(xs)) >= 2:
                return xs

    def ref(xs: list[int]) -> int:
        return sorted(set(xs))[-2 if largest else 1]

    data = sample()
    a = rng.randint(1, 9)
    cases = [(_lit(xs), ref(xs)) for xs in (sample(), [a, a, a + 1], [a + 1, a + 1, a])]
    return _build(
        rng,
        clause=_pick(rng, (f"find the second {label} number in a list",
                           f"return the second {label} distinct element of a list of integers")),
        given=f"find the second {label} number in the given list",
        code=code, name=name, cases=cases,
        example=(_val_input(rng, data, "numbers"), _lit(data), ref(data)),
    )


@_family("moving_average")
def _moving_average(rng: random.Random) -> Task:
    p = _pick(rng, _LIST_PARAMS)
    name = _pick(rng, ("moving_average", "rolling_mean", "sliding_average"))
    n = rng.randint(2, 4)
    as_param = rng.random() < 0.4
    w = "window" if as_param else str(n)
    if rng.random() < 0.6:
        body = [f"    return [sum({p}[i:i + {w}]) / {w} for i in range(len({p}) - {w} + 1)]"]
    else:
        body = ["    averages = []", f"    for i in range(len({p}) - {w} + 1):",
                f"        averages.append(sum({p}[i:i + {w}]) / {w})", "    return averages"]
    params = f"{p}, window" if as_param else p
    code = _lines(f"def {name}({params}):", *body)

    def ref(xs: list[int]) -> list[float]:
        return [sum(xs[i:i + n]) / n for i in range(len(xs) - n + 1)]

    data = _ints(rng, 0, 30, n + 1, n + 6)
    extra = f", {n}" if as_param else ""
    cases = [(_lit(xs) + extra, ref(xs)) for xs in (_ints(rng, -10, 30, n, n + 4),
                                                    list(range(n - 1)))]
    if as_param:
        clause = "compute the moving average of a list of numbers for a given window size"
        given = f"compute the moving average of the given list with a window of size {n}"
        input_text = f"{_lit(data)}, window = {n}"
    else:
        clause = _pick(rng, (f"compute the moving average of a list with a window size of {n}",
                             f"return the averages of every {n} consecutive numbers in a list"))
        given = f"calculate the moving average (window size {n}) of the given list"
        input_text = _val_input(rng, data, "numbers")
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(input_text, _lit(data) + extra, ref(data)))


@_family("cumulative_sum")
def _cumulative_sum(rng: random.Random) -> Task:
    p, v = _pick(rng, _LIST_PARAMS), _pick(rng, _LOOP_VARS)
    name = _pick(rng, ("cumulative_sum", "running_total", "prefix_sums"))
    header: list[str] = []
    if rng.random() < 0.6:
        body = ["    result = []", "    total = 0", f"    for {v} in {p}:", f"        total += {v}",
                "        result.append(total)", "    return result"]
    else:
        header = ["from itertools import accumulate", "", ""]
        body = [f"    return list(accumulate({p}))"]
    code = _lines(*header, f"def {name}({p}):", *body)

    def ref(xs: list[int]) -> list[int]:
        out, total = [], 0
        for x in xs:
            total += x
            out.append(total)
        return out

    data = _ints(rng, -5, 20)
    cases = [(_lit(xs), ref(xs)) for xs in (_ints(rng, -5, 20, 1, 6), [1, 2, 3], [])]
    return _build(
        rng,
        clause=_pick(rng, ("compute the cumulative sum of a list of numbers",
                           "return a list of running totals for a list of numbers")),
        given="compute the running total of the given list",
        code=code, name=name, cases=cases,
        example=(_val_input(rng, data, "numbers"), _lit(data), ref(data)),
    )


@_family("common_elements")
def _common_elements(rng: random.Random) -> Task:
    a, b = _pick(rng, (("list1", "list2"), ("a", "b"), ("first", "second"), ("xs", "ys")))
    common = rng.random() < 0.6
    if common:
        name = _pick(rng, ("common_elements", "intersection", "find_common"))
        if rng.random() < 0.5:
            body = ["    result = []", f"    for item in {a}:",
                    f"        if item in {b} and item not in result:",
                    "            result.append(item)", "    return result"]
        else:
            body = [f"    return [item for item in dict.fromkeys({a}) if item in {b}]"]
        clause = ("find the elements that two lists have in common, without duplicates and in "
                  "the order of the first list")
        given = "find the common elements of the two given lists"

        def ref(xs: list[int], ys: list[int]) -> list[int]:
            return [x for x in dict.fromkeys(xs) if x in ys]
    else:
        name = _pick(rng, ("list_difference", "difference", "missing_items"))
        body = [f"    return [item for item in {a} if item not in {b}]"]
        if rng.random() < 0.5:
            body = [f"    exclude = set({b})", (f"    return [item for item in {a} "
                    "if item not in exclude]")]
        clause = "return the elements of the first list that do not appear in the second list"
        given = "find the elements of the first list that are not in the second list"

        def ref(xs: list[int], ys: list[int]) -> list[int]:
            return [x for x in xs if x not in ys]
    code = _lines(f"def {name}({a}, {b}):", *body)
    xs, ys = _ints(rng, 1, 12, 4, 7), _ints(rng, 1, 12, 4, 7)
    cases = []
    for _ in range(2):
        c1, c2 = _ints(rng, 1, 9, 3, 6), _ints(rng, 1, 9, 3, 6)
        cases.append((f"{_lit(c1)}, {_lit(c2)}", ref(c1, c2)))
    cases.append((f"[], {_lit(ys)}", []))
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(f"{a} = {_lit(xs)}, {b} = {_lit(ys)}", f"{_lit(xs)}, {_lit(ys)}",
                           ref(xs, ys)))


@_family("search_list")
def _search_list(rng: random.Random) -> Task:
    p = _pick(rng, ("arr", "items", "lst", "numbers"))
    t = _pick(rng, ("target", "x", "key", "value"))
    binary = rng.random() < 0.45
    if binary:
        name = _pick(rng, ("binary_search", "bsearch", "search_sorted"))
        body = [f"    low, high = 0, len({p}) - 1", "    while low <= high:",
                "        mid = (low + high) // 2", f"        if {p}[mid] == {t}:",
                "            return mid", f"        if {p}[mid] < {t}:",
                "            low = mid + 1", "        else:", "            high = mid - 1",
                "    return -1"]
        clause = _pick(rng, (("implement binary search on a sorted list, returning the index of "
                             "the target or -1 if it is not present"),
                             ("search a sorted array for a target value using binary search"
                             " and return its index (-1 if missing)")))
        given = "search the given sorted list for the target using binary search"

        def make() -> list[int]:
            return sorted(rng.sample(range(60), rng.randint(5, 10)))
    else:
        name = _pick(rng, ("linear_search", "find_index", "search", "index_of"))
        if rng.random() < 0.5:
            body = [f"    for i, item in enumerate({p}):", f"        if item == {t}:",
                    "            return i", "    return -1"]
        else:
            body = [f"    for i in range(len({p})):", f"        if {p}[i] == {t}:",
                    "            return i", "    return -1"]
        clause = _pick(rng, (("search for an element in a list and return its index, or -1 if "
                             "it is not found"),
                             ("implement linear search that returns the index of the first "
                             "occurrence of a target (or -1)")))
        given = "find the index of the target in the given list (-1 if it is not there)"

        def make() -> list[int]:
            return _ints(rng, 0, 20, 5, 9)

    def ref(xs: list[int], target: int) -> int:
        return xs.index(target) if target in xs else -1

    code = _lines(f"def {name}({p}, {t}):", *body)
    data = make()
    target = _pick(rng, data) if rng.random() < 0.75 else 99
    cases = []
    for _ in range(2):
        xs = make()
        cases.append((f"{_lit(xs)}, {xs[-1]}", ref(xs, xs[-1])))
        cases.append((f"{_lit(xs)}, {xs[0]}", ref(xs, xs[0])))
    cases.append((f"{_lit(data)}, 100", -1))
    cases.append(("[], 1", -1))
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(f"{p} = {_lit(data)}, {t} = {target}", f"{_lit(data)}, {target}",
                           ref(data, target)))


@_family("map_list")
def _map_list(rng: random.Random) -> Task:
    p, v = _pick(rng, _LIST_PARAMS), _pick(rng, _LOOP_VARS)
    kind = rng.randrange(5)
    k = rng.randint(2, 9)
    words = False
    if kind == 0:
        name, expr = _pick(rng, ("square_list", "square_all", "squares")), f"{v} ** 2"
        clause = _pick(rng, ("square every number in a list",
                             "return a list with the square of each element"))
        given = "square each number in the given list"

        def f(x: int) -> object:
            return x * x
    elif kind == 1:
        name, expr = _pick(rng, ("multiply_all", "scale_list", f"times_{k}")), f"{v} * {k}"
        clause = f"multiply every element of a list by {k}"
        given = f"multiply each element of the given list by {k}"

        def f(x: int) -> object:
            return x * k
    elif kind == 2:
        name, expr = _pick(rng, ("add_to_all", "increment_all", f"add_{k}")), f"{v} + {k}"
        clause = f"add {k} to each number in a list"
        given = f"add {k} to every number of the given list"

        def f(x: int) -> object:
            return x + k
    elif kind == 3:
        name, expr = _pick(rng, ("absolute_values", "abs_list")), f"abs({v})"
        clause = "replace each number of a list with its absolute value"
        given = "compute the absolute value of every number in the given list"

        def f(x: int) -> object:
            return abs(x)
    else:
        words = True
        p, v = _pick(rng, ("words", "strings")), "word"
        name, expr = _pick(rng, ("word_lengths", "string_lengths", "lengths")), "len(word)"
        clause = _pick(rng, ("return a list with the length of each string in a list",
                             "map a list of words to their lengths"))
        given = "find the length of each word in the given list"

        def f(x: str) -> object:
            return len(x)
    if rng.random() < 0.6:
        body = [f"    return [{expr} for {v} in {p}]"]
    else:
        body = ["    result = []", f"    for {v} in {p}:", f"        result.append({expr})",
                "    return result"]
    code = _lines(f"def {name}({p}):", *body)
    if words:
        data: list = _words(rng, 3, 6)
        other: list = _words(rng, 1, 4)
    else:
        data, other = _ints(rng, -9, 20), _ints(rng, -9, 20, 1, 5)
    fixed: list = ["a", "abc"] if words else [-2, 3]
    cases = [(_lit(other), [f(x) for x in other]), (_lit(fixed), [f(x) for x in fixed]),
             ("[]", [])]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, data, p), _lit(data), [f(x) for x in data]))


# ---------------------------------------------------------------------------
# Dictionary families
# ---------------------------------------------------------------------------

_DICT_PARAMS = ("d", "data", "mapping", "dictionary")


def _word_int_dict(rng: random.Random, lo: int = 3, hi: int = 5) -> dict[str, int]:
    keys = _words(rng, lo, hi)
    values = rng.sample(range(1, 50), len(keys))
    return dict(zip(keys, values))


@_family("invert_dict")
def _invert_dict(rng: random.Random) -> Task:
    p = _pick(rng, _DICT_PARAMS)
    name = _pick(rng, ("invert_dict", "swap_keys_values", "reverse_dict", "invert"))
    if rng.random() < 0.6:
        body = [f"    return {{value: key for key, value in {p}.items()}}"]
    else:
        body = ["    inverted = {}", f"    for key, value in {p}.items():",
                "        inverted[value] = key", "    return inverted"]
    code = _lines(f"def {name}({p}):", *body)
    data = _word_int_dict(rng)

    def ref(d: dict[str, int]) -> dict[int, str]:
        return {v: k for k, v in d.items()}

    other = _word_int_dict(rng, 1, 3)
    cases = [(_lit(other), ref(other)), ("{}", {})]
    script = (["original = " + _lit(data),
               "inverted = {value: key for key, value in original.items()}", "print(inverted)"],
              "inverted", ref(data))
    return _build(
        rng,
        clause=_pick(rng, ("swap the keys and values of a dictionary",
                           ("invert a dictionary so that its values become keys and its keys "
                           "become values"))),
        given=_pick(rng, ("swap the keys and values of the given dictionary",
                          "invert the following dictionary")),
        code=code, name=name, cases=cases,
        example=(_val_input(rng, data, "my_dict"), _lit(data), ref(data)), script=script,
    )


@_family("merge_dicts")
def _merge_dicts(rng: random.Random) -> Task:
    a, b = _pick(rng, (("d1", "d2"), ("a", "b"), ("first", "second"), ("dict1", "dict2")))
    name = _pick(rng, ("merge_dicts", "merge_and_sum", "combine_dicts", "add_dicts"))
    if rng.random() < 0.5:
        body = [f"    result = dict({a})", f"    for key, value in {b}.items():",
                "        result[key] = result.get(key, 0) + value", "    return result"]
    else:
        body = ["    result = {}", f"    for d in ({a}, {b}):",
                "        for key, value in d.items():",
                "            result[key] = result.get(key, 0) + value", "    return result"]
    code = _lines(f"def {name}({a}, {b}):", *body)

    def make() -> tuple[dict[str, int], dict[str, int]]:
        pool = _words(rng, 4, 5)
        d1 = {k: rng.randint(1, 20) for k in rng.sample(pool, 3)}
        d2 = {k: rng.randint(1, 20) for k in rng.sample(pool, 3)}
        return d1, d2

    def ref(d1: dict[str, int], d2: dict[str, int]) -> dict[str, int]:
        out = dict(d1)
        for k, v in d2.items():
            out[k] = out.get(k, 0) + v
        return out

    x, y = make()
    o1, o2 = make()
    cases = [(f"{_lit(o1)}, {_lit(o2)}", ref(o1, o2)), (f"{{}}, {_lit(o2)}", dict(o2))]
    return _build(
        rng,
        clause=_pick(rng, (("merge two dictionaries, adding the values of keys that appear in "
                           "both"),
                           ("combine two dictionaries of counts into one, summing the values "
                           "for common keys"))),
        given="merge the two given dictionaries, summing the values of common keys",
        code=code, name=name, cases=cases,
        example=(f"{a} = {_lit(x)}\n{b} = {_lit(y)}", f"{_lit(x)}, {_lit(y)}", ref(x, y)),
    )


@_family("group_words")
def _group_words(rng: random.Random) -> Task:
    p = _pick(rng, ("words", "strings", "items"))
    by_len = rng.random() < 0.45
    if by_len:
        name = _pick(rng, ("group_by_length", "group_words_by_length", "bucket_by_length"))
        key_expr = "len(word)"
        clause = _pick(rng, ("group a list of words by their length into a dictionary",
                             ("build a dictionary that maps each word length to the list of "
                             "words with that length")))
        given = "group the given words by their length"
    else:
        name = _pick(rng, ("group_by_first_letter", "group_words", "group_by_initial"))
        key_expr = "word[0]"
        clause = _pick(rng, ("group a list of words by their first letter",
                             ("create a dictionary that maps each first letter to the words "
                             "starting with it")))
        given = "group the given list of words by their first letter"
    if rng.random() < 0.5:
        body = ["    groups = {}", f"    for word in {p}:",
                f"        groups.setdefault({key_expr}, []).append(word)", "    return groups"]
    else:
        body = ["    groups = {}", f"    for word in {p}:", f"        key = {key_expr}",
                "        if key not in groups:", "            groups[key] = []",
                "        groups[key].append(word)", "    return groups"]
    code = _lines(f"def {name}({p}):", *body)

    def ref(ws: list[str]) -> dict[object, list[str]]:
        out: dict[object, list[str]] = {}
        for w in ws:
            out.setdefault(len(w) if by_len else w[0], []).append(w)
        return out

    data, other = _words(rng, 4, 7), _words(rng, 2, 5)
    cases = [(_lit(other), ref(other)), ("[]", {})]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, data, "words"), _lit(data), ref(data)))


@_family("sort_dict_by_value")
def _sort_dict_by_value(rng: random.Random) -> Task:
    p = _pick(rng, _DICT_PARAMS)
    desc = rng.random() < 0.5
    keys_only = rng.random() < 0.4
    order = "descending" if desc else "ascending"
    rev = ", reverse=True" if desc else ""
    if keys_only:
        name = _pick(rng, ("keys_sorted_by_value", "sort_keys_by_value", "rank_keys"))
        if rng.random() < 0.5:
            body = [f"    return sorted({p}, key={p}.get{rev})"]
        else:
            body = [(f"    return [key for key, value in sorted({p}.items(), "
                    f"key=lambda item: item[1]{rev})]")]
        clause = f"return the keys of a dictionary sorted by their values in {order} order"
        given = f"list the keys of the given dictionary sorted by value in {order} order"
    else:
        name = _pick(rng, ("sort_by_value", "sort_dict_by_value", "sorted_items"))
        body = [f"    return sorted({p}.items(), key=lambda item: item[1]{rev})"]
        clause = _pick(rng, ((f"sort a dictionary by its values in {order} order and return a "
                             "list of (key, value) tuples"),
                             (f"return the items of a dictionary as a list of tuples sorted by "
                             f"value ({order})")))
        given = f"sort the given dictionary by value in {order} order"
    code = _lines(f"def {name}({p}):", *body)

    def ref(d: dict[str, int]) -> list:
        items = sorted(d.items(), key=lambda item: item[1], reverse=desc)
        return [k for k, _ in items] if keys_only else items

    data, other = _word_int_dict(rng), _word_int_dict(rng, 2, 4)
    cases = [(_lit(other), ref(other)), ("{}", [])]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, data, "scores"), _lit(data), ref(data)))


@_family("max_value_key")
def _max_value_key(rng: random.Random) -> Task:
    p = _pick(rng, _DICT_PARAMS)
    use_max = rng.random() < 0.65
    fn, label, cmp = (max, "highest", ">") if use_max else (min, "lowest", "<")
    name = _pick(rng, (f"key_with_{fn.__name__}_value", f"{fn.__name__}_key",
                       f"find_{label}_key"))
    if rng.random() < 0.5:
        body = [f"    return {fn.__name__}({p}, key={p}.get)"]
    else:
        body = ["    best_key = None", f"    for key, value in {p}.items():",
                f"        if best_key is None or value {cmp} {p}[best_key]:",
                "            best_key = key", "    return best_key"]
    code = _lines(f"def {name}({p}):", *body)
    data, other = _word_int_dict(rng), _word_int_dict(rng, 1, 4)
    script = (["scores = " + _lit(data), f"best = {fn.__name__}(scores, key=scores.get)",
               "print(best)"], "best", fn(data, key=data.__getitem__))
    cases = [(_lit(other), fn(other, key=other.__getitem__))]
    return _build(
        rng,
        clause=_pick(rng, (f"find the key with the {label} value in a dictionary",
                           f"return the key of a dictionary whose value is the {label}")),
        given=f"find the key with the {label} value in the given dictionary",
        code=code, name=name, cases=cases,
        example=(_val_input(rng, data, "scores"), _lit(data), fn(data, key=data.__getitem__)),
        script=script,
    )


@_family("word_frequency")
def _word_frequency(rng: random.Random) -> Task:
    p = _pick(rng, ("text", "sentence", "s"))
    name = _pick(rng, ("word_frequency", "count_words", "word_counts", "word_histogram"))
    header: list[str] = []
    impl = rng.randrange(3)
    if impl == 0:
        body = ["    counts = {}", f"    for word in {p}.lower().split():",
                "        counts[word] = counts.get(word, 0) + 1", "    return counts"]
    elif impl == 1:
        header = ["from collections import Counter", "", ""]
        body = [f"    return dict(Counter({p}.lower().split()))"]
    else:
        body = ["    counts = {}", f"    for word in {p}.lower().split():",
                "        if word in counts:", "            counts[word] += 1", "        else:",
                "            counts[word] = 1", "    return counts"]
    code = _lines(*header, f"def {name}({p}):", *body)

    def text() -> str:
        vocab = _words(rng, 2, 4)
        return " ".join(_pick(rng, vocab) for _ in range(rng.randint(4, 9)))

    def ref(t: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for w in t.lower().split():
            out[w] = out.get(w, 0) + 1
        return out

    sample = text()
    if rng.random() < 0.3:
        sample = _capitalize(sample)
    other = text()
    cases = [(_q(other), ref(other)), (_q(other.upper()), ref(other)), ('""', {})]
    return _build(
        rng,
        clause=_pick(rng, ("count the frequency of each word in a string (case-insensitive)",
                           ("return a dictionary with the number of occurrences of every word in "
                           "a sentence, ignoring case"))),
        given="count the occurrences of each word in the given text, ignoring case",
        code=code, name=name, cases=cases,
        example=(_str_input(rng, sample, "text"), _q(sample), ref(sample)),
    )


@_family("char_frequency")
def _char_frequency(rng: random.Random) -> Task:
    p = _pick(rng, ("s", "text", "string"))
    letters_only = rng.random() < 0.5
    name = _pick(rng, ("char_frequency", "count_chars", "character_count", "letter_counts"))
    if letters_only:
        cond = "ch.isalpha()"
        loop_src = f"{p}.lower()"
        clause = _pick(rng, (("count how many times each letter occurs in a string, ignoring "
                             "case and non-letter characters"),
                             ("build a dictionary of letter frequencies for a string "
                             "(case-insensitive, letters only)")))
        given = "count the frequency of each letter in the given string (ignore case)"
    else:
        cond = 'ch != " "'
        loop_src = p
        clause = _pick(rng, (("count the occurrences of each character in a string, skipping "
                             "spaces"),
                             ("return a dictionary mapping every non-space character of a "
                             "string to its count")))
        given = "count the occurrences of each character (except spaces) in the given string"
    body = ["    freq = {}", f"    for ch in {loop_src}:", f"        if {cond}:",
            "            freq[ch] = freq.get(ch, 0) + 1", "    return freq"]
    code = _lines(f"def {name}({p}):", *body)

    def ref(t: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for ch in (t.lower() if letters_only else t):
            if (ch.isalpha() if letters_only else ch != " "):
                out[ch] = out.get(ch, 0) + 1
        return out

    sample = _capitalize(_sentence(rng, 1, 3))
    if letters_only and rng.random() < 0.5:
        sample += "!"
    other = _word(rng) + " " + _word(rng).upper()
    cases = [(_q(other), ref(other)), ('""', {})]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_str_input(rng, sample, "string"), _q(sample), ref(sample)))


# ---------------------------------------------------------------------------
# Math families
# ---------------------------------------------------------------------------


@_family("factorial")
def _factorial(rng: random.Random) -> Task:
    name = _pick(rng, ("factorial", "fact", "compute_factorial"))
    n = _pick(rng, ("n", "num", "number"))
    impl = rng.randrange(3)
    header: list[str] = []
    if impl == 0:
        body = ["    result = 1", f"    for i in range(2, {n} + 1):", "        result *= i",
                "    return result"]
        how = ""
    elif impl == 1:
        body = [f"    if {n} <= 1:", "        return 1", f"    return {n} * {name}({n} - 1)"]
        how = " using recursion"
    else:
        header = ["import math", "", ""]
        body = [f"    return math.factorial({n})"]
        how = ""
    code = _lines(*header, f"def {name}({n}):", *body)
    value = rng.randint(3, 12)
    cases = [(str(x), math.factorial(x)) for x in (0, 1, rng.randint(2, 10))]
    return _build(
        rng,
        clause=_pick(rng, (f"calculate the factorial of a number{how}",
                           f"compute n! for a non-negative integer n{how}",
                           f"find the factorial of a given integer{how}")),
        given=f"calculate the factorial of the given number{how}",
        code=code, name=name, cases=cases,
        example=(_val_input(rng, value, n), str(value), math.factorial(value)),
    )


def _fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


@_family("fibonacci")
def _fibonacci(rng: random.Random) -> Task:
    n = _pick(rng, ("n", "num", "count"))
    mode = rng.randrange(3)
    if mode == 2:
        name = _pick(rng, ("fibonacci_sequence", "fib_list", "first_fibonacci"))
        body = ["    sequence = []", "    a, b = 0, 1", f"    for _ in range({n}):",
                "        sequence.append(a)", "        a, b = b, a + b", "    return sequence"]
        clause = _pick(rng, (("generate a list of the first n Fibonacci numbers, starting with 0 "
                             "and 1"),
                             ("return the first n numbers of the Fibonacci sequence "
                             "(0, 1, 1, 2, ...)")))
        given = "generate the first n Fibonacci numbers, where n is given"

        def ref(k: int) -> object:
            return [_fib(i) for i in range(k)]
        value, lims = rng.randint(5, 15), (0, 1, rng.randint(2, 12))
    else:
        name = _pick(rng, ("fibonacci", "fib", "nth_fibonacci"))
        if mode == 0:
            body = ["    a, b = 0, 1", f"    for _ in range({n}):", "        a, b = b, a + b",
                    "    return a"]
            how = ""
            value, lims = rng.randint(5, 30), (0, 1, 2, rng.randint(3, 40))
        else:
            body = [f"    if {n} < 2:", f"        return {n}",
                    f"    return {name}({n} - 1) + {name}({n} - 2)"]
            how = " recursively"
            value, lims = rng.randint(5, 15), (0, 1, 2, rng.randint(3, 16))
        clause = _pick(rng, ((f"compute the nth Fibonacci number{how}, where fib(0) = 0 and "
                             "fib(1) = 1"),
                             (f"return the n-th element of the Fibonacci sequence{how} "
                             "(0, 1, 1, 2, 3, ...), counting from 0")))
        given = f"find the nth Fibonacci number{how} for the given n (fib(0) = 0, fib(1) = 1)"

        def ref(k: int) -> object:
            return _fib(k)
    code = _lines(f"def {name}({n}):", *body)
    cases = [(str(x), ref(x)) for x in lims]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, value, "n"), str(value), ref(value)))


@_family("gcd_lcm")
def _gcd_lcm(rng: random.Random) -> Task:
    a, b = _pick(rng, (("a", "b"), ("x", "y"), ("m", "n")))
    use_lcm = rng.random() < 0.4
    header: list[str] = []
    impl = rng.randrange(3)
    if not use_lcm:
        name = _pick(rng, ("gcd", "greatest_common_divisor", "compute_gcd", "hcf"))
        if impl == 0:
            body = [f"    while {b}:", f"        {a}, {b} = {b}, {a} % {b}", f"    return {a}"]
            how = _pick(rng, ("", " using the Euclidean algorithm"))
        elif impl == 1:
            body = [f"    if {b} == 0:", f"        return {a}",
                    f"    return {name}({b}, {a} % {b})"]
            how = " recursively"
        else:
            header = ["import math", "", ""]
            body = [f"    return math.gcd({a}, {b})"]
            how = ""
        clause = _pick(rng, (f"find the greatest common divisor of two numbers{how}",
                             f"compute the GCD of two positive integers{how}"))
        given = f"find the greatest common divisor of the two given numbers{how}"
        ref = math.gcd
    else:
        name = _pick(rng, ("lcm", "least_common_multiple", "compute_lcm"))
        if impl == 0:
            body = [f"    x, y = {a}, {b}", "    while y:", "        x, y = y, x % y",
                    f"    return {a} * {b} // x"]
        else:
            header = ["import math", "", ""]
            body = [f"    return {a} * {b} // math.gcd({a}, {b})"]
        clause = _pick(rng, ("find the least common multiple of two numbers",
                             "compute the LCM of two positive integers"))
        given = "find the least common multiple of the two given numbers"

        def ref(x: int, y: int) -> int:
            return x * y // math.gcd(x, y)
    if use_lcm and impl == 0 and (a, b) == ("x", "y"):
        body = [f"    p, q = {a}, {b}", "    while q:", "        p, q = q, p % q",
                f"    return {a} * {b} // p"]
    code = _lines(*header, f"def {name}({a}, {b}):", *body)

    def pair() -> tuple[int, int]:
        g = rng.randint(1, 12)
        return g * rng.randint(1, 15), g * rng.randint(1, 15)

    x, y = pair()
    cases = [(f"{u}, {w}", ref(u, w)) for u, w in (pair(), pair(), (7, 13))]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(f"{a} = {x}, {b} = {y}", f"{x}, {y}", ref(x, y)))


def _prime(n: int) -> bool:
    return n >= 2 and all(n % i for i in range(2, int(n ** 0.5) + 1))


@_family("is_prime")
def _is_prime(rng: random.Random) -> Task:
    name = _pick(rng, ("is_prime", "check_prime", "prime_check"))
    n = _pick(rng, ("n", "num", "number"))
    if rng.random() < 0.6:
        body = [f"    if {n} < 2:", "        return False",
                f"    for i in range(2, int({n} ** 0.5) + 1):", f"        if {n} % i == 0:",
                "            return False", "    return True"]
    else:
        body = [f"    if {n} < 2:", "        return False", "    i = 2",
                f"    while i * i <= {n}:",
                f"        if {n} % i == 0:", "            return False", "        i += 1",
                "    return True"]
    code = _lines(f"def {name}({n}):", *body)
    value = rng.randint(2, 200)
    pool = [0, 1, 2, rng.randint(3, 500), rng.randint(3, 500), _pick(rng, ("97", "89", "101")),
            rng.randint(2, 30) ** 2]
    cases = [(str(x), _prime(int(x))) for x in pool]
    return _build(
        rng,
        clause=_pick(rng, ("check whether a number is prime",
                           "determine if a given integer is a prime number",
                           "return True if a number is prime and False otherwise")),
        given=_pick(rng, ("check whether the given number is prime",
                          "determine if the following number is a prime number")),
        code=code, name=name, cases=cases,
        example=(_val_input(rng, value, n), str(value), _prime(value)),
    )


@_family("digits")
def _digits(rng: random.Random) -> Task:
    n = _pick(rng, ("n", "num", "number"))
    mode = rng.randrange(3)
    loop = rng.random() < 0.5
    if mode == 0:
        name = _pick(rng, ("sum_of_digits", "digit_sum", "add_digits"))
        body = (["    total = 0", f"    {n} = abs({n})", f"    while {n} > 0:",
                 f"        total += {n} % 10", f"        {n} //= 10", "    return total"]
                if loop else [f"    return sum(int(d) for d in str(abs({n})))"])
        clause = _pick(rng, ("calculate the sum of the digits of an integer",
                             "find the sum of all digits of a number"))
        given = "calculate the sum of the digits of the given number"

        def ref(x: int) -> int:
            return sum(int(d) for d in str(abs(x)))
    elif mode == 1:
        name = _pick(rng, ("count_digits", "digit_count", "num_digits"))
        body = ([f"    {n} = abs({n})", "    count = 1", f"    while {n} >= 10:",
                 f"        {n} //= 10", "        count += 1", "    return count"]
                if loop else [f"    return len(str(abs({n})))"])
        clause = _pick(rng, ("count the number of digits in an integer",
                             "return how many digits a number has"))
        given = "count the digits of the given number"

        def ref(x: int) -> int:
            return len(str(abs(x)))
    else:
        name = _pick(rng, ("reverse_number", "reverse_digits", "reverse_integer"))
        body = (["    result = 0", f"    while {n} > 0:",
                 f"        result = result * 10 + {n} % 10", f"        {n} //= 10",
                 "    return result"] if loop else [f"    return int(str({n})[::-1])"])
        clause = _pick(rng, ("reverse the digits of a positive integer",
                             "return a non-negative integer with its digits reversed"))
        given = "reverse the digits of the given number"

        def ref(x: int) -> int:
            return int(str(x)[::-1])
    code = _lines(f"def {name}({n}):", *body)
    value = rng.randint(10, 999999)
    pool = [rng.randint(1, 9), rng.randint(100, 99999), 1000 * rng.randint(1, 9)]
    if mode < 2:
        pool.append(-rng.randint(10, 9999))
    cases = [(str(x), ref(x)) for x in pool]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, value, n), str(value), ref(value)))


def _is_power(n: int, k: int) -> bool:
    if n < 1:
        return False
    while n % k == 0:
        n //= k
    return n == 1


@_family("power_check")
def _power_check(rng: random.Random) -> Task:
    n = _pick(rng, ("n", "num", "x"))
    k = _pick(rng, (2, 2, 3, 4, 5))
    word = {2: "two", 3: "three", 4: "four", 5: "five"}[k]
    name = _pick(rng, (f"is_power_of_{word}", f"power_of_{word}", f"check_power_of_{word}"))
    if k == 2 and rng.random() < 0.5:
        body = [f"    return {n} > 0 and ({n} & ({n} - 1)) == 0"]
    else:
        body = [f"    if {n} < 1:", "        return False", f"    while {n} % {k} == 0:",
                f"        {n} //= {k}", f"    return {n} == 1"]
    code = _lines(f"def {name}({n}):", *body)
    value = k ** rng.randint(1, 8) if rng.random() < 0.5 else rng.randint(2, 300)
    pool = [1, 0, k ** rng.randint(2, 10), k ** rng.randint(2, 6) + 1, rng.randint(2, 1000), -k]
    cases = [(str(x), _is_power(x, k)) for x in pool]
    return _build(
        rng,
        clause=_pick(rng, (f"check whether a number is a power of {k}",
                           f"determine if an integer is an exact power of {word}")),
        given=f"check whether the given number is a power of {k}",
        code=code, name=name, cases=cases,
        example=(_val_input(rng, value, n), str(value), _is_power(value, k)),
    )


@_family("temperature")
def _temperature(rng: random.Random) -> Task:
    to_f = rng.random() < 0.5
    if to_f:
        p = _pick(rng, ("celsius", "c", "temp_c"))
        name = _pick(rng, ("celsius_to_fahrenheit", "c_to_f", "to_fahrenheit"))
        body = [f"    return {p} * 9 / 5 + 32"]
        if rng.random() < 0.4:
            body = [f"    fahrenheit = ({p} * 9 / 5) + 32", "    return fahrenheit"]
        clause = _pick(rng, ("convert a temperature from Celsius to Fahrenheit",
                             "convert degrees Celsius to degrees Fahrenheit"))
        given = "convert the given temperature from Celsius to Fahrenheit"

        def ref(x: int) -> float:
            return x * 9 / 5 + 32
    else:
        p = _pick(rng, ("fahrenheit", "f", "temp_f"))
        name = _pick(rng, ("fahrenheit_to_celsius", "f_to_c", "to_celsius"))
        body = [f"    return ({p} - 32) * 5 / 9"]
        if rng.random() < 0.4:
            body = [f"    celsius = ({p} - 32) * 5 / 9", "    return celsius"]
        clause = _pick(rng, ("convert a temperature from Fahrenheit to Celsius",
                             "convert degrees Fahrenheit to degrees Celsius"))
        given = "convert the given temperature from Fahrenheit to Celsius"

        def ref(x: int) -> float:
            return (x - 32) * 5 / 9
    code = _lines(f"def {name}({p}):", *body)
    value = rng.randint(-40, 110)
    cases = [(str(x), float(ref(x))) for x in (0, 100, -40, rng.randint(-30, 120))]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, value, p), str(value), float(ref(value))))


@_family("area")
def _area(rng: random.Random) -> Task:
    shape = rng.randrange(4)
    header: list[str] = []
    if shape == 0:
        name = _pick(rng, ("circle_area", "area_of_circle", "compute_circle_area"))
        params = _pick(rng, ("radius", "r"))
        header = ["import math", "", ""]
        body = [f"    return math.pi * {params} ** 2"]
        clause = _pick(rng, ("calculate the area of a circle given its radius",
                             "compute the area of a circle"))
        given = "calculate the area of a circle with the given radius"

        def ref(*xs: int) -> float:
            return math.pi * xs[0] ** 2
        argc = 1
    elif shape == 1:
        name = _pick(rng, ("circle_circumference", "circumference", "perimeter_of_circle"))
        params = _pick(rng, ("radius", "r"))
        header = ["import math", "", ""]
        body = [f"    return 2 * math.pi * {params}"]
        clause = "calculate the circumference of a circle given its radius"
        given = "calculate the circumference of a circle with the given radius"

        def ref(*xs: int) -> float:
            return 2 * math.pi * xs[0]
        argc = 1
    elif shape == 2:
        name = _pick(rng, ("rectangle_area", "area_of_rectangle", "rect_area"))
        w, h = _pick(rng, (("width", "height"), ("length", "width"), ("w", "h")))
        params = f"{w}, {h}"
        body = [f"    return {w} * {h}"]
        clause = _pick(rng, ("calculate the area of a rectangle",
                             "compute the area of a rectangle given its two sides"))
        given = "calculate the area of a rectangle with the given dimensions"

        def ref(*xs: int) -> float:
            return float(xs[0] * xs[1])
        argc = 2
    else:
        name = _pick(rng, ("triangle_area", "area_of_triangle"))
        params = _pick(rng, ("base, height", "b, h"))
        b, h = params.split(", ")
        body = [f"    return 0.5 * {b} * {h}"]
        if rng.random() < 0.5:
            body = [f"    return {b} * {h} / 2"]
        clause = "calculate the area of a triangle given its base and height"
        given = "calculate the area of a triangle with the given base and height"

        def ref(*xs: int) -> float:
            return 0.5 * xs[0] * xs[1]
        argc = 2
    code = _lines(*header, f"def {name}({params}):", *body)
    args = [rng.randint(1, 20) for _ in range(argc)]
    names = params.split(", ")
    cases = []
    for _ in range(2):
        xs = [rng.randint(1, 30) for _ in range(argc)]
        cases.append((", ".join(map(str, xs)), float(ref(*xs))))
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(", ".join(f"{k} = {v}" for k, v in zip(names, args)),
                           ", ".join(map(str, args)), float(ref(*args))))


def _median(xs: list[int]) -> float:
    s = sorted(xs)
    mid = len(s) // 2
    if len(s) % 2:
        return float(s[mid])
    return (s[mid - 1] + s[mid]) / 2


@_family("mean_median")
def _mean_median(rng: random.Random) -> Task:
    p = _pick(rng, _LIST_PARAMS)
    if rng.random() < 0.5:
        name = _pick(rng, ("mean", "average", "calculate_mean", "find_average"))
        body = [f"    return sum({p}) / len({p})"]
        if rng.random() < 0.4:
            body = ["    total = 0", f"    for x in {p}:", "        total += x",
                    f"    return total / len({p})"]
        clause = _pick(rng, ("calculate the mean of a list of numbers",
                             "compute the average of the numbers in a list"))
        given = _pick(rng, ("calculate the mean of the given list of numbers",
                            "find the average of the following numbers"))

        def ref(xs: list[int]) -> float:
            return sum(xs) / len(xs)
        script: tuple[Sequence[str], str, object] | None = None
    else:
        name = _pick(rng, ("median", "find_median", "calculate_median"))
        body = [f"    ordered = sorted({p})", "    mid = len(ordered) // 2",
                "    if len(ordered) % 2 == 1:", "        return ordered[mid]",
                "    return (ordered[mid - 1] + ordered[mid]) / 2"]
        clause = _pick(rng, ("find the median of a list of numbers",
                             "compute the median value of an unsorted list"))
        given = "find the median of the given list"
        ref = _median
        script = None
    code = _lines(f"def {name}({p}):", *body)
    data = _ints(rng, 0, 100, 3, 8)
    cases = [(_lit(xs), float(ref(xs))) for xs in (_ints(rng, -10, 50, 1, 6), [4, 1, 3, 2])]
    if name in ("mean", "average", "calculate_mean", "find_average"):
        script = (["numbers = " + _lit(data), "average = sum(numbers) / len(numbers)",
                   "print(average)"], "average", float(ref(data)))
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, data, "numbers"), _lit(data), float(ref(data))),
                  script=script)


@_family("binary_conversion")
def _binary_conversion(rng: random.Random) -> Task:
    to_binary = rng.random() < 0.6
    if to_binary:
        n = _pick(rng, ("n", "num", "decimal"))
        name = _pick(rng, ("decimal_to_binary", "to_binary", "int_to_binary"))
        impl = rng.randrange(3)
        if impl == 0:
            body = [f"    if {n} == 0:", '        return "0"', '    bits = ""',
                    f"    while {n} > 0:",
                    f"        bits = str({n} % 2) + bits", f"        {n} //= 2", "    return bits"]
            how = " without using bin()"
        elif impl == 1:
            body = [f"    return bin({n})[2:]"]
            how = ""
        else:
            body = [f'    return format({n}, "b")']
            how = ""
        clause = _pick(rng, ((f"convert a non-negative integer to its binary representation as a "
                             f"string{how}"),
                             f"convert a decimal number to binary{how}"))
        given = f"convert the given decimal number to binary{how}"

        def ref(x: object) -> object:
            return format(int(str(x)), "b")
        value: object = rng.randint(1, 255)
        pool: list[object] = [0, 1, rng.randint(2, 1024)]
    else:
        n = _pick(rng, ("bits", "binary", "s"))
        name = _pick(rng, ("binary_to_decimal", "from_binary", "parse_binary"))
        if rng.random() < 0.5:
            body = [f"    return int({n}, 2)"]
        else:
            body = ["    value = 0", f"    for digit in {n}:",
                    "        value = value * 2 + int(digit)", "    return value"]
        clause = "convert a binary string to its decimal value"
        given = "convert the given binary number to decimal"

        def ref(x: object) -> object:
            return int(str(x), 2)
        value = format(rng.randint(1, 255), "b")
        pool = ["0", "1", format(rng.randint(2, 1024), "b")]
    code = _lines(f"def {name}({n}):", *body)
    cases = [(_lit(x), ref(x)) for x in pool]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, value, "number") if to_binary else str(value),
                           _lit(value), ref(value)))


@_family("primes_up_to")
def _primes_up_to(rng: random.Random) -> Task:
    n = _pick(rng, ("n", "limit", "upper"))
    inclusive = rng.random() < 0.6
    stop = f"{n} + 1" if inclusive else n
    name = _pick(rng, ("primes_up_to", "list_primes", "find_primes", "get_primes"))
    if rng.random() < 0.5:
        body = ["    primes = []", f"    for num in range(2, {stop}):",
                "        if all(num % p != 0 for p in primes if p * p <= num):",
                "            primes.append(num)", "    return primes"]
    else:
        body = [f"    if {n} < {2 if inclusive else 3}:", "        return []",
                f"    sieve = [True] * ({stop})", "    sieve[0] = sieve[1] = False",
                f"    for i in range(2, int({n} ** 0.5) + 1):", "        if sieve[i]:",
                f"            for j in range(i * i, {stop}, i):",
                "                sieve[j] = False",
                "    return [i for i, is_p in enumerate(sieve) if is_p]"]
    code = _lines(f"def {name}({n}):", *body)

    def ref(x: int) -> list[int]:
        return [k for k in range(2, x + 1 if inclusive else x) if _prime(k)]

    value = rng.randint(10, 60)
    cases = [(str(x), ref(x)) for x in (0, 2, 3, rng.randint(10, 120))]
    bound = "up to and including n" if inclusive else "less than n"
    return _build(
        rng,
        clause=_pick(rng, (f"generate a list of all prime numbers {bound}",
                           f"return all the primes {bound}")),
        given=f"list all prime numbers {bound}, for the given n",
        code=code, name=name, cases=cases,
        example=(_val_input(rng, value, "n"), str(value), ref(value)),
    )


# ---------------------------------------------------------------------------
# Recursion
# ---------------------------------------------------------------------------


@_family("recursion")
def _recursion(rng: random.Random) -> Task:
    kind = rng.randrange(4)
    if kind == 0:
        name = _pick(rng, ("power", "recursive_power", "pow_rec"))
        b, e = _pick(rng, (("base", "exp"), ("x", "n"), ("base", "exponent")))
        params = f"{b}, {e}"
        body = [f"    if {e} == 0:", "        return 1", f"    return {b} * {name}({b}, {e} - 1)"]
        clause = "compute base raised to a non-negative integer exponent using recursion"
        given = "calculate the given base raised to the given exponent recursively"
        x, y = rng.randint(2, 9), rng.randint(0, 8)
        example = (f"{b} = {x}, {e} = {y}", f"{x}, {y}", x ** y)
        cases: list[Case] = [(f"{u}, {w}", u ** w) for u, w in
                             ((rng.randint(2, 5), rng.randint(0, 10)), (7, 0), (-2, 3))]
    elif kind == 1:
        name = _pick(rng, ("recursive_sum", "sum_list", "list_sum_recursive"))
        p = _pick(rng, ("numbers", "lst", "items"))
        params = p
        body = [f"    if not {p}:", "        return 0", f"    return {p}[0] + {name}({p}[1:])"]
        clause = _pick(rng, ("calculate the sum of a list of numbers using recursion",
                             "recursively add up all the elements of a list"))
        given = "recursively calculate the sum of the given list"
        data = _ints(rng, -10, 30)
        example = (_val_input(rng, data, "numbers"), _lit(data), sum(data))
        other = _ints(rng, 0, 9, 1, 5)
        cases = [(_lit(other), sum(other)), ("[]", 0)]
    elif kind == 2:
        name = _pick(rng, ("reverse_recursive", "recursive_reverse", "reverse_string"))
        p = _pick(rng, ("s", "text", "word"))
        params = p
        body = [f"    if len({p}) <= 1:", f"        return {p}",
                f"    return {name}({p}[1:]) + {p}[0]"]
        clause = "reverse a string using recursion"
        given = "reverse the given string recursively"
        w = _word(rng)
        example = (_str_input(rng, w), _q(w), w[::-1])
        o = _sentence(rng, 1, 2)
        cases = [(_q(o), o[::-1]), ('""', ""), ('"a"', "a")]
    else:
        name = _pick(rng, ("count_down", "countdown", "count_down_list"))
        p = _pick(rng, ("n", "start"))
        params = p
        body = [f"    if {p} <= 0:", "        return [0]", f"    return [{p}] + {name}({p} - 1)"]
        clause = ("return a list counting down from n to 0 using recursion, e.g. 3 gives "
                  "[3, 2, 1, 0]")
        given = "recursively build the countdown list from the given number to 0"
        v = rng.randint(2, 12)
        example = (str(v), str(v), list(range(v, -1, -1)))
        cases = [("0", [0]), ("1", [1, 0]), (str(v + 1), list(range(v + 1, -1, -1)))]
    code = _lines(f"def {name}({params}):", *body)
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=example)


# ---------------------------------------------------------------------------
# Simple classes
# ---------------------------------------------------------------------------


def _class_instruction(rng: random.Random, what: str) -> str:
    prefix = _pick(rng, ("Create a class", "Write a Python class", "Design a class",
                         "Implement a class", "Construct a class", "Define a class",
                         "Create a Python class"))
    return f"{prefix} {what}"


@_family("stack_queue_class")
def _stack_queue_class(rng: random.Random) -> Task:
    attr = _pick(rng, ("items", "_items", "data", "elements"))
    values = [rng.randint(1, 99) for _ in range(rng.randint(3, 5))]
    raise_on_empty = rng.random() < 0.4
    stack = rng.random() < 0.6
    if stack:
        cls = _pick(rng, ("Stack", "MyStack", "SimpleStack"))
        add, remove, front = "push", "pop", "peek"
        take, look = f"self.{attr}.pop()", f"self.{attr}[-1]"
        kind = "stack"
        order = list(reversed(values))
    else:
        cls = _pick(rng, ("Queue", "MyQueue", "SimpleQueue"))
        add, remove, front = "enqueue", "dequeue", "peek"
        take, look = f"self.{attr}.pop(0)", f"self.{attr}[0]"
        kind = "queue"
        order = list(values)
    empty = (f'            raise IndexError("{remove} from empty {kind}")' if raise_on_empty
             else "            return None")
    code = _lines(
        f"class {cls}:",
        "    def __init__(self):",
        f"        self.{attr} = []",
        "",
        f"    def {add}(self, item):",
        f"        self.{attr}.append(item)",
        "",
        f"    def {remove}(self):",
        "        if self.is_empty():",
        empty,
        f"        return {take}",
        "",
        f"    def {front}(self):",
        "        if self.is_empty():",
        "            return None",
        f"        return {look}",
        "",
        "    def is_empty(self):",
        f"        return len(self.{attr}) == 0",
        "",
        "    def size(self):",
        f"        return len(self.{attr})",
    )
    empty_desc = ("raise an IndexError" if raise_on_empty else "return None")
    what = _pick(rng, (
        (f"named {cls} that implements a {kind} with the methods {add}, {remove}, {front}, "
        f"is_empty and size. {_capitalize(remove)} on an empty {kind} should {empty_desc}."),
        (f"{cls} to represent a {kind}. It should support {add}(item), {remove}(), {front}(), "
        f"is_empty() and size(); {remove}() on an empty {kind} must {empty_desc}."),
    ))
    obj = _pick(rng, ("s", "q", "obj", kind))
    check = [f"{obj} = {cls}()", f"assert {obj}.is_empty()", f"assert {obj}.{front}() is None"]
    check += [f"{obj}.{add}({v})" for v in values]
    check += [f"assert {obj}.size() == {len(values)}", f"assert {obj}.{front}() == {order[0]}"]
    check += [f"assert {obj}.{remove}() == {v}" for v in order]
    check += [f"assert {obj}.is_empty()"]
    if raise_on_empty:
        check += ["try:", f"    {obj}.{remove}()", "except IndexError:", "    pass", "else:",
                  "    raise AssertionError('expected IndexError')"]
    else:
        check += [f"assert {obj}.{remove}() is None"]
    return Task(_class_instruction(rng, what), "", code, _lines(*check), "")


@_family("counter_class")
def _counter_class(rng: random.Random) -> Task:
    cls = _pick(rng, ("Counter", "ClickCounter", "Tally", "StepCounter"))
    step = rng.randint(1, 5)
    attr = _pick(rng, ("count", "value", "_count"))
    by = "one" if step == 1 else str(step)
    code = _lines(
        f"class {cls}:",
        "    def __init__(self, start=0):",
        "        self.start = start",
        f"        self.{attr} = start",
        "",
        "    def increment(self):",
        f"        self.{attr} += {step}",
        "",
        "    def decrement(self):",
        f"        self.{attr} -= {step}",
        "",
        "    def reset(self):",
        f"        self.{attr} = self.start",
        "",
        "    def get_value(self):",
        f"        return self.{attr}",
    )
    what = _pick(rng, (
        (f"{cls} that keeps a count starting at an optional start value (default 0). It should "
        f"have methods increment() and decrement(), which change the count by {by}, reset(), "
        "which restores the start value, and get_value()."),
        (f"called {cls} with increment, decrement, reset and get_value methods. The counter "
        f"starts at the value passed to the constructor (0 by default) and moves by {by} on "
        "each increment or decrement."),
    ))
    ups, downs, start = rng.randint(2, 6), rng.randint(0, 3), rng.randint(-5, 20)
    check = [f"c = {cls}()", "assert c.get_value() == 0"]
    check += ["c.increment()"] * ups + ["c.decrement()"] * downs
    check += [f"assert c.get_value() == {(ups - downs) * step}", "c.reset()",
              "assert c.get_value() == 0", f"d = {cls}({start})", "d.increment()",
              f"assert d.get_value() == {start + step}", "d.reset()",
              f"assert d.get_value() == {start}"]
    return Task(_class_instruction(rng, what), "", code, _lines(*check), "")


@_family("shape_class")
def _shape_class(rng: random.Random) -> Task:
    if rng.random() < 0.65:
        cls = _pick(rng, ("Rectangle", "Rect", "RectangleShape"))
        w, h = _pick(rng, (("width", "height"), ("length", "width")))
        with_square = rng.random() < 0.5
        lines = [f"class {cls}:", f"    def __init__(self, {w}, {h}):", f"        self.{w} = {w}",
                 f"        self.{h} = {h}", "", "    def area(self):",
                 f"        return self.{w} * self.{h}", "", "    def perimeter(self):",
                 f"        return 2 * (self.{w} + self.{h})"]
        if with_square:
            lines += ["", "    def is_square(self):", f"        return self.{w} == self.{h}"]
        extra = " and is_square()" if with_square else ""
        what = _pick(rng, (
            (f"named '{cls}' which stores its {w} and {h} and has methods area() and "
            f"perimeter(){extra}."),
            (f"{cls} with attributes {w} and {h} and methods to compute its area and perimeter"
            f"{' and to check whether it is a square (is_square)' if with_square else ''}."),
        ))
        a, b = rng.randint(1, 20), rng.randint(1, 20)
        check = [f"r = {cls}({a}, {b})", f"assert r.area() == {a * b}",
                 f"assert r.perimeter() == {2 * (a + b)}", f"assert r.{w} == {a}"]
        if with_square:
            check += [f"assert r.is_square() == {a == b}", f"assert {cls}({a}, {a}).is_square()"]
        code = _lines(*lines)
    else:
        cls = _pick(rng, ("Circle", "CircleShape"))
        r = _pick(rng, ("radius", "r"))
        code = _lines("import math", "", "", f"class {cls}:", f"    def __init__(self, {r}):",
                      f"        self.{r} = {r}", "", "    def area(self):",
                      f"        return math.pi * self.{r} ** 2", "", "    def circumference(self):",
                      f"        return 2 * math.pi * self.{r}")
        what = (f"{cls} that is initialised with a {'radius' if r == 'radius' else 'radius r'} "
                "and has methods area() and circumference().")
        v = rng.randint(1, 15)
        check = [f"c = {cls}({v})", f"assert abs(c.area() - {math.pi * v ** 2!r}) < 1e-6",
                 f"assert abs(c.circumference() - {2 * math.pi * v!r}) < 1e-6"]
    return Task(_class_instruction(rng, what), "", code, _lines(*check), "")


@_family("bank_account_class")
def _bank_account_class(rng: random.Random) -> Task:
    cls = _pick(rng, ("BankAccount", "Account", "SavingsAccount"))
    raise_mode = rng.random() < 0.5
    with_owner = rng.random() < 0.5
    init = "self, owner, balance=0" if with_owner else "self, balance=0"
    lines = [f"class {cls}:", f"    def __init__({init}):"]
    if with_owner:
        lines.append("        self.owner = owner")
    lines += ["        self.balance = balance", "", "    def deposit(self, amount):",
              "        if amount <= 0:", '            raise ValueError("Deposit must be positive")',
              "        self.balance += amount", "        return self.balance", "",
              "    def withdraw(self, amount):", "        if amount > self.balance:"]
    if raise_mode:
        lines += ['            raise ValueError("Insufficient funds")',
                  "        self.balance -= amount", "        return self.balance"]
    else:
        lines += ["            return False", "        self.balance -= amount",
                  "        return True"]
    lines += ["", "    def get_balance(self):", "        return self.balance"]
    fail = ("raise a ValueError" if raise_mode else "return False (and True on success)")
    owner_txt = "an owner name and " if with_owner else ""
    what = _pick(rng, (
        (f"{cls} with {owner_txt}an optional starting balance (default 0) and methods deposit, "
        f"withdraw and get_balance. Depositing a non-positive amount should raise a ValueError "
        f"and withdrawing more than the balance should {fail}."),
        (f"named {cls} that models a bank account. It should store {owner_txt}a balance, allow "
        f"deposits (positive amounts only, otherwise ValueError) and withdrawals, where a "
        f"withdrawal larger than the balance should {fail}; get_balance() returns the balance."),
    ))
    start, dep = rng.randint(0, 100), rng.randint(10, 200)
    wd = rng.randint(1, start + dep)
    name = _pick(rng, _NAMES).capitalize()
    ctor = f"{cls}({_q(name)}, {start})" if with_owner else f"{cls}({start})"
    check = [f"acct = {ctor}", f"assert acct.get_balance() == {start}", f"acct.deposit({dep})",
             f"assert acct.get_balance() == {start + dep}"]
    if raise_mode:
        check += [f"acct.withdraw({wd})", f"assert acct.get_balance() == {start + dep - wd}",
                  "try:", f"    acct.withdraw({start + dep + 1000})", "except ValueError:",
                  "    pass", "else:", "    raise AssertionError('expected ValueError')"]
    else:
        check += [f"assert acct.withdraw({wd}) is True",
                  f"assert acct.get_balance() == {start + dep - wd}",
                  f"assert acct.withdraw({start + dep + 1000}) is False"]
    check += [f"assert acct.get_balance() == {start + dep - wd}", "try:", "    acct.deposit(-5)",
              "except ValueError:", "    pass", "else:",
              "    raise AssertionError('expected ValueError')"]
    empty_ctor = f"{cls}({_q(name)})" if with_owner else f"{cls}()"
    check += [f"assert {empty_ctor}.get_balance() == 0"]
    return Task(_class_instruction(rng, what), "", _lines(*lines), _lines(*check), "")


# ---------------------------------------------------------------------------
# Error handling
# ---------------------------------------------------------------------------


@_family("safe_divide")
def _safe_divide(rng: random.Random) -> Task:
    name = _pick(rng, ("safe_divide", "divide", "safe_division", "try_divide"))
    a, b = _pick(rng, (("a", "b"), ("x", "y"), ("numerator", "denominator")))
    if rng.random() < 0.6:
        body = ["    try:", f"        return {a} / {b}", "    except ZeroDivisionError:",
                "        return None"]
        how = _pick(rng, (" using try/except", ""))
    else:
        body = [f"    if {b} == 0:", "        return None", f"    return {a} / {b}"]
        how = ""
    code = _lines(f"def {name}({a}, {b}):", *body)
    x, y = rng.randint(-50, 100), rng.choice([0, rng.randint(1, 12)])
    cases: list[Case] = [(f"{rng.randint(1, 40)}, 0", None)]
    for _ in range(2):
        u, w = rng.randint(-50, 100), rng.randint(1, 12)
        cases.append((f"{u}, {w}", u / w))
    return _build(
        rng,
        clause=_pick(rng, (f"divide two numbers and return None if the divisor is zero{how}",
                           (f"perform a safe division that returns None instead of raising an "
                           f"error when dividing by zero{how}"))),
        given="safely divide the given numbers, returning None on division by zero",
        code=code, name=name, cases=cases,
        example=(f"{a} = {x}, {b} = {y}", f"{x}, {y}", None if y == 0 else x / y),
    )


@_family("parse_int")
def _parse_int(rng: random.Random) -> Task:
    name = _pick(rng, ("parse_int", "to_int", "safe_int", "str_to_int"))
    p = _pick(rng, ("s", "text", "value"))
    default = _pick(rng, ("0", "-1", "None", "param"))
    catch = "(TypeError, ValueError)" if rng.random() < 0.4 else "ValueError"
    if default == "param":
        d = rng.randint(-1, 10)
        params, ret = f"{p}, default={d}", "default"
        desc = f"return a default value (a parameter that defaults to {d})"
        default_value: object = d
    else:
        params, ret = p, default
        default_value = None if default == "None" else int(default)
        desc = f"return {default}"
    body = ["    try:", f"        return int({p})", f"    except {catch}:", f"        return {ret}"]
    code = _lines(f"def {name}({params}):", *body)
    good = [str(rng.randint(-500, 500)), f" {rng.randint(0, 99)} "]
    bad = [_word(rng), f"{rng.randint(1, 9)}.5", ""]
    cases: list[Case] = [(_q(s), int(s)) for s in good] + [(_q(s), default_value) for s in bad]
    if catch != "ValueError":
        cases.append(("None", default_value))
    if default == "param":
        cases.append((f"{_q(bad[0])}, 42", 42))
    handled = "is not a valid integer" if catch == "ValueError" else "cannot be converted"
    sample = _pick(rng, (good[0], bad[0], bad[1]))
    expected = int(sample) if sample in good else default_value
    return _build(
        rng,
        clause=_pick(rng, ((f"convert a string to an integer and {desc} if the string "
                           f"{handled}"),
                           (f"parse an integer from a string, handling errors: if the input "
                           f"{handled}, {desc}"))),
        given=f"convert the given string to an integer, or {desc} if it {handled}",
        code=code, name=name, cases=cases,
        example=(_q(sample), _q(sample), expected),
    )


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


@_family("parse_key_values")
def _parse_key_values(rng: random.Random) -> Task:
    pair_sep = _pick(rng, (";", "&", ",", "|"))
    kv_sep = _pick(rng, ("=", ":"))
    as_int = rng.random() < 0.4
    p = _pick(rng, ("text", "s", "query", "config"))
    name = _pick(rng, ("parse_pairs", "parse_key_values", "parse_config", "to_dict"))
    conv = "int(value.strip())" if as_int else "value.strip()"
    body = ["    result = {}", f"    for pair in {p}.split({_q(pair_sep)}):",
            "        if not pair.strip():", "            continue",
            f"        key, value = pair.split({_q(kv_sep)}, 1)",
            f"        result[key.strip()] = {conv}", "    return result"]
    code = _lines(f"def {name}({p}):", *body)

    def make() -> dict[str, object]:
        keys = rng.sample(_NAMES, rng.randint(2, 4)) if rng.random() < 0.5 else _words(rng, 2, 4)
        if as_int:
            return {k: rng.randint(0, 99) for k in keys}
        return {k: _word(rng) for k in keys}

    def render(d: dict[str, object]) -> str:
        return pair_sep.join(f"{k}{kv_sep}{v}" for k, v in d.items())

    data, other = make(), make()
    ex_a = render({"a": 1, "b": 2}) if as_int else render({"a": "x", "b": "y"})
    typ = " with integer values" if as_int else ""
    cases: list[Case] = [(_q(render(other)), other), ('""', {}),
                         (_q(render(other) + pair_sep), other)]
    return _build(
        rng,
        clause=_pick(rng, (f'parse a string like "{ex_a}" into a dictionary{typ}',
                           (f"convert a string of key{kv_sep}value pairs separated by "
                           f"'{pair_sep}' into a dictionary{typ}"))),
        given=f"parse the given string of key{kv_sep}value pairs into a dictionary{typ}",
        code=code, name=name, cases=cases,
        example=(_str_input(rng, render(data)), _q(render(data)), data),
    )


_CITIES = ("paris", "london", "tokyo", "berlin", "madrid", "rome", "oslo", "lima", "cairo")
_COUNTRIES = ("france", "japan", "brazil", "canada", "kenya", "norway", "peru", "india")


def _csv_value(rng: random.Random, column: str) -> str:
    if column in ("age", "score"):
        return str(rng.randint(18, 90))
    if column == "name":
        return _pick(rng, _NAMES)
    if column == "city":
        return _pick(rng, _CITIES)
    if column == "country":
        return _pick(rng, _COUNTRIES)
    return f"{_pick(rng, _NAMES)}@{_pick(rng, _DOMAINS)}"


@_family("csv_parsing")
def _csv_parsing(rng: random.Random) -> Task:
    mode = rng.randrange(3)
    p = _pick(rng, ("line", "row", "text"))
    if mode == 0:
        delim = _pick(rng, (",", ",", ";"))
        name = _pick(rng, ("split_csv_line", "parse_csv_line", "csv_fields"))
        if rng.random() < 0.5:
            body = [f"    return [field.strip() for field in {p}.split({_q(delim)})]"]
        else:
            body = ["    fields = []", f"    for field in {p}.split({_q(delim)}):",
                    "        fields.append(field.strip())", "    return fields"]
        what = "comma" if delim == "," else "semicolon"
        clause = (f"split a {what}-separated line into a list of fields, stripping whitespace "
                  "around each field")
        given = f"split the given {what}-separated line into a list of trimmed fields"

        def make() -> tuple[str, object]:
            fields = [_word(rng) if rng.random() < 0.7 else str(rng.randint(0, 99))
                      for _ in range(rng.randint(2, 5))]
            line = delim.join(_pick(rng, ("", " ", "  ")) + f + _pick(rng, ("", " "))
                              for f in fields)
            return line, fields
    elif mode == 1:
        name = _pick(rng, ("row_to_dict", "parse_csv_row", "csv_to_dict"))
        p = "header, row"
        body = ['    keys = [k.strip() for k in header.split(",")]',
                '    values = [v.strip() for v in row.split(",")]',
                "    return dict(zip(keys, values))"]
        clause = ("combine a CSV header line and a CSV data line into a dictionary that maps "
                  "each column name to its value")
        given = "turn the given CSV header and row into a dictionary"

        def make() -> tuple[str, object]:
            cols = rng.sample(("name", "age", "city", "email", "country", "score"),
                              rng.randint(2, 4))
            vals = [_csv_value(rng, c) for c in cols]
            return f"{_q(','.join(cols))}, {_q(', '.join(vals))}", dict(zip(cols, vals))
    else:
        name = _pick(rng, ("sum_csv", "sum_csv_numbers", "csv_total"))
        body = [f'    return sum(int(x) for x in {p}.split(",") if x.strip())']
        clause = "compute the sum of the integers in a comma-separated string"
        given = "calculate the sum of the numbers in the given comma-separated string"

        def make() -> tuple[str, object]:
            nums = _ints(rng, -20, 99, 2, 6)
            return ",".join(str(n) for n in nums), sum(nums)
    code = _lines(f"def {name}({p}):", *body)
    raw, expected = make()
    cases: list[Case] = []
    for _ in range(2):
        r, e = make()
        cases.append((r if mode == 1 else _q(r), e))
    if mode == 1:
        input_text = raw.replace('", "', '"\n"')
        args = raw
    else:
        input_text, args = _str_input(rng, raw, "line"), _q(raw)
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(input_text, args, expected))


@_family("regex_extract")
def _regex_extract(rng: random.Random) -> Task:
    kind = rng.randrange(3)
    p = _pick(rng, ("text", "s", "message"))
    if kind == 0:
        name = _pick(rng, ("extract_numbers", "find_numbers", "get_numbers"))
        if rng.random() < 0.5:
            body = [f'    return [int(n) for n in re.findall(r"\\d+", {p})]']
        else:
            body = [f'    return list(map(int, re.findall(r"[0-9]+", {p})))']
        clause = _pick(rng, (("extract all the numbers from a string and return them as a list "
                             "of integers"),
                             "use a regular expression to find all the integers in a string"))
        given = "extract all the numbers from the given string"

        def make() -> tuple[str, object]:
            nums = [rng.randint(0, 999) for _ in range(rng.randint(1, 4))]
            parts = []
            for n in nums:
                parts.append(f"{_word(rng)} {n}")
            return " and ".join(parts) + f" {_word(rng)}", nums
    elif kind == 1:
        name = _pick(rng, ("extract_emails", "find_emails", "get_email_addresses"))
        body = [f'    return re.findall(r"[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+", {p})']
        clause = _pick(rng, (("extract all email addresses from a string using a regular "
                             "expression"),
                             "find every email address that appears in a block of text"))
        given = "extract all the email addresses from the given text"

        def make() -> tuple[str, object]:
            emails = []
            for _ in range(rng.randint(1, 3)):
                user = _pick(rng, _NAMES)
                if rng.random() < 0.4:
                    user += "." + _pick(rng, _NAMES)
                emails.append(f"{user}@{_pick(rng, _DOMAINS)}")
            text = ", ".join(f"{_word(rng)} {e}" for e in emails)
            return f"Contact: {text} for details.", emails
    else:
        name = _pick(rng, ("extract_hashtags", "find_hashtags", "get_hashtags"))
        body = [f'    return re.findall(r"#(\\w+)", {p})']
        clause = ("extract all hashtags from a string and return the tags without the leading "
                  "'#'")
        given = "extract the hashtags from the given text (without the '#')"

        def make() -> tuple[str, object]:
            tags = _words(rng, 1, 3)
            words = _sentence(rng, 2, 4).split()
            for t in tags:
                words.insert(rng.randint(0, len(words)), "#" + t)
            return " ".join(words), [w[1:] for w in words if w.startswith("#")]
    code = _lines("import re", "", "", f"def {name}({p}):", *body)
    raw, expected = make()
    r1, e1 = make()
    cases: list[Case] = [(_q(r1), e1), ('"nothing here"', [])]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_str_input(rng, raw, "text"), _q(raw), expected))


# ---------------------------------------------------------------------------
# Iteration
# ---------------------------------------------------------------------------


@_family("range_sum")
def _range_sum(rng: random.Random) -> Task:
    kind = rng.randrange(3)
    if kind == 0:
        name = _pick(rng, ("sum_range", "range_sum", "sum_between"))
        params = "start, end"
        if rng.random() < 0.5:
            body = ["    return sum(range(start, end + 1))"]
        else:
            body = ["    total = 0", "    for i in range(start, end + 1):", "        total += i",
                    "    return total"]
        clause = "compute the sum of all integers from start to end, inclusive"
        given = "find the sum of all integers between the two given numbers (inclusive)"

        def ref(*xs: int) -> int:
            return sum(range(xs[0], xs[1] + 1))
        a = rng.randint(-10, 20)
        args = [a, a + rng.randint(0, 40)]
        other = [[1, 100], [5, 5], [3, 2]]
        labels = ["start", "end"]
    elif kind == 1:
        k = rng.randint(2, 9)
        name = _pick(rng, (f"sum_multiples_of_{k}", "sum_multiples", "multiples_sum"))
        params = "limit"
        if rng.random() < 0.5:
            body = [f"    return sum(i for i in range(limit) if i % {k} == 0)"]
        else:
            body = [f"    return sum(range(0, limit, {k}))"]
        clause = f"find the sum of all multiples of {k} below a given limit"
        given = f"compute the sum of all multiples of {k} that are less than the given number"

        def ref(*xs: int) -> int:
            return sum(i for i in range(xs[0]) if i % k == 0)
        args = [rng.randint(10, 200)]
        other = [[0], [k], [k + 1], [rng.randint(50, 500)]]
        labels = ["limit"]
    else:
        even = rng.random() < 0.5
        label = "even" if even else "odd"
        name = _pick(rng, (f"sum_{label}_numbers", f"sum_of_{label}s", f"{label}_sum"))
        params = "n"
        body = [f"    return sum(i for i in range(1, n + 1) if i % 2 == {0 if even else 1})"]
        if rng.random() < 0.5:
            body = ["    total = 0", "    for i in range(1, n + 1):",
                    f"        if i % 2 == {0 if even else 1}:", "            total += i",
                    "    return total"]
        clause = f"calculate the sum of all {label} numbers from 1 to n"
        given = f"calculate the sum of the {label} numbers between 1 and the given n"

        def ref(*xs: int) -> int:
            return sum(i for i in range(1, xs[0] + 1) if i % 2 == (0 if even else 1))
        args = [rng.randint(5, 100)]
        other = [[0], [1], [2], [rng.randint(10, 60)]]
        labels = ["n"]
    code = _lines(f"def {name}({params}):", *body)
    cases: list[Case] = [(", ".join(map(str, xs)), ref(*xs)) for xs in other]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(", ".join(f"{lab} = {v}" for lab, v in zip(labels, args)),
                           ", ".join(map(str, args)), ref(*args)))


@_family("multiplication_table")
def _multiplication_table(rng: random.Random) -> Task:
    n = rng.randint(2, 12)
    m = _pick(rng, (5, 10, 10, 12))
    as_strings = rng.random() < 0.4
    name = _pick(rng, ("multiplication_table", "times_table", "table_of"))
    p = _pick(rng, ("n", "number", "num"))
    if as_strings:
        item = f'f"{{{p}}} x {{i}} = {{{p} * i}}"'
        clause = (f"generate the multiplication table of a number from 1 to {m} as a list of "
                  f'strings such as "{n} x 1 = {n}"')
        given = f"produce the multiplication table (1 to {m}) of the given number as strings"

        def ref(x: int) -> list:
            return [f"{x} x {i} = {x * i}" for i in range(1, m + 1)]
    else:
        item = f"{p} * i"
        clause = _pick(rng, ((f"return the multiplication table of a number as a list of its "
                             f"first {m} multiples"),
                             (f"generate a list containing {p} * 1 up to {p} * {m} for a number "
                             f"{p}")))
        given = f"generate the multiplication table (1 to {m}) of the given number as a list"

        def ref(x: int) -> list:
            return [x * i for i in range(1, m + 1)]
    if rng.random() < 0.6:
        body = [f"    return [{item} for i in range(1, {m + 1})]"]
    else:
        body = ["    table = []", f"    for i in range(1, {m + 1}):",
                f"        table.append({item})", "    return table"]
    code = _lines(f"def {name}({p}):", *body)
    cases: list[Case] = [(str(x), ref(x)) for x in (1, rng.randint(2, 15))]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, n, "n"), str(n), ref(n)))


@_family("fizzbuzz")
def _fizzbuzz(rng: random.Random) -> Task:
    a, b = _pick(rng, ((3, 5), (3, 5), (2, 7), (3, 4), (4, 6)))
    w1, w2 = _pick(rng, (("Fizz", "Buzz"), ("Fizz", "Buzz"), ("Foo", "Bar"), ("Ping", "Pong")))
    name = _pick(rng, ("fizzbuzz", "fizz_buzz", "play_fizzbuzz"))
    p = _pick(rng, ("n", "limit"))
    body = ["    result = []", f"    for i in range(1, {p} + 1):",
            f"        if i % {a} == 0 and i % {b} == 0:", f'            result.append("{w1}{w2}")',
            f"        elif i % {a} == 0:", f'            result.append("{w1}")',
            f"        elif i % {b} == 0:", f'            result.append("{w2}")', "        else:",
            "            result.append(str(i))", "    return result"]
    code = _lines(f"def {name}({p}):", *body)

    def ref(x: int) -> list[str]:
        out = []
        for i in range(1, x + 1):
            if i % a == 0 and i % b == 0:
                out.append(w1 + w2)
            elif i % a == 0:
                out.append(w1)
            elif i % b == 0:
                out.append(w2)
            else:
                out.append(str(i))
        return out

    rule = (f'multiples of {a} are replaced by "{w1}", multiples of {b} by "{w2}" and multiples '
            f'of both by "{w1}{w2}"')
    value = rng.randint(10, 30)
    cases: list[Case] = [(str(x), ref(x)) for x in (0, 1, a * b, rng.randint(15, 40))]
    return _build(
        rng,
        clause=_pick(rng, (f"return the numbers from 1 to n as a list of strings, where {rule}",
                           f"generate a FizzBuzz list for the numbers 1 to n in which {rule}")),
        given=f"build the FizzBuzz list up to the given number, where {rule}",
        code=code, name=name, cases=cases,
        example=(_val_input(rng, value, "n"), str(value), ref(value)),
    )


# ---------------------------------------------------------------------------
# Sorting
# ---------------------------------------------------------------------------


@_family("sort_by_length")
def _sort_by_length(rng: random.Random) -> Task:
    p = _pick(rng, ("words", "strings", "items"))
    mode = rng.randrange(3)
    name = _pick(rng, ("sort_by_length", "sort_strings_by_length", "order_by_length"))
    if mode == 0:
        body = [f"    return sorted({p}, key=len)"]
        clause = _pick(rng, ("sort a list of strings by their length (shortest first)",
                             "sort a list of words by length in ascending order"))
        given = "sort the given list of strings by length"

        def ref(ws: list[str]) -> list[str]:
            return sorted(ws, key=len)
    elif mode == 1:
        body = [f"    return sorted({p}, key=len, reverse=True)"]
        clause = "sort a list of strings by their length, longest first"
        given = "sort the given list of words from longest to shortest"

        def ref(ws: list[str]) -> list[str]:
            return sorted(ws, key=len, reverse=True)
    else:
        body = [f"    return sorted({p}, key=lambda word: (len(word), word))"]
        clause = ("sort a list of strings by length, breaking ties alphabetically")
        given = "sort the given words by length and then alphabetically"

        def ref(ws: list[str]) -> list[str]:
            return sorted(ws, key=lambda w: (len(w), w))
    code = _lines(f"def {name}({p}):", *body)
    data, other = _words(rng, 4, 7), _words(rng, 3, 6)
    fixed = ["ccc", "a", "dddd", "bb", "b"]
    cases: list[Case] = [(_lit(other), ref(other)), (_lit(fixed), ref(fixed)), ("[]", [])]
    script = None
    if mode == 0:
        script = (["words = " + _lit(data), "words.sort(key=len)", "print(words)"], "words",
                  ref(data))
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, data, "words"), _lit(data), ref(data)), script=script)


@_family("sort_records")
def _sort_records(rng: random.Random) -> Task:
    p = _pick(rng, ("items", "records", "data", "pairs"))
    desc = rng.random() < 0.4
    rev = ", reverse=True" if desc else ""
    order = "descending" if desc else "ascending"
    dicts = rng.random() < 0.35
    field = _pick(rng, ("age", "score", "price"))
    header: list[str] = []
    if dicts:
        name = _pick(rng, (f"sort_by_{field}", "sort_dicts", "sort_records"))
        body = [f"    return sorted({p}, key=lambda item: item[{_q(field)}]{rev})"]
        clause = f"sort a list of dictionaries by the value of the '{field}' key in {order} order"
        given = f"sort the given list of dictionaries by '{field}' ({order})"

        def make() -> list:
            names = rng.sample(_NAMES, rng.randint(2, 4))
            return [{"name": nm, field: rng.randint(1, 90)} for nm in names]

        def ref(xs: list) -> list:
            return sorted(xs, key=lambda d: d[field], reverse=desc)
    else:
        name = _pick(rng, ("sort_by_second", "sort_tuples", "sort_by_second_item"))
        if rng.random() < 0.6:
            body = [f"    return sorted({p}, key=lambda item: item[1]{rev})"]
        else:
            header = ["from operator import itemgetter", "", ""]
            body = [f"    return sorted({p}, key=itemgetter(1){rev})"]
        clause = _pick(rng, (f"sort a list of tuples by their second element in {order} order",
                             f"sort a list of (name, value) pairs by value, {order}"))
        given = f"sort the given list of tuples by the second item ({order})"

        def make() -> list:
            names = rng.sample(_NAMES, rng.randint(2, 5))
            return [(nm, rng.randint(1, 90)) for nm in names]

        def ref(xs: list) -> list:
            return sorted(xs, key=lambda t: t[1], reverse=desc)
    code = _lines(*header, f"def {name}({p}):", *body)
    data, other = make(), make()
    triples = (("x", 50), ("y", 10), ("z", 30))
    fixed = ([{"name": nm, field: v} for nm, v in triples] if dicts else list(triples))
    cases: list[Case] = [(_lit(other), ref(other)), (_lit(fixed), ref(fixed)), ("[]", [])]
    return _build(rng, clause=clause, given=given, code=code, name=name, cases=cases,
                  example=(_val_input(rng, data, p), _lit(data), ref(data)))


# ---------------------------------------------------------------------------
# Non-function records: predict the output, fix the bug, edit code, rewrite
# ---------------------------------------------------------------------------

_OUTPUT_QUESTIONS = (
    "What is the output of the following code?",
    "What will be the output of the following Python code?",
    "Predict the output of this Python code.",
    "What will be printed when the following code is executed?",
    "Determine the output of the given code snippet.",
    "What does the following code print?",
    "Find the output of the following program.",
)


def _snippet_comprehension(rng: random.Random) -> tuple[list[str], str]:
    nums = _ints(rng, 1, 20, 5, 8)
    k = rng.randint(2, 5)
    var = _pick(rng, ("nums", "numbers", "data", "values"))
    expr_src, expr = _pick(rng, ((f"x * {k}", lambda x: x * k), ("x ** 2", lambda x: x * x),
                                 (f"x + {k}", lambda x: x + k), ("x // 2", lambda x: x // 2)))
    cond_src, cond = _pick(rng, (("x % 2 == 0", lambda x: x % 2 == 0),
                                 (f"x > {k * 3}", lambda x: x > k * 3),
                                 ("x % 3 == 0", lambda x: x % 3 == 0)))
    code = [f"{var} = {_lit(nums)}", f"result = [{expr_src} for x in {var} if {cond_src}]",
            "print(result)"]
    return code, str([expr(x) for x in nums if cond(x)])


def _snippet_slicing(rng: random.Random) -> tuple[list[str], str]:
    word = _pick(rng, tuple(w for w in _WORDS if len(w) >= 5))
    var = _pick(rng, ("s", "text", "word"))
    n = len(word)
    a = rng.randint(0, n - 3)
    b = rng.randint(a + 1, n)
    k = rng.randint(2, 3)
    src, value = _pick(rng, ((f"{var}[{a}:{b}]", word[a:b]), (f"{var}[::-1]", word[::-1]),
                             (f"{var}[::{k}]", word[::k]), (f"{var}[-{k}:]", word[-k:]),
                             (f"{var}[:{b}].upper()", word[:b].upper()),
                             (f"{var}[{a}] + {var}[-1]", word[a] + word[-1])))
    return [f"{var} = {_q(word)}", f"print({src})"], value


def _snippet_loop(rng: random.Random) -> tuple[list[str], str]:
    a, b = rng.randint(0, 5), rng.randint(6, 15)
    kind = rng.randrange(3)
    var = _pick(rng, ("total", "result", "acc"))
    if kind == 0:
        body = [f"    {var} += i"]
        value = sum(range(a, b))
    elif kind == 1:
        body = ["    if i % 2 == 0:", f"        {var} += i"]
        value = sum(i for i in range(a, b) if i % 2 == 0)
    else:
        body = [f"    {var} += i * i"]
        value = sum(i * i for i in range(a, b))
    return [f"{var} = 0", f"for i in range({a}, {b}):", *body, f"print({var})"], str(value)


def _snippet_function(rng: random.Random) -> tuple[list[str], str]:
    k, c = rng.randint(2, 5), rng.randint(-3, 9)
    x, y = rng.randint(1, 9), rng.randint(1, 9)
    fname = _pick(rng, ("f", "compute", "calc", "transform"))
    code = [f"def {fname}(x, y={k}):", f"    return x * y + {c}", "", f"print({fname}({x}))",
            f"print({fname}({x}, {y}))"]
    return code, f"{x * k + c}\n{x * y + c}"


def _snippet_dict(rng: random.Random) -> tuple[list[str], str]:
    keys = _words(rng, 3, 3)
    vals = [rng.randint(1, 9) for _ in keys]
    d = dict(zip(keys[:2], vals[:2]))
    missing = _word(rng)
    while missing in keys:
        missing = _word(rng)
    inc = rng.randint(1, 5)
    d[keys[2]] = vals[2]
    d[keys[0]] += inc
    code = [f"d = {_lit(dict(zip(keys[:2], vals[:2])))}", f"d[{_q(keys[2])}] = {vals[2]}",
            f"d[{_q(keys[0])}] += {inc}", (f"print(len(d), d[{_q(keys[0])}], "
            f"d.get({_q(missing)}, 0))")]
    return code, f"{len(d)} {d[keys[0]]} 0"


def _snippet_while(rng: random.Random) -> tuple[list[str], str]:
    n = rng.randint(5, 60)
    if rng.random() < 0.5:
        steps, m = 0, n
        while m > 1:
            m //= 2
            steps += 1
        code = [f"n = {n}", "steps = 0", "while n > 1:", "    n //= 2", "    steps += 1",
                "print(steps)"]
        return code, str(steps)
    steps, m = 0, n
    while m != 1:
        m = m // 2 if m % 2 == 0 else 3 * m + 1
        steps += 1
    code = [f"n = {n}", "steps = 0", "while n != 1:", "    if n % 2 == 0:", "        n = n // 2",
            "    else:", "        n = 3 * n + 1", "    steps += 1", "print(steps)"]
    return code, str(steps)


def _snippet_strings(rng: random.Random) -> tuple[list[str], str]:
    words = _words(rng, 3, 4)
    sep = _pick(rng, ("-", ", ", " ", "_"))
    kind = rng.randrange(3)
    if kind == 0:
        src, value = f"{_q(sep)}.join(w.upper() for w in words)", sep.join(w.upper() for w in words)
    elif kind == 1:
        src, value = '" ".join(sorted(words))', " ".join(sorted(words))
    else:
        src, value = "[len(w) for w in words]", str([len(w) for w in words])
    return [f"words = {_lit(words)}", f"print({src})"], value


def _snippet_multiline(rng: random.Random) -> tuple[list[str], str]:
    if rng.random() < 0.5:
        n, k = rng.randint(3, 5), rng.randint(2, 9)
        return ([f"for i in range(1, {n + 1}):", f"    print(i * {k})"],
                "\n".join(str(i * k) for i in range(1, n + 1)))
    words = _words(rng, 2, 4)
    return ([f"for i, word in enumerate({_lit(words)}):", "    print(i, word)"],
            "\n".join(f"{i} {w}" for i, w in enumerate(words)))


def _snippet_list_methods(rng: random.Random) -> tuple[list[str], str]:
    items = _ints(rng, 1, 30, 3, 6)
    x, y = rng.randint(31, 50), rng.randint(51, 70)
    code = [f"items = {_lit(items)}", f"items.append({x})", f"items.insert(0, {y})"]
    items = [y] + items + [x]
    if rng.random() < 0.5:
        code.append("items.pop()")
        items.pop()
    else:
        code.append("items.pop(1)")
        items.pop(1)
    if rng.random() < 0.5:
        code.append("items.reverse()")
        items.reverse()
    code.append("print(items)")
    return code, str(items)


def _snippet_zip(rng: random.Random) -> tuple[list[str], str]:
    a, b = _ints(rng, 1, 9, 3, 5), _ints(rng, 1, 9, 3, 5)
    op = _pick(rng, ("+", "*", "-"))
    ops = {"+": lambda u, v: u + v, "*": lambda u, v: u * v, "-": lambda u, v: u - v}
    value = [ops[op](u, v) for u, v in zip(a, b)]
    return ([f"a = {_lit(a)}", f"b = {_lit(b)}", f"print([x {op} y for x, y in zip(a, b)])"],
            str(value))


def _snippet_recursion(rng: random.Random) -> tuple[list[str], str]:
    n = rng.randint(3, 7)
    fname = _pick(rng, ("f", "mystery", "func"))
    if rng.random() < 0.5:
        code = [f"def {fname}(n):", "    if n <= 1:", "        return 1",
                f"    return n * {fname}(n - 1)", "", f"print({fname}({n}))"]
        return code, str(math.factorial(n))
    code = [f"def {fname}(n):", "    if n == 0:", "        return 0",
            f"    return n + {fname}(n - 1)", "", f"print({fname}({n}))"]
    return code, str(n * (n + 1) // 2)


def _snippet_fstring(rng: random.Random) -> tuple[list[str], str]:
    name = _pick(rng, _NAMES)
    age = rng.randint(18, 70)
    years = rng.randint(1, 10)
    code = [f"name = {_q(name)}", f"age = {age}",
            f'print(f"{{name.title()}} will be {{age + {years}}} in {years} years")']
    return code, f"{name.title()} will be {age + years} in {years} years"


_SNIPPETS = (
    _snippet_comprehension, _snippet_slicing, _snippet_loop, _snippet_function, _snippet_dict,
    _snippet_while, _snippet_strings, _snippet_multiline, _snippet_list_methods, _snippet_zip,
    _snippet_recursion, _snippet_fstring,
)


@_family("code_output")
def _code_output(rng: random.Random) -> Task:
    snippet = _SNIPPETS[rng.randrange(len(_SNIPPETS))]
    code, printed = snippet(rng)
    return Task(_pick(rng, _OUTPUT_QUESTIONS), _lines(*code), printed, "", "")


def _bug_templates(rng: random.Random) -> list[tuple[str, str, str, list[Case], str]]:
    """(intent clause, buggy code, fixed code, cases, function name) for each template."""
    out: list[tuple[str, str, str, list[Case], str]] = []

    name = _pick(rng, ("sum_to_n", "sum_numbers", "total_up_to"))
    bad_range = _pick(rng, ("range(n)", "range(1, n)"))
    tmpl = ["def {name}(n):", "    total = 0", "    for i in {r}:", "        total += i",
            "    return total"]
    m = rng.randint(5, 50)
    out.append(("return the sum of all integers from 1 to n",
                _lines(*tmpl).format(name=name, r=bad_range),
                _lines(*tmpl).format(name=name, r="range(1, n + 1)"),
                [("1", 1), ("5", 15), (str(m), m * (m + 1) // 2)], name))

    name = _pick(rng, ("find_max", "largest", "max_value"))
    p = _pick(rng, ("numbers", "nums", "values"))
    tmpl = ["def {name}({p}):", "    largest = {init}", "    for x in {p}:",
            "        if x > largest:", "            largest = x", "    return largest"]
    neg = _ints(rng, -40, -1, 2, 5)
    pos = _ints(rng, 1, 40, 2, 5)
    out.append(("return the largest number in a list, even when all the numbers are negative",
                _lines(*tmpl).format(name=name, p=p, init="0"),
                _lines(*tmpl).format(name=name, p=p, init=f"{p}[0]"),
                [(_lit(neg), max(neg)), (_lit(pos), max(pos))], name))

    name = _pick(rng, ("product", "multiply_all", "list_product"))
    tmpl = ["def {name}({p}):", "    result = {init}", "    for x in {p}:", "        result *= x",
            "    return result"]
    xs = _ints(rng, 1, 9, 2, 5)
    out.append(("return the product of all numbers in a list",
                _lines(*tmpl).format(name=name, p=p, init="0"),
                _lines(*tmpl).format(name=name, p=p, init="1"),
                [(_lit(xs), math.prod(xs)), ("[]", 1)], name))

    name = _pick(rng, ("is_even", "check_even", "even"))
    tmpl = ["def {name}(n):", "    return n % 2 == {r}"]
    v = rng.randint(1, 99)
    out.append(("return True when a number is even",
                _lines(*tmpl).format(name=name, r="1"), _lines(*tmpl).format(name=name, r="0"),
                [(str(v), v % 2 == 0), (str(v + 1), (v + 1) % 2 == 0), ("0", True)], name))

    name = _pick(rng, ("factorial", "fact"))
    tmpl = ["def {name}(n):", "    result = 1", "    for i in {r}:", "        result *= i",
            "    return result"]
    v = rng.randint(3, 10)
    out.append(("return the factorial of n",
                _lines(*tmpl).format(name=name, r="range(1, n)"),
                _lines(*tmpl).format(name=name, r="range(1, n + 1)"),
                [("0", 1), ("1", 1), (str(v), math.factorial(v))], name))

    name = _pick(rng, ("count_vowels", "vowel_count"))
    tmpl = ["def {name}(text):", "    count = 0", "    for ch in {src}:",
            '        if ch in "aeiou":', "            count += 1", "    return count"]
    t = _capitalize(_sentence(rng, 2, 3)).upper()
    out.append(("count the vowels in a string regardless of case",
                _lines(*tmpl).format(name=name, src="text"),
                _lines(*tmpl).format(name=name, src="text.lower()"),
                [(_q(t), sum(1 for ch in t.lower() if ch in "aeiou")), ('"aEiOu"', 5)], name))

    name = _pick(rng, ("reverse_list", "reversed_copy"))
    tmpl = ["def {name}(items):", "    result = []", "    for i in range(len(items)):",
            "        result.append(items[{idx}])", "    return result"]
    xs = _ints(rng, 0, 20, 3, 6)
    out.append(("return a new list with the elements in reverse order",
                _lines(*tmpl).format(name=name, idx="-i"),
                _lines(*tmpl).format(name=name, idx="-i - 1"),
                [(_lit(xs), xs[::-1]), ("[]", [])], name))

    name = _pick(rng, ("average", "mean"))
    tmpl = ["def {name}({p}):", "    return sum({p}) {op} len({p})"]
    xs = _ints(rng, 1, 20, 2, 5)
    out.append(("return the exact (floating point) average of a list of numbers",
                _lines(*tmpl).format(name=name, p=p, op="//"),
                _lines(*tmpl).format(name=name, p=p, op="/"),
                [(_lit(xs), sum(xs) / len(xs)), ("[1, 2]", 1.5)], name))

    name = _pick(rng, ("square_all", "squares"))
    tmpl = ["def {name}({p}):", "    result = []", "    for n in {p}:",
            "        result.append(n * n)"]
    xs = _ints(rng, -5, 9, 2, 5)
    out.append(("return a list with the square of every number",
                _lines(*tmpl).format(name=name, p=p),
                _lines(*tmpl, "    return result").format(name=name, p=p),
                [(_lit(xs), [x * x for x in xs]), ("[]", [])], name))

    name = _pick(rng, ("greet", "make_greeting", "say_hello"))
    hello = _pick(rng, ("Hello", "Hi", "Welcome", "Good morning"))
    who = _pick(rng, _NAMES).title()
    out.append((f'return a greeting such as "{hello}, {who}!" for the given name',
                _lines(f"def {name}(name)", f'    return "{hello}, " + name + "!"'),
                _lines(f"def {name}(name):", f'    return "{hello}, " + name + "!"'),
                [(_q(who), f"{hello}, {who}!")], name))

    name = _pick(rng, ("is_palindrome", "palindrome"))
    w = _pick(rng, _PALINDROMES)
    out.append(("return True if a string is a palindrome",
                _lines(f"def {name}(s):", "    return s == s.reverse()"),
                _lines(f"def {name}(s):", "    return s == s[::-1]"),
                [(_q(w), True), (_q(_word(rng) + "x"), False)], name))

    name = _pick(rng, ("sum_list", "add_all"))
    tmpl = ["def {name}(items):", "    total = 0", "    for i in range({r}):",
            "        total += items[i]", "    return total"]
    xs = _ints(rng, -5, 20, 2, 6)
    out.append(("return the sum of the elements of a list",
                _lines(*tmpl).format(name=name, r="len(items) + 1"),
                _lines(*tmpl).format(name=name, r="len(items)"),
                [(_lit(xs), sum(xs)), ("[]", 0)], name))
    return out


@_family("fix_bug")
def _fix_bug(rng: random.Random) -> Task:
    templates = _bug_templates(rng)
    intent, buggy, fixed, cases, name = templates[rng.randrange(len(templates))]
    form = rng.randrange(5)
    if form == 0:
        instruction = f"Fix the bug in this function so that it {_conjugate(intent)}."
    elif form == 1:
        instruction = f"The following function should {intent}, but it has a bug. Fix it."
    elif form == 2:
        instruction = f"Debug the following code so that it correctly {_conjugate(intent)}."
    elif form == 3:
        instruction = ("Find and fix the error in the following code. The function is supposed "
                       f"to {intent}.")
    else:
        instruction = (f"Identify and fix the bug in the following Python code, which should "
                       f"{intent}.")
    check = _lines(*(_assert_eq(f"{name}({a})", e) for a, e in cases))
    return Task(instruction, buggy, fixed, check, "")


def _edit_templates(rng: random.Random) -> list[tuple[str, str, str, list[Case], str]]:
    """(edit clause, original code, edited code, cases, function name)."""
    out: list[tuple[str, str, str, list[Case], str]] = []
    name = _pick(rng, ("total", "sum_values", "add_numbers"))
    p = _pick(rng, ("numbers", "nums", "values"))
    k = rng.randint(2, 10)
    xs = _ints(rng, -5, 20, 3, 7)
    orig = _lines(f"def {name}({p}):", "    result = 0", f"    for n in {p}:",
                  "        result += n", "    return result")
    out.append(("return the sum of the squares of the numbers instead of their sum", orig,
                _lines(f"def {name}({p}):", "    result = 0", f"    for n in {p}:",
                       "        result += n * n", "    return result"),
                [(_lit(xs), sum(x * x for x in xs)), ("[]", 0)], name))
    out.append(("add only the even numbers", orig,
                _lines(f"def {name}({p}):", "    result = 0", f"    for n in {p}:",
                       "        if n % 2 == 0:", "            result += n", "    return result"),
                [(_lit(xs), sum(x for x in xs if x % 2 == 0)), ("[1, 3]", 0)], name))
    out.append((f"ignore numbers that are not greater than {k}", orig,
                _lines(f"def {name}({p}):", "    result = 0", f"    for n in {p}:",
                       f"        if n > {k}:", "            result += n", "    return result"),
                [(_lit(xs), sum(x for x in xs if x > k)), (f"[{k}]", 0)], name))

    name = _pick(rng, ("greet", "greeting", "say_hello"))
    who = _pick(rng, _NAMES)
    hello = _pick(rng, ("Hello", "Hi", "Hey"))
    orig = _lines(f"def {name}(name):", f'    return "{hello}, " + name')
    out.append(("return the greeting with the name in uppercase", orig,
                _lines(f"def {name}(name):", f'    return "{hello}, " + name.upper()'),
                [(_q(who), f"{hello}, {who.upper()}")], name))
    out.append(("end the greeting with an exclamation mark", orig,
                _lines(f"def {name}(name):", f'    return "{hello}, " + name + "!"'),
                [(_q(who), f"{hello}, {who}!")], name))
    out.append(("capitalize the name and use an f-string", orig,
                _lines(f"def {name}(name):", f'    return f"{hello}, {{name.capitalize()}}"'),
                [(_q(who), f"{hello}, {who.capitalize()}")], name))

    name = _pick(rng, ("print_squares", "show_squares"))
    new = _pick(rng, ("squares", "get_squares", "list_squares"))
    n = rng.randint(3, 9)
    out.append(((f"return a list of the squares instead of printing them, and rename the "
                f"function to {new}"),
                _lines(f"def {name}(n):", "    for i in range(1, n + 1):", "        print(i * i)"),
                _lines(f"def {new}(n):", "    return [i * i for i in range(1, n + 1)]"),
                [(str(n), [i * i for i in range(1, n + 1)]), ("0", [])], new))

    name = _pick(rng, ("power", "raise_to"))
    out.append((f"make the exponent default to {k}",
                _lines(f"def {name}(base, exponent):", "    return base ** exponent"),
                _lines(f"def {name}(base, exponent={k}):", "    return base ** exponent"),
                [("3", 3 ** k), ("2, 5", 32)], name))

    name = _pick(rng, ("divide", "ratio"))
    out.append(("return None instead of raising an error when dividing by zero",
                _lines(f"def {name}(a, b):", "    return a / b"),
                _lines(f"def {name}(a, b):", "    if b == 0:", "        return None",
                       "    return a / b"),
                [("1, 0", None), (f"{k * 3}, {k}", 3.0)], name))

    name = _pick(rng, ("largest", "get_max"))
    ys = _ints(rng, -20, 50, 2, 6)
    out.append(("return both the smallest and the largest number as a tuple (min, max)",
                _lines(f"def {name}({p}):", f"    return max({p})"),
                _lines(f"def {name}({p}):", f"    return min({p}), max({p})"),
                [(_lit(ys), (min(ys), max(ys)))], name))

    name = _pick(rng, ("numbers_up_to", "upto"))
    m = rng.randint(10, 30)
    out.append((f"return only the multiples of {k}",
                _lines(f"def {name}(n):", "    return list(range(1, n + 1))"),
                _lines(f"def {name}(n):",
                       f"    return [i for i in range(1, n + 1) if i % {k} == 0]"),
                [(str(m), [i for i in range(1, m + 1) if i % k == 0])], name))

    name = _pick(rng, ("contains", "has_word"))
    words = [w.capitalize() for w in _words(rng, 2, 4)]
    out.append(("ignore case when looking for the target word",
                _lines(f"def {name}(words, target):", "    return target in words"),
                _lines(f"def {name}(words, target):",
                       "    return target.lower() in [w.lower() for w in words]"),
                [(f"{_lit(words)}, {_q(words[0].upper())}", True),
                 (f"{_lit(words)}, {_q('zzz')}", False)], name))
    return out


@_family("edit_code")
def _edit_code(rng: random.Random) -> Task:
    templates = _edit_templates(rng)
    clause, original, edited, cases, name = templates[rng.randrange(len(templates))]
    form = rng.randrange(4)
    if form == 0:
        instruction = f"Edit the following code so that it {_conjugate(clause)}."
    elif form == 1:
        instruction = f"Modify the given function to {clause}."
    elif form == 2:
        instruction = f"Update the code below so that it {_conjugate(clause)}."
    else:
        instruction = f"Change the following Python code to {clause}."
    check = _lines(*(_assert_eq(f"{name}({a})", e) for a, e in cases))
    return Task(instruction, original, edited, check, "")


@_family("rewrite_comprehension")
def _rewrite_comprehension(rng: random.Random) -> Task:
    src = _pick(rng, ("numbers", "nums", "values", "data"))
    out = _pick(rng, ("result", "output", "new_list", "filtered"))
    nums = _ints(rng, -5, 20, 5, 8)
    k = rng.randint(2, 6)
    expr_src, expr = _pick(rng, (("x * x", lambda x: x * x), (f"x * {k}", lambda x: x * k),
                                 (f"x + {k}", lambda x: x + k), ("str(x)", str),
                                 ("abs(x)", abs)))
    cond_src, cond = _pick(rng, (("", None), ("x % 2 == 0", lambda x: x % 2 == 0),
                                 (f"x > {k}", lambda x: x > k), ("x != 0", lambda x: x != 0)))
    values = [expr(x) for x in nums if cond is None or cond(x)]
    kind = rng.randrange(3)
    header = f"{src} = {_lit(nums)}"
    if kind == 2:
        out = _pick(rng, ("mapping", "lookup", "table"))
        dexpr_src, dexpr = _pick(rng, (("x * x", lambda x: x * x), (f"x * {k}", lambda x: x * k)))
        keys = list(dict.fromkeys(nums))
        loop = _lines(header, f"{out} = {{}}", f"for x in {src}:", f"    {out}[x] = {dexpr_src}")
        comp = _lines(header, f"{out} = {{x: {dexpr_src} for x in {src}}}")
        instruction = _pick(rng, ("Rewrite the following code using a dictionary comprehension.",
                                  "Convert the following loop into a dict comprehension."))
        return Task(instruction, loop, comp, _assert_eq(out, {x: dexpr(x) for x in keys}), "")
    if cond is None:
        loop = _lines(header, f"{out} = []", f"for x in {src}:", f"    {out}.append({expr_src})")
        comp = _lines(header, f"{out} = [{expr_src} for x in {src}]")
    else:
        loop = _lines(header, f"{out} = []", f"for x in {src}:", f"    if {cond_src}:",
                      f"        {out}.append({expr_src})")
        comp = _lines(header, f"{out} = [{expr_src} for x in {src} if {cond_src}]")
    if kind == 0:
        instruction = _pick(rng, ("Rewrite the following code using a list comprehension.",
                                  "Convert the following for loop into a list comprehension.",
                                  "Refactor this code to use a list comprehension."))
        return Task(instruction, loop, comp, _assert_eq(out, values), "")
    instruction = _pick(rng, ("Rewrite the following list comprehension as a for loop.",
                              "Convert this list comprehension into an equivalent for loop.",
                              "Rewrite the following code without using a list comprehension."))
    return Task(instruction, comp, loop, _assert_eq(out, values), "")


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

FAMILY_NAMES: tuple[str, ...] = tuple(name for name, _ in _FAMILIES)


def generate_tasks(count: int, seed: int) -> list[Task]:
    """Generate ``count`` unique tasks, deterministically for a given ``(count, seed)``.

    Families are visited round-robin; the order is reshuffled (with the same
    ``random.Random``) at the start of every round so that all families stay
    balanced.  Exact duplicates (same instruction, input and output) are skipped.

    Raises:
        ValueError: if ``count`` is negative or ``count`` unique records cannot be
            produced within a bounded number of attempts.
    """
    if count < 0:
        raise ValueError(f"count must be non-negative, got {count}")
    rng = random.Random(seed)
    tasks: list[Task] = []
    seen: set[tuple[str, str, str]] = set()
    order: list[tuple[str, FamilyFn]] = []
    max_attempts = 20 * count + 100
    attempts = 0
    while len(tasks) < count:
        if attempts >= max_attempts:
            raise ValueError(
                f"could only generate {len(tasks)} unique tasks out of {count} "
                f"after {attempts} attempts"
            )
        attempts += 1
        if not order:
            order = list(_FAMILIES)
            rng.shuffle(order)
        name, fn = order.pop()
        task = dataclasses.replace(fn(rng), family=name)
        key = (task.instruction, task.input, task.output)
        if key in seen:
            continue
        seen.add(key)
        tasks.append(task)
    return tasks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m askbuddyx.data.task_generator",
        description="Generate an offline code-alpaca-style dataset of small programming tasks.",
    )
    parser.add_argument("--count", type=int, default=2400, help="number of records (default 2400)")
    parser.add_argument("--seed", type=int, default=1234, help="random seed (default 1234)")
    parser.add_argument("--output", required=True, help="path of the JSONL file to write")
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be non-negative")
    tasks = generate_tasks(args.count, args.seed)
    written = write_jsonl(args.output, (task.record() for task in tasks))
    print(f"Wrote {written} records to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
