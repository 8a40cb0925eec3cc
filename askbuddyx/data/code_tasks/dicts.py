"""Dictionary task families (invert, merge, group, rank, count) and sorting by a key."""

from __future__ import annotations

import random

from askbuddyx.data.code_tasks.core import (
    DICT_PARAMS,
    NAMES,
    Case,
    Example,
    FunctionTask,
    Script,
    as_text,
    as_value,
    capitalize,
    chance,
    function_code,
    lit,
    one_of,
    pick,
    q,
    sentence,
    word,
    word_int_dict,
    words,
)


def _invert(d: dict) -> dict:
    return {v: k for k, v in d.items()}


def invert_dict(rng: random.Random) -> FunctionTask:
    p = pick(rng, DICT_PARAMS)
    name = pick(rng, ("invert_dict", "swap_keys_values", "reverse_dict", "invert"))
    body = chance(rng, 0.6, [f"return {{value: key for key, value in {p}.items()}}"],
                  ["inverted = {}", f"for key, value in {p}.items():", "    inverted[value] = key",
                   "return inverted"])
    data, other = word_int_dict(rng), word_int_dict(rng, 1, 3)
    return FunctionTask(
        name, function_code(name, p, body),
        clause=("swap the keys and values of a dictionary",
                "invert a dictionary so that its values become keys and its keys become values"),
        given=("swap the keys and values of the given dictionary",
               "invert the following dictionary"),
        cases=[(lit(other), _invert(other)), ("{}", {})],
        example=Example(as_value(data, "my_dict"), lit(data), _invert(data)),
        script=Script(["original = " + lit(data),
                       "inverted = {value: key for key, value in original.items()}",
                       "print(inverted)"], "inverted", _invert(data)))


def _add_counts(d1: dict, d2: dict) -> dict:
    out = dict(d1)
    for k, v in d2.items():
        out[k] = out.get(k, 0) + v
    return out


def merge_dicts(rng: random.Random) -> FunctionTask:
    a, b = pick(rng, (("d1", "d2"), ("a", "b"), ("first", "second"), ("dict1", "dict2")))
    name = pick(rng, ("merge_dicts", "merge_and_sum", "combine_dicts", "add_dicts"))
    body = chance(rng, 0.5, [f"result = dict({a})", f"for key, value in {b}.items():",
                             "    result[key] = result.get(key, 0) + value", "return result"],
                  ["result = {}", f"for d in ({a}, {b}):", "    for key, value in d.items():",
                   "        result[key] = result.get(key, 0) + value", "return result"])

    def make() -> tuple[dict[str, int], dict[str, int]]:
        pool = words(rng, 4, 5)
        d1 = {k: rng.randint(1, 20) for k in rng.sample(pool, 3)}
        return d1, {k: rng.randint(1, 20) for k in rng.sample(pool, 3)}

    x, y = make()
    o1, o2 = make()
    return FunctionTask(
        name, function_code(name, f"{a}, {b}", body),
        clause=("merge two dictionaries, adding the values of keys that appear in both",
                "combine two dictionaries of counts into one, summing the values for common keys"),
        given="merge the two given dictionaries, summing the values of common keys",
        cases=[(f"{lit(o1)}, {lit(o2)}", _add_counts(o1, o2)), (f"{{}}, {lit(o2)}", dict(o2))],
        example=Example(f"{a} = {lit(x)}\n{b} = {lit(y)}", f"{lit(x)}, {lit(y)}",
                        _add_counts(x, y)))


def group_words(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("words", "strings", "items"))
    by_len = rng.random() < 0.45
    if by_len:
        name = pick(rng, ("group_by_length", "group_words_by_length", "bucket_by_length"))
        key_expr = "len(word)"
        clause = pick(rng, ("group a list of words by their length into a dictionary",
                            "build a dictionary that maps each word length to the list of words "
                            "with that length"))
        given = "group the given words by their length"
    else:
        name = pick(rng, ("group_by_first_letter", "group_words", "group_by_initial"))
        key_expr = "word[0]"
        clause = pick(rng, ("group a list of words by their first letter",
                            "create a dictionary that maps each first letter to the words "
                            "starting with it"))
        given = "group the given list of words by their first letter"
    body = chance(rng, 0.5, ["groups = {}", f"for word in {p}:",
                             f"    groups.setdefault({key_expr}, []).append(word)",
                             "return groups"],
                  ["groups = {}", f"for word in {p}:", f"    key = {key_expr}",
                   "    if key not in groups:", "        groups[key] = []",
                   "    groups[key].append(word)", "return groups"])

    def ref(ws: list[str]) -> dict[object, list[str]]:
        out: dict[object, list[str]] = {}
        for w in ws:
            out.setdefault(len(w) if by_len else w[0], []).append(w)
        return out

    data, other = words(rng, 4, 7), words(rng, 2, 5)
    return FunctionTask(name, function_code(name, p, body), clause, given,
                        [(lit(other), ref(other)), ("[]", {})],
                        Example(as_value(data, "words"), lit(data), ref(data)))


