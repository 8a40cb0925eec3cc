"""Records about given code: predict its output, fix its bug, edit it, rewrite a loop.

Here the `input` holds code. Each family draws one entry of a table (output snippets, bug
templates, edit templates) and a phrasing of the question.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from askbuddyx.data.code_tasks.core import (
    NAMES,
    PALINDROMES,
    WORDS,
    Case,
    Task,
    assert_eq,
    call_checks,
    capitalize,
    conjugate,
    ints,
    lines,
    lit,
    pick,
    q,
    sentence,
    word,
    words,
)

# ------------------------------------------------------------------- predict the output

_OUTPUT_QUESTIONS = (
    "What is the output of the following code?",
    "What will be the output of the following Python code?",
    "Predict the output of this Python code.",
    "What will be printed when the following code is executed?",
    "Determine the output of the given code snippet.",
    "What does the following code print?",
    "Find the output of the following program.",
)
Snippet = tuple[list[str], str]  # (code lines, what they print)


def _comprehension(rng: random.Random) -> Snippet:
    nums = ints(rng, 1, 20, 5, 8)
    k = rng.randint(2, 5)
    var = pick(rng, ("nums", "numbers", "data", "values"))
    expr_src, expr = pick(rng, ((f"x * {k}", lambda x: x * k), ("x ** 2", lambda x: x * x),
                                (f"x + {k}", lambda x: x + k), ("x // 2", lambda x: x // 2)))
    cond_src, cond = pick(rng, (("x % 2 == 0", lambda x: x % 2 == 0),
                                (f"x > {k * 3}", lambda x: x > k * 3),
                                ("x % 3 == 0", lambda x: x % 3 == 0)))
    return ([f"{var} = {lit(nums)}", f"result = [{expr_src} for x in {var} if {cond_src}]",
             "print(result)"], str([expr(x) for x in nums if cond(x)]))


def _slicing(rng: random.Random) -> Snippet:
    text = pick(rng, tuple(w for w in WORDS if len(w) >= 5))
    var = pick(rng, ("s", "text", "word"))
    a = rng.randint(0, len(text) - 3)
    b = rng.randint(a + 1, len(text))
    k = rng.randint(2, 3)
    src, value = pick(rng, ((f"{var}[{a}:{b}]", text[a:b]), (f"{var}[::-1]", text[::-1]),
                            (f"{var}[::{k}]", text[::k]), (f"{var}[-{k}:]", text[-k:]),
                            (f"{var}[:{b}].upper()", text[:b].upper()),
                            (f"{var}[{a}] + {var}[-1]", text[a] + text[-1])))
    return [f"{var} = {q(text)}", f"print({src})"], value


def _loop(rng: random.Random) -> Snippet:
    a, b = rng.randint(0, 5), rng.randint(6, 15)
    kind = rng.randrange(3)
    var = pick(rng, ("total", "result", "acc"))
    body, value = (([f"    {var} += i"], sum(range(a, b))),
                   (["    if i % 2 == 0:", f"        {var} += i"],
                    sum(i for i in range(a, b) if i % 2 == 0)),
                   ([f"    {var} += i * i"], sum(i * i for i in range(a, b))))[kind]
    return [f"{var} = 0", f"for i in range({a}, {b}):", *body, f"print({var})"], str(value)


def _function(rng: random.Random) -> Snippet:
    k, c = rng.randint(2, 5), rng.randint(-3, 9)
    x, y = rng.randint(1, 9), rng.randint(1, 9)
    fname = pick(rng, ("f", "compute", "calc", "transform"))
    return ([f"def {fname}(x, y={k}):", f"    return x * y + {c}", "", f"print({fname}({x}))",
             f"print({fname}({x}, {y}))"], f"{x * k + c}\n{x * y + c}")


def _dict(rng: random.Random) -> Snippet:
    keys = words(rng, 3, 3)
    vals = [rng.randint(1, 9) for _ in keys]
    missing = word(rng)
    while missing in keys:
        missing = word(rng)
    inc = rng.randint(1, 5)
    first = dict(zip(keys[:2], vals[:2]))
    d = {**first, keys[2]: vals[2]}
    d[keys[0]] += inc
    return ([f"d = {lit(first)}", f"d[{q(keys[2])}] = {vals[2]}", f"d[{q(keys[0])}] += {inc}",
             f"print(len(d), d[{q(keys[0])}], d.get({q(missing)}, 0))"],
            f"{len(d)} {d[keys[0]]} 0")


def _while(rng: random.Random) -> Snippet:
    n = rng.randint(5, 60)
    steps, m = 0, n
    if rng.random() < 0.5:
        while m > 1:
            m //= 2
            steps += 1
        return [f"n = {n}", "steps = 0", "while n > 1:", "    n //= 2", "    steps += 1",
                "print(steps)"], str(steps)
    while m != 1:
        m = m // 2 if m % 2 == 0 else 3 * m + 1
        steps += 1
    return [f"n = {n}", "steps = 0", "while n != 1:", "    if n % 2 == 0:", "        n = n // 2",
            "    else:", "        n = 3 * n + 1", "    steps += 1", "print(steps)"], str(steps)


def _strings(rng: random.Random) -> Snippet:
    ws = words(rng, 3, 4)
    sep = pick(rng, ("-", ", ", " ", "_"))
    src, value = ((f"{q(sep)}.join(w.upper() for w in words)", sep.join(w.upper() for w in ws)),
                  ('" ".join(sorted(words))', " ".join(sorted(ws))),
                  ("[len(w) for w in words]", str([len(w) for w in ws])))[rng.randrange(3)]
    return [f"words = {lit(ws)}", f"print({src})"], value


def _multiline(rng: random.Random) -> Snippet:
    if rng.random() < 0.5:
        n, k = rng.randint(3, 5), rng.randint(2, 9)
        return ([f"for i in range(1, {n + 1}):", f"    print(i * {k})"],
                "\n".join(str(i * k) for i in range(1, n + 1)))
    ws = words(rng, 2, 4)
    return ([f"for i, word in enumerate({lit(ws)}):", "    print(i, word)"],
            "\n".join(f"{i} {w}" for i, w in enumerate(ws)))


def _list_methods(rng: random.Random) -> Snippet:
    items = ints(rng, 1, 30, 3, 6)
    x, y = rng.randint(31, 50), rng.randint(51, 70)
    code = [f"items = {lit(items)}", f"items.append({x})", f"items.insert(0, {y})"]
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
    return [*code, "print(items)"], str(items)


_PAIRWISE = {"+": lambda u, v: u + v, "*": lambda u, v: u * v, "-": lambda u, v: u - v}


def _zip(rng: random.Random) -> Snippet:
    a, b = ints(rng, 1, 9, 3, 5), ints(rng, 1, 9, 3, 5)
    op = pick(rng, ("+", "*", "-"))
    return ([f"a = {lit(a)}", f"b = {lit(b)}", f"print([x {op} y for x, y in zip(a, b)])"],
            str([_PAIRWISE[op](u, v) for u, v in zip(a, b)]))


def _recursion(rng: random.Random) -> Snippet:
    n = rng.randint(3, 7)
    fname = pick(rng, ("f", "mystery", "func"))
    if rng.random() < 0.5:
        test, stop, op, value = "n <= 1", "1", "*", math.factorial(n)
    else:
        test, stop, op, value = "n == 0", "0", "+", n * (n + 1) // 2
    return ([f"def {fname}(n):", f"    if {test}:", f"        return {stop}",
             f"    return n {op} {fname}(n - 1)", "", f"print({fname}({n}))"], str(value))


def _fstring(rng: random.Random) -> Snippet:
    name = pick(rng, NAMES)
    age, years = rng.randint(18, 70), rng.randint(1, 10)
    return ([f"name = {q(name)}", f"age = {age}",
             f'print(f"{{name.title()}} will be {{age + {years}}} in {years} years")'],
            f"{name.title()} will be {age + years} in {years} years")


_SNIPPETS: tuple[Callable[[random.Random], Snippet], ...] = (
    _comprehension, _slicing, _loop, _function, _dict, _while, _strings, _multiline,
    _list_methods, _zip, _recursion, _fstring,
)


def code_output(rng: random.Random) -> Task:
    code, printed = pick(rng, _SNIPPETS)(rng)
    return Task(pick(rng, _OUTPUT_QUESTIONS), lines(*code), printed, "")


# ------------------------------------------------------------------- fix it / edit it


@dataclass(frozen=True)
class Rewrite:
    """Code to change (`before`) into `after` so that it does `clause`; `cases` check it."""

    clause: str
    before: str
    after: str
    cases: list[Case]
    name: str


def _template(*parts: str) -> Callable[..., str]:
    """Code lines with {placeholders}: call it with their values."""
    return lambda **values: lines(*parts).format(**values)


def _bug_templates(rng: random.Random) -> list[Rewrite]:
    """Every bug template (each drawn, in order; `fix_bug` keeps one)."""
    out = []
    name = pick(rng, ("sum_to_n", "sum_numbers", "total_up_to"))
    bad_range = pick(rng, ("range(n)", "range(1, n)"))
    code = _template("def {name}(n):", "    total = 0", "    for i in {r}:", "        total += i",
                     "    return total")
    m = rng.randint(5, 50)
    out.append(Rewrite("return the sum of all integers from 1 to n", code(name=name, r=bad_range),
                       code(name=name, r="range(1, n + 1)"),
                       [("1", 1), ("5", 15), (str(m), m * (m + 1) // 2)], name))

    name = pick(rng, ("find_max", "largest", "max_value"))
    p = pick(rng, ("numbers", "nums", "values"))
    code = _template("def {name}({p}):", "    largest = {init}", "    for x in {p}:",
                     "        if x > largest:", "            largest = x", "    return largest")
    neg, pos = ints(rng, -40, -1, 2, 5), ints(rng, 1, 40, 2, 5)
    out.append(Rewrite("return the largest number in a list, even when all the numbers are "
                       "negative", code(name=name, p=p, init="0"),
                       code(name=name, p=p, init=f"{p}[0]"),
                       [(lit(neg), max(neg)), (lit(pos), max(pos))], name))

    name = pick(rng, ("product", "multiply_all", "list_product"))
    code = _template("def {name}({p}):", "    result = {init}", "    for x in {p}:",
                     "        result *= x", "    return result")
    xs = ints(rng, 1, 9, 2, 5)
    out.append(Rewrite("return the product of all numbers in a list",
                       code(name=name, p=p, init="0"), code(name=name, p=p, init="1"),
                       [(lit(xs), math.prod(xs)), ("[]", 1)], name))

    name = pick(rng, ("is_even", "check_even", "even"))
    code = _template("def {name}(n):", "    return n % 2 == {r}")
    v = rng.randint(1, 99)
    out.append(Rewrite("return True when a number is even", code(name=name, r="1"),
                       code(name=name, r="0"),
                       [(str(v), v % 2 == 0), (str(v + 1), (v + 1) % 2 == 0), ("0", True)], name))

    name = pick(rng, ("factorial", "fact"))
    code = _template("def {name}(n):", "    result = 1", "    for i in {r}:", "        result *= i",
                     "    return result")
    v = rng.randint(3, 10)
    out.append(Rewrite("return the factorial of n", code(name=name, r="range(1, n)"),
                       code(name=name, r="range(1, n + 1)"),
                       [("0", 1), ("1", 1), (str(v), math.factorial(v))], name))

    name = pick(rng, ("count_vowels", "vowel_count"))
    code = _template("def {name}(text):", "    count = 0", "    for ch in {src}:",
                     '        if ch in "aeiou":', "            count += 1", "    return count")
    t = capitalize(sentence(rng, 2, 3)).upper()
    out.append(Rewrite("count the vowels in a string regardless of case",
                       code(name=name, src="text"), code(name=name, src="text.lower()"),
                       [(q(t), sum(1 for ch in t.lower() if ch in "aeiou")), ('"aEiOu"', 5)],
                       name))

    name = pick(rng, ("reverse_list", "reversed_copy"))
    code = _template("def {name}(items):", "    result = []", "    for i in range(len(items)):",
                     "        result.append(items[{idx}])", "    return result")
    xs = ints(rng, 0, 20, 3, 6)
    out.append(Rewrite("return a new list with the elements in reverse order",
                       code(name=name, idx="-i"), code(name=name, idx="-i - 1"),
                       [(lit(xs), xs[::-1]), ("[]", [])], name))

    name = pick(rng, ("average", "mean"))
    code = _template("def {name}({p}):", "    return sum({p}) {op} len({p})")
    xs = ints(rng, 1, 20, 2, 5)
    out.append(Rewrite("return the exact (floating point) average of a list of numbers",
                       code(name=name, p=p, op="//"), code(name=name, p=p, op="/"),
                       [(lit(xs), sum(xs) / len(xs)), ("[1, 2]", 1.5)], name))

    name = pick(rng, ("square_all", "squares"))
    unfinished = lines(f"def {name}({p}):", "    result = []", f"    for n in {p}:",
                       "        result.append(n * n)")
    xs = ints(rng, -5, 9, 2, 5)
    out.append(Rewrite("return a list with the square of every number", unfinished,
                       lines(unfinished, "    return result"),
                       [(lit(xs), [x * x for x in xs]), ("[]", [])], name))

    name = pick(rng, ("greet", "make_greeting", "say_hello"))
    hello = pick(rng, ("Hello", "Hi", "Welcome", "Good morning"))
    who = pick(rng, NAMES).title()
    greeting = f'    return "{hello}, " + name + "!"'
    out.append(Rewrite(f'return a greeting such as "{hello}, {who}!" for the given name',
                       lines(f"def {name}(name)", greeting), lines(f"def {name}(name):", greeting),
                       [(q(who), f"{hello}, {who}!")], name))

    name = pick(rng, ("is_palindrome", "palindrome"))
    w = pick(rng, PALINDROMES)
    out.append(Rewrite("return True if a string is a palindrome",
                       lines(f"def {name}(s):", "    return s == s.reverse()"),
                       lines(f"def {name}(s):", "    return s == s[::-1]"),
                       [(q(w), True), (q(word(rng) + "x"), False)], name))

    name = pick(rng, ("sum_list", "add_all"))
    code = _template("def {name}(items):", "    total = 0", "    for i in range({r}):",
                     "        total += items[i]", "    return total")
    xs = ints(rng, -5, 20, 2, 6)
    out.append(Rewrite("return the sum of the elements of a list",
                       code(name=name, r="len(items) + 1"), code(name=name, r="len(items)"),
                       [(lit(xs), sum(xs)), ("[]", 0)], name))
    return out


_FIX_QUESTIONS = (
    "Fix the bug in this function so that it {does}.",
    "The following function should {do}, but it has a bug. Fix it.",
    "Debug the following code so that it correctly {does}.",
    "Find and fix the error in the following code. The function is supposed to {do}.",
    "Identify and fix the bug in the following Python code, which should {do}.",
)


def _ask(rng: random.Random, rewrites: list[Rewrite], questions: tuple[str, ...]) -> Task:
    """A record asking, in one of `questions`, for one of `rewrites`."""
    chosen = pick(rng, rewrites)
    question = pick(rng, questions).format(do=chosen.clause, does=conjugate(chosen.clause))
    return Task(question, chosen.before, chosen.after, call_checks(chosen.name, chosen.cases))


def fix_bug(rng: random.Random) -> Task:
    return _ask(rng, _bug_templates(rng), _FIX_QUESTIONS)


def _edit_templates(rng: random.Random) -> list[Rewrite]:
    """Every edit template (each drawn, in order; `edit_code` keeps one)."""
    name = pick(rng, ("total", "sum_values", "add_numbers"))
    p = pick(rng, ("numbers", "nums", "values"))
    k = rng.randint(2, 10)
    xs = ints(rng, -5, 20, 3, 7)

    def summing(*step: str) -> str:
        return lines(f"def {name}({p}):", "    result = 0", f"    for n in {p}:", *step,
                     "    return result")

    orig = summing("        result += n")
    out = [
        Rewrite("return the sum of the squares of the numbers instead of their sum", orig,
                summing("        result += n * n"),
                [(lit(xs), sum(x * x for x in xs)), ("[]", 0)], name),
        Rewrite("add only the even numbers", orig,
                summing("        if n % 2 == 0:", "            result += n"),
                [(lit(xs), sum(x for x in xs if x % 2 == 0)), ("[1, 3]", 0)], name),
        Rewrite(f"ignore numbers that are not greater than {k}", orig,
                summing(f"        if n > {k}:", "            result += n"),
                [(lit(xs), sum(x for x in xs if x > k)), (f"[{k}]", 0)], name),
    ]

    name = pick(rng, ("greet", "greeting", "say_hello"))
    who = pick(rng, NAMES)
    hello = pick(rng, ("Hello", "Hi", "Hey"))
    orig = lines(f"def {name}(name):", f'    return "{hello}, " + name')
    out += [
        Rewrite("return the greeting with the name in uppercase", orig,
                lines(f"def {name}(name):", f'    return "{hello}, " + name.upper()'),
                [(q(who), f"{hello}, {who.upper()}")], name),
        Rewrite("end the greeting with an exclamation mark", orig,
                lines(f"def {name}(name):", f'    return "{hello}, " + name + "!"'),
                [(q(who), f"{hello}, {who}!")], name),
        Rewrite("capitalize the name and use an f-string", orig,
                lines(f"def {name}(name):", f'    return f"{hello}, {{name.capitalize()}}"'),
                [(q(who), f"{hello}, {who.capitalize()}")], name),
    ]

    name = pick(rng, ("print_squares", "show_squares"))
    new = pick(rng, ("squares", "get_squares", "list_squares"))
    n = rng.randint(3, 9)
    out.append(Rewrite(f"return a list of the squares instead of printing them, and rename the "
                       f"function to {new}",
                       lines(f"def {name}(n):", "    for i in range(1, n + 1):",
                             "        print(i * i)"),
                       lines(f"def {new}(n):", "    return [i * i for i in range(1, n + 1)]"),
                       [(str(n), [i * i for i in range(1, n + 1)]), ("0", [])], new))

    name = pick(rng, ("power", "raise_to"))
    out.append(Rewrite(f"make the exponent default to {k}",
                       lines(f"def {name}(base, exponent):", "    return base ** exponent"),
                       lines(f"def {name}(base, exponent={k}):", "    return base ** exponent"),
                       [("3", 3 ** k), ("2, 5", 32)], name))

    name = pick(rng, ("divide", "ratio"))
    out.append(Rewrite("return None instead of raising an error when dividing by zero",
                       lines(f"def {name}(a, b):", "    return a / b"),
                       lines(f"def {name}(a, b):", "    if b == 0:", "        return None",
                             "    return a / b"),
                       [("1, 0", None), (f"{k * 3}, {k}", 3.0)], name))

    name = pick(rng, ("largest", "get_max"))
    ys = ints(rng, -20, 50, 2, 6)
    out.append(Rewrite("return both the smallest and the largest number as a tuple (min, max)",
                       lines(f"def {name}({p}):", f"    return max({p})"),
                       lines(f"def {name}({p}):", f"    return min({p}), max({p})"),
                       [(lit(ys), (min(ys), max(ys)))], name))

    name = pick(rng, ("numbers_up_to", "upto"))
    m = rng.randint(10, 30)
    out.append(Rewrite(f"return only the multiples of {k}",
                       lines(f"def {name}(n):", "    return list(range(1, n + 1))"),
                       lines(f"def {name}(n):",
                             f"    return [i for i in range(1, n + 1) if i % {k} == 0]"),
                       [(str(m), [i for i in range(1, m + 1) if i % k == 0])], name))

    name = pick(rng, ("contains", "has_word"))
    ws = [w.capitalize() for w in words(rng, 2, 4)]
    out.append(Rewrite("ignore case when looking for the target word",
                       lines(f"def {name}(words, target):", "    return target in words"),
                       lines(f"def {name}(words, target):",
                             "    return target.lower() in [w.lower() for w in words]"),
                       [(f"{lit(ws)}, {q(ws[0].upper())}", True),
                        (f"{lit(ws)}, {q('zzz')}", False)],
                       name))
    return out


_EDIT_QUESTIONS = (
    "Edit the following code so that it {does}.",
    "Modify the given function to {do}.",
    "Update the code below so that it {does}.",
    "Change the following Python code to {do}.",
)


def edit_code(rng: random.Random) -> Task:
    return _ask(rng, _edit_templates(rng), _EDIT_QUESTIONS)


# ------------------------------------------------------------------------ comprehensions


def rewrite_comprehension(rng: random.Random) -> Task:
    src = pick(rng, ("numbers", "nums", "values", "data"))
    out = pick(rng, ("result", "output", "new_list", "filtered"))
    nums = ints(rng, -5, 20, 5, 8)
    k = rng.randint(2, 6)
    expr_src, expr = pick(rng, (("x * x", lambda x: x * x), (f"x * {k}", lambda x: x * k),
                                (f"x + {k}", lambda x: x + k), ("str(x)", str), ("abs(x)", abs)))
    cond_src, cond = pick(rng, (("", None), ("x % 2 == 0", lambda x: x % 2 == 0),
                                (f"x > {k}", lambda x: x > k), ("x != 0", lambda x: x != 0)))
    kind = rng.randrange(3)  # loop -> list comprehension, the reverse, loop -> dict comprehension
    header = f"{src} = {lit(nums)}"
    if kind == 2:
        out = pick(rng, ("mapping", "lookup", "table"))
        dexpr_src, dexpr = pick(rng, (("x * x", lambda x: x * x), (f"x * {k}", lambda x: x * k)))
        loop = lines(header, f"{out} = {{}}", f"for x in {src}:", f"    {out}[x] = {dexpr_src}")
        comp = lines(header, f"{out} = {{x: {dexpr_src} for x in {src}}}")
        question = pick(rng, ("Rewrite the following code using a dictionary comprehension.",
                              "Convert the following loop into a dict comprehension."))
        return Task(question, loop, comp, assert_eq(out, {x: dexpr(x) for x in nums}))
    values = [expr(x) for x in nums if cond is None or cond(x)]
    if cond is None:
        loop = lines(header, f"{out} = []", f"for x in {src}:", f"    {out}.append({expr_src})")
        comp = lines(header, f"{out} = [{expr_src} for x in {src}]")
    else:
        loop = lines(header, f"{out} = []", f"for x in {src}:", f"    if {cond_src}:",
                     f"        {out}.append({expr_src})")
        comp = lines(header, f"{out} = [{expr_src} for x in {src} if {cond_src}]")
    if kind == 0:
        question = pick(rng, ("Rewrite the following code using a list comprehension.",
                              "Convert the following for loop into a list comprehension.",
                              "Refactor this code to use a list comprehension."))
        return Task(question, loop, comp, assert_eq(out, values))
    question = pick(rng, ("Rewrite the following list comprehension as a for loop.",
                          "Convert this list comprehension into an equivalent for loop.",
                          "Rewrite the following code without using a list comprehension."))
    return Task(question, comp, loop, assert_eq(out, values))
