"""Hand-written "runnable-first" training examples for AskBuddyX.

Each runnable example answers a coding request with exactly three sections, in order:
``### Solution``, ``### Usage`` and ``### Sanity test``, each followed by one fenced
python block. Solution + Usage + Sanity test, concatenated, run green with plain
``python`` using only the standard library. A few ``"explain"`` examples answer
conceptual questions in plain prose, teaching the model not to force the format.

Records have the keys ``id``, ``category``, ``instruction``, ``input`` and ``output``.

Regenerate the committed dataset after editing this file::

    .venv/bin/python -m askbuddyx.data.curated_examples assets/datasets/curated_runnable_first.jsonl
"""

from __future__ import annotations

import re
import sys
import textwrap

from askbuddyx.data.io import write_jsonl
from askbuddyx.prompting import HEADINGS

CATEGORIES = (
    "strings",
    "lists",
    "dicts",
    "files",
    "errors",
    "classes",
    "recursion",
    "async",
    "parsing",
    "math",
    "iteration",
    "datetime",
)
EXPLAIN_CATEGORY = "explain"

SECTION_HEADINGS = dict(zip(("solution", "usage", "sanity_test"), HEADINGS))

_FENCE_OPEN = "```python"
_FENCE_CLOSE = "```"


def _block(code: str) -> str:
    """Dedent a triple-quoted code string and drop surrounding blank lines."""
    return textwrap.dedent(code).strip("\n").rstrip()


def _fenced(code: str) -> str:
    return f"{_FENCE_OPEN}\n{_block(code)}\n{_FENCE_CLOSE}"


def _ex(
    example_id: str,
    category: str,
    instruction: str,
    solution: str,
    usage: str,
    sanity: str,
    input_text: str = "",
    note: str = "",
) -> dict[str, str]:
    """Build one runnable-first record with the exact three-section layout."""
    if category not in CATEGORIES:
        raise ValueError(f"{example_id}: unknown category {category!r}")
    if "\n" in note:
        raise ValueError(f"{example_id}: the note must be a single line")
    note_line = f"{note.strip()}\n" if note.strip() else ""
    output = (
        f"{SECTION_HEADINGS['solution']}\n{note_line}{_fenced(solution)}\n\n"
        f"{SECTION_HEADINGS['usage']}\n{_fenced(usage)}\n\n"
        f"{SECTION_HEADINGS['sanity_test']}\n{_fenced(sanity)}"
    )
    return {
        "id": example_id,
        "category": category,
        "instruction": instruction,
        "input": input_text,
        "output": output,
    }


def _explain(
    example_id: str, instruction: str, answer: str, input_text: str = ""
) -> dict[str, str]:
    """Build one explanatory record: plain prose, optionally one short fenced example.

    Prose paragraphs are wrapped in the source for readability and unwrapped here, so
    each paragraph becomes one line; fenced code is kept exactly as written.
    """
    parts = re.split(r"(```python\n.*?\n```)", _block(answer), flags=re.DOTALL)
    rendered = []
    for part in parts:
        if part.startswith(_FENCE_OPEN):
            rendered.append(part)
            continue
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", part) if p.strip()]
        rendered.extend(paragraphs)
    return {
        "id": example_id,
        "category": EXPLAIN_CATEGORY,
        "instruction": instruction,
        "input": input_text,
        "output": "\n\n".join(rendered),
    }


