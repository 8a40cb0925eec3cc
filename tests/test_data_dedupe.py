"""Exact duplicates (normalized) and near-duplicate prompts are dropped, first one kept."""

from askbuddyx.data.dedupe import drop_exact, drop_near, exact_key, jaccard, prompt_shingles


def r(instruction, output="x = 1", input_text="", source="s"):
    return {"instruction": instruction, "input": input_text, "output": output, "source": source}


def test_exact_key_ignores_case_and_whitespace_but_not_field_boundaries():
    assert exact_key(r("Sort  a list", "sorted(x)")) == exact_key(r("sort a list\n", "sorted(x) "))
    assert exact_key(r("ab", "c")) != exact_key(r("a", "bc"))


def test_exact_duplicates_keep_the_first():
    kept, dups = drop_exact([r("A", source="one"), r("a ", source="two"), r("B")])
    assert [k["source"] for k in kept] == ["one", "s"]
    assert len(dups) == 1 and dups[0].kept["source"] == "one"


def test_near_duplicate_prompts_are_dropped_at_the_threshold():
    base = "Write a Python function that returns the sum of the squares of a list of integers"
    records = [
        r(base),
        r(base.replace("integers", "integers.")),           # punctuation only: identical grams
        r(base.replace("Write", "Create")),                  # one word changed
        r("Write a Python function that parses an ISO date string into a datetime object"),
        r(base, input_text="def broken(:\n    pass"),       # same instruction, other input
    ]
    kept, dups = drop_near(records, 0.9)
    assert [d.dropped for d in dups] == records[1:3]
    assert all(d.kept is records[0] and d.similarity >= 0.9 for d in dups)
    assert kept == [records[0], records[3], records[4]]
    sim = jaccard(prompt_shingles(records[0]), prompt_shingles(records[2]))
    kept_strict, _ = drop_near(records, min(1.0, sim + 0.01))  # just above: the rewrite stays
    assert records[2] in kept_strict and records[1] not in kept_strict


def test_near_dedupe_is_deterministic_and_can_be_turned_off():
    records = [r(f"Write a function number {i % 7} that adds {i % 7}") for i in range(50)]
    first = drop_near(records, 0.9)
    again = drop_near(records, 0.9)
    assert [id(x) for x in first[0]] == [id(x) for x in again[0]] and len(first[0]) == 7
    assert drop_near(records, None)[0] == records


def test_thresholds_up_to_one_work():
    records = [r("Sort the list of numbers"), r("Sort the list of numbers."),
               r("Sort the list of number")]
    kept, dups = drop_near(records, 1.0)  # only identical 5-gram sets
    assert kept == [records[0], records[2]] and dups[0].dropped is records[1]
    assert len(drop_near(records, 0.99)[0]) == 2
