"""Parsing task families (key=value strings, CSV, regular expressions) and error handling."""

from __future__ import annotations

import random
from collections.abc import Callable

from askbuddyx.data.code_tasks.core import (
    DOMAINS,
    NAMES,
    Case,
    Example,
    FunctionTask,
    as_text,
    chance,
    collect_loop,
    function_code,
    ints,
    pick,
    q,
    sentence,
    word,
    words,
)


def parse_key_values(rng: random.Random) -> FunctionTask:
    pair_sep = pick(rng, (";", "&", ",", "|"))
    kv_sep = pick(rng, ("=", ":"))
    as_int = rng.random() < 0.4
    p = pick(rng, ("text", "s", "query", "config"))
    name = pick(rng, ("parse_pairs", "parse_key_values", "parse_config", "to_dict"))
    conv = "int(value.strip())" if as_int else "value.strip()"
    body = ["result = {}", f"for pair in {p}.split({q(pair_sep)}):", "    if not pair.strip():",
            "        continue", f"    key, value = pair.split({q(kv_sep)}, 1)",
            f"    result[key.strip()] = {conv}", "return result"]

    def make() -> dict[str, object]:
        keys = rng.sample(NAMES, rng.randint(2, 4)) if rng.random() < 0.5 else words(rng, 2, 4)
        if as_int:
            return {k: rng.randint(0, 99) for k in keys}
        return {k: word(rng) for k in keys}

    def render(d: dict[str, object]) -> str:
        return pair_sep.join(f"{k}{kv_sep}{v}" for k, v in d.items())

    data, other = make(), make()
    ex_a = render({"a": 1, "b": 2}) if as_int else render({"a": "x", "b": "y"})
    typ = " with integer values" if as_int else ""
    return FunctionTask(
        name, function_code(name, p, body),
        clause=(f'parse a string like "{ex_a}" into a dictionary{typ}',
                f"convert a string of key{kv_sep}value pairs separated by '{pair_sep}' into a "
                f"dictionary{typ}"),
        given=f"parse the given string of key{kv_sep}value pairs into a dictionary{typ}",
        cases=[(q(render(other)), other), ('""', {}), (q(render(other) + pair_sep), other)],
        example=Example(as_text(render(data)), q(render(data)), data))


_CITIES = ("paris", "london", "tokyo", "berlin", "madrid", "rome", "oslo", "lima", "cairo")
_COUNTRIES = ("france", "japan", "brazil", "canada", "kenya", "norway", "peru", "india")
_CSV_COLUMNS = ("name", "age", "city", "email", "country", "score")


def _csv_value(rng: random.Random, column: str) -> str:
    if column in ("age", "score"):
        return str(rng.randint(18, 90))
    pools = {"name": NAMES, "city": _CITIES, "country": _COUNTRIES}
    if column in pools:
        return pick(rng, pools[column])
    return f"{pick(rng, NAMES)}@{pick(rng, DOMAINS)}"