def sort_dict_by_value(rng: random.Random) -> FunctionTask:
    p = pick(rng, DICT_PARAMS)
    desc = rng.random() < 0.5
    keys_only = rng.random() < 0.4
    order, rev = ("descending", ", reverse=True") if desc else ("ascending", "")
    if keys_only:
        name = pick(rng, ("keys_sorted_by_value", "sort_keys_by_value", "rank_keys"))
        body = chance(rng, 0.5, f"return sorted({p}, key={p}.get{rev})",
                      f"return [key for key, value in sorted({p}.items(), "
                      f"key=lambda item: item[1]{rev})]")
        clause = f"return the keys of a dictionary sorted by their values in {order} order"
        given = f"list the keys of the given dictionary sorted by value in {order} order"
    else:
        name = pick(rng, ("sort_by_value", "sort_dict_by_value", "sorted_items"))
        body = f"return sorted({p}.items(), key=lambda item: item[1]{rev})"
        clause = pick(rng, (f"sort a dictionary by its values in {order} order and return a list "
                            "of (key, value) tuples",
                            f"return the items of a dictionary as a list of tuples sorted by "
                            f"value ({order})"))
        given = f"sort the given dictionary by value in {order} order"

    def ref(d: dict[str, int]) -> list:
        items = sorted(d.items(), key=lambda item: item[1], reverse=desc)
        return [k for k, _ in items] if keys_only else items

    data, other = word_int_dict(rng), word_int_dict(rng, 2, 4)
    return FunctionTask(name, function_code(name, p, [body]), clause, given,
                        [(lit(other), ref(other)), ("{}", [])],
                        Example(as_value(data, "scores"), lit(data), ref(data)))


def max_value_key(rng: random.Random) -> FunctionTask:
    p = pick(rng, DICT_PARAMS)
    fn, label, cmp = (max, "highest", ">") if rng.random() < 0.65 else (min, "lowest", "<")
    best = fn.__name__
    name = pick(rng, (f"key_with_{best}_value", f"{best}_key", f"find_{label}_key"))
    body = chance(rng, 0.5, [f"return {best}({p}, key={p}.get)"],
                  ["best_key = None", f"for key, value in {p}.items():",
                   f"    if best_key is None or value {cmp} {p}[best_key]:",
                   "        best_key = key", "return best_key"])
    data, other = word_int_dict(rng), word_int_dict(rng, 1, 4)
    expected = fn(data, key=data.__getitem__)
    return FunctionTask(
        name, function_code(name, p, body),
        clause=(f"find the key with the {label} value in a dictionary",
                f"return the key of a dictionary whose value is the {label}"),
        given=f"find the key with the {label} value in the given dictionary",
        cases=[(lit(other), fn(other, key=other.__getitem__))],
        example=Example(as_value(data, "scores"), lit(data), expected),
        script=Script(["scores = " + lit(data), f"best = {best}(scores, key=scores.get)",
                       "print(best)"], "best", expected))


