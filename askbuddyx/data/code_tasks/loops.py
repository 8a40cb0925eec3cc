"""Recursion and iteration task families: recursive functions, sums over ranges, tables."""

from __future__ import annotations

import random

from askbuddyx.data.code_tasks.core import (
    Case,
    Example,
    FunctionTask,
    as_text,
    as_value,
    chance,
    collect_loop,
    function_code,
    ints,
    lit,
    pick,
    q,
    sentence,
    total_loop,
    word,
)


def recursion(rng: random.Random) -> FunctionTask:
    kind = rng.randrange(4)  # power, list sum, string reverse, countdown
    cases: list[Case]
    if kind == 0:
        name = pick(rng, ("power", "recursive_power", "pow_rec"))
        b, e = pick(rng, (("base", "exp"), ("x", "n"), ("base", "exponent")))
        params = f"{b}, {e}"
        body = [f"if {e} == 0:", "    return 1", f"return {b} * {name}({b}, {e} - 1)"]
        clause = "compute base raised to a non-negative integer exponent using recursion"
        given = "calculate the given base raised to the given exponent recursively"
        x, y = rng.randint(2, 9), rng.randint(0, 8)
        example = Example(f"{b} = {x}, {e} = {y}", f"{x}, {y}", x ** y)
        cases = [(f"{u}, {w}", u ** w) for u, w in
                 ((rng.randint(2, 5), rng.randint(0, 10)), (7, 0), (-2, 3))]
    elif kind == 1:
        name = pick(rng, ("recursive_sum", "sum_list", "list_sum_recursive"))
        params = pick(rng, ("numbers", "lst", "items"))
        body = [f"if not {params}:", "    return 0", f"return {params}[0] + {name}({params}[1:])"]
        clause = pick(rng, ("calculate the sum of a list of numbers using recursion",
                            "recursively add up all the elements of a list"))
        given = "recursively calculate the sum of the given list"
        data = ints(rng, -10, 30)
        example = Example(as_value(data, "numbers")(rng), lit(data), sum(data))
        other = ints(rng, 0, 9, 1, 5)
        cases = [(lit(other), sum(other)), ("[]", 0)]
    elif kind == 2:
        name = pick(rng, ("reverse_recursive", "recursive_reverse", "reverse_string"))
        params = pick(rng, ("s", "text", "word"))
        body = [f"if len({params}) <= 1:", f"    return {params}",
                f"return {name}({params}[1:]) + {params}[0]"]
        clause, given = "reverse a string using recursion", "reverse the given string recursively"
        w = word(rng)
        example = Example(as_text(w)(rng), q(w), w[::-1])
        o = sentence(rng, 1, 2)
        cases = [(q(o), o[::-1]), ('""', ""), ('"a"', "a")]
    else:
        name = pick(rng, ("count_down", "countdown", "count_down_list"))
        params = pick(rng, ("n", "start"))
        body = [f"if {params} <= 0:", "    return [0]", f"return [{params}] + {name}({params} - 1)"]
        clause = ("return a list counting down from n to 0 using recursion, e.g. 3 gives "
                  "[3, 2, 1, 0]")
        given = "recursively build the countdown list from the given number to 0"
        v = rng.randint(2, 12)
        example = Example(str(v), str(v), list(range(v, -1, -1)))
        cases = [("0", [0]), ("1", [1, 0]), (str(v + 1), list(range(v + 1, -1, -1)))]
    return FunctionTask(name, function_code(name, params, body), clause, given, cases, example)