_RUNNABLE = [
    # ------------------------------------------------------------------ strings
    _ex(
        "cur-001-reverse-words",
        "strings",
        "Write a Python function that reverses the order of the words in a sentence.",
        '''
        def reverse_words(sentence):
            """Reverse the order of the words in a sentence.

            Args:
                sentence (str): Text whose words are separated by whitespace.

            Returns:
                str: The words in reverse order, joined by single spaces.
            """
            return " ".join(reversed(sentence.split()))
        ''',
        '''
        print(reverse_words("hello big world"))  # world big hello
        ''',
        '''
        assert reverse_words("  a  b ") == "b a"
        assert reverse_words("one") == "one"
        assert reverse_words("") == ""
        ''',
    ),
    _ex(
        "cur-002-is-palindrome",
        "strings",
        "Create a function to check whether a string is a palindrome, ignoring case, "
        "spaces and punctuation.",
        '''
        def is_palindrome(text):
            """Check whether text reads the same forwards and backwards.

            Args:
                text (str): The text to check; case and non-alphanumeric characters are ignored.

            Returns:
                bool: True if the letters and digits form a palindrome.
            """
            cleaned = [char.lower() for char in text if char.isalnum()]
            return cleaned == cleaned[::-1]
        ''',
        '''
        print(is_palindrome("A man, a plan, a canal: Panama"))  # True
        ''',
        '''
        assert is_palindrome("No lemon, no melon")
        assert not is_palindrome("hello")
        assert is_palindrome("")
        ''',
    ),
    _ex(
        "cur-003-count-vowels",
        "strings",
        "How do I count the vowels in a string in Python? Give me a function.",
        '''
        def count_vowels(text):
            """Count the vowels (a, e, i, o, u) in a string, ignoring case.

            Args:
                text (str): The text to scan.

            Returns:
                int: The number of vowels found.
            """
            return sum(1 for char in text.lower() if char in "aeiou")
        ''',
        '''
        print(count_vowels("Hello World"))  # 3
        ''',
        '''
        assert count_vowels("AEIOU xyz") == 5
        assert count_vowels("rhythm") == 0
        assert count_vowels("") == 0
        ''',
    ),
    _ex(
        "cur-004-snake-to-camel",
        "strings",
        "Write a function that converts a snake_case identifier to camelCase.",
        '''
        def snake_to_camel(name):
            """Convert a snake_case name to camelCase.

            Args:
                name (str): An identifier such as "max_retry_count".

            Returns:
                str: The camelCase version, e.g. "maxRetryCount".
            """
            first, *rest = name.split("_")
            return first + "".join(part.capitalize() for part in rest)
        ''',
        '''
        print(snake_to_camel("max_retry_count"))  # maxRetryCount
        ''',
        '''
        assert snake_to_camel("name") == "name"
        assert snake_to_camel("http_status_code") == "httpStatusCode"
        assert snake_to_camel("") == ""
        ''',
    ),
    _ex(
        "cur-005-run-length-encode",
        "strings",
        "Implement run-length encoding for a string, so that 'aaabcc' becomes 'a3b1c2'.",
        '''
        from itertools import groupby


        def run_length_encode(text):
            """Compress runs of repeated characters as character + count.

            Args:
                text (str): The text to encode.

            Returns:
                str: The encoded text, e.g. "a3b1c2" for "aaabcc".
            """
            return "".join(f"{char}{len(list(group))}" for char, group in groupby(text))
        ''',
        '''
        print(run_length_encode("aaabcc"))  # a3b1c2
        ''',
        '''
        assert run_length_encode("") == ""
        assert run_length_encode("abc") == "a1b1c1"
        assert run_length_encode("zzzz") == "z4"
        ''',
    ),
    _ex(
        "cur-006-are-anagrams",
        "strings",
        "Write a Python function that tells whether two phrases are anagrams of each other.",
        '''
        def are_anagrams(first, second):
            """Check whether two phrases use exactly the same letters.

            Args:
                first (str): The first phrase.
                second (str): The second phrase.

            Returns:
                bool: True if they are anagrams, ignoring case and spaces.
            """
            normalized_first = sorted(first.lower().replace(" ", ""))
            normalized_second = sorted(second.lower().replace(" ", ""))
            return normalized_first == normalized_second
        ''',
        '''
        print(are_anagrams("Listen", "Silent"))  # True
        ''',
        '''
        assert are_anagrams("Dormitory", "dirty room")
        assert not are_anagrams("abc", "abd")
        assert not are_anagrams("aab", "ab")
        ''',
    ),
    _ex(
        "cur-007-truncate-text",
        "strings",
        "Create a function that shortens text to a maximum length and adds '...' when it "
        "had to cut something.",
        '''
        def truncate(text, max_length):
            """Shorten text to at most max_length characters.

            Args:
                text (str): The text to shorten.
                max_length (int): Maximum length of the result; at least 3.

            Returns:
                str: The text unchanged if it fits, otherwise a prefix ending in "...".

            Raises:
                ValueError: If max_length is smaller than 3.
            """
            if max_length < 3:
                raise ValueError("max_length must be at least 3")
            if len(text) <= max_length:
                return text
            return text[: max_length - 3] + "..."
        ''',
        '''
        print(truncate("The quick brown fox", 10))  # The qui...
        ''',
        '''
        assert truncate("short", 10) == "short"
        assert len(truncate("x" * 50, 10)) == 10
        try:
            truncate("abc", 2)
        except ValueError:
            pass
        else:
            raise AssertionError("expected ValueError")
        ''',
    ),
    # -------------------------------------------------------------------- lists
    _ex(
        "cur-008-flatten-list-of-lists",
        "lists",
        "Write a Python function that flattens a list of lists into a single list.",
        '''
        def flatten(nested):
            """Flatten one level of nesting.

            Args:
                nested (list[list]): A list whose items are lists.

            Returns:
                list: All inner items, in order.
            """
            return [item for sublist in nested for item in sublist]
        ''',
        '''
        print(flatten([[1, 2], [3], [], [4, 5]]))  # [1, 2, 3, 4, 5]
        ''',
        '''
        assert flatten([]) == []
        assert flatten([["a"], ["b", "c"]]) == ["a", "b", "c"]
        ''',
    ),
    _ex(
        "cur-009-dedupe-keep-order",
        "lists",
        "How can I remove duplicates from a list but keep the original order? Give me a function.",
        '''
        def dedupe(items):
            """Remove duplicates while keeping the first occurrence of each item.

            Args:
                items (list): Hashable values, possibly repeated.

            Returns:
                list: The unique items in their original order.
            """
            seen = set()
            result = []
            for item in items:
                if item not in seen:
                    seen.add(item)
                    result.append(item)
            return result
        ''',
        '''
        print(dedupe([3, 1, 3, 2, 1]))  # [3, 1, 2]
        ''',
        '''
        assert dedupe([]) == []
        assert dedupe(["b", "a", "b"]) == ["b", "a"]
        assert dedupe([1, 2, 3]) == [1, 2, 3]
        ''',
        note="Assumes the items are hashable (numbers, strings, tuples).",
    ),
    _ex(
        "cur-010-chunk-list",
        "lists",
        "Create a function that splits a list into chunks of a given size.",
        '''
        def chunk(items, size):
            """Split a list into consecutive chunks.

            Args:
                items (list): The list to split.
                size (int): Maximum length of each chunk; at least 1.

            Returns:
                list[list]: The chunks; the last one may be shorter.

            Raises:
                ValueError: If size is smaller than 1.
            """
            if size < 1:
                raise ValueError("size must be at least 1")
            return [items[i : i + size] for i in range(0, len(items), size)]
        ''',
        '''
        print(chunk([1, 2, 3, 4, 5], 2))  # [[1, 2], [3, 4], [5]]
        ''',
        '''
        assert chunk([], 3) == []
        assert chunk([1, 2, 3], 3) == [[1, 2, 3]]
        try:
            chunk([1], 0)
        except ValueError:
            pass
        else:
            raise AssertionError("expected ValueError")
        ''',
    ),
    _ex(
        "cur-011-rotate-list",
        "lists",
        "Write a function that rotates a list to the right by k positions.",
        '''
        def rotate_right(items, k):
            """Rotate a list to the right, wrapping items around to the front.

            Args:
                items (list): The list to rotate; it is not modified.
                k (int): Number of positions to rotate by.

            Returns:
                list: A new, rotated list.
            """
            if not items:
                return []
            k %= len(items)
            return items[-k:] + items[:-k]
        ''',
        '''
        print(rotate_right([1, 2, 3, 4, 5], 2))  # [4, 5, 1, 2, 3]
        ''',
        '''
        assert rotate_right([1, 2, 3], 0) == [1, 2, 3]
        assert rotate_right([1, 2, 3], 4) == [3, 1, 2]
        assert rotate_right([], 5) == []
        ''',
    ),
    _ex(
        "cur-012-second-largest",
        "lists",
        "Implement a function that returns the second largest distinct number in a list.",
        '''
        def second_largest(numbers):
            """Find the second largest distinct value.

            Args:
                numbers (list[int | float]): The numbers to search.

            Returns:
                int | float | None: The second largest distinct value, or None if there is none.
            """
            distinct = sorted(set(numbers), reverse=True)
            return distinct[1] if len(distinct) >= 2 else None
        ''',
        '''
        print(second_largest([4, 1, 7, 7, 3]))  # 4
        ''',
        '''
        assert second_largest([5, 5]) is None
        assert second_largest([]) is None
        assert second_largest([-1, -2]) == -2
        ''',
    ),
    _ex(
        "cur-013-merge-sorted",
        "lists",
        "Write a Python function that merges two sorted lists into one sorted list without "
        "calling sort().",
        '''
        def merge_sorted(left, right):
            """Merge two already sorted lists in linear time.

            Args:
                left (list): A sorted list.
                right (list): Another sorted list.

            Returns:
                list: A new sorted list with the items of both.
            """
            merged = []
            i = j = 0
            while i < len(left) and j < len(right):
                if left[i] <= right[j]:
                    merged.append(left[i])
                    i += 1
                else:
                    merged.append(right[j])
                    j += 1
            return merged + left[i:] + right[j:]
        ''',
        '''
        print(merge_sorted([1, 4, 9], [2, 3, 10]))  # [1, 2, 3, 4, 9, 10]
        ''',
        '''
        assert merge_sorted([], [1, 2]) == [1, 2]
        assert merge_sorted([1, 1], [1]) == [1, 1, 1]
        assert merge_sorted([5, 6], [1, 2]) == [1, 2, 5, 6]
        ''',
    ),
    _ex(
        "cur-014-partition-list",
        "lists",
        "Write a function that splits a list into two lists: items that match a condition "
        "and items that don't.",
        '''
        def partition(items, predicate):
            """Split items by a condition, keeping their order.

            Args:
                items (list): The items to split.
                predicate (callable): Function returning True for items to keep in the first list.

            Returns:
                tuple[list, list]: (matching items, non-matching items).
            """
            matched, rest = [], []
            for item in items:
                (matched if predicate(item) else rest).append(item)
            return matched, rest
        ''',
        '''
        print(partition([1, 2, 3, 4, 5], lambda n: n % 2 == 0))  # ([2, 4], [1, 3, 5])
        ''',
        '''
        assert partition([], bool) == ([], [])
        assert partition(["a", "", "b"], bool) == (["a", "b"], [""])
        ''',
    ),
    # -------------------------------------------------------------------- dicts
    _ex(
        "cur-015-count-words",
        "dicts",
        "Write a Python function that counts how often each word occurs in a sentence.",
        '''
        def count_words(sentence):
            """Count how often each word occurs in a sentence.

            Args:
                sentence (str): Text whose words are separated by whitespace.

            Returns:
                dict[str, int]: Each lower-cased word mapped to its count.
            """
            counts = {}
            for word in sentence.lower().split():
                counts[word] = counts.get(word, 0) + 1
            return counts
        ''',
        '''
        print(count_words("the cat and the hat"))  # {'the': 2, 'cat': 1, 'and': 1, 'hat': 1}
        ''',
        '''
        assert count_words("a A b") == {"a": 2, "b": 1}
        assert count_words("") == {}
        ''',
    ),
    _ex(
        "cur-016-invert-dict",
        "dicts",
        "Write a function that inverts a dictionary, grouping the keys that share the same value.",
        '''
        def invert(mapping):
            """Swap keys and values, collecting keys that share a value.

            Args:
                mapping (dict): A dictionary with hashable values.

            Returns:
                dict: Each original value mapped to the list of keys that had it.
            """
            inverted = {}
            for key, value in mapping.items():
                inverted.setdefault(value, []).append(key)
            return inverted
        ''',
        '''
        print(invert({"a": 1, "b": 2, "c": 1}))  # {1: ['a', 'c'], 2: ['b']}
        ''',
        '''
        assert invert({}) == {}
        assert invert({"x": "y"}) == {"y": ["x"]}
        ''',
    ),
    _ex(
        "cur-017-merge-counts",
        "dicts",
        "How do I merge two dictionaries of counts in Python, adding the values for keys "
        "they share?",
        '''
        def merge_counts(first, second):
            """Merge two count dictionaries by adding values of shared keys.

            Args:
                first (dict[str, int]): The first counts; not modified.
                second (dict[str, int]): The second counts; not modified.

            Returns:
                dict[str, int]: A new dictionary with the summed counts.
            """
            merged = dict(first)
            for key, value in second.items():
                merged[key] = merged.get(key, 0) + value
            return merged
        ''',
        '''
        print(merge_counts({"a": 1, "b": 2}, {"b": 3, "c": 4}))  # {'a': 1, 'b': 5, 'c': 4}
        ''',
        '''
        original = {"a": 1}
        assert merge_counts(original, {"a": 2}) == {"a": 3}
        assert original == {"a": 1}
        assert merge_counts({}, {}) == {}
        ''',
    ),
    _ex(
        "cur-018-group-by-key",
        "dicts",
        "Create a function that groups a list of dictionaries by the value of a given key.",
        '''
        def group_by(records, key):
            """Group records by the value they have for one key.

            Args:
                records (list[dict]): The records to group; each must contain key.
                key (str): The field to group on.

            Returns:
                dict[object, list[dict]]: Each key value mapped to its records, in input order.
            """
            groups = {}
            for record in records:
                groups.setdefault(record[key], []).append(record)
            return groups
        ''',
        '''
        people = [
            {"name": "Ann", "city": "Oslo"},
            {"name": "Bo", "city": "Rome"},
            {"name": "Cy", "city": "Oslo"},
        ]
        groups = group_by(people, "city")
        print(sorted(groups))  # ['Oslo', 'Rome']
        print([person["name"] for person in groups["Oslo"]])  # ['Ann', 'Cy']
        ''',
        '''
        assert group_by([], "city") == {}
        rows = [{"k": 1}, {"k": 2}, {"k": 1}]
        assert group_by(rows, "k") == {1: [{"k": 1}, {"k": 1}], 2: [{"k": 2}]}
        ''',
    ),
    _ex(
        "cur-019-nested-get",
        "dicts",
        "Write a function that safely reads a value from nested dictionaries using a dotted "
        "path like 'db.port', returning a default if any key is missing.",
        '''
        def get_path(data, path, default=None):
            """Look up a value in nested dictionaries with a dotted path.

            Args:
                data (dict): The nested dictionaries to search.
                path (str): Keys separated by dots, e.g. "db.port".
                default (object): Value returned when any key is missing.

            Returns:
                object: The value found at the path, or default.
            """
            current = data
            for key in path.split("."):
                if not isinstance(current, dict) or key not in current:
                    return default
                current = current[key]
            return current
        ''',
        '''
        config = {"db": {"host": "localhost", "port": 5432}}
        print(get_path(config, "db.port"))  # 5432
        print(get_path(config, "db.user", "admin"))  # admin
        ''',
        '''
        assert get_path({"a": {"b": {"c": 1}}}, "a.b.c") == 1
        assert get_path({"a": 1}, "a.b") is None
        assert get_path({}, "x", default=0) == 0
        ''',
    ),
    _ex(
        "cur-020-sort-dict-by-value",
        "dicts",
        "How can I sort a dictionary by its values, largest first? Give me a function.",
        '''
        def sort_by_value(mapping, descending=True):
            """Return a copy of a dictionary ordered by its values.

            Args:
                mapping (dict): The dictionary to sort; values must be comparable.
                descending (bool): Largest values first when True.

            Returns:
                dict: A new dictionary whose insertion order follows the values.
            """
            items = sorted(mapping.items(), key=lambda item: item[1], reverse=descending)
            return dict(items)
        ''',
        '''
        print(sort_by_value({"apple": 3, "kiwi": 7, "fig": 5}))  # {'kiwi': 7, 'fig': 5, 'apple': 3}
        ''',
        '''
        assert list(sort_by_value({"a": 1, "b": 2}, descending=False)) == ["a", "b"]
        assert list(sort_by_value({"a": 1, "b": 2})) == ["b", "a"]
        assert sort_by_value({}) == {}
        ''',
    ),
    _ex(
        "cur-021-pick-keys",
        "dicts",
        "Write a function that returns a new dict containing only the given keys.",
        '''
        def pick(mapping, keys):
            """Keep only selected keys of a dictionary.

            Args:
                mapping (dict): The source dictionary; not modified.
                keys (list): Keys to keep; keys missing from mapping are skipped.

            Returns:
                dict: A new dictionary with just the requested keys.
            """
            return {key: mapping[key] for key in keys if key in mapping}
        ''',
        '''
        user = {"id": 7, "name": "Ada", "password": "secret"}
        print(pick(user, ["id", "name"]))  # {'id': 7, 'name': 'Ada'}
        ''',
        '''
        assert pick({"a": 1}, ["b"]) == {}
        assert pick({"a": 1, "b": 2}, ["b", "a"]) == {"b": 2, "a": 1}
        ''',
    ),
    # -------------------------------------------------------------------- files
    _ex(
        "cur-022-count-nonempty-lines",
        "files",
        "Write a Python function that counts the non-empty lines in a text file.",
        '''
        def count_nonempty_lines(path):
            """Count the lines of a text file that contain non-whitespace characters.

            Args:
                path (str | pathlib.Path): The file to read.

            Returns:
                int: The number of non-blank lines.
            """
            with open(path, encoding="utf-8") as handle:
                return sum(1 for line in handle if line.strip())
        ''',
        r'''
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "notes.txt"
            path.write_text("first\n\nsecond\n   \nthird\n", encoding="utf-8")
            print(count_nonempty_lines(path))  # 3
        ''',
        '''
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "empty.txt"
            path.write_text("", encoding="utf-8")
            assert count_nonempty_lines(path) == 0
            path.write_text("no newline at end", encoding="utf-8")
            assert count_nonempty_lines(path) == 1
        ''',
    ),
    _ex(
        "cur-023-json-save-load",
        "files",
        "Create functions to save a dictionary to a JSON file and load it back.",
        '''
        import json
        from pathlib import Path


        def save_json(data, path):
            """Write data to a file as pretty-printed JSON.

            Args:
                data (dict): JSON-serializable data.
                path (str | pathlib.Path): Destination file.

            Returns:
                None
            """
            Path(path).write_text(json.dumps(data, indent=2), encoding="utf-8")


        def load_json(path):
            """Read JSON data from a file.

            Args:
                path (str | pathlib.Path): The file to read.

            Returns:
                dict: The parsed data.
            """
            return json.loads(Path(path).read_text(encoding="utf-8"))
        ''',
        '''
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "profile.json"
            save_json({"name": "Ada", "langs": ["python", "c"]}, path)
            print(load_json(path))  # {'name': 'Ada', 'langs': ['python', 'c']}
        ''',
        '''
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "data.json"
            data = {"count": 3, "ok": True, "items": [1, None]}
            save_json(data, path)
            assert load_json(path) == data
        ''',
    ),
    _ex(
        "cur-024-csv-column-sum",
        "files",
        "Write a function that sums a numeric column in a CSV file that has a header row.",
        '''
        import csv


        def sum_column(path, column):
            """Add up the values of one column in a CSV file.

            Args:
                path (str | pathlib.Path): CSV file whose first row holds the column names.
                column (str): Name of the column to sum.

            Returns:
                float: The total of the column.
            """
            with open(path, newline="", encoding="utf-8") as handle:
                return sum(float(row[column]) for row in csv.DictReader(handle))
        ''',
        r'''
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "prices.csv"
            path.write_text("item,price\napple,1.25\npear,2.5\n", encoding="utf-8")
            print(sum_column(path, "price"))  # 3.75
        ''',
        r'''
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "header_only.csv"
            path.write_text("item,price\n", encoding="utf-8")
            assert sum_column(path, "price") == 0
            path.write_text('item,qty\n"a, b",2\nc,3\n', encoding="utf-8")
            assert sum_column(path, "qty") == 5.0
        ''',
    ),
    _ex(
        "cur-025-find-files-by-extension",
        "files",
        "How do I find all files with a given extension in a folder and its subfolders? "
        "Give me a function.",
        '''
        from pathlib import Path


        def find_files(root, extension):
            """List files under a folder, recursively, that end with an extension.

            Args:
                root (str | pathlib.Path): The folder to search.
                extension (str): File ending to match, e.g. ".py".

            Returns:
                list[str]: Matching paths relative to root, sorted.
            """
            base = Path(root)
            matches = [p for p in base.rglob(f"*{extension}") if p.is_file()]
            return sorted(p.relative_to(base).as_posix() for p in matches)
        ''',
        '''
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "sub").mkdir()
            for name in ["a.py", "sub/b.py", "c.txt"]:
                (Path(tmp) / name).write_text("", encoding="utf-8")
            print(find_files(tmp, ".py"))  # ['a.py', 'sub/b.py']
        ''',
        '''
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            assert find_files(tmp, ".py") == []
            (Path(tmp) / "dir.py").mkdir()
            (Path(tmp) / "x.md").write_text("", encoding="utf-8")
            assert find_files(tmp, ".py") == []
            assert find_files(tmp, ".md") == ["x.md"]
        ''',
        note="Paths are returned relative to the folder, with forward slashes.",
    ),
    _ex(
        "cur-026-tail-file",
        "files",
        "Write a function that returns the last N lines of a text file without loading the "
        "whole file into a list.",
        '''
        from collections import deque


        def tail(path, count):
            """Return the last lines of a text file.

            Args:
                path (str | pathlib.Path): The file to read.
                count (int): How many lines to return.

            Returns:
                list[str]: Up to count lines, without trailing newlines.
            """
            with open(path, encoding="utf-8") as handle:
                return [line.rstrip("\\n") for line in deque(handle, maxlen=count)]
        ''',
        '''
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "app.log"
            path.write_text("".join(f"line {i}\\n" for i in range(1, 6)), encoding="utf-8")
            print(tail(path, 2))  # ['line 4', 'line 5']
        ''',
        '''
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "short.txt"
            path.write_text("only\\n", encoding="utf-8")
            assert tail(path, 5) == ["only"]
            assert tail(path, 0) == []
        ''',
    ),
    _ex(
        "cur-027-atomic-write",
        "files",
        "Create a function that safely writes text to a file by writing a temporary file "
        "first and then renaming it.",
        '''
        import os
        import tempfile


        def atomic_write(path, text):
            """Write text so readers never see a half-written file.

            Args:
                path (str | pathlib.Path): Destination file; replaced if it exists.
                text (str): The content to write.

            Returns:
                None
            """
            directory = os.path.dirname(os.path.abspath(path))
            fd, tmp_path = tempfile.mkstemp(dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.replace(tmp_path, path)
            except BaseException:
                os.unlink(tmp_path)
                raise
        ''',
        '''
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "settings.ini"
            atomic_write(path, "debug = true")
            print(path.read_text(encoding="utf-8"))  # debug = true
        ''',
        '''
        import os
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "out.txt"
            atomic_write(path, "one")
            atomic_write(path, "two")
            assert path.read_text(encoding="utf-8") == "two"
            assert os.listdir(tmp) == ["out.txt"]
        ''',
    ),
    # ------------------------------------------------------------------- errors
    _ex(
        "cur-028-safe-int",
        "errors",
        "Write a Python function that converts a string to an int and returns a default "
        "value if the conversion fails.",
        '''
        def to_int(text, default=0):
            """Convert text to an int without raising on bad input.

            Args:
                text (str): The text to convert, e.g. "42".
                default (int): Value returned when text is not a valid integer.

            Returns:
                int: The parsed integer, or default.
            """
            try:
                return int(text)
            except (TypeError, ValueError):
                return default
        ''',
        '''
        print(to_int("42"))  # 42
        print(to_int("4x2", default=-1))  # -1
        ''',
        '''
        assert to_int(" 7 ") == 7
        assert to_int("") == 0
        assert to_int(None, default=5) == 5
        ''',
    ),
    _ex(
        "cur-029-retry",
        "errors",
        "Implement a retry helper that calls a function up to N times and re-raises the "
        "last error if every attempt fails.",
        '''
        def retry(func, attempts=3, exceptions=(Exception,)):
            """Call func until it succeeds or the attempts run out.

            Args:
                func (callable): Function taking no arguments.
                attempts (int): Maximum number of calls; at least 1.
                exceptions (tuple[type[Exception], ...]): Errors that trigger another attempt.

            Returns:
                object: Whatever func returns on its first successful call.

            Raises:
                ValueError: If attempts is smaller than 1.
            """
            if attempts < 1:
                raise ValueError("attempts must be at least 1")
            for attempt in range(1, attempts + 1):
                try:
                    return func()
                except exceptions:
                    if attempt == attempts:
                        raise
        ''',
        '''
        values = iter(["oops", "nope", "42"])
        print(retry(lambda: int(next(values)), exceptions=(ValueError,)))  # 42
        ''',
        '''
        values = iter(["a", "b", "3"])
        try:
            retry(lambda: int(next(values)), attempts=2, exceptions=(ValueError,))
        except ValueError:
            pass
        else:
            raise AssertionError("expected ValueError")
        assert retry(lambda: 5) == 5
        ''',
        note="Retries immediately; add a short time.sleep between attempts for real network calls.",
    ),
    _ex(
        "cur-030-custom-exception",
        "errors",
        "Create a custom exception class for validation errors and a function that raises "
        "it when an age is invalid.",
        '''
        class ValidationError(Exception):
            """Raised when a value fails validation.

            Attributes:
                field (str): Name of the invalid field.
            """

            def __init__(self, field, message):
                """Create the error.

                Args:
                    field (str): Name of the invalid field.
                    message (str): What is wrong with the value.

                Returns:
                    None
                """
                super().__init__(f"{field}: {message}")
                self.field = field


        def validate_age(age):
            """Check that an age is a whole number between 0 and 150.

            Args:
                age (int): The age to check.

            Returns:
                int: The same age, if it is valid.

            Raises:
                ValidationError: If the age is not an int or out of range.
            """
            if not isinstance(age, int) or isinstance(age, bool):
                raise ValidationError("age", "must be an integer")
            if not 0 <= age <= 150:
                raise ValidationError("age", "must be between 0 and 150")
            return age
        ''',
        '''
        try:
            validate_age(200)
        except ValidationError as error:
            print(error)  # age: must be between 0 and 150
        ''',
        '''
        assert validate_age(30) == 30
        for bad in [-1, 151, "30", 3.5, True]:
            try:
                validate_age(bad)
            except ValidationError as error:
                assert error.field == "age"
            else:
                raise AssertionError(f"expected ValidationError for {bad!r}")
        ''',
    ),
    _ex(
        "cur-031-safe-divide",
        "errors",
        "How should I handle division by zero in Python? Give me a function that returns "
        "None instead of crashing.",
        '''
        def safe_divide(numerator, denominator):
            """Divide two numbers, returning None instead of raising on zero.

            Args:
                numerator (float): The number to divide.
                denominator (float): The number to divide by.

            Returns:
                float | None: The quotient, or None if denominator is zero.
            """
            try:
                return numerator / denominator
            except ZeroDivisionError:
                return None
        ''',
        '''
        print(safe_divide(10, 4))  # 2.5
        print(safe_divide(1, 0))  # None
        ''',
        '''
        assert safe_divide(0, 5) == 0
        assert safe_divide(-9, 3) == -3
        assert safe_divide(2.0, 0.0) is None
        ''',
    ),
    _ex(
        "cur-032-require-setting",
        "errors",
        "Write a function that reads a required setting from a dict and raises a KeyError "
        "with a helpful message, chaining the original error.",
        '''
        def require_setting(settings, name):
            """Fetch a required setting with a clear error message.

            Args:
                settings (dict[str, object]): The available settings.
                name (str): The setting to read.

            Returns:
                object: The value of the setting.

            Raises:
                KeyError: If the setting is missing; the message lists what is available.
            """
            try:
                return settings[name]
            except KeyError as error:
                available = ", ".join(sorted(settings)) or "none"
                raise KeyError(f"missing setting {name!r}; available: {available}") from error
        ''',
        '''
        try:
            require_setting({"host": "localhost"}, "port")
        except KeyError as error:
            print(error.args[0])  # missing setting 'port'; available: host
        ''',
        '''
        assert require_setting({"debug": False}, "debug") is False
        try:
            require_setting({}, "token")
        except KeyError as error:
            assert "available: none" in error.args[0]
            assert isinstance(error.__cause__, KeyError)
        else:
            raise AssertionError("expected KeyError")
        ''',
    ),
    _ex(
        "cur-033-collect-parse-errors",
        "errors",
        "Write a function that converts a list of strings to floats and collects the errors "
        "instead of stopping at the first bad value.",
        '''
        def parse_floats(values):
            """Convert strings to floats, collecting a message for each bad value.

            Args:
                values (list[str]): The strings to convert.

            Returns:
                tuple[list[float], list[str]]: The parsed numbers and the error messages.
            """
            numbers, errors = [], []
            for index, value in enumerate(values):
                try:
                    numbers.append(float(value))
                except ValueError:
                    errors.append(f"item {index}: {value!r} is not a number")
            return numbers, errors
        ''',
        '''
        numbers, errors = parse_floats(["1.5", "abc", "3"])
        print(numbers)  # [1.5, 3.0]
        print(errors)  # ["item 1: 'abc' is not a number"]
        ''',
        '''
        assert parse_floats([]) == ([], [])
        assert parse_floats(["1e3", "-2"]) == ([1000.0, -2.0], [])
        numbers, errors = parse_floats(["", "x"])
        assert numbers == []
        assert errors == ["item 0: '' is not a number", "item 1: 'x' is not a number"]
        ''',
    ),
    # ------------------------------------------------------------------ classes
    _ex(
        "cur-034-stack-class",
        "classes",
        "Implement a Stack class with push and pop methods.",
        '''
        from dataclasses import dataclass, field


        @dataclass
        class Stack:
            """A last-in, first-out stack.

            Attributes:
                items (list): The stored values; the top of the stack is last.
            """

            items: list = field(default_factory=list)

            def push(self, item):
                """Put an item on top of the stack.

                Args:
                    item (object): The value to add.

                Returns:
                    None
                """
                self.items.append(item)

            def pop(self):
                """Remove and return the top item.

                Args:
                    None

                Returns:
                    object: The most recently pushed item.

                Raises:
                    IndexError: If the stack is empty.
                """
                if not self.items:
                    raise IndexError("pop from empty stack")
                return self.items.pop()
        ''',
        '''
        stack = Stack()
        stack.push(1)
        stack.push(2)
        print(stack.pop())  # 2
        print(stack.items)  # [1]
        ''',
        '''
        stack = Stack()
        stack.push("a")
        assert stack.pop() == "a"
        try:
            stack.pop()
        except IndexError:
            pass
        else:
            raise AssertionError("expected IndexError")
        ''',
    ),
    _ex(
        "cur-035-bank-account",
        "classes",
        "Create a BankAccount class that supports deposits and withdrawals and refuses to "
        "go below zero.",
        '''
        from dataclasses import dataclass


        @dataclass
        class BankAccount:
            """A simple bank account whose balance never goes negative.

            Attributes:
                owner (str): Name of the account holder.
                balance (float): The current balance.
            """

            owner: str
            balance: float = 0

            def deposit(self, amount):
                """Add money to the account.

                Args:
                    amount (float): Amount to add; must be positive.

                Returns:
                    float: The new balance.

                Raises:
                    ValueError: If amount is not positive.
                """
                if amount <= 0:
                    raise ValueError("deposit must be positive")
                self.balance += amount
                return self.balance

            def withdraw(self, amount):
                """Take money out of the account.

                Args:
                    amount (float): Amount to take; positive and at most the balance.

                Returns:
                    float: The new balance.

                Raises:
                    ValueError: If amount is not positive or exceeds the balance.
                """
                if amount <= 0 or amount > self.balance:
                    raise ValueError("invalid withdrawal amount")
                self.balance -= amount
                return self.balance
        ''',
        '''
        account = BankAccount("Ada", 100)
        print(account.deposit(50))  # 150
        print(account.withdraw(30))  # 120
        ''',
        '''
        account = BankAccount("Bo")
        assert account.deposit(10) == 10
        for bad in [-5, 0, 11]:
            try:
                account.withdraw(bad)
            except ValueError:
                pass
            else:
                raise AssertionError(f"expected ValueError for {bad}")
        assert account.balance == 10
        ''',
    ),
    _ex(
        "cur-036-point-dataclass",
        "classes",
        "Write a Point dataclass with a method that returns the distance to another point.",
        '''
        import math
        from dataclasses import dataclass


        @dataclass(frozen=True)
        class Point:
            """An immutable point in 2D space.

            Attributes:
                x (float): Horizontal coordinate.
                y (float): Vertical coordinate.
            """

            x: float
            y: float

            def distance_to(self, other):
                """Compute the straight-line distance to another point.

                Args:
                    other (Point): The point to measure to.

                Returns:
                    float: The Euclidean distance.
                """
                return math.hypot(self.x - other.x, self.y - other.y)
        ''',
        '''
        print(Point(0, 0).distance_to(Point(3, 4)))  # 5.0
        print(Point(1, 2))  # Point(x=1, y=2)
        ''',
        '''
        a = Point(1.5, -2)
        assert a.distance_to(a) == 0
        assert Point(1, 1) == Point(1, 1)
        assert len({Point(0, 0), Point(0, 0)}) == 1
        ''',
    ),
    _ex(
        "cur-037-temperature-property",
        "classes",
        "Implement a Temperature class that stores Celsius and has a fahrenheit property "
        "that can also be set.",
        '''
        class Temperature:
            """A temperature stored internally in degrees Celsius."""

            def __init__(self, celsius=0.0):
                """Create a temperature.

                Args:
                    celsius (float): The temperature in degrees Celsius.

                Returns:
                    None
                """
                self.celsius = celsius

            @property
            def fahrenheit(self):
                """The temperature in degrees Fahrenheit.

                Args:
                    None

                Returns:
                    float: The converted temperature.
                """
                return self.celsius * 9 / 5 + 32

            @fahrenheit.setter
            def fahrenheit(self, value):
                """Set the temperature from degrees Fahrenheit.

                Args:
                    value (float): The temperature in degrees Fahrenheit.

                Returns:
                    None
                """
                self.celsius = (value - 32) * 5 / 9
        ''',
        '''
        temp = Temperature(100)
        print(temp.fahrenheit)  # 212.0
        temp.fahrenheit = 32
        print(temp.celsius)  # 0.0
        ''',
        '''
        temp = Temperature(-40)
        assert temp.fahrenheit == -40
        temp.fahrenheit = 212
        assert temp.celsius == 100
        ''',
    ),
    _ex(
        "cur-038-lru-cache-class",
        "classes",
        "Implement a small LRU cache class with get and put methods and a fixed capacity.",
        '''
        from collections import OrderedDict


        class LRUCache:
            """A cache that evicts the least recently used entry when full."""

            def __init__(self, capacity):
                """Create an empty cache.

                Args:
                    capacity (int): Maximum number of entries; at least 1.

                Returns:
                    None
                """
                if capacity < 1:
                    raise ValueError("capacity must be at least 1")
                self.capacity = capacity
                self._data = OrderedDict()

            def get(self, key, default=None):
                """Read a value and mark it as recently used.

                Args:
                    key (object): The key to look up.
                    default (object): Value returned when the key is missing.

                Returns:
                    object: The cached value, or default.
                """
                if key not in self._data:
                    return default
                self._data.move_to_end(key)
                return self._data[key]

            def put(self, key, value):
                """Store a value, evicting the oldest entry if the cache is full.

                Args:
                    key (object): The key to store.
                    value (object): The value to store.

                Returns:
                    None
                """
                self._data[key] = value
                self._data.move_to_end(key)
                if len(self._data) > self.capacity:
                    self._data.popitem(last=False)
        ''',
        '''
        cache = LRUCache(2)
        cache.put("a", 1)
        cache.put("b", 2)
        cache.get("a")
        cache.put("c", 3)
        print(cache.get("b"))  # None
        print(cache.get("a"))  # 1
        ''',
        '''
        cache = LRUCache(1)
        cache.put("x", 1)
        cache.put("x", 2)
        assert cache.get("x") == 2
        cache.put("y", 3)
        assert cache.get("x", "gone") == "gone"
        assert cache.get("y") == 3
        ''',
    ),
    _ex(
        "cur-039-shape-inheritance",
        "classes",
        "Show me inheritance in Python: an abstract Shape base class with an area method "
        "and a Rectangle subclass that implements it.",
        '''
        from abc import ABC, abstractmethod
        from dataclasses import dataclass


        class Shape(ABC):
            """Base class for shapes that can report their area."""

            @abstractmethod
            def area(self):
                """Compute the area of the shape.

                Args:
                    None

                Returns:
                    float: The area.
                """

            def describe(self):
                """Summarize the shape in one line.

                Args:
                    None

                Returns:
                    str: The class name and the area.
                """
                return f"{type(self).__name__} with area {self.area()}"


        @dataclass
        class Rectangle(Shape):
            """A rectangle.

            Attributes:
                width (float): Length of the horizontal sides.
                height (float): Length of the vertical sides.
            """

            width: float
            height: float

            def area(self):
                """Compute width times height.

                Args:
                    None

                Returns:
                    float: The area.
                """
                return self.width * self.height
        ''',
        '''
        print(Rectangle(2, 3).describe())  # Rectangle with area 6
        ''',
        '''
        assert Rectangle(4, 0.5).area() == 2
        assert isinstance(Rectangle(1, 1), Shape)
        try:
            Shape()
        except TypeError:
            pass
        else:
            raise AssertionError("Shape should be abstract")
        ''',
    ),
    # ---------------------------------------------------------------- recursion
    _ex(
        "cur-040-factorial",
        "recursion",
        "Write a recursive function to compute the factorial of n.",
        '''
        def factorial(n):
            """Compute n! recursively.

            Args:
                n (int): A non-negative integer.

            Returns:
                int: The product 1 * 2 * ... * n (1 for n = 0).

            Raises:
                ValueError: If n is negative.
            """
            if n < 0:
                raise ValueError("n must be non-negative")
            if n <= 1:
                return 1
            return n * factorial(n - 1)
        ''',
        '''
        print(factorial(5))  # 120
        ''',
        '''
        import math

        assert factorial(0) == 1
        assert factorial(10) == math.factorial(10)
        try:
            factorial(-1)
        except ValueError:
            pass
        else:
            raise AssertionError("expected ValueError")
        ''',
    ),
    _ex(
        "cur-041-flatten-deep",
        "recursion",
        "Create a recursive function that flattens arbitrarily nested lists.",
        '''
        def flatten_deep(nested):
            """Flatten lists nested to any depth.

            Args:
                nested (list): A list whose items may themselves be lists.

            Returns:
                list: All non-list items, in left-to-right order.
            """
            flat = []
            for item in nested:
                if isinstance(item, list):
                    flat.extend(flatten_deep(item))
                else:
                    flat.append(item)
            return flat
        ''',
        '''
        print(flatten_deep([1, [2, [3, [4]], 5]]))  # [1, 2, 3, 4, 5]
        ''',
        '''
        assert flatten_deep([]) == []
        assert flatten_deep([[[]]]) == []
        assert flatten_deep(["a", ("b", "c")]) == ["a", ("b", "c")]
        ''',
    ),
    _ex(
        "cur-042-binary-search-recursive",
        "recursion",
        "Implement binary search recursively on a sorted list, returning the index of the "
        "target or -1.",
        '''
        def binary_search(items, target, low=0, high=None):
            """Find target in a sorted list by halving the search range.

            Args:
                items (list): A list sorted in ascending order.
                target (object): The value to find.
                low (int): First index of the range to search.
                high (int | None): Last index of the range; None means the end of the list.

            Returns:
                int: An index of target, or -1 if it is not present.
            """
            if high is None:
                high = len(items) - 1
            if low > high:
                return -1
            mid = (low + high) // 2
            if items[mid] == target:
                return mid
            if items[mid] < target:
                return binary_search(items, target, mid + 1, high)
            return binary_search(items, target, low, mid - 1)
        ''',
        '''
        print(binary_search([1, 3, 5, 7, 9], 7))  # 3
        ''',
        '''
        assert binary_search([], 1) == -1
        assert binary_search([1, 3, 5], 4) == -1
        data = list(range(0, 100, 3))
        assert all(binary_search(data, value) == i for i, value in enumerate(data))
        ''',
    ),
    _ex(
        "cur-043-permutations",
        "recursion",
        "Write a recursive function that returns all permutations of a string.",
        '''
        def permutations(text):
            """Generate every ordering of the characters in a string.

            Args:
                text (str): The characters to arrange.

            Returns:
                list[str]: All permutations, in lexicographic order of positions.
            """
            if len(text) <= 1:
                return [text]
            result = []
            for i, char in enumerate(text):
                for rest in permutations(text[:i] + text[i + 1 :]):
                    result.append(char + rest)
            return result
        ''',
        '''
        print(permutations("abc"))  # ['abc', 'acb', 'bac', 'bca', 'cab', 'cba']
        ''',
        '''
        assert permutations("") == [""]
        assert permutations("x") == ["x"]
        assert len(permutations("abcd")) == 24
        ''',
    ),
    _ex(
        "cur-044-digit-sum",
        "recursion",
        "How do I sum the digits of an integer recursively in Python?",
        '''
        def digit_sum(n):
            """Add up the decimal digits of an integer.

            Args:
                n (int): The number; its sign is ignored.

            Returns:
                int: The sum of its digits.
            """
            n = abs(n)
            if n < 10:
                return n
            return n % 10 + digit_sum(n // 10)
        ''',
        '''
        print(digit_sum(9875))  # 29
        ''',
        '''
        assert digit_sum(0) == 0
        assert digit_sum(-123) == 6
        assert digit_sum(10**20) == 1
        ''',
    ),
    _ex(
        "cur-045-dict-depth",
        "recursion",
        "Write a recursive function that computes how deeply a dictionary is nested.",
        '''
        def max_depth(tree):
            """Count the levels of nested dictionaries.

            Args:
                tree (object): A dictionary whose values may be dictionaries.

            Returns:
                int: 0 for a non-dict value, 1 for a flat dict, 2 for a dict of dicts, and so on.
            """
            if not isinstance(tree, dict):
                return 0
            return 1 + max((max_depth(value) for value in tree.values()), default=0)
        ''',
        '''
        print(max_depth({"a": {"b": {"c": 1}}, "d": 2}))  # 3
        ''',
        '''
        assert max_depth(5) == 0
        assert max_depth({}) == 1
        assert max_depth({"x": 1, "y": {"z": {}}}) == 3
        ''',
    ),
    _ex(
        "cur-046-subsets",
        "recursion",
        "Write a recursive function that generates all subsets of a list.",
        '''
        def subsets(items):
            """Build the power set of a list.

            Args:
                items (list): The items to choose from.

            Returns:
                list[list]: Every subset; each keeps the original item order.
            """
            if not items:
                return [[]]
            rest = subsets(items[1:])
            return rest + [[items[0]] + subset for subset in rest]
        ''',
        '''
        print(subsets([1, 2, 3]))  # [[], [3], [2], [2, 3], [1], [1, 3], [1, 2], [1, 2, 3]]
        ''',
        '''
        assert subsets([]) == [[]]
        assert len(subsets(list(range(5)))) == 32
        assert ["a", "b"] in subsets(["a", "b"])
        ''',
    ),
    _ex(
        "cur-047-memoized-fibonacci",
        "recursion",
        "Write a memoized recursive Fibonacci function that stays fast for large n.",
        '''
        from functools import lru_cache


        @lru_cache(maxsize=None)
        def fibonacci(n):
            """Return the n-th Fibonacci number, caching earlier results.

            Args:
                n (int): Position in the sequence; fibonacci(0) is 0.

            Returns:
                int: The n-th Fibonacci number.

            Raises:
                ValueError: If n is negative.
            """
            if n < 0:
                raise ValueError("n must be non-negative")
            if n < 2:
                return n
            return fibonacci(n - 1) + fibonacci(n - 2)
        ''',
        '''
        print([fibonacci(i) for i in range(10)])  # [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
        print(fibonacci(80))  # 23416728348467685
        ''',
        '''
        assert fibonacci(0) == 0
        assert fibonacci(1) == 1
        assert fibonacci(30) == 832040
        ''',
    ),
    # -------------------------------------------------------------------- async
    _ex(
        "cur-048-async-gather",
        "async",
        "Write async code that runs several coroutines concurrently and returns their "
        "results in order.",
        '''
        import asyncio


        async def fetch_square(n, delay=0.01):
            """Simulate a slow I/O call that returns n squared.

            Args:
                n (int): The number to square.
                delay (float): Seconds to wait, standing in for network latency.

            Returns:
                int: n * n.
            """
            await asyncio.sleep(delay)
            return n * n


        async def squares_concurrently(numbers):
            """Run fetch_square for every number at the same time.

            Args:
                numbers (list[int]): The numbers to square.

            Returns:
                list[int]: The squares, in the same order as numbers.
            """
            return await asyncio.gather(*(fetch_square(n) for n in numbers))
        ''',
        '''
        import asyncio

        print(asyncio.run(squares_concurrently([1, 2, 3])))  # [1, 4, 9]
        ''',
        '''
        import asyncio

        assert asyncio.run(squares_concurrently([])) == []
        assert asyncio.run(squares_concurrently([-2, 5])) == [4, 25]
        ''',
    ),
    _ex(
        "cur-049-async-timeout",
        "async",
        "How do I put a timeout on an async operation in Python? Give me a helper that "
        "returns a default if it takes too long.",
        '''
        import asyncio


        async def with_timeout(coro, seconds, default=None):
            """Await a coroutine, giving up after a time limit.

            Args:
                coro (Coroutine): The coroutine to await.
                seconds (float): Maximum time to wait.
                default (object): Value returned if the time limit is hit.

            Returns:
                object: The coroutine's result, or default on timeout.
            """
            try:
                return await asyncio.wait_for(coro, timeout=seconds)
            except asyncio.TimeoutError:
                return default
        ''',
        '''
        import asyncio

        print(asyncio.run(with_timeout(asyncio.sleep(0.001, result="done"), 1)))  # done
        ''',
        '''
        import asyncio

        slow = asyncio.sleep(0.01, result="late")
        assert asyncio.run(with_timeout(slow, 0.001, default="timeout")) == "timeout"
        assert asyncio.run(with_timeout(asyncio.sleep(0, result=1), 1)) == 1
        ''',
    ),
    _ex(
        "cur-050-async-concurrency-limit",
        "async",
        "Write an async function that processes items concurrently but with at most N "
        "running at the same time.",
        '''
        import asyncio


        async def _limited(semaphore, worker, item):
            """Run worker(item) while holding a semaphore slot.

            Args:
                semaphore (asyncio.Semaphore): Limits how many calls run at once.
                worker (callable): Async function called with the item.
                item (object): The item to process.

            Returns:
                object: The worker's result.
            """
            async with semaphore:
                return await worker(item)


        async def run_limited(items, worker, limit):
            """Process items concurrently with a cap on simultaneous work.

            Args:
                items (list): The items to process.
                worker (callable): Async function called with each item.
                limit (int): Maximum number of workers running at once; at least 1.

            Returns:
                list: The results, in the same order as items.
            """
            if limit < 1:
                raise ValueError("limit must be at least 1")
            semaphore = asyncio.Semaphore(limit)
            return await asyncio.gather(*(_limited(semaphore, worker, item) for item in items))
        ''',
        '''
        import asyncio

        jobs = run_limited([1, 2, 3, 4], lambda n: asyncio.sleep(0.001, result=n * 10), limit=2)
        print(asyncio.run(jobs))  # [10, 20, 30, 40]
        ''',
        '''
        import asyncio

        assert asyncio.run(run_limited([], asyncio.sleep, limit=1)) == []
        try:
            asyncio.run(run_limited([1], asyncio.sleep, limit=0))
        except ValueError:
            pass
        else:
            raise AssertionError("expected ValueError")
        ''',
    ),
    _ex(
        "cur-051-async-queue",
        "async",
        "Create an async producer/consumer example using asyncio.Queue where the consumer "
        "sums the numbers the producer sends.",
        '''
        import asyncio


        async def produce(queue, numbers):
            """Put numbers on the queue, then a None sentinel.

            Args:
                queue (asyncio.Queue): The queue to fill.
                numbers (list[int]): The numbers to send.

            Returns:
                None
            """
            for number in numbers:
                await queue.put(number)
            await queue.put(None)


        async def consume(queue):
            """Sum numbers from the queue until the None sentinel arrives.

            Args:
                queue (asyncio.Queue): The queue to read from.

            Returns:
                int: The total of all numbers received.
            """
            total = 0
            while (number := await queue.get()) is not None:
                total += number
            return total


        async def sum_via_queue(numbers):
            """Run a producer and a consumer concurrently over a small queue.

            Args:
                numbers (list[int]): The numbers to send through the queue.

            Returns:
                int: The sum computed by the consumer.
            """
            queue = asyncio.Queue(maxsize=2)
            _, total = await asyncio.gather(produce(queue, numbers), consume(queue))
            return total
        ''',
        '''
        import asyncio

        print(asyncio.run(sum_via_queue([1, 2, 3, 4])))  # 10
        ''',
        '''
        import asyncio

        assert asyncio.run(sum_via_queue([])) == 0
        assert asyncio.run(sum_via_queue(list(range(100)))) == 4950
        ''',
    ),
    _ex(
        "cur-052-async-to-thread",
        "async",
        "How do I call a blocking function from async code without freezing the event loop?",
        '''
        import asyncio
        import hashlib


        def checksum(data):
            """Compute a SHA-256 hex digest (blocking, CPU or I/O heavy in real code).

            Args:
                data (bytes): The bytes to hash.

            Returns:
                str: The hexadecimal digest.
            """
            return hashlib.sha256(data).hexdigest()


        async def checksum_async(data):
            """Run checksum in a worker thread so the event loop stays responsive.

            Args:
                data (bytes): The bytes to hash.

            Returns:
                str: The hexadecimal digest.
            """
            return await asyncio.to_thread(checksum, data)
        ''',
        '''
        import asyncio

        print(asyncio.run(checksum_async(b"abc"))[:16])  # ba7816bf8f01cfea
        ''',
        '''
        import asyncio

        assert asyncio.run(checksum_async(b"")) == checksum(b"")
        assert len(asyncio.run(checksum_async(b"x" * 1000))) == 64
        ''',
    ),
    # ------------------------------------------------------------------ parsing
    _ex(
        "cur-053-parse-key-value-pairs",
        "parsing",
        "Write a function that parses a string of key=value pairs separated by semicolons "
        "into a dictionary.",
        '''
        def parse_pairs(text):
            """Parse "key=value; key=value" text into a dictionary.

            Args:
                text (str): Pairs separated by ";", keys and values separated by "=".

            Returns:
                dict[str, str]: Stripped keys mapped to stripped values.
            """
            result = {}
            for part in text.split(";"):
                if not part.strip():
                    continue
                key, _, value = part.partition("=")
                result[key.strip()] = value.strip()
            return result
        ''',
        '''
        print(parse_pairs("host=db; port=5432"))  # {'host': 'db', 'port': '5432'}
        ''',
        '''
        assert parse_pairs("") == {}
        assert parse_pairs("a=1;;b = 2;") == {"a": "1", "b": "2"}
        assert parse_pairs("debug=") == {"debug": ""}
        assert parse_pairs("url=http://x?a=b") == {"url": "http://x?a=b"}
        ''',
        input_text="Example input: host=db; port=5432",
        note="Values are kept as strings; convert them yourself if you need numbers.",
    ),
    _ex(
        "cur-054-extract-emails",
        "parsing",
        "How can I extract all email addresses from a block of text? Give me a function.",
        r'''
        import re

        EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


        def extract_emails(text):
            """Find email addresses in free text.

            Args:
                text (str): The text to search.

            Returns:
                list[str]: The addresses, in the order they appear.
            """
            return EMAIL_PATTERN.findall(text)
        ''',
        '''
        text = "Contact ann@example.com or bob.smith@mail.co.uk today."
        print(extract_emails(text))  # ['ann@example.com', 'bob.smith@mail.co.uk']
        ''',
        '''
        assert extract_emails("no addresses here") == []
        assert extract_emails("x+tag@site.org,y@a.io") == ["x+tag@site.org", "y@a.io"]
        assert extract_emails("broken@nodot") == []
        ''',
        note="Uses a practical pattern, not the full RFC 5322 grammar.",
    ),
    _ex(
        "cur-055-parse-duration",
        "parsing",
        "Write a function that parses durations like '1h30m15s' into a total number of seconds.",
        r'''
        import re

        UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


        def parse_duration(text):
            """Convert a duration such as "1h30m15s" to seconds.

            Args:
                text (str): One or more number+unit parts; units are h, m and s.

            Returns:
                int: The total number of seconds.

            Raises:
                ValueError: If the text is not a valid duration.
            """
            if not re.fullmatch(r"(\d+[hms])+", text):
                raise ValueError(f"invalid duration: {text!r}")
            parts = re.findall(r"(\d+)([hms])", text)
            return sum(int(amount) * UNIT_SECONDS[unit] for amount, unit in parts)
        ''',
        '''
        print(parse_duration("1h30m15s"))  # 5415
        ''',
        '''
        assert parse_duration("45s") == 45
        assert parse_duration("2m") == 120
        for bad in ["", "10x", "h1", "1.5h"]:
            try:
                parse_duration(bad)
            except ValueError:
                pass
            else:
                raise AssertionError(f"expected ValueError for {bad!r}")
        ''',
    ),
    _ex(
        "cur-056-parse-csv-line",
        "parsing",
        "Create a function that parses one CSV line into fields, handling quoted commas correctly.",
        '''
        import csv


        def parse_csv_line(line):
            """Split a single CSV line into its fields.

            Args:
                line (str): One line of CSV, possibly with quoted fields.

            Returns:
                list[str]: The field values with quotes removed.
            """
            return next(csv.reader([line]), [])
        ''',
        '''
        print(parse_csv_line('name,"Smith, John",42'))  # ['name', 'Smith, John', '42']
        ''',
        '''
        assert parse_csv_line("a,b") == ["a", "b"]
        assert parse_csv_line('"say ""hi""",x') == ['say "hi"', "x"]
        assert parse_csv_line("") == []
        ''',
    ),
    _ex(
        "cur-057-parse-query-string",
        "parsing",
        "Write a function that parses the query string of a URL into a dictionary.",
        '''
        from urllib.parse import parse_qs, urlsplit


        def query_params(url):
            """Extract query parameters from a URL.

            Args:
                url (str): A full URL such as "https://example.com/?q=1".

            Returns:
                dict[str, str | list[str]]: Single values as strings, repeated keys as lists.
            """
            params = parse_qs(urlsplit(url).query)
            return {key: vals[0] if len(vals) == 1 else vals for key, vals in params.items()}
        ''',
        '''
        url = "https://example.com/search?q=python+tips&page=2&tag=a&tag=b"
        print(query_params(url))  # {'q': 'python tips', 'page': '2', 'tag': ['a', 'b']}
        ''',
        '''
        assert query_params("https://example.com/") == {}
        assert query_params("/p?name=J%C3%B6rg") == {"name": "Jörg"}
        ''',
    ),
    _ex(
        "cur-058-parse-log-line",
        "parsing",
        "Write a function that splits a log line into its date, time, level and message.",
        r'''
        import re

        LOG_PATTERN = re.compile(
            r"(?P<date>\d{4}-\d{2}-\d{2}) (?P<time>\d{2}:\d{2}:\d{2}) "
            r"(?P<level>[A-Z]+) (?P<message>.*)"
        )


        def parse_log_line(line):
            """Parse a line like "2024-05-01 12:00:00 ERROR Disk full".

            Args:
                line (str): One log line.

            Returns:
                dict[str, str] | None: The named parts, or None if the line does not match.
            """
            match = LOG_PATTERN.fullmatch(line.strip())
            return match.groupdict() if match else None
        ''',
        '''
        parts = parse_log_line("2024-05-01 12:00:00 ERROR Disk full")
        print(parts["level"], parts["message"])  # ERROR Disk full
        print(parts["date"])  # 2024-05-01
        ''',
        '''
        assert parse_log_line("garbage") is None
        assert parse_log_line("2024-01-02 03:04:05 INFO ok\\n")["message"] == "ok"
        ''',
        input_text="Log lines look like: 2024-05-01 12:00:00 ERROR Disk full",
    ),
    _ex(
        "cur-059-balanced-brackets",
        "parsing",
        "Write a function that checks whether the brackets in a string are balanced.",
        '''
        PAIRS = {")": "(", "]": "[", "}": "{"}


        def is_balanced(text):
            """Check that (), [] and {} are properly opened, closed and nested.

            Args:
                text (str): Text that may contain brackets and other characters.

            Returns:
                bool: True if every bracket is closed in the right order.
            """
            stack = []
            for char in text:
                if char in "([{":
                    stack.append(char)
                elif char in PAIRS:
                    if not stack or stack.pop() != PAIRS[char]:
                        return False
            return not stack
        ''',
        '''
        print(is_balanced("f(a[0], {b: 1})"))  # True
        print(is_balanced("(]"))  # False
        ''',
        '''
        assert is_balanced("")
        assert not is_balanced("((")
        assert not is_balanced("())")
        ''',
    ),
    # --------------------------------------------------------------------- math
    _ex(
        "cur-060-is-prime",
        "math",
        "Write a Python function that checks whether a number is prime.",
        '''
        import math


        def is_prime(n):
            """Check primality by trial division up to the square root.

            Args:
                n (int): The number to test.

            Returns:
                bool: True if n is a prime number.
            """
            if n < 2:
                return False
            for divisor in range(2, math.isqrt(n) + 1):
                if n % divisor == 0:
                    return False
            return True
        ''',
        '''
        print([n for n in range(20) if is_prime(n)])  # [2, 3, 5, 7, 11, 13, 17, 19]
        ''',
        '''
        assert not is_prime(-7)
        assert not is_prime(1)
        assert is_prime(7919)
        assert not is_prime(7917)
        ''',
    ),
    _ex(
        "cur-061-mean-median-mode",
        "math",
        "Write a function that returns the mean, median and mode of a list of numbers.",
        '''
        import statistics


        def summarize(numbers):
            """Compute basic statistics for a list of numbers.

            Args:
                numbers (list[int | float]): A non-empty list of numbers.

            Returns:
                dict[str, float]: The "mean", "median" and "mode" of the numbers.

            Raises:
                ValueError: If numbers is empty.
            """
            if not numbers:
                raise ValueError("numbers must not be empty")
            return {
                "mean": statistics.fmean(numbers),
                "median": statistics.median(numbers),
                "mode": statistics.mode(numbers),
            }
        ''',
        '''
        print(summarize([1, 2, 2, 3, 7]))  # {'mean': 3.0, 'median': 2, 'mode': 2}
        ''',
        '''
        assert summarize([4]) == {"mean": 4.0, "median": 4, "mode": 4}
        assert summarize([1, 2, 3, 4])["median"] == 2.5
        try:
            summarize([])
        except ValueError:
            pass
        else:
            raise AssertionError("expected ValueError")
        ''',
    ),
    _ex(
        "cur-062-gcd-euclid",
        "math",
        "Implement Euclid's algorithm to compute the greatest common divisor of two integers.",
        '''
        def gcd(a, b):
            """Compute the greatest common divisor with Euclid's algorithm.

            Args:
                a (int): First integer.
                b (int): Second integer.

            Returns:
                int: The largest positive integer dividing both (0 if both are 0).
            """
            a, b = abs(a), abs(b)
            while b:
                a, b = b, a % b
            return a
        ''',
        '''
        print(gcd(48, 18))  # 6
        ''',
        '''
        import math

        assert gcd(0, 5) == 5
        assert gcd(-12, 8) == 4
        assert all(gcd(x, y) == math.gcd(x, y) for x in range(-20, 21) for y in range(21))
        ''',
    ),
    _ex(
        "cur-063-round-money",
        "math",
        "How do I round money amounts correctly in Python, half up to two decimals? Give "
        "me a function.",
        '''
        from decimal import ROUND_HALF_UP, Decimal


        def round_money(amount):
            """Round an amount to cents, with halves rounded away from zero.

            Args:
                amount (str | int | Decimal): The amount; pass strings rather than floats.

            Returns:
                Decimal: The amount with exactly two decimal places.
            """
            return Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        ''',
        '''
        print(round_money("2.675"))  # 2.68
        print(round(2.675, 2))  # 2.67
        ''',
        '''
        from decimal import Decimal

        assert round_money("0.005") == Decimal("0.01")
        assert round_money(3) == Decimal("3.00")
        assert str(round_money("-1.005")) == "-1.01"
        ''',
        note="Uses Decimal, because floats like 2.675 cannot be stored exactly.",
    ),
    _ex(
        "cur-064-convert-base",
        "math",
        "Write a function that converts an integer to a string in any base from 2 to 36.",
        '''
        DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


        def to_base(number, base):
            """Represent an integer in another base.

            Args:
                number (int): The integer to convert; may be negative.
                base (int): The target base, from 2 to 36.

            Returns:
                str: The digits in the new base, with "-" for negative numbers.

            Raises:
                ValueError: If base is outside 2..36.
            """
            if not 2 <= base <= 36:
                raise ValueError("base must be between 2 and 36")
            if number == 0:
                return "0"
            sign = "-" if number < 0 else ""
            number, digits = abs(number), []
            while number:
                number, remainder = divmod(number, base)
                digits.append(DIGITS[remainder])
            return sign + "".join(reversed(digits))
        ''',
        '''
        print(to_base(255, 16))  # ff
        print(to_base(10, 2))  # 1010
        ''',
        '''
        assert to_base(0, 7) == "0"
        assert to_base(-255, 2) == "-11111111"
        assert int(to_base(123456, 36), 36) == 123456
        ''',
    ),
    # ---------------------------------------------------------------- iteration
    _ex(
        "cur-065-consecutive-differences",
        "iteration",
        "Write a function that returns the differences between consecutive numbers in a list.",
        '''
        from itertools import pairwise


        def differences(numbers):
            """Subtract each number from the one after it.

            Args:
                numbers (list[int | float]): The sequence of numbers.

            Returns:
                list[int | float]: One difference per neighbouring pair.
            """
            return [after - before for before, after in pairwise(numbers)]
        ''',
        '''
        print(differences([1, 4, 9, 16]))  # [3, 5, 7]
        ''',
        '''
        assert differences([]) == []
        assert differences([5]) == []
        assert differences([3, 1]) == [-2]
        ''',
    ),
    _ex(
        "cur-066-sliding-window",
        "iteration",
        "Create a generator that yields sliding windows of a fixed size over any iterable.",
        '''
        from collections import deque


        def sliding_window(iterable, size):
            """Yield overlapping windows of consecutive items.

            Args:
                iterable (Iterable): The items to slide over; read lazily.
                size (int): Number of items per window.

            Returns:
                Iterator[tuple]: Each window as a tuple, in order.
            """
            window = deque(maxlen=size)
            for item in iterable:
                window.append(item)
                if len(window) == size:
                    yield tuple(window)
        ''',
        '''
        print(list(sliding_window([1, 2, 3, 4, 5], 3)))  # [(1, 2, 3), (2, 3, 4), (3, 4, 5)]
        ''',
        '''
        assert list(sliding_window([1, 2], 3)) == []
        assert list(sliding_window("abc", 1)) == [("a",), ("b",), ("c",)]
        assert next(sliding_window(iter(range(10**9)), 2)) == (0, 1)
        ''',
    ),
    _ex(
        "cur-067-zip-strict",
        "iteration",
        "How do I loop over two lists at the same time and get an error if their lengths differ?",
        '''
        def pair_up(names, scores):
            """Combine names and scores position by position.

            Args:
                names (list[str]): The names.
                scores (list[int]): The scores; must be as long as names.

            Returns:
                list[str]: Lines like "Ann: 90".

            Raises:
                ValueError: If the lists have different lengths.
            """
            return [f"{name}: {score}" for name, score in zip(names, scores, strict=True)]
        ''',
        '''
        print(pair_up(["Ann", "Bo"], [90, 85]))  # ['Ann: 90', 'Bo: 85']
        ''',
        '''
        assert pair_up([], []) == []
        try:
            pair_up(["Ann", "Bo"], [90])
        except ValueError:
            pass
        else:
            raise AssertionError("expected ValueError")
        ''',
    ),
    _ex(
        "cur-068-first-match",
        "iteration",
        "Write a function that returns the first item in an iterable that satisfies a "
        "condition, or a default.",
        '''
        def first(iterable, predicate, default=None):
            """Find the first item for which predicate is true.

            Args:
                iterable (Iterable): The items to search; consumed only as far as needed.
                predicate (callable): Function returning True for the wanted item.
                default (object): Value returned when nothing matches.

            Returns:
                object: The first matching item, or default.
            """
            return next((item for item in iterable if predicate(item)), default)
        ''',
        '''
        print(first([3, 8, 11, 14], lambda n: n > 10))  # 11
        ''',
        '''
        import itertools

        assert first([], bool) is None
        assert first([0, ""], bool, default="none") == "none"
        assert first(itertools.count(1), lambda n: n % 7 == 0) == 7
        ''',
    ),
    _ex(
        "cur-069-running-totals",
        "iteration",
        "Create a function that returns the running totals of a list of numbers.",
        '''
        from itertools import accumulate


        def running_totals(numbers):
            """Compute cumulative sums.

            Args:
                numbers (list[int | float]): The numbers to add up.

            Returns:
                list[int | float]: Element i is the sum of numbers[0] through numbers[i].
            """
            return list(accumulate(numbers))
        ''',
        '''
        print(running_totals([5, 3, -2, 10]))  # [5, 8, 6, 16]
        ''',
        '''
        assert running_totals([]) == []
        assert running_totals([1]) == [1]
        assert running_totals([1, 1, 1, 1])[-1] == 4
        ''',
    ),
    _ex(
        "cur-070-interleave",
        "iteration",
        "Write a function that interleaves several lists, taking one item from each in turn "
        "and skipping lists that have run out.",
        '''
        from itertools import chain, zip_longest

        _MISSING = object()


        def interleave(*lists):
            """Merge lists round-robin style.

            Args:
                *lists (list): The lists to interleave; they may differ in length.

            Returns:
                list: Items taken one at a time from each list in turn.
            """
            rounds = zip_longest(*lists, fillvalue=_MISSING)
            return [item for item in chain.from_iterable(rounds) if item is not _MISSING]
        ''',
        '''
        print(interleave([1, 2, 3], ["a"], [True, False]))  # [1, 'a', True, 2, False, 3]
        ''',
        '''
        assert interleave() == []
        assert interleave([], [1]) == [1]
        assert interleave([None, None], [0]) == [None, 0, None]
        ''',
    ),
    # ----------------------------------------------------------------- datetime
    _ex(
        "cur-071-days-between",
        "datetime",
        "Write a Python function that returns the number of days between two dates given "
        "as 'YYYY-MM-DD' strings.",
        '''
        from datetime import date


        def days_between(start, end):
            """Count the days from one ISO date to another.

            Args:
                start (str): The first date, e.g. "2024-01-01".
                end (str): The second date in the same format.

            Returns:
                int: Days from start to end; negative if end is earlier.
            """
            return (date.fromisoformat(end) - date.fromisoformat(start)).days
        ''',
        '''
        print(days_between("2024-01-01", "2024-03-01"))  # 60
        ''',
        '''
        assert days_between("2023-01-01", "2023-03-01") == 59
        assert days_between("2024-05-02", "2024-05-01") == -1
        assert days_between("2024-05-01", "2024-05-01") == 0
        ''',
    ),
    _ex(
        "cur-072-age-in-years",
        "datetime",
        "Create a function that calculates a person's age in whole years from their birth date.",
        '''
        from datetime import date


        def age_on(birth_date, today=None):
            """Compute age in completed years.

            Args:
                birth_date (datetime.date): The date of birth.
                today (datetime.date | None): The reference date; defaults to today.

            Returns:
                int: The number of birthdays that have passed.
            """
            today = today or date.today()
            had_birthday = (today.month, today.day) >= (birth_date.month, birth_date.day)
            return today.year - birth_date.year - (0 if had_birthday else 1)
        ''',
        '''
        from datetime import date

        print(age_on(date(1990, 6, 15), today=date(2024, 6, 14)))  # 33
        print(age_on(date(1990, 6, 15), today=date(2024, 6, 15)))  # 34
        ''',
        '''
        from datetime import date

        assert age_on(date(2000, 2, 29), today=date(2001, 2, 28)) == 0
        assert age_on(date(2000, 2, 29), today=date(2001, 3, 1)) == 1
        assert age_on(date.today()) == 0
        ''',
        note="Assumes someone born on 29 February turns a year older on 1 March in non-leap years.",
    ),
    _ex(
        "cur-073-next-weekday",
        "datetime",
        "Write a function that returns the date of the next given weekday (for example next "
        "Monday) after a date.",
        '''
        from datetime import date, timedelta


        def next_weekday(start, weekday):
            """Find the first date after start that falls on a given weekday.

            Args:
                start (datetime.date): The date to count from; it is never returned.
                weekday (int): 0 for Monday through 6 for Sunday.

            Returns:
                datetime.date: The next matching date, 1 to 7 days after start.
            """
            days_ahead = (weekday - start.weekday() - 1) % 7 + 1
            return start + timedelta(days=days_ahead)
        ''',
        '''
        from datetime import date

        print(next_weekday(date(2024, 5, 1), 0))  # 2024-05-06
        ''',
        '''
        from datetime import date

        monday = date(2024, 5, 6)
        assert next_weekday(monday, 0) == date(2024, 5, 13)
        assert next_weekday(monday, 1) == date(2024, 5, 7)
        assert next_weekday(date(2024, 12, 31), 2) == date(2025, 1, 1)
        ''',
    ),
    _ex(
        "cur-074-convert-utc-offset",
        "datetime",
        "How do I convert a UTC timestamp string to another UTC offset and format it nicely?",
        '''
        from datetime import datetime, timedelta, timezone


        def convert_utc(iso_text, offset_hours):
            """Convert an ISO 8601 UTC timestamp to a fixed UTC offset.

            Args:
                iso_text (str): Timestamp like "2024-05-01T22:30:00Z"; naive times count as UTC.
                offset_hours (float): Target offset from UTC in hours, e.g. 2 or -5.

            Returns:
                str: The converted time formatted as "YYYY-MM-DD HH:MM +HHMM".
            """
            moment = datetime.fromisoformat(iso_text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            local = moment.astimezone(timezone(timedelta(hours=offset_hours)))
            return local.strftime("%Y-%m-%d %H:%M %z")
        ''',
        '''
        print(convert_utc("2024-05-01T22:30:00Z", 2))  # 2024-05-02 00:30 +0200
        ''',
        '''
        assert convert_utc("2024-01-01T00:00:00", -5) == "2023-12-31 19:00 -0500"
        assert convert_utc("2024-06-01T12:00:00+00:00", 5.5) == "2024-06-01 17:30 +0530"
        ''',
        note="Uses fixed offsets; use zoneinfo.ZoneInfo for named zones with daylight saving.",
    ),
    _ex(
        "cur-075-format-seconds",
        "datetime",
        "Write a function that formats a number of seconds as HH:MM:SS.",
        '''
        def format_seconds(total):
            """Format a duration in seconds as hours, minutes and seconds.

            Args:
                total (int): Non-negative number of seconds.

            Returns:
                str: The duration as "HH:MM:SS"; hours can exceed 24.

            Raises:
                ValueError: If total is negative.
            """
            if total < 0:
                raise ValueError("total must be non-negative")
            hours, remainder = divmod(int(total), 3600)
            minutes, seconds = divmod(remainder, 60)
            return f"{hours:02d}:{minutes:02d}:{seconds:02d}"
        ''',
        '''
        print(format_seconds(3725))  # 01:02:05
        ''',
        '''
        assert format_seconds(0) == "00:00:00"
        assert format_seconds(59) == "00:00:59"
        assert format_seconds(90000) == "25:00:00"
        ''',
    ),
]

