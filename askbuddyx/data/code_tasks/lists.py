"""List task families: totals, extremes, filters, reshaping, searching and mapping."""

from __future__ import annotations

import math
import random

from askbuddyx.data.code_tasks.core import (
    LIST_PARAMS,
    LOOP_VARS,
    Example,
    FunctionTask,
    Script,
    as_value,
    chance,
    collect_loop,
    function_code,
    ints,
    lit,
    one_of,
    pick,
    total_loop,
    words,
)


def _sum_of_squares(xs: list[int]) -> int:
    return sum(x * x for x in xs)


def list_sum_product(rng: random.Random) -> FunctionTask:
    p, v = pick(rng, LIST_PARAMS), pick(rng, LOOP_VARS)
    op = rng.randrange(3)
    loop = rng.random() < 0.5
    imports = ""
    if op == 0:
        name = pick(rng, ("sum_list", "list_sum", "calculate_sum", "total"))
        body = total_loop(v, p, v) if loop else [f"return sum({p})"]
        clause = pick(rng, ("calculate the sum of all numbers in a list",
                            "compute the sum of the elements of a list",
                            "add up all the numbers in a list"))
        given = pick(rng, ("calculate the sum of the numbers in the given list",
                           "find the sum of all elements in the following list"))
        data, ref = ints(rng, -20, 60), sum
        script = ["total = sum(numbers)", "print(total)"], "total"
    elif op == 1:
        name = pick(rng, ("product_of_list", "list_product", "multiply_list", "product"))
        if loop:
            body = ["result = 1", f"for {v} in {p}:", f"    result *= {v}", "return result"]
        else:
            body, imports = [f"return math.prod({p})"], "import math"
        clause = pick(rng, ("calculate the product of all numbers in a list",
                            "multiply all the numbers in a list together"))
        given = "calculate the product of the numbers in the given list"
        data, ref = ints(rng, -5, 9, 3, 6), math.prod
        script = (["product = 1", "for n in numbers:", "    product *= n", "print(product)"],
                  "product")
    else:
        name = pick(rng, ("sum_of_squares", "square_sum", "sum_squares"))
        body = total_loop(v, p, f"{v} * {v}") if loop else [f"return sum({v} ** 2 for {v} in {p})"]
        clause = pick(rng, ("compute the sum of the squares of the numbers in a list",
                            "return the sum of squares of a list of integers"))
        given = "compute the sum of the squares of the numbers in the given list"
        data, ref = ints(rng, -10, 15), _sum_of_squares
        script = ["total = sum(n * n for n in numbers)", "print(total)"], "total"
    others = [ints(rng, -9, 9, 2, 6), [rng.randint(1, 9)], []]
    script_lines, var = script
    return FunctionTask(name, function_code(name, p, body, imports), clause, given,
                        [(lit(xs), ref(xs)) for xs in others],
                        Example(as_value(data, "numbers"), lit(data), ref(data)),
                        Script(["numbers = " + lit(data), *script_lines], var, ref(data)))


def list_max_min(rng: random.Random) -> FunctionTask:
    p, v = pick(rng, LIST_PARAMS), pick(rng, LOOP_VARS)
    mode = rng.randrange(3)  # maximum, minimum, both
    data = ints(rng, -50, 99)
    others = [ints(rng, -50, 99, 1, 7), ints(rng, -30, -1, 2, 5)]
    if mode == 2:
        name = pick(rng, ("min_max", "find_min_max", "get_extremes"))
        body = chance(rng, 0.5, [f"smallest = largest = {p}[0]", f"for {v} in {p}:",
                                 f"    if {v} < smallest:", f"        smallest = {v}",
                                 f"    if {v} > largest:", f"        largest = {v}",
                                 "return smallest, largest"],
                      [f"return min({p}), max({p})"])
        return FunctionTask(
            name, function_code(name, p, body),
            pick(rng, ("return both the smallest and the largest number of a list as a tuple "
                       "(min, max)",
                       "find the minimum and maximum values of a list and return them as a "
                       "tuple")),
            "find the minimum and maximum of the given list and return them as a tuple",
            [(lit(xs), (min(xs), max(xs))) for xs in others],
            Example(as_value(data, "numbers"), lit(data), (min(data), max(data))))
    fn, label, cmp, what = ((max, "largest", ">", "maximum"),
                            (min, "smallest", "<", "minimum"))[mode]
    name = pick(rng, (f"find_{fn.__name__}", f"{label}_number", f"get_{what}"))
    body = chance(rng, 0.5, [f"return {fn.__name__}({p})"],
                  [f"{label} = {p}[0]", f"for {v} in {p}[1:]:", f"    if {v} {cmp} {label}:",
                   f"        {label} = {v}", f"return {label}"])
    clause = pick(rng, (f"find the {what} of a list of numbers",
                        f"return the {label} number in a list",
                        f"find the {label} element in an array of integers"))
    given = pick(rng, (f"find the {what} of the given list",
                       f"find the {label} number in the following array"))
    return FunctionTask(
        name, function_code(name, p, body), clause, given, [(lit(xs), fn(xs)) for xs in others],
        Example(as_value(data, "numbers"), lit(data), fn(data)),
        Script(["numbers = " + lit(data), f"{label} = {fn.__name__}(numbers)", f"print({label})"],
               label, fn(data)))


