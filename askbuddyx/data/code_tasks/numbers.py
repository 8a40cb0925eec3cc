"""Number task families: math (factorial, primes, digits, areas, ...), recursion, ranges."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from askbuddyx.data.code_tasks.core import (
    LIST_PARAMS,
    Example,
    FunctionTask,
    Script,
    as_value,
    chance,
    function_code,
    ints,
    lit,
    pick,
    total_loop,
)


def factorial(rng: random.Random) -> FunctionTask:
    name = pick(rng, ("factorial", "fact", "compute_factorial"))
    n = pick(rng, ("n", "num", "number"))
    body, how, imports = pick(rng, (
        (["result = 1", f"for i in range(2, {n} + 1):", "    result *= i", "return result"], "",
         ""),
        ([f"if {n} <= 1:", "    return 1", f"return {n} * {name}({n} - 1)"], " using recursion",
         ""),
        ([f"return math.factorial({n})"], "", "import math")))
    value = rng.randint(3, 12)
    cases = [(str(x), math.factorial(x)) for x in (0, 1, rng.randint(2, 10))]
    return FunctionTask(
        name, function_code(name, n, body, imports),
        clause=(f"calculate the factorial of a number{how}",
                f"compute n! for a non-negative integer n{how}",
                f"find the factorial of a given integer{how}"),
        given=f"calculate the factorial of the given number{how}", cases=cases,
        example=Example(as_value(value, n), str(value), math.factorial(value)))


def _fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def _fib_list(n: int) -> list[int]:
    return [_fib(i) for i in range(n)]


def fibonacci(rng: random.Random) -> FunctionTask:
    n = pick(rng, ("n", "num", "count"))
    mode = rng.randrange(3)  # 0 nth by a loop, 1 nth by recursion, 2 the first n as a list
    ref: Callable[[int], object]
    if mode == 2:
        name = pick(rng, ("fibonacci_sequence", "fib_list", "first_fibonacci"))
        body = ["sequence = []", "a, b = 0, 1", f"for _ in range({n}):", "    sequence.append(a)",
                "    a, b = b, a + b", "return sequence"]
        clause = pick(rng, ("generate a list of the first n Fibonacci numbers, starting with 0 "
                            "and 1",
                            "return the first n numbers of the Fibonacci sequence "
                            "(0, 1, 1, 2, ...)"))
        given = "generate the first n Fibonacci numbers, where n is given"
        ref = _fib_list
        value, lims = rng.randint(5, 15), (0, 1, rng.randint(2, 12))
    else:
        name = pick(rng, ("fibonacci", "fib", "nth_fibonacci"))
        if mode == 0:
            body = ["a, b = 0, 1", f"for _ in range({n}):", "    a, b = b, a + b", "return a"]
            how = ""
            value, lims = rng.randint(5, 30), (0, 1, 2, rng.randint(3, 40))
        else:
            body = [f"if {n} < 2:", f"    return {n}", f"return {name}({n} - 1) + {name}({n} - 2)"]
            how = " recursively"
            value, lims = rng.randint(5, 15), (0, 1, 2, rng.randint(3, 16))
        clause = pick(rng, (f"compute the nth Fibonacci number{how}, where fib(0) = 0 and "
                            "fib(1) = 1",
                            f"return the n-th element of the Fibonacci sequence{how} "
                            "(0, 1, 1, 2, 3, ...), counting from 0"))
        given = f"find the nth Fibonacci number{how} for the given n (fib(0) = 0, fib(1) = 1)"
        ref = _fib
    return FunctionTask(name, function_code(name, n, body), clause, given,
                        [(str(x), ref(x)) for x in lims],
                        Example(as_value(value, "n"), str(value), ref(value)))


def _lcm(x: int, y: int) -> int:
    return x * y // math.gcd(x, y)


def gcd_lcm(rng: random.Random) -> FunctionTask:
    a, b = pick(rng, (("a", "b"), ("x", "y"), ("m", "n")))
    use_lcm = rng.random() < 0.4
    impl = rng.randrange(3)
    imports = ""
    if not use_lcm:
        name = pick(rng, ("gcd", "greatest_common_divisor", "compute_gcd", "hcf"))
        if impl == 0:
            body = [f"while {b}:", f"    {a}, {b} = {b}, {a} % {b}", f"return {a}"]
            how = pick(rng, ("", " using the Euclidean algorithm"))
        elif impl == 1:
            body = [f"if {b} == 0:", f"    return {a}", f"return {name}({b}, {a} % {b})"]
            how = " recursively"
        else:
            body, how, imports = [f"return math.gcd({a}, {b})"], "", "import math"
        clause = pick(rng, (f"find the greatest common divisor of two numbers{how}",
                            f"compute the GCD of two positive integers{how}"))
        given = f"find the greatest common divisor of the two given numbers{how}"
        ref = math.gcd
    else:
        name = pick(rng, ("lcm", "least_common_multiple", "compute_lcm"))
        if impl == 0:
            s, t = ("p", "q") if (a, b) == ("x", "y") else ("x", "y")  # free names for the loop
            body = [f"{s}, {t} = {a}, {b}", f"while {t}:", f"    {s}, {t} = {t}, {s} % {t}",
                    f"return {a} * {b} // {s}"]
        else:
            body, imports = [f"return {a} * {b} // math.gcd({a}, {b})"], "import math"
        clause = pick(rng, ("find the least common multiple of two numbers",
                            "compute the LCM of two positive integers"))
        given = "find the least common multiple of the two given numbers"
        ref = _lcm

    def pair() -> tuple[int, int]:
        g = rng.randint(1, 12)
        return g * rng.randint(1, 15), g * rng.randint(1, 15)

    x, y = pair()
    cases = [(f"{u}, {w}", ref(u, w)) for u, w in (pair(), pair(), (7, 13))]
    return FunctionTask(name, function_code(name, f"{a}, {b}", body, imports), clause, given,
                        cases, Example(f"{a} = {x}, {b} = {y}", f"{x}, {y}", ref(x, y)))


def _prime(n: int) -> bool:
    return n >= 2 and all(n % i for i in range(2, int(n ** 0.5) + 1))


def is_prime(rng: random.Random) -> FunctionTask:
    name = pick(rng, ("is_prime", "check_prime", "prime_check"))
    n = pick(rng, ("n", "num", "number"))
    body = chance(rng, 0.6, [f"if {n} < 2:", "    return False",
                             f"for i in range(2, int({n} ** 0.5) + 1):", f"    if {n} % i == 0:",
                             "        return False", "return True"],
                  [f"if {n} < 2:", "    return False", "i = 2", f"while i * i <= {n}:",
                   f"    if {n} % i == 0:", "        return False", "    i += 1", "return True"])
    value = rng.randint(2, 200)
    pool = [0, 1, 2, rng.randint(3, 500), rng.randint(3, 500), pick(rng, ("97", "89", "101")),
            rng.randint(2, 30) ** 2]
    return FunctionTask(
        name, function_code(name, n, body),
        clause=("check whether a number is prime", "determine if a given integer is a prime number",
                "return True if a number is prime and False otherwise"),
        given=("check whether the given number is prime",
               "determine if the following number is a prime number"),
        cases=[(str(x), _prime(int(x))) for x in pool],
        example=Example(as_value(value, n), str(value), _prime(value)))


def _digit_sum(x: int) -> int:
    return sum(int(d) for d in str(abs(x)))


def _digit_count(x: int) -> int:
    return len(str(abs(x)))


def _reversed_digits(x: int) -> int:
    return int(str(x)[::-1])


def digits(rng: random.Random) -> FunctionTask:
    n = pick(rng, ("n", "num", "number"))
    mode = rng.randrange(3)  # digit sum, digit count, reversed number
    loop = rng.random() < 0.5
    if mode == 0:
        name = pick(rng, ("sum_of_digits", "digit_sum", "add_digits"))
        body = (["total = 0", f"{n} = abs({n})", f"while {n} > 0:", f"    total += {n} % 10",
                 f"    {n} //= 10", "return total"]
                if loop else [f"return sum(int(d) for d in str(abs({n})))"])
        clause = pick(rng, ("calculate the sum of the digits of an integer",
                            "find the sum of all digits of a number"))
        given, ref = "calculate the sum of the digits of the given number", _digit_sum
    elif mode == 1:
        name = pick(rng, ("count_digits", "digit_count", "num_digits"))
        body = ([f"{n} = abs({n})", "count = 1", f"while {n} >= 10:", f"    {n} //= 10",
                 "    count += 1", "return count"] if loop else [f"return len(str(abs({n})))"])
        clause = pick(rng, ("count the number of digits in an integer",
                            "return how many digits a number has"))
        given, ref = "count the digits of the given number", _digit_count
    else:
        name = pick(rng, ("reverse_number", "reverse_digits", "reverse_integer"))
        body = (["result = 0", f"while {n} > 0:", f"    result = result * 10 + {n} % 10",
                 f"    {n} //= 10", "return result"] if loop else [f"return int(str({n})[::-1])"])
        clause = pick(rng, ("reverse the digits of a positive integer",
                            "return a non-negative integer with its digits reversed"))
        given, ref = "reverse the digits of the given number", _reversed_digits
    value = rng.randint(10, 999999)
    pool = [rng.randint(1, 9), rng.randint(100, 99999), 1000 * rng.randint(1, 9)]
    if mode < 2:
        pool.append(-rng.randint(10, 9999))
    return FunctionTask(name, function_code(name, n, body), clause, given,
                        [(str(x), ref(x)) for x in pool],
                        Example(as_value(value, n), str(value), ref(value)))


def _is_power(n: int, k: int) -> bool:
    if n < 1:
        return False
    while n % k == 0:
        n //= k
    return n == 1


def power_check(rng: random.Random) -> FunctionTask:
    n = pick(rng, ("n", "num", "x"))
    k = pick(rng, (2, 2, 3, 4, 5))
    word_k = {2: "two", 3: "three", 4: "four", 5: "five"}[k]
    name = pick(rng, (f"is_power_of_{word_k}", f"power_of_{word_k}", f"check_power_of_{word_k}"))
    if k == 2 and rng.random() < 0.5:
        body = [f"return {n} > 0 and ({n} & ({n} - 1)) == 0"]
    else:
        body = [f"if {n} < 1:", "    return False", f"while {n} % {k} == 0:", f"    {n} //= {k}",
                f"return {n} == 1"]
    value = k ** rng.randint(1, 8) if rng.random() < 0.5 else rng.randint(2, 300)
    pool = [1, 0, k ** rng.randint(2, 10), k ** rng.randint(2, 6) + 1, rng.randint(2, 1000), -k]
    return FunctionTask(
        name, function_code(name, n, body),
        clause=(f"check whether a number is a power of {k}",
                f"determine if an integer is an exact power of {word_k}"),
        given=f"check whether the given number is a power of {k}",
        cases=[(str(x), _is_power(x, k)) for x in pool],
        example=Example(as_value(value, n), str(value), _is_power(value, k)))


def temperature(rng: random.Random) -> FunctionTask:
    if rng.random() < 0.5:
        p = pick(rng, ("celsius", "c", "temp_c"))
        name = pick(rng, ("celsius_to_fahrenheit", "c_to_f", "to_fahrenheit"))
        body = chance(rng, 0.4, [f"fahrenheit = ({p} * 9 / 5) + 32", "return fahrenheit"],
                      [f"return {p} * 9 / 5 + 32"])
        units = "Celsius", "Fahrenheit"

        def ref(x: int) -> float:
            return x * 9 / 5 + 32
    else:
        p = pick(rng, ("fahrenheit", "f", "temp_f"))
        name = pick(rng, ("fahrenheit_to_celsius", "f_to_c", "to_celsius"))
        body = chance(rng, 0.4, [f"celsius = ({p} - 32) * 5 / 9", "return celsius"],
                      [f"return ({p} - 32) * 5 / 9"])
        units = "Fahrenheit", "Celsius"

        def ref(x: int) -> float:
            return (x - 32) * 5 / 9
    clause = pick(rng, ("convert a temperature from {} to {}".format(*units),
                        "convert degrees {} to degrees {}".format(*units)))
    value = rng.randint(-40, 110)
    cases = [(str(x), float(ref(x))) for x in (0, 100, -40, rng.randint(-30, 120))]
    return FunctionTask(name, function_code(name, p, body), clause,
                        "convert the given temperature from {} to {}".format(*units), cases,
                        Example(as_value(value, p), str(value), float(ref(value))))


def area(rng: random.Random) -> FunctionTask:
    shape = rng.randrange(4)  # circle area, circumference, rectangle, triangle
    imports = ""
    if shape == 0:
        name = pick(rng, ("circle_area", "area_of_circle", "compute_circle_area"))
        params = pick(rng, ("radius", "r"))
        body, imports = f"return math.pi * {params} ** 2", "import math"
        clause = pick(rng, ("calculate the area of a circle given its radius",
                            "compute the area of a circle"))
        given = "calculate the area of a circle with the given radius"

        def ref(*xs: int) -> float:
            return math.pi * xs[0] ** 2
    elif shape == 1:
        name = pick(rng, ("circle_circumference", "circumference", "perimeter_of_circle"))
        params = pick(rng, ("radius", "r"))
        body, imports = f"return 2 * math.pi * {params}", "import math"
        clause = "calculate the circumference of a circle given its radius"
        given = "calculate the circumference of a circle with the given radius"

        def ref(*xs: int) -> float:
            return 2 * math.pi * xs[0]
    elif shape == 2:
        name = pick(rng, ("rectangle_area", "area_of_rectangle", "rect_area"))
        w, h = pick(rng, (("width", "height"), ("length", "width"), ("w", "h")))
        params, body = f"{w}, {h}", f"return {w} * {h}"
        clause = pick(rng, ("calculate the area of a rectangle",
                            "compute the area of a rectangle given its two sides"))
        given = "calculate the area of a rectangle with the given dimensions"

        def ref(*xs: int) -> float:
            return float(xs[0] * xs[1])
    else:
        name = pick(rng, ("triangle_area", "area_of_triangle"))
        params = pick(rng, ("base, height", "b, h"))
        b, h = params.split(", ")
        body = chance(rng, 0.5, f"return {b} * {h} / 2", f"return 0.5 * {b} * {h}")
        clause = "calculate the area of a triangle given its base and height"
        given = "calculate the area of a triangle with the given base and height"

        def ref(*xs: int) -> float:
            return 0.5 * xs[0] * xs[1]
    names = params.split(", ")
    args = [rng.randint(1, 20) for _ in names]
    cases = []
    for _ in range(2):
        xs = [rng.randint(1, 30) for _ in names]
        cases.append((", ".join(map(str, xs)), float(ref(*xs))))
    return FunctionTask(name, function_code(name, params, [body], imports), clause, given, cases,
                        Example(", ".join(f"{k} = {v}" for k, v in zip(names, args)),
                                ", ".join(map(str, args)), float(ref(*args))))


def _mean(xs: list[int]) -> float:
    return sum(xs) / len(xs)


def _median(xs: list[int]) -> float:
    s = sorted(xs)
    mid = len(s) // 2
    if len(s) % 2:
        return float(s[mid])
    return (s[mid - 1] + s[mid]) / 2


def mean_median(rng: random.Random) -> FunctionTask:
    p = pick(rng, LIST_PARAMS)
    mean = rng.random() < 0.5
    if mean:
        name = pick(rng, ("mean", "average", "calculate_mean", "find_average"))
        body = chance(rng, 0.4, total_loop("x", p, "x")[:-1] + [f"return total / len({p})"],
                      [f"return sum({p}) / len({p})"])
        clause = pick(rng, ("calculate the mean of a list of numbers",
                            "compute the average of the numbers in a list"))
        given = pick(rng, ("calculate the mean of the given list of numbers",
                           "find the average of the following numbers"))
        ref = _mean
    else:
        name = pick(rng, ("median", "find_median", "calculate_median"))
        body = [f"ordered = sorted({p})", "mid = len(ordered) // 2", "if len(ordered) % 2 == 1:",
                "    return ordered[mid]", "return (ordered[mid - 1] + ordered[mid]) / 2"]
        clause = pick(rng, ("find the median of a list of numbers",
                            "compute the median value of an unsorted list"))
        given, ref = "find the median of the given list", _median
    data = ints(rng, 0, 100, 3, 8)
    cases = [(lit(xs), float(ref(xs))) for xs in (ints(rng, -10, 50, 1, 6), [4, 1, 3, 2])]
    script = Script(["numbers = " + lit(data), "average = sum(numbers) / len(numbers)",
                     "print(average)"], "average", float(ref(data))) if mean else None
    return FunctionTask(name, function_code(name, p, body), clause, given, cases,
                        Example(as_value(data, "numbers"), lit(data), float(ref(data))), script)


def _to_binary(x: object) -> object:
    return format(int(str(x)), "b")


def _from_binary(x: object) -> object:
    return int(str(x), 2)


def binary_conversion(rng: random.Random) -> FunctionTask:
    to_binary = rng.random() < 0.6
    value: object
    if to_binary:
        n = pick(rng, ("n", "num", "decimal"))
        name = pick(rng, ("decimal_to_binary", "to_binary", "int_to_binary"))
        body, how = pick(rng, (
            ([f"if {n} == 0:", '    return "0"', 'bits = ""', f"while {n} > 0:",
              f"    bits = str({n} % 2) + bits", f"    {n} //= 2", "return bits"],
             " without using bin()"),
            ([f"return bin({n})[2:]"], ""), ([f'return format({n}, "b")'], "")))
        clause = pick(rng, (f"convert a non-negative integer to its binary representation as a "
                            f"string{how}", f"convert a decimal number to binary{how}"))
        given, ref = f"convert the given decimal number to binary{how}", _to_binary
        value = rng.randint(1, 255)
        pool: list[object] = [0, 1, rng.randint(2, 1024)]
        shown = as_value(value, "number")
    else:
        n = pick(rng, ("bits", "binary", "s"))
        name = pick(rng, ("binary_to_decimal", "from_binary", "parse_binary"))
        body = chance(rng, 0.5, [f"return int({n}, 2)"],
                      ["value = 0", f"for digit in {n}:", "    value = value * 2 + int(digit)",
                       "return value"])
        clause, given = ("convert a binary string to its decimal value",
                         "convert the given binary number to decimal")
        ref = _from_binary
        value = format(rng.randint(1, 255), "b")
        pool = ["0", "1", format(rng.randint(2, 1024), "b")]
        shown = str(value)
    return FunctionTask(name, function_code(name, n, body), clause, given,
                        [(lit(x), ref(x)) for x in pool], Example(shown, lit(value), ref(value)))


def primes_up_to(rng: random.Random) -> FunctionTask:
    n = pick(rng, ("n", "limit", "upper"))
    inclusive = rng.random() < 0.6
    stop = f"{n} + 1" if inclusive else n
    name = pick(rng, ("primes_up_to", "list_primes", "find_primes", "get_primes"))
    body = chance(rng, 0.5, ["primes = []", f"for num in range(2, {stop}):",
                             "    if all(num % p != 0 for p in primes if p * p <= num):",
                             "        primes.append(num)", "return primes"],
                  [f"if {n} < {2 if inclusive else 3}:", "    return []",
                   f"sieve = [True] * ({stop})", "sieve[0] = sieve[1] = False",
                   f"for i in range(2, int({n} ** 0.5) + 1):", "    if sieve[i]:",
                   f"        for j in range(i * i, {stop}, i):", "            sieve[j] = False",
                   "return [i for i, is_p in enumerate(sieve) if is_p]"])

    def ref(x: int) -> list[int]:
        return [k for k in range(2, x + 1 if inclusive else x) if _prime(k)]

    value = rng.randint(10, 60)
    cases = [(str(x), ref(x)) for x in (0, 2, 3, rng.randint(10, 120))]
    bound = "up to and including n" if inclusive else "less than n"
    return FunctionTask(
        name, function_code(name, n, body),
        clause=(f"generate a list of all prime numbers {bound}", f"return all the primes {bound}"),
        given=f"list all prime numbers {bound}, for the given n", cases=cases,
        example=Example(as_value(value, "n"), str(value), ref(value)))