_EXPLAIN = [
    _explain(
        "exp-001-generators",
        "Explain what a Python generator is.",
        '''
        A generator is a function that produces values lazily: it uses `yield` instead of
        `return`, and each time you ask for the next value it runs until the next `yield`
        and pauses there. Calling a generator function does not run its body; it returns a
        generator object that you can loop over with `for` or advance with `next()`.
        Because values are produced one at a time, generators use very little memory even
        for huge or endless sequences. A generator can only be iterated once; call the
        function again to start over.

        ```python
        def countdown(n):
            while n > 0:
                yield n
                n -= 1

        print(list(countdown(3)))  # [3, 2, 1]
        ```
        ''',
    ),
    _explain(
        "exp-002-list-vs-tuple",
        "What is the difference between a list and a tuple?",
        '''
        Lists are mutable: you can append, remove and replace items after creating them.
        Tuples are immutable, so their contents cannot be reassigned, which makes them
        hashable (when their items are) and usable as dictionary keys or set members. By
        convention a list holds any number of similar items, such as a list of user names,
        while a tuple holds a fixed set of related fields, such as a point `(x, y)`. Choose
        based on whether the data should change, not on the small speed difference.

        ```python
        point = (3, 4)
        names = ["ann", "bo"]
        names.append("cy")
        print({point: "home"}[point], names)  # home ['ann', 'bo', 'cy']
        ```
        ''',
    ),
    _explain(
        "exp-003-is-vs-equals",
        "When should I use `is` instead of `==` in Python?",
        '''
        `==` compares values: it asks whether two objects are equal, using the type's
        `__eq__` method. `is` compares identity: it is true only when both names refer to
        the very same object. Use `is` for singletons such as `None`, `True`, `False` and
        sentinel objects, as in `if result is None:`. For everything else, including numbers
        and strings, use `==`, because caching of small integers and short strings can make
        `is` look right in a quick test and then fail on other values.

        ```python
        a = [1, 2]
        b = [1, 2]
        print(a == b, a is b)  # True False
        ```
        ''',
    ),
    _explain(
        "exp-004-mutable-default-argument",
        "Why is a mutable default argument like `def f(items=[])` considered a bug?",
        '''
        Default values are evaluated once, when the `def` statement runs, not on every call.
        If the default is a mutable object such as a list or dict, every call that relies on
        the default shares that same object, so changes made in one call leak into the next.
        The usual fix is to default to `None` and create a fresh object inside the function.

        ```python
        def add_item(item, items=None):
            if items is None:
                items = []
            items.append(item)
            return items

        print(add_item(1), add_item(2))  # [1] [2]
        ```
        ''',
    ),
    _explain(
        "exp-005-gil",
        "What does the GIL mean for threads in Python?",
        '''
        The Global Interpreter Lock (GIL) in CPython lets only one thread execute Python
        bytecode at a time. Threads therefore do not speed up CPU-bound pure-Python work,
        such as number-crunching loops, because they take turns instead of running in
        parallel. Threads are still useful for I/O-bound work like network calls or file
        access, since a thread releases the GIL while it waits. For CPU-bound work, use
        `multiprocessing` or `concurrent.futures.ProcessPoolExecutor`, or libraries such as
        NumPy that do the heavy lifting in C.
        ''',
    ),
    _explain(
        "exp-006-decorators",
        "Can you explain what a decorator does in Python?",
        '''
        A decorator is a function that takes another function and returns a replacement,
        usually a wrapper that adds behaviour before or after the original call. Writing
        `@decorator` above a `def` is shorthand for `func = decorator(func)`. Decorators are
        used for logging, timing, caching (`functools.lru_cache`), access checks and
        registering handlers. When you write one, apply `functools.wraps` to the wrapper so
        the decorated function keeps its name and docstring.

        ```python
        import functools

        def shout(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                return func(*args, **kwargs).upper()
            return wrapper

        @shout
        def greet(name):
            return f"hello {name}"

        print(greet("ada"))  # HELLO ADA
        ```
        ''',
    ),
    _explain(
        "exp-007-asyncio-vs-threads",
        "What's the difference between asyncio and threads, and when should I pick each?",
        '''
        Threads are scheduled by the operating system, which can switch between them at
        almost any point, so shared data needs locks. asyncio runs many tasks in a single
        thread, and a task only gives up control at an `await`, which makes the switching
        points explicit and cheap. asyncio shines when you have many concurrent I/O
        operations, such as thousands of sockets or HTTP requests, and your libraries are
        async-aware. Threads are simpler when you must call blocking libraries, and
        `asyncio.to_thread` lets you mix the two. Neither speeds up CPU-bound pure-Python
        code much; use processes for that.
        ''',
    ),
    _explain(
        "exp-008-context-managers",
        "What is a context manager, and why is `with open(...)` recommended?",
        '''
        A context manager is an object that sets something up when a `with` block starts and
        reliably tears it down when the block ends, even if an exception is raised. It works
        through the `__enter__` and `__exit__` methods, or more simply through the
        `contextlib.contextmanager` decorator. `with open(path) as f:` guarantees the file is
        closed as soon as the block finishes instead of whenever the garbage collector gets
        to it. The same pattern manages locks, database transactions and temporary folders.

        ```python
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "demo.txt"), "w", encoding="utf-8") as f:
                f.write("hi")
            print(f.closed)  # True
        ```
        ''',
    ),
    _explain(
        "exp-009-shallow-vs-deep-copy",
        "Explain the difference between a shallow copy and a deep copy.",
        '''
        A shallow copy creates a new outer container but fills it with references to the
        same inner objects, so nested lists or dicts are still shared with the original. A
        deep copy, made with `copy.deepcopy`, recursively copies the inner objects too, so
        the copy is fully independent. `list(x)`, `x.copy()`, `x[:]` and `copy.copy(x)` all
        make shallow copies. Use a deep copy when you plan to modify nested data without
        affecting the original.

        ```python
        import copy

        grid = [[0, 0], [0, 0]]
        shallow = grid.copy()
        deep = copy.deepcopy(grid)
        grid[0][0] = 9
        print(shallow[0][0], deep[0][0])  # 9 0
        ```
        ''',
    ),
    _explain(
        "exp-010-name-main",
        "What does `if __name__ == \"__main__\":` do in a Python file?",
        '''
        Python sets the special variable `__name__` to `"__main__"` in the file you run
        directly, and to the module's import name when the file is imported. Code under
        `if __name__ == "__main__":` therefore runs only when the file is executed as a
        script, not when another module imports it. This lets one file act both as a
        reusable module and as a command-line program, and keeps imports free of side
        effects such as starting a server or parsing command-line arguments.
        ''',
    ),
]

CURATED_EXAMPLES: list[dict[str, str]] = _RUNNABLE + _EXPLAIN


def runnable_examples() -> list[dict[str, str]]:
    """Return the runnable-first examples, i.e. every record that is not "explain"."""
    return [record for record in CURATED_EXAMPLES if record["category"] != EXPLAIN_CATEGORY]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: write the dataset to the path given as the first argument."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(
            "usage: python -m askbuddyx.data.curated_examples OUTPUT.jsonl",
            file=sys.stderr,
        )
        return 2
    count = write_jsonl(args[0], CURATED_EXAMPLES)
    print(f"wrote {count} examples to {args[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