def filter_parity(rng: random.Random) -> FunctionTask:
    p, v = pick(rng, LIST_PARAMS), pick(rng, LOOP_VARS)
    even = rng.random() < 0.55
    label, m = ("even", 0) if even else ("odd", 1)
    cond = f"{v} % 2 == {m}"
    name = pick(rng, (f"filter_{label}", f"get_{label}_numbers", f"{label}_numbers",
                      f"keep_{label}"))
    body = pick(rng, ([f"return [{v} for {v} in {p} if {cond}]"], collect_loop(v, p, v, cond),
                      [f"return list(filter(lambda {v}: {cond}, {p}))"]))
    data = ints(rng, -10, 40, 5, 9)

    def ref(xs: list[int]) -> list[int]:
        return [x for x in xs if x % 2 == m]

    cases = [(lit(xs), ref(xs)) for xs in (ints(rng, -10, 40, 3, 8), [1, 2, 3, 4, -5], [])]
    return FunctionTask(
        name, function_code(name, p, body),
        clause=(f"filter out all the {label} numbers from a list",
                f"return a new list containing only the {label} numbers of a list",
                f"select the {label} elements from a list of integers"),
        given=(f"filter the {label} numbers from the given list",
               f"print only the {label} numbers of the following list"),
        cases=cases, example=Example(as_value(data, "numbers"), lit(data), ref(data)),
        script=Script(["numbers = " + lit(data),
                       f"{label}s = [n for n in numbers if n % 2 == {m}]", f"print({label}s)"],
                      f"{label}s", ref(data)))


# (condition, its words, function names) of each filter_threshold kind
_THRESHOLDS = (
    ("{v} > {k}", "greater than {k}", ("filter_greater", "greater_than", "above_threshold")),
    ("{v} < {k}", "less than {k}", ("filter_less", "less_than", "below_threshold")),
    ("{v} >= {k}", "greater than or equal to {k}", ("filter_at_least", "at_least", "filter_min")),
    ("{v} % {k} == 0", "divisible by {k}", ("filter_divisible", "divisible_by", "multiples_of")),
)
_THRESHOLD_TESTS = (lambda x, k: x > k, lambda x, k: x < k, lambda x, k: x >= k,
                    lambda x, k: x % k == 0)


def filter_threshold(rng: random.Random) -> FunctionTask:
    p, v = pick(rng, LIST_PARAMS), pick(rng, LOOP_VARS)
    kind = rng.randrange(4)
    k = rng.randint(2, 7) if kind == 3 else rng.randint(-5, 30)
    as_param = rng.random() < 0.3
    kname = pick(rng, ("k", "threshold", "limit")) if kind < 3 else "divisor"
    cond_fmt, text, names = _THRESHOLDS[kind]
    cond = cond_fmt.format(v=v, k=kname if as_param else str(k))
    name = pick(rng, names)
    body = chance(rng, 0.6, [f"return [{v} for {v} in {p} if {cond}]"], collect_loop(v, p, v, cond))

    def ref(xs: list[int]) -> list[int]:
        return [x for x in xs if _THRESHOLD_TESTS[kind](x, k)]

    data = ints(rng, -10, 50, 5, 9)
    extra = f", {k}" if as_param else ""
    fixed = [k - 1, k, k + 1, 2 * k, k + 7, k - 7]
    cases = [(lit(xs) + extra, ref(xs)) for xs in (ints(rng, -10, 50, 3, 8), fixed)]
    if as_param:
        clause = f"return the numbers of a list that are {text.format(k='a given ' + kname)}"
        given = f"return the numbers of the given list that are {text.format(k=k)}"
        shown = f"{lit(data)}, {kname} = {k}"
    else:
        clause = (f"filter a list so that it only keeps numbers {text.format(k=k)}",
                  f"return all the elements of a list that are {text.format(k=k)}")
        given = f"find all the numbers in the given list that are {text.format(k=k)}"
        shown = as_value(data, "numbers")
    return FunctionTask(name, function_code(name, f"{p}, {kname}" if as_param else p, body),
                        clause, given, cases, Example(shown, lit(data) + extra, ref(data)))


