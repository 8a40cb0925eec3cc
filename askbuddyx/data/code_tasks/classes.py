"""Class task families: a stack or queue, a counter, a shape, a bank account.

These records have no `input`; the check builds an object and asserts on its methods.
"""

from __future__ import annotations

import math
import random

from askbuddyx.data.code_tasks.core import NAMES, Task, capitalize, lines, pick, q

_CLASS_PREFIXES = ("Create a class", "Write a Python class", "Design a class", "Implement a class",
                   "Construct a class", "Define a class", "Create a Python class")


def _class_task(rng: random.Random, what: str, code: str, check: list[str]) -> Task:
    return Task(f"{pick(rng, _CLASS_PREFIXES)} {what}", "", code, lines(*check))


def _expect_raise(error: str, statement: str) -> list[str]:
    return ["try:", f"    {statement}", f"except {error}:", "    pass", "else:",
            f"    raise AssertionError('expected {error}')"]


def stack_queue_class(rng: random.Random) -> Task:
    attr = pick(rng, ("items", "_items", "data", "elements"))
    values = [rng.randint(1, 99) for _ in range(rng.randint(3, 5))]
    raise_on_empty = rng.random() < 0.4
    if rng.random() < 0.6:
        cls = pick(rng, ("Stack", "MyStack", "SimpleStack"))
        kind, add, remove = "stack", "push", "pop"
        take, look, order = f"self.{attr}.pop()", f"self.{attr}[-1]", list(reversed(values))
    else:
        cls = pick(rng, ("Queue", "MyQueue", "SimpleQueue"))
        kind, add, remove = "queue", "enqueue", "dequeue"
        take, look, order = f"self.{attr}.pop(0)", f"self.{attr}[0]", list(values)
    empty = (f'            raise IndexError("{remove} from empty {kind}")' if raise_on_empty
             else "            return None")
    code = lines(
        f"class {cls}:", "    def __init__(self):", f"        self.{attr} = []", "",
        f"    def {add}(self, item):", f"        self.{attr}.append(item)", "",
        f"    def {remove}(self):", "        if self.is_empty():", empty, f"        return {take}",
        "", "    def peek(self):", "        if self.is_empty():", "            return None",
        f"        return {look}", "", "    def is_empty(self):",
        f"        return len(self.{attr}) == 0", "", "    def size(self):",
        f"        return len(self.{attr})")
    empty_desc = "raise an IndexError" if raise_on_empty else "return None"
    what = pick(rng, (
        f"named {cls} that implements a {kind} with the methods {add}, {remove}, peek, is_empty "
        f"and size. {capitalize(remove)} on an empty {kind} should {empty_desc}.",
        f"{cls} to represent a {kind}. It should support {add}(item), {remove}(), peek(), "
        f"is_empty() and size(); {remove}() on an empty {kind} must {empty_desc}."))
    obj = pick(rng, ("s", "q", "obj", kind))
    check = [f"{obj} = {cls}()", f"assert {obj}.is_empty()", f"assert {obj}.peek() is None"]
    check += [f"{obj}.{add}({v})" for v in values]
    check += [f"assert {obj}.size() == {len(values)}", f"assert {obj}.peek() == {order[0]}"]
    check += [f"assert {obj}.{remove}() == {v}" for v in order]
    check += [f"assert {obj}.is_empty()"]
    if raise_on_empty:
        check += _expect_raise("IndexError", f"{obj}.{remove}()")
    else:
        check += [f"assert {obj}.{remove}() is None"]
    return _class_task(rng, what, code, check)


def counter_class(rng: random.Random) -> Task:
    cls = pick(rng, ("Counter", "ClickCounter", "Tally", "StepCounter"))
    step = rng.randint(1, 5)
    attr = pick(rng, ("count", "value", "_count"))
    by = "one" if step == 1 else str(step)
    code = lines(
        f"class {cls}:", "    def __init__(self, start=0):", "        self.start = start",
        f"        self.{attr} = start", "", "    def increment(self):",
        f"        self.{attr} += {step}", "", "    def decrement(self):",
        f"        self.{attr} -= {step}", "", "    def reset(self):",
        f"        self.{attr} = self.start", "", "    def get_value(self):",
        f"        return self.{attr}")
    what = pick(rng, (
        f"{cls} that keeps a count starting at an optional start value (default 0). It should "
        f"have methods increment() and decrement(), which change the count by {by}, reset(), "
        "which restores the start value, and get_value().",
        f"called {cls} with increment, decrement, reset and get_value methods. The counter "
        f"starts at the value passed to the constructor (0 by default) and moves by {by} on "
        "each increment or decrement."))
    ups, downs, start = rng.randint(2, 6), rng.randint(0, 3), rng.randint(-5, 20)
    check = [f"c = {cls}()", "assert c.get_value() == 0"]
    check += ["c.increment()"] * ups + ["c.decrement()"] * downs
    check += [f"assert c.get_value() == {(ups - downs) * step}", "c.reset()",
              "assert c.get_value() == 0", f"d = {cls}({start})", "d.increment()",
              f"assert d.get_value() == {start + step}", "d.reset()",
              f"assert d.get_value() == {start}"]
    return _class_task(rng, what, code, check)