def csv_parsing(rng: random.Random) -> FunctionTask:
    mode = rng.randrange(3)  # split one line, header + row into a dict, sum a line of numbers
    p = pick(rng, ("line", "row", "text"))
    make: Callable[[], tuple[str, object]]
    if mode == 0:
        delim = pick(rng, (",", ",", ";"))
        name = pick(rng, ("split_csv_line", "parse_csv_line", "csv_fields"))
        fields = f"{p}.split({q(delim)})"
        body = chance(rng, 0.5, [f"return [field.strip() for field in {fields}]"],
                      collect_loop("field", fields, "field.strip()", var="fields"))
        what = "comma" if delim == "," else "semicolon"
        clause = (f"split a {what}-separated line into a list of fields, stripping whitespace "
                  "around each field")
        given = f"split the given {what}-separated line into a list of trimmed fields"

        def make() -> tuple[str, object]:
            values = [word(rng) if rng.random() < 0.7 else str(rng.randint(0, 99))
                      for _ in range(rng.randint(2, 5))]
            return delim.join(pick(rng, ("", " ", "  ")) + f + pick(rng, ("", " "))
                              for f in values), values
    elif mode == 1:
        name = pick(rng, ("row_to_dict", "parse_csv_row", "csv_to_dict"))
        p = "header, row"
        body = ['keys = [k.strip() for k in header.split(",")]',
                'values = [v.strip() for v in row.split(",")]', "return dict(zip(keys, values))"]
        clause = ("combine a CSV header line and a CSV data line into a dictionary that maps "
                  "each column name to its value")
        given = "turn the given CSV header and row into a dictionary"

        def make() -> tuple[str, object]:
            cols = rng.sample(_CSV_COLUMNS, rng.randint(2, 4))
            vals = [_csv_value(rng, c) for c in cols]
            return f"{q(','.join(cols))}, {q(', '.join(vals))}", dict(zip(cols, vals))
    else:
        name = pick(rng, ("sum_csv", "sum_csv_numbers", "csv_total"))
        body = [f'return sum(int(x) for x in {p}.split(",") if x.strip())']
        clause = "compute the sum of the integers in a comma-separated string"
        given = "calculate the sum of the numbers in the given comma-separated string"

        def make() -> tuple[str, object]:
            nums = ints(rng, -20, 99, 2, 6)
            return ",".join(str(n) for n in nums), sum(nums)
    raw, expected = make()
    cases: list[Case] = []
    for _ in range(2):
        r, e = make()
        cases.append((r if mode == 1 else q(r), e))
    if mode == 1:  # the call's arguments already are literals; show one per line
        shown, args = raw.replace('", "', '"\n"'), raw
    else:
        shown, args = as_text(raw, "line")(rng), q(raw)
    return FunctionTask(name, function_code(name, p, body), clause, given, cases,
                        Example(shown, args, expected))


def _numbers_text(rng: random.Random) -> tuple[str, object]:
    nums = [rng.randint(0, 999) for _ in range(rng.randint(1, 4))]
    parts = [f"{word(rng)} {n}" for n in nums]
    return " and ".join(parts) + f" {word(rng)}", nums


def _emails_text(rng: random.Random) -> tuple[str, object]:
    emails = []
    for _ in range(rng.randint(1, 3)):
        user = pick(rng, NAMES)
        if rng.random() < 0.4:
            user += "." + pick(rng, NAMES)
        emails.append(f"{user}@{pick(rng, DOMAINS)}")
    text = ", ".join(f"{word(rng)} {e}" for e in emails)
    return f"Contact: {text} for details.", emails


def _hashtags_text(rng: random.Random) -> tuple[str, object]:
    tags = words(rng, 1, 3)
    ws = sentence(rng, 2, 4).split()
    for t in tags:
        ws.insert(rng.randint(0, len(ws)), "#" + t)
    return " ".join(ws), [w[1:] for w in ws if w.startswith("#")]


def regex_extract(rng: random.Random) -> FunctionTask:
    kind = rng.randrange(3)  # numbers, email addresses, hashtags
    p = pick(rng, ("text", "s", "message"))
    if kind == 0:
        name = pick(rng, ("extract_numbers", "find_numbers", "get_numbers"))
        body = chance(rng, 0.5, f'return [int(n) for n in re.findall(r"\\d+", {p})]',
                      f'return list(map(int, re.findall(r"[0-9]+", {p})))')
        clause = pick(rng, ("extract all the numbers from a string and return them as a list of "
                            "integers",
                            "use a regular expression to find all the integers in a string"))
        given, make = "extract all the numbers from the given string", _numbers_text
    elif kind == 1:
        name = pick(rng, ("extract_emails", "find_emails", "get_email_addresses"))
        body = f'return re.findall(r"[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+", {p})'
        clause = pick(rng, ("extract all email addresses from a string using a regular "
                            "expression",
                            "find every email address that appears in a block of text"))
        given, make = "extract all the email addresses from the given text", _emails_text
    else:
        name = pick(rng, ("extract_hashtags", "find_hashtags", "get_hashtags"))
        body = f'return re.findall(r"#(\\w+)", {p})'
        clause = ("extract all hashtags from a string and return the tags without the leading "
                  "'#'")
        given, make = "extract the hashtags from the given text (without the '#')", _hashtags_text
    raw, expected = make(rng)
    r1, e1 = make(rng)
    return FunctionTask(name, function_code(name, p, [body], "import re"), clause, given,
                        [(q(r1), e1), ('"nothing here"', [])],
                        Example(as_text(raw, "text"), q(raw), expected))