def _dedupe(items: list) -> list:
    return list(dict.fromkeys(items))


def remove_duplicates(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("items", "lst", "values", "elements"))
    name = pick(rng, ("remove_duplicates", "dedupe", "unique_items", "remove_dups"))
    body = pick(rng, (["seen = set()", "result = []", f"for item in {p}:",
                       "    if item not in seen:", "        seen.add(item)",
                       "        result.append(item)", "return result"],
                      [f"return list(dict.fromkeys({p}))"],
                      collect_loop("item", p, "item", "item not in result")))
    if rng.random() < 0.6:
        data: list = [rng.randint(1, 9) for _ in range(rng.randint(6, 10))]
        other: list = [rng.randint(1, 5) for _ in range(6)]
    else:
        pool = words(rng, 3, 4)
        data = [pick(rng, pool) for _ in range(rng.randint(5, 8))]
        other = [pick(rng, pool) for _ in range(5)]
    return FunctionTask(
        name, function_code(name, p, body),
        clause=("remove duplicate elements from a list while preserving the order",
                "remove all duplicates from a list, keeping the first occurrence of each element",
                "return the unique elements of a list in their original order"),
        given=("remove the duplicates from the given list, preserving the order",
               "remove all duplicate elements from the following list"),
        cases=[(lit(other), _dedupe(other)), ("[]", [])],
        example=Example(as_value(data, "my_list"), lit(data), _dedupe(data)),
        script=Script(["items = " + lit(data), "unique = list(dict.fromkeys(items))",
                       "print(unique)"], "unique", _dedupe(data)))


def rotate_list(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("items", "lst", "arr", "values"))
    left = rng.random() < 0.5
    direction = "left" if left else "right"
    name = pick(rng, (f"rotate_{direction}", "rotate_list", "rotate"))
    as_param = rng.random() < 0.5
    k = rng.randint(1, 4)
    kname = "k" if as_param else "steps"
    turn = (f"return {p}[{kname}:] + {p}[:{kname}]" if left
            else f"return {p}[-{kname}:] + {p}[:-{kname}]")
    body = [f"if not {p}:", "    return []",
            f"k = k % len({p})" if as_param else f"{kname} = {k} % len({p})", turn]
    if not as_param and rng.random() < 0.5:
        body[-1] = (f"return {p}[{kname}:] + {p}[:{kname}]" if left
                    else f"return {p}[len({p}) - {kname}:] + {p}[:len({p}) - {kname}]")

    def ref(xs: list[int], steps: int) -> list[int]:
        if not xs:
            return []
        steps %= len(xs)
        return xs[steps:] + xs[:steps] if left else xs[len(xs) - steps:] + xs[:len(xs) - steps]

    data = ints(rng, 0, 30, 4, 8)
    extra = f", {k}" if as_param else ""
    cases = [(lit(xs) + extra, ref(xs, k))
             for xs in (ints(rng, 0, 9, 2, 7), list(range(1, k + 1)), list(range(1, k + 3)))]
    if as_param:
        cases += [(f"{lit(data)}, {len(data) + 1}", ref(data, len(data) + 1)), ("[], 3", [])]
        return FunctionTask(name, function_code(name, f"{p}, k", body),
                            f"rotate a list to the {direction} by k positions",
                            f"rotate the given list to the {direction} by k positions", cases,
                            Example(f"{lit(data)}, k = {k}", f"{lit(data)}, {k}", ref(data, k)))
    cases.append(("[]", []))
    s = "s" if k > 1 else ""
    return FunctionTask(name, function_code(name, p, body),
                        (f"rotate a list to the {direction} by {k} position{s}",
                         f"shift the elements of a list {k} place{s} to the {direction}, "
                         "wrapping around"),
                        f"rotate the given list {k} position{s} to the {direction}", cases,
                        Example(as_value(data, "my_list"), lit(data), ref(data, k)))


def _flatten(xss: list[list[int]]) -> list[int]:
    return [x for xs in xss for x in xs]