def _word_counts(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for w in text.lower().split():
        out[w] = out.get(w, 0) + 1
    return out


def word_frequency(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("text", "sentence", "s"))
    name = pick(rng, ("word_frequency", "count_words", "word_counts", "word_histogram"))
    body, imports = pick(rng, (
        (["counts = {}", f"for word in {p}.lower().split():",
          "    counts[word] = counts.get(word, 0) + 1", "return counts"], ""),
        ([f"return dict(Counter({p}.lower().split()))"], "from collections import Counter"),
        (["counts = {}", f"for word in {p}.lower().split():", "    if word in counts:",
          "        counts[word] += 1", "    else:", "        counts[word] = 1", "return counts"],
         "")))

    def text() -> str:
        vocab = words(rng, 2, 4)
        return " ".join(pick(rng, vocab) for _ in range(rng.randint(4, 9)))

    sample = text()
    if rng.random() < 0.3:
        sample = capitalize(sample)
    other = text()
    return FunctionTask(
        name, function_code(name, p, body, imports),
        clause=("count the frequency of each word in a string (case-insensitive)",
                "return a dictionary with the number of occurrences of every word in a sentence, "
                "ignoring case"),
        given="count the occurrences of each word in the given text, ignoring case",
        cases=[(q(other), _word_counts(other)), (q(other.upper()), _word_counts(other)),
               ('""', {})],
        example=Example(as_text(sample, "text"), q(sample), _word_counts(sample)))


def char_frequency(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("s", "text", "string"))
    letters_only = rng.random() < 0.5
    name = pick(rng, ("char_frequency", "count_chars", "character_count", "letter_counts"))
    if letters_only:
        cond, loop_src = "ch.isalpha()", f"{p}.lower()"
        clause = pick(rng, ("count how many times each letter occurs in a string, ignoring case "
                            "and non-letter characters",
                            "build a dictionary of letter frequencies for a string "
                            "(case-insensitive, letters only)"))
        given = "count the frequency of each letter in the given string (ignore case)"
    else:
        cond, loop_src = 'ch != " "', p
        clause = pick(rng, ("count the occurrences of each character in a string, skipping "
                            "spaces",
                            "return a dictionary mapping every non-space character of a string "
                            "to its count"))
        given = "count the occurrences of each character (except spaces) in the given string"
    body = ["freq = {}", f"for ch in {loop_src}:", f"    if {cond}:",
            "        freq[ch] = freq.get(ch, 0) + 1", "return freq"]

    def ref(t: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for ch in (t.lower() if letters_only else t):
            if (ch.isalpha() if letters_only else ch != " "):
                out[ch] = out.get(ch, 0) + 1
        return out

    sample = capitalize(sentence(rng, 1, 3))
    if letters_only and rng.random() < 0.5:
        sample += "!"
    other = word(rng) + " " + word(rng).upper()
    return FunctionTask(name, function_code(name, p, body), clause, given,
                        [(q(other), ref(other)), ('""', {})],
                        Example(as_text(sample, "string"), q(sample), ref(sample)))


# ------------------------------------------------------------------------------ sorting

_LENGTH_SORTS = (  # (body expression, clause(s), given, sort key, reverse) of each mode
    ("key=len", ("sort a list of strings by their length (shortest first)",
                 "sort a list of words by length in ascending order"),
     "sort the given list of strings by length", len, False),
    ("key=len, reverse=True", "sort a list of strings by their length, longest first",
     "sort the given list of words from longest to shortest", len, True),
    ("key=lambda word: (len(word), word)", "sort a list of strings by length, breaking ties "
     "alphabetically", "sort the given words by length and then alphabetically",
     lambda w: (len(w), w), False),
)


def sort_by_length(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("words", "strings", "items"))
    mode = rng.randrange(3)
    name = pick(rng, ("sort_by_length", "sort_strings_by_length", "order_by_length"))
    how, clause_options, given, key, reverse = _LENGTH_SORTS[mode]
    clause = one_of(rng, clause_options)

    def ref(ws: list[str]) -> list[str]:
        return sorted(ws, key=key, reverse=reverse)

    data, other = words(rng, 4, 7), words(rng, 3, 6)
    fixed = ["ccc", "a", "dddd", "bb", "b"]
    script = None if mode else Script(["words = " + lit(data), "words.sort(key=len)",
                                       "print(words)"], "words", ref(data))
    return FunctionTask(name, function_code(name, p, [f"return sorted({p}, {how})"]), clause,
                        given, [(lit(other), ref(other)), (lit(fixed), ref(fixed)), ("[]", [])],
                        Example(as_value(data, "words"), lit(data), ref(data)), script)


def sort_records(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("items", "records", "data", "pairs"))
    desc = rng.random() < 0.4
    rev, order = (", reverse=True", "descending") if desc else ("", "ascending")
    dicts = rng.random() < 0.35
    field = pick(rng, ("age", "score", "price"))
    imports = ""
    if dicts:
        name = pick(rng, (f"sort_by_{field}", "sort_dicts", "sort_records"))
        body = f"return sorted({p}, key=lambda item: item[{q(field)}]{rev})"
        clause = f"sort a list of dictionaries by the value of the '{field}' key in {order} order"
        given = f"sort the given list of dictionaries by '{field}' ({order})"

        def make() -> list:
            return [{"name": nm, field: rng.randint(1, 90)}
                    for nm in rng.sample(NAMES, rng.randint(2, 4))]
    else:
        name = pick(rng, ("sort_by_second", "sort_tuples", "sort_by_second_item"))
        if rng.random() < 0.6:
            body = f"return sorted({p}, key=lambda item: item[1]{rev})"
        else:
            body, imports = f"return sorted({p}, key=itemgetter(1){rev})", (
                "from operator import itemgetter")
        clause = pick(rng, (f"sort a list of tuples by their second element in {order} order",
                            f"sort a list of (name, value) pairs by value, {order}"))
        given = f"sort the given list of tuples by the second item ({order})"

        def make() -> list:
            return [(nm, rng.randint(1, 90)) for nm in rng.sample(NAMES, rng.randint(2, 5))]

    def ref(xs: list) -> list:
        return sorted(xs, key=lambda r: r[field] if dicts else r[1], reverse=desc)

    data, other = make(), make()
    triples = (("x", 50), ("y", 10), ("z", 30))
    fixed = [{"name": nm, field: v} for nm, v in triples] if dicts else list(triples)
    cases: list[Case] = [(lit(other), ref(other)), (lit(fixed), ref(fixed)), ("[]", [])]
    return FunctionTask(name, function_code(name, p, [body], imports), clause, given, cases,
                        Example(as_value(data, p), lit(data), ref(data)))
