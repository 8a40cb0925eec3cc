"""The table of task families and the seeded round-robin that turns them into records.

`generate_tasks(count, seed)` visits the families round-robin, reshuffling their order (with
the same `random.Random`) every round so they stay balanced, and skips exact duplicates. The
order of `FAMILIES` and every draw inside a family are part of the output: changing either
changes `assets/datasets/code_tasks.jsonl` (tests/test_task_generator.py says so).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass

from askbuddyx.data.code_tasks import (
    classes,
    dicts,
    lists,
    loops,
    numbers,
    parsing,
    rewrites,
    strings,
)
from askbuddyx.data.code_tasks.core import FunctionTask, Task

# What the committed assets/datasets/code_tasks.jsonl is made of.
BUNDLED_COUNT, BUNDLED_SEED = 2400, 1234


@dataclass(frozen=True)
class Family:
    """A kind of task: `make` draws one (a ready Task, or a FunctionTask still to phrase)."""

    name: str
    make: Callable[[random.Random], Task | FunctionTask]

    def task(self, rng: random.Random) -> Task:
        made = self.make(rng)
        if isinstance(made, FunctionTask):
            made = made.render(rng)
        return dataclasses.replace(made, family=self.name)


# Every family, named after its function, in the order the bundled dataset was drawn in.
_MAKERS = (
    strings.reverse_string, strings.palindrome, strings.count_vowels, strings.capitalize_words,
    strings.caesar_cipher, strings.remove_char, strings.count_substring,
    strings.run_length_encoding, strings.longest_word, strings.anagram, strings.count_words,
    lists.list_sum_product, lists.list_max_min, lists.filter_parity, lists.filter_threshold,
    lists.remove_duplicates, lists.rotate_list, lists.flatten_list, lists.chunk_list,
    lists.second_largest, lists.moving_average, lists.cumulative_sum, lists.common_elements,
    lists.search_list, lists.map_list,
    dicts.invert_dict, dicts.merge_dicts, dicts.group_words, dicts.sort_dict_by_value,
    dicts.max_value_key, dicts.word_frequency, dicts.char_frequency,
    numbers.factorial, numbers.fibonacci, numbers.gcd_lcm, numbers.is_prime, numbers.digits,
    numbers.power_check, numbers.temperature, numbers.area, numbers.mean_median,
    numbers.binary_conversion, numbers.primes_up_to,
    loops.recursion,
    classes.stack_queue_class, classes.counter_class, classes.shape_class,
    classes.bank_account_class,
    parsing.safe_divide, parsing.parse_int, parsing.parse_key_values, parsing.csv_parsing,
    parsing.regex_extract,
    loops.range_sum, loops.multiplication_table, loops.fizzbuzz,
    dicts.sort_by_length, dicts.sort_records,
    rewrites.code_output, rewrites.fix_bug, rewrites.edit_code, rewrites.rewrite_comprehension,
)
FAMILIES: tuple[Family, ...] = tuple(Family(make.__name__, make) for make in _MAKERS)
FAMILY_NAMES: tuple[str, ...] = tuple(f.name for f in FAMILIES)


def generate_tasks(count: int, seed: int) -> list[Task]:
    """`count` unique tasks, the same for the same `(count, seed)`.

    Raises:
        ValueError: if `count` is negative, or `count` unique records cannot be made within
            a bounded number of attempts.
    """
    if count < 0:
        raise ValueError(f"count must be non-negative, got {count}")
    rng = random.Random(seed)
    tasks: list[Task] = []
    seen: set[tuple[str, str, str]] = set()
    order: list[Family] = []
    max_attempts = 20 * count + 100
    for _attempt in range(max_attempts):
        if len(tasks) == count:
            return tasks
        if not order:
            order = list(FAMILIES)
            rng.shuffle(order)
        task = order.pop().task(rng)
        key = (task.instruction, task.input, task.output)
        if key not in seen:
            seen.add(key)
            tasks.append(task)
    if len(tasks) == count:
        return tasks
    raise ValueError(f"could only generate {len(tasks)} unique tasks out of {count} "
                     f"after {max_attempts} attempts")


def bundled_records() -> list[dict]:
    """The records of assets/datasets/code_tasks.jsonl."""
    return [task.record() for task in generate_tasks(BUNDLED_COUNT, BUNDLED_SEED)]