def flatten_list(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("nested", "lists", "matrix", "list_of_lists"))
    name = pick(rng, ("flatten", "flatten_list", "flatten_one_level"))
    body = pick(rng, ([f"return [item for sub in {p} for item in sub]"],
                      ["result = []", f"for sub in {p}:", "    result.extend(sub)",
                       "return result"],
                      ["flat = []", f"for sub in {p}:", "    for item in sub:",
                       "        flat.append(item)", "return flat"]))

    def nested() -> list[list[int]]:
        return [ints(rng, 0, 20, 0, 4) for _ in range(rng.randint(2, 4))]

    data = nested()
    while not any(data):
        data = nested()
    cases = [(lit(x), _flatten(x)) for x in (nested(), [[1], [], [2, 3]], [])]
    return FunctionTask(
        name, function_code(name, p, body),
        clause=("flatten a list of lists into a single list", "flatten a nested list by one level",
                "convert a two-dimensional list into a one-dimensional list"),
        given=("flatten the given list of lists", "flatten the following nested list"),
        cases=cases, example=Example(as_value(data, "list_of_lists"), lit(data), _flatten(data)),
        script=Script(["nested = " + lit(data), "flat = [x for sub in nested for x in sub]",
                       "print(flat)"], "flat", _flatten(data)))


def chunk_list(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("items", "lst", "data", "values"))
    name = pick(rng, ("chunk_list", "chunks", "split_into_chunks", "batch"))
    n = rng.randint(2, 4)
    as_param = rng.random() < 0.5
    size = "size" if as_param else str(n)
    body = chance(rng, 0.6, [f"return [{p}[i:i + {size}] for i in range(0, len({p}), {size})]"],
                  collect_loop("i", f"range(0, len({p}), {size})", f"{p}[i:i + {size}]"))
    code = function_code(name, f"{p}, size" if as_param else p, body)

    def ref(xs: list[int]) -> list[list[int]]:
        return [xs[i:i + n] for i in range(0, len(xs), n)]

    data = list(range(1, rng.randint(5, 11)))
    extra = f", {n}" if as_param else ""
    cases = [(lit(xs) + extra, ref(xs)) for xs in (ints(rng, 0, 50, 3, 9), [])]
    if as_param:
        return FunctionTask(
            name, code, "split a list into chunks of a given size (the last chunk may be shorter)",
            f"split the given list into chunks of size {n}", cases,
            Example(f"{lit(data)}, size = {n}", lit(data) + extra, ref(data)))
    return FunctionTask(name, code, (f"split a list into chunks of {n} elements",
                                     f"divide a list into sublists of length {n}; the last one "
                                     "may be shorter"),
                        f"split the given list into groups of {n} elements", cases,
                        Example(as_value(data, "numbers"), lit(data), ref(data)))


def second_largest(rng: random.Random) -> FunctionTask:
    p, v = pick(rng, LIST_PARAMS), pick(rng, LOOP_VARS)
    largest = rng.random() < 0.65
    label, cmp, index = ("largest", ">", -2) if largest else ("smallest", "<", 1)
    name = pick(rng, (f"second_{label}", f"find_second_{label}", f"get_second_{label}"))
    body = chance(rng, 0.5, [f"return sorted(set({p}))[{index}]"],
                  ["first = second = None", f"for {v} in {p}:",
                   f"    if first is None or {v} {cmp} first:",
                   f"        first, second = {v}, first",
                   f"    elif {v} != first and (second is None or {v} {cmp} second):",
                   f"        second = {v}", "return second"])

    def sample() -> list[int]:
        while True:
            xs = ints(rng, -20, 60, 3, 8)
            if len(set(xs)) >= 2:
                return xs

    def ref(xs: list[int]) -> int:
        return sorted(set(xs))[index]

    data = sample()
    a = rng.randint(1, 9)
    return FunctionTask(
        name, function_code(name, p, body),
        clause=(f"find the second {label} number in a list",
                f"return the second {label} distinct element of a list of integers"),
        given=f"find the second {label} number in the given list",
        cases=[(lit(xs), ref(xs)) for xs in (sample(), [a, a, a + 1], [a + 1, a + 1, a])],
        example=Example(as_value(data, "numbers"), lit(data), ref(data)))