def range_sum(rng: random.Random) -> FunctionTask:
    kind = rng.randrange(3)  # start..end, multiples of k below a limit, even/odd up to n
    if kind == 0:
        name = pick(rng, ("sum_range", "range_sum", "sum_between"))
        params, labels = "start, end", ["start", "end"]
        body = chance(rng, 0.5, ["return sum(range(start, end + 1))"],
                      total_loop("i", "range(start, end + 1)", "i"))
        clause = "compute the sum of all integers from start to end, inclusive"
        given = "find the sum of all integers between the two given numbers (inclusive)"

        def ref(*xs: int) -> int:
            return sum(range(xs[0], xs[1] + 1))
        a = rng.randint(-10, 20)
        args, other = [a, a + rng.randint(0, 40)], [[1, 100], [5, 5], [3, 2]]
    elif kind == 1:
        k = rng.randint(2, 9)
        name = pick(rng, (f"sum_multiples_of_{k}", "sum_multiples", "multiples_sum"))
        params, labels = "limit", ["limit"]
        body = chance(rng, 0.5, [f"return sum(i for i in range(limit) if i % {k} == 0)"],
                      [f"return sum(range(0, limit, {k}))"])
        clause = f"find the sum of all multiples of {k} below a given limit"
        given = f"compute the sum of all multiples of {k} that are less than the given number"

        def ref(*xs: int) -> int:
            return sum(i for i in range(xs[0]) if i % k == 0)
        args, other = [rng.randint(10, 200)], [[0], [k], [k + 1], [rng.randint(50, 500)]]
    else:
        even = rng.random() < 0.5
        label, m = ("even", 0) if even else ("odd", 1)
        name = pick(rng, (f"sum_{label}_numbers", f"sum_of_{label}s", f"{label}_sum"))
        params, labels = "n", ["n"]
        body = chance(rng, 0.5, total_loop("i", "range(1, n + 1)", "i", f"i % 2 == {m}"),
                      [f"return sum(i for i in range(1, n + 1) if i % 2 == {m})"])
        clause = f"calculate the sum of all {label} numbers from 1 to n"
        given = f"calculate the sum of the {label} numbers between 1 and the given n"

        def ref(*xs: int) -> int:
            return sum(i for i in range(1, xs[0] + 1) if i % 2 == m)
        args, other = [rng.randint(5, 100)], [[0], [1], [2], [rng.randint(10, 60)]]
    cases: list[Case] = [(", ".join(map(str, xs)), ref(*xs)) for xs in other]
    return FunctionTask(name, function_code(name, params, body), clause, given, cases,
                        Example(", ".join(f"{lab} = {v}" for lab, v in zip(labels, args)),
                                ", ".join(map(str, args)), ref(*args)))


def multiplication_table(rng: random.Random) -> FunctionTask:
    n = rng.randint(2, 12)
    m = pick(rng, (5, 10, 10, 12))
    as_strings = rng.random() < 0.4
    name = pick(rng, ("multiplication_table", "times_table", "table_of"))
    p = pick(rng, ("n", "number", "num"))
    if as_strings:
        item = f'f"{{{p}}} x {{i}} = {{{p} * i}}"'
        clause = (f"generate the multiplication table of a number from 1 to {m} as a list of "
                  f'strings such as "{n} x 1 = {n}"')
        given = f"produce the multiplication table (1 to {m}) of the given number as strings"

        def ref(x: int) -> list:
            return [f"{x} x {i} = {x * i}" for i in range(1, m + 1)]
    else:
        item = f"{p} * i"
        clause = pick(rng, (f"return the multiplication table of a number as a list of its first "
                            f"{m} multiples",
                            f"generate a list containing {p} * 1 up to {p} * {m} for a number {p}"))
        given = f"generate the multiplication table (1 to {m}) of the given number as a list"

        def ref(x: int) -> list:
            return [x * i for i in range(1, m + 1)]
    body = chance(rng, 0.6, [f"return [{item} for i in range(1, {m + 1})]"],
                  collect_loop("i", f"range(1, {m + 1})", item, var="table"))
    return FunctionTask(
        name, function_code(name, p, body), clause, given,
        [(str(x), ref(x)) for x in (1, rng.randint(2, 15))],
        Example(as_value(n, "n"), str(n), ref(n)))


def fizzbuzz(rng: random.Random) -> FunctionTask:
    a, b = pick(rng, ((3, 5), (3, 5), (2, 7), (3, 4), (4, 6)))
    w1, w2 = pick(rng, (("Fizz", "Buzz"), ("Fizz", "Buzz"), ("Foo", "Bar"), ("Ping", "Pong")))
    name = pick(rng, ("fizzbuzz", "fizz_buzz", "play_fizzbuzz"))
    p = pick(rng, ("n", "limit"))
    body = ["result = []", f"for i in range(1, {p} + 1):",
            f"    if i % {a} == 0 and i % {b} == 0:", f'        result.append("{w1}{w2}")',
            f"    elif i % {a} == 0:", f'        result.append("{w1}")', f"    elif i % {b} == 0:",
            f'        result.append("{w2}")', "    else:", "        result.append(str(i))",
            "return result"]

    def say(i: int) -> str:
        return (w1 if i % a == 0 else "") + (w2 if i % b == 0 else "") or str(i)

    def ref(x: int) -> list[str]:
        return [say(i) for i in range(1, x + 1)]

    rule = (f'multiples of {a} are replaced by "{w1}", multiples of {b} by "{w2}" and multiples '
            f'of both by "{w1}{w2}"')
    value = rng.randint(10, 30)
    return FunctionTask(
        name, function_code(name, p, body),
        clause=(f"return the numbers from 1 to n as a list of strings, where {rule}",
                f"generate a FizzBuzz list for the numbers 1 to n in which {rule}"),
        given=f"build the FizzBuzz list up to the given number, where {rule}",
        cases=[(str(x), ref(x)) for x in (0, 1, a * b, rng.randint(15, 40))],
        example=Example(as_value(value, "n"), str(value), ref(value)))
