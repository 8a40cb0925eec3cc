"""Offline code-alpaca-shaped training records, generated from tables of small task families.

The training machine has no internet access, so instead of downloading `code-alpaca-20k` this
package synthesises records of the same shape (instruction / input / output) from 62 families
of small programming tasks (strings, lists, dictionaries, math, recursion, classes, errors,
parsing, iteration, sorting, and questions about given code: its output, its bug, an edit).
Each record is randomised from one `random.Random(seed)`; each `Task` also carries a `check`
(code that asserts the answer is right, run by the tests), which the JSONL leaves out.

    askbuddyx build-datasets            rebuilds assets/datasets/code_tasks.jsonl (2400, seed 1234)
    askbuddyx build-datasets --check    fails when the committed file is not what this builds

Modules: `core` (pools, literals, phrasing, the "write a function" template), one module per
topic with its families, `build` (the ordered family table and the round-robin).
"""

from askbuddyx.data.code_tasks.build import (
    BUNDLED_COUNT,
    BUNDLED_SEED,
    FAMILIES,
    FAMILY_NAMES,
    bundled_records,
    generate_tasks,
)
from askbuddyx.data.code_tasks.core import Task

__all__ = ["BUNDLED_COUNT", "BUNDLED_SEED", "FAMILIES", "FAMILY_NAMES", "Task",
           "bundled_records", "generate_tasks"]