def moving_average(rng: random.Random) -> FunctionTask:
    p = pick(rng, LIST_PARAMS)
    name = pick(rng, ("moving_average", "rolling_mean", "sliding_average"))
    n = rng.randint(2, 4)
    as_param = rng.random() < 0.4
    w = "window" if as_param else str(n)
    windows = f"range(len({p}) - {w} + 1)"
    body = chance(rng, 0.6, [f"return [sum({p}[i:i + {w}]) / {w} for i in {windows}]"],
                  collect_loop("i", windows, f"sum({p}[i:i + {w}]) / {w}", var="averages"))
    code = function_code(name, f"{p}, window" if as_param else p, body)

    def ref(xs: list[int]) -> list[float]:
        return [sum(xs[i:i + n]) / n for i in range(len(xs) - n + 1)]

    data = ints(rng, 0, 30, n + 1, n + 6)
    extra = f", {n}" if as_param else ""
    cases = [(lit(xs) + extra, ref(xs)) for xs in (ints(rng, -10, 30, n, n + 4),
                                                   list(range(n - 1)))]
    if as_param:
        return FunctionTask(
            name, code, "compute the moving average of a list of numbers for a given window size",
            f"compute the moving average of the given list with a window of size {n}", cases,
            Example(f"{lit(data)}, window = {n}", lit(data) + extra, ref(data)))
    return FunctionTask(name, code,
                        (f"compute the moving average of a list with a window size of {n}",
                         f"return the averages of every {n} consecutive numbers in a list"),
                        f"calculate the moving average (window size {n}) of the given list",
                        cases, Example(as_value(data, "numbers"), lit(data), ref(data)))


def _running_totals(xs: list[int]) -> list[int]:
    out, total = [], 0
    for x in xs:
        total += x
        out.append(total)
    return out


def cumulative_sum(rng: random.Random) -> FunctionTask:
    p, v = pick(rng, LIST_PARAMS), pick(rng, LOOP_VARS)
    name = pick(rng, ("cumulative_sum", "running_total", "prefix_sums"))
    if rng.random() < 0.6:
        code = function_code(name, p, ["result = []", "total = 0", f"for {v} in {p}:",
                                       f"    total += {v}", "    result.append(total)",
                                       "return result"])
    else:
        code = function_code(name, p, [f"return list(accumulate({p}))"],
                             imports="from itertools import accumulate")
    data = ints(rng, -5, 20)
    cases = [(lit(xs), _running_totals(xs)) for xs in (ints(rng, -5, 20, 1, 6), [1, 2, 3], [])]
    return FunctionTask(
        name, code,
        clause=("compute the cumulative sum of a list of numbers",
                "return a list of running totals for a list of numbers"),
        given="compute the running total of the given list", cases=cases,
        example=Example(as_value(data, "numbers"), lit(data), _running_totals(data)))


def common_elements(rng: random.Random) -> FunctionTask:
    a, b = pick(rng, (("list1", "list2"), ("a", "b"), ("first", "second"), ("xs", "ys")))
    common = rng.random() < 0.6
    if common:
        name = pick(rng, ("common_elements", "intersection", "find_common"))
        body = chance(rng, 0.5,
                      collect_loop("item", a, "item", f"item in {b} and item not in result"),
                      [f"return [item for item in dict.fromkeys({a}) if item in {b}]"])
        clause = ("find the elements that two lists have in common, without duplicates and in "
                  "the order of the first list")
        given = "find the common elements of the two given lists"
    else:
        name = pick(rng, ("list_difference", "difference", "missing_items"))
        body = chance(rng, 0.5, [f"exclude = set({b})",
                                 f"return [item for item in {a} if item not in exclude]"],
                      [f"return [item for item in {a} if item not in {b}]"])
        clause = "return the elements of the first list that do not appear in the second list"
        given = "find the elements of the first list that are not in the second list"

    def ref(xs: list[int], ys: list[int]) -> list[int]:
        if common:
            return [x for x in dict.fromkeys(xs) if x in ys]
        return [x for x in xs if x not in ys]

    xs, ys = ints(rng, 1, 12, 4, 7), ints(rng, 1, 12, 4, 7)
    cases = []
    for _ in range(2):
        c1, c2 = ints(rng, 1, 9, 3, 6), ints(rng, 1, 9, 3, 6)
        cases.append((f"{lit(c1)}, {lit(c2)}", ref(c1, c2)))
    cases.append((f"[], {lit(ys)}", []))
    return FunctionTask(name, function_code(name, f"{a}, {b}", body), clause, given, cases,
                        Example(f"{a} = {lit(xs)}, {b} = {lit(ys)}", f"{lit(xs)}, {lit(ys)}",
                                ref(xs, ys)))


