"""Pure checks on one model answer: the seed's sanity and compile checks, and format checks.

No model and no execution here: `compile()` only parses, it runs nothing.
"""

from __future__ import annotations

import ast
import re

from askbuddyx.prompting import HEADINGS, has_runnable_first_format, section_code, split_sections

# Seed 000, section 11.1: at least one of these marks the answer as containing code.
CODE_INDICATORS = ("def", "class", "import", "function", "=")
ERROR_MARKERS = ("traceback (most recent call last)", "error:", "i cannot", "i can't")
TRIPLE_QUOTED = re.compile(r'(?:"""|\'\'\')(.*?)(?:"""|\'\'\')', re.DOTALL)


def sanity_check(response: str, min_chars: int = 10) -> dict:
    """Seed 000 section 7.5: non-empty, longer than `min_chars`, not an error, has code."""
    text = response.strip()
    checks = {
        "long_enough": len(text) > min_chars,
        "not_error": not any(m in text.lower()[:200] for m in ERROR_MARKERS),
        "has_code": any(ind in text for ind in CODE_INDICATORS),
    }
    checks["passed"] = all(checks.values())
    return checks


def extract_code(response: str) -> str:
    """The Python code of an answer.

    Fenced blocks (```python or bare ```) are joined in order. Without fences, the text under
    the runnable-first headings (or the whole answer) is taken as code, minus heading lines.
    """
    code, _fenced = section_code(response)
    return code.strip() + "\n"


def compile_check(response: str) -> dict:
    """Seed 000 section 7.6: the extracted code parses and defines a function."""
    code = extract_code(response)
    try:
        compile(code, "<answer>", "exec")
        compiles, error = True, ""
    except (SyntaxError, ValueError) as exc:
        compiles, error = False, f"{type(exc).__name__}: {exc}"
    has_def = bool(re.search(r"^\s*def \w+\(", code, re.MULTILINE))
    return {"compiles": compiles, "has_def": has_def, "passed": compiles and has_def,
            "error": error}


def docstrings(code: str) -> list:
    """Docstrings of the functions and classes in `code` (triple-quoted strings if it does
    not parse)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return TRIPLE_QUOTED.findall(code)
    nodes = [n for n in ast.walk(tree)
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return [d for d in (ast.get_docstring(n) for n in nodes) if d]


def format_check(response: str) -> dict:
    """Seed 001's checks: the three headings (each, and all in order), a docstring in the
    solution, with an Args (or Parameters) and a Returns part. `passed` = headings in order;
    `all_checks` = every check."""
    sections = split_sections(response)
    docs = docstrings(sections["solution"] or sections["all"])
    checks = {
        "has_solution": HEADINGS[0] in response,
        "has_usage": HEADINGS[1] in response,
        "has_sanity_test": HEADINGS[2] in response,
        "passed": has_runnable_first_format(response),
        "has_docstring": bool(docs),
        "has_args": any(re.search(r"^\s*(Args|Arguments|Parameters)\s*:?\s*$", d, re.M)
                        for d in docs),
        "has_returns": any(re.search(r"^\s*(Returns|Yields)\s*:?\s*$", d, re.M) for d in docs),
    }
    checks["all_checks"] = all(checks.values())
    return checks