def shape_class(rng: random.Random) -> Task:
    if rng.random() < 0.65:
        cls = pick(rng, ("Rectangle", "Rect", "RectangleShape"))
        w, h = pick(rng, (("width", "height"), ("length", "width")))
        with_square = rng.random() < 0.5
        code = [f"class {cls}:", f"    def __init__(self, {w}, {h}):", f"        self.{w} = {w}",
                f"        self.{h} = {h}", "", "    def area(self):",
                f"        return self.{w} * self.{h}", "", "    def perimeter(self):",
                f"        return 2 * (self.{w} + self.{h})"]
        if with_square:
            code += ["", "    def is_square(self):", f"        return self.{w} == self.{h}"]
        what = pick(rng, (
            f"named '{cls}' which stores its {w} and {h} and has methods area() and "
            f"perimeter(){' and is_square()' if with_square else ''}.",
            f"{cls} with attributes {w} and {h} and methods to compute its area and perimeter"
            f"{' and to check whether it is a square (is_square)' if with_square else ''}."))
        a, b = rng.randint(1, 20), rng.randint(1, 20)
        check = [f"r = {cls}({a}, {b})", f"assert r.area() == {a * b}",
                 f"assert r.perimeter() == {2 * (a + b)}", f"assert r.{w} == {a}"]
        if with_square:
            check += [f"assert r.is_square() == {a == b}", f"assert {cls}({a}, {a}).is_square()"]
        return _class_task(rng, what, lines(*code), check)
    cls = pick(rng, ("Circle", "CircleShape"))
    r = pick(rng, ("radius", "r"))
    code = lines("import math", "", "", f"class {cls}:", f"    def __init__(self, {r}):",
                 f"        self.{r} = {r}", "", "    def area(self):",
                 f"        return math.pi * self.{r} ** 2", "", "    def circumference(self):",
                 f"        return 2 * math.pi * self.{r}")
    what = (f"{cls} that is initialised with a {'radius' if r == 'radius' else 'radius r'} "
            "and has methods area() and circumference().")
    v = rng.randint(1, 15)
    check = [f"c = {cls}({v})", f"assert abs(c.area() - {math.pi * v ** 2!r}) < 1e-6",
             f"assert abs(c.circumference() - {2 * math.pi * v!r}) < 1e-6"]
    return _class_task(rng, what, code, check)


def bank_account_class(rng: random.Random) -> Task:
    cls = pick(rng, ("BankAccount", "Account", "SavingsAccount"))
    raise_mode = rng.random() < 0.5
    with_owner = rng.random() < 0.5
    code = [f"class {cls}:",
            f"    def __init__({'self, owner, balance=0' if with_owner else 'self, balance=0'}):"]
    if with_owner:
        code.append("        self.owner = owner")
    code += ["        self.balance = balance", "", "    def deposit(self, amount):",
             "        if amount <= 0:", '            raise ValueError("Deposit must be positive")',
             "        self.balance += amount", "        return self.balance", "",
             "    def withdraw(self, amount):", "        if amount > self.balance:"]
    if raise_mode:
        code += ['            raise ValueError("Insufficient funds")',
                 "        self.balance -= amount", "        return self.balance"]
    else:
        code += ["            return False", "        self.balance -= amount",
                 "        return True"]
    code += ["", "    def get_balance(self):", "        return self.balance"]
    fail = "raise a ValueError" if raise_mode else "return False (and True on success)"
    owner_txt = "an owner name and " if with_owner else ""
    what = pick(rng, (
        f"{cls} with {owner_txt}an optional starting balance (default 0) and methods deposit, "
        f"withdraw and get_balance. Depositing a non-positive amount should raise a ValueError "
        f"and withdrawing more than the balance should {fail}.",
        f"named {cls} that models a bank account. It should store {owner_txt}a balance, allow "
        f"deposits (positive amounts only, otherwise ValueError) and withdrawals, where a "
        f"withdrawal larger than the balance should {fail}; get_balance() returns the balance."))
    start, dep = rng.randint(0, 100), rng.randint(10, 200)
    wd = rng.randint(1, start + dep)
    owner = pick(rng, NAMES).capitalize()
    ctor = f"{cls}({q(owner)}, {start})" if with_owner else f"{cls}({start})"
    left = start + dep - wd
    check = [f"acct = {ctor}", f"assert acct.get_balance() == {start}", f"acct.deposit({dep})",
             f"assert acct.get_balance() == {start + dep}"]
    if raise_mode:
        check += [f"acct.withdraw({wd})", f"assert acct.get_balance() == {left}",
                  *_expect_raise("ValueError", f"acct.withdraw({start + dep + 1000})")]
    else:
        check += [f"assert acct.withdraw({wd}) is True", f"assert acct.get_balance() == {left}",
                  f"assert acct.withdraw({start + dep + 1000}) is False"]
    check += [f"assert acct.get_balance() == {left}",
              *_expect_raise("ValueError", "acct.deposit(-5)"),
              f"assert {cls}({q(owner)}).get_balance() == 0" if with_owner
              else f"assert {cls}().get_balance() == 0"]
    return _class_task(rng, what, lines(*code), check)