def search_list(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("arr", "items", "lst", "numbers"))
    t = pick(rng, ("target", "x", "key", "value"))
    if rng.random() < 0.45:
        name = pick(rng, ("binary_search", "bsearch", "search_sorted"))
        body = [f"low, high = 0, len({p}) - 1", "while low <= high:", "    mid = (low + high) // 2",
                f"    if {p}[mid] == {t}:", "        return mid", f"    if {p}[mid] < {t}:",
                "        low = mid + 1", "    else:", "        high = mid - 1", "return -1"]
        clause = pick(rng, ("implement binary search on a sorted list, returning the index of "
                            "the target or -1 if it is not present",
                            "search a sorted array for a target value using binary search and "
                            "return its index (-1 if missing)"))
        given = "search the given sorted list for the target using binary search"

        def make() -> list[int]:
            return sorted(rng.sample(range(60), rng.randint(5, 10)))
    else:
        name = pick(rng, ("linear_search", "find_index", "search", "index_of"))
        body = chance(rng, 0.5, [f"for i, item in enumerate({p}):", f"    if item == {t}:",
                                 "        return i", "return -1"],
                      [f"for i in range(len({p})):", f"    if {p}[i] == {t}:", "        return i",
                       "return -1"])
        clause = pick(rng, ("search for an element in a list and return its index, or -1 if it "
                            "is not found",
                            "implement linear search that returns the index of the first "
                            "occurrence of a target (or -1)"))
        given = "find the index of the target in the given list (-1 if it is not there)"

        def make() -> list[int]:
            return ints(rng, 0, 20, 5, 9)

    def ref(xs: list[int], target: int) -> int:
        return xs.index(target) if target in xs else -1

    data = make()
    target = pick(rng, data) if rng.random() < 0.75 else 99
    cases = []
    for _ in range(2):
        xs = make()
        cases += [(f"{lit(xs)}, {xs[-1]}", ref(xs, xs[-1])),
                  (f"{lit(xs)}, {xs[0]}", ref(xs, xs[0]))]
    cases += [(f"{lit(data)}, 100", -1), ("[], 1", -1)]
    return FunctionTask(name, function_code(name, f"{p}, {t}", body), clause, given, cases,
                        Example(f"{p} = {lit(data)}, {t} = {target}", f"{lit(data)}, {target}",
                                ref(data, target)))


def map_list(rng: random.Random) -> FunctionTask:
    p, v = pick(rng, LIST_PARAMS), pick(rng, LOOP_VARS)
    kind = rng.randrange(5)
    k = rng.randint(2, 9)
    # (function names, element expression, clause(s), given, reference) of each kind
    names, expr, clause_options, given, f = (
        (("square_list", "square_all", "squares"), "{v} ** 2",
         ("square every number in a list", "return a list with the square of each element"),
         "square each number in the given list", lambda x: x * x),
        (("multiply_all", "scale_list", f"times_{k}"), f"{{v}} * {k}",
         f"multiply every element of a list by {k}", f"multiply each element of the given list "
         f"by {k}", lambda x: x * k),
        (("add_to_all", "increment_all", f"add_{k}"), f"{{v}} + {k}",
         f"add {k} to each number in a list", f"add {k} to every number of the given list",
         lambda x: x + k),
        (("absolute_values", "abs_list"), "abs({v})",
         "replace each number of a list with its absolute value",
         "compute the absolute value of every number in the given list", abs),
        (("word_lengths", "string_lengths", "lengths"), "len(word)",
         ("return a list with the length of each string in a list",
          "map a list of words to their lengths"),
         "find the length of each word in the given list", len),
    )[kind]
    is_words = kind == 4
    if is_words:
        p, v = pick(rng, ("words", "strings")), "word"
    name = pick(rng, names)
    expr = expr.format(v=v)
    clause = one_of(rng, clause_options)
    body = chance(rng, 0.6, [f"return [{expr} for {v} in {p}]"], collect_loop(v, p, expr))
    if is_words:
        data: list = words(rng, 3, 6)
        other: list = words(rng, 1, 4)
    else:
        data, other = ints(rng, -9, 20), ints(rng, -9, 20, 1, 5)
    fixed: list = ["a", "abc"] if is_words else [-2, 3]
    cases = [(lit(other), [f(x) for x in other]), (lit(fixed), [f(x) for x in fixed]), ("[]", [])]
    return FunctionTask(name, function_code(name, p, body), clause, given, cases,
                        Example(as_value(data, p), lit(data), [f(x) for x in data]))