# ------------------------------------------------------------------------ error handling


def safe_divide(rng: random.Random) -> FunctionTask:
    name = pick(rng, ("safe_divide", "divide", "safe_division", "try_divide"))
    a, b = pick(rng, (("a", "b"), ("x", "y"), ("numerator", "denominator")))
    if rng.random() < 0.6:
        body = ["try:", f"    return {a} / {b}", "except ZeroDivisionError:", "    return None"]
        how = pick(rng, (" using try/except", ""))
    else:
        body, how = [f"if {b} == 0:", "    return None", f"return {a} / {b}"], ""
    x, y = rng.randint(-50, 100), rng.choice([0, rng.randint(1, 12)])
    cases: list[Case] = [(f"{rng.randint(1, 40)}, 0", None)]
    for _ in range(2):
        u, w = rng.randint(-50, 100), rng.randint(1, 12)
        cases.append((f"{u}, {w}", u / w))
    return FunctionTask(
        name, function_code(name, f"{a}, {b}", body),
        clause=(f"divide two numbers and return None if the divisor is zero{how}",
                f"perform a safe division that returns None instead of raising an error when "
                f"dividing by zero{how}"),
        given="safely divide the given numbers, returning None on division by zero", cases=cases,
        example=Example(f"{a} = {x}, {b} = {y}", f"{x}, {y}", None if y == 0 else x / y))


def parse_int(rng: random.Random) -> FunctionTask:
    name = pick(rng, ("parse_int", "to_int", "safe_int", "str_to_int"))
    p = pick(rng, ("s", "text", "value"))
    default = pick(rng, ("0", "-1", "None", "param"))
    catch = "(TypeError, ValueError)" if rng.random() < 0.4 else "ValueError"
    default_value: object
    if default == "param":
        d = rng.randint(-1, 10)
        params, ret = f"{p}, default={d}", "default"
        desc = f"return a default value (a parameter that defaults to {d})"
        default_value = d
    else:
        params, ret = p, default
        default_value = None if default == "None" else int(default)
        desc = f"return {default}"
    body = ["try:", f"    return int({p})", f"except {catch}:", f"    return {ret}"]
    good = [str(rng.randint(-500, 500)), f" {rng.randint(0, 99)} "]
    bad = [word(rng), f"{rng.randint(1, 9)}.5", ""]
    cases: list[Case] = [(q(s), int(s)) for s in good] + [(q(s), default_value) for s in bad]
    if catch != "ValueError":
        cases.append(("None", default_value))
    if default == "param":
        cases.append((f"{q(bad[0])}, 42", 42))
    handled = "is not a valid integer" if catch == "ValueError" else "cannot be converted"
    sample = pick(rng, (good[0], bad[0], bad[1]))
    return FunctionTask(
        name, function_code(name, params, body),
        clause=(f"convert a string to an integer and {desc} if the string {handled}",
                f"parse an integer from a string, handling errors: if the input {handled}, "
                f"{desc}"),
        given=f"convert the given string to an integer, or {desc} if it {handled}", cases=cases,
        example=Example(q(sample), q(sample), int(sample) if sample in good else default_value))
