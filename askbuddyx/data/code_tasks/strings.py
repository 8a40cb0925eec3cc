"""String task families: reverse, palindromes, counting, ciphers, run-length encoding, words."""

from __future__ import annotations

import random

from askbuddyx.data.code_tasks.core import (
    PALINDROME_PHRASES,
    PALINDROMES,
    Example,
    FunctionTask,
    Script,
    as_text,
    capitalize,
    chance,
    function_code,
    pick,
    q,
    sentence,
    total_loop,
    word,
)


def reverse_string(rng: random.Random) -> FunctionTask:
    name = pick(rng, ("reverse_string", "reverse", "string_reverse", "reverse_text"))
    p = pick(rng, ("s", "text", "string", "word"))
    body = pick(rng, ([f"return {p}[::-1]"], [f'return "".join(reversed({p}))'],
                      ['result = ""', f"for ch in {p}:", "    result = ch + result",
                       "return result"]))
    sample = word(rng) if rng.random() < 0.5 else sentence(rng, 2, 4)
    cases = [(q(w), w[::-1]) for w in (word(rng), sentence(rng, 2, 3))] + [('""', "")]
    var = pick(rng, ("text", "my_string", "s"))
    out = pick(rng, ("reversed_text", "result", "reversed_string"))
    return FunctionTask(
        name, function_code(name, p, body),
        clause=("reverse a string", "reverse a given string", "return the reverse of a string",
                "reverse the order of the characters in a string"),
        given=("reverse the given string", "reverse the following string",
               "print the reverse of the given string"),
        cases=cases, example=Example(as_text(sample, "string"), q(sample), sample[::-1]),
        script=Script([f"{var} = {q(sample)}", f"{out} = {var}[::-1]", f"print({out})"], out,
                      sample[::-1]))


def _is_loose_palindrome(text: str) -> bool:
    cleaned = "".join(ch.lower() for ch in text if ch.isalnum())
    return cleaned == cleaned[::-1]


def _is_palindrome(text: str) -> bool:
    return text == text[::-1]


def palindrome(rng: random.Random) -> FunctionTask:
    name = pick(rng, ("is_palindrome", "check_palindrome", "palindrome_check"))
    p = pick(rng, ("s", "text", "word"))
    if rng.random() < 0.4:
        first = chance(rng, 0.5, f'cleaned = "".join(ch.lower() for ch in {p} if ch.isalnum())',
                       f"cleaned = [ch.lower() for ch in {p} if ch.isalnum()]")
        body = [first, "return cleaned == cleaned[::-1]"]
        pool = [pick(rng, PALINDROME_PHRASES), capitalize(pick(rng, PALINDROMES)),
                capitalize(sentence(rng, 2, 4)), "Hello, World!"]
        ref = _is_loose_palindrome
        clause = pick(rng, (
            "check whether a string is a palindrome, ignoring case, spaces and punctuation",
            "determine if a sentence is a palindrome when case and non-alphanumeric characters "
            "are ignored"))
        given = pick(rng, (
            "check whether the given sentence is a palindrome, ignoring case, spaces and "
            "punctuation",
            "determine if the following text is a palindrome (ignore case and punctuation)"))
    else:
        body = pick(rng, ([f"return {p} == {p}[::-1]"], [f'return {p} == "".join(reversed({p}))'],
                          [f"left, right = 0, len({p}) - 1", "while left < right:",
                           f"    if {p}[left] != {p}[right]:", "        return False",
                           "    left += 1", "    right -= 1", "return True"]))
        pool = [pick(rng, PALINDROMES), word(rng), pick(rng, PALINDROMES), word(rng)]
        ref = _is_palindrome
        clause = pick(rng, ("check if a given string is a palindrome",
                            "determine whether a word is a palindrome",
                            "check whether a string reads the same forwards and backwards"))
        given = pick(rng, ("check if the given string is a palindrome",
                           "determine whether the given word is a palindrome"))
    sample = pick(rng, pool[:3])
    return FunctionTask(name, function_code(name, p, body), clause, given,
                        cases=[(q(t), ref(t)) for t in pool],
                        example=Example(as_text(sample, "string"), q(sample), ref(sample)))


def count_vowels(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("s", "text", "sentence", "string"))
    consonants = rng.random() < 0.3
    if consonants:
        name = pick(rng, ("count_consonants", "consonant_count", "num_consonants"))
        cond = 'ch.isalpha() and ch not in "aeiou"'
        clause = pick(rng, ("count the number of consonants in a string",
                            "count how many consonants a given string contains"))
        given = "count the number of consonants in the given string"
    else:
        name = pick(rng, ("count_vowels", "vowel_count", "num_vowels"))
        cond = 'ch in "aeiou"'
        clause = pick(rng, ("count the number of vowels in a string",
                            "count how many vowels a given string contains",
                            "return the number of vowels (a, e, i, o, u) in a string, ignoring "
                            "case"))
        given = pick(rng, ("count the number of vowels in the given string",
                           "find the number of vowels in the following sentence"))

    def ref(text: str) -> int:
        if consonants:
            return sum(1 for ch in text.lower() if ch.isalpha() and ch not in "aeiou")
        return sum(1 for ch in text.lower() if ch in "aeiou")

    body = chance(rng, 0.5, total_loop("ch", f"{p}.lower()", "1", cond, var="count"),
                  [f"return sum(1 for ch in {p}.lower() if {cond})"])
    sample = sentence(rng, 2, 5)
    if rng.random() < 0.5:
        sample = sample.title()
    cases = [(q(t), ref(t)) for t in (sentence(rng, 1, 4), word(rng).upper(), "")]
    var = pick(rng, ("text", "sentence"))
    script = None if consonants else Script(
        [f"{var} = {q(sample)}", f'count = sum(1 for ch in {var}.lower() if ch in "aeiou")',
         "print(count)"], "count", ref(sample))
    return FunctionTask(name, function_code(name, p, body), clause, given, cases,
                        Example(as_text(sample, "string"), q(sample), ref(sample)), script)


def _cap_words(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


def capitalize_words(rng: random.Random) -> FunctionTask:
    name = pick(rng, ("capitalize_words", "title_case", "capitalize_each_word"))
    p = pick(rng, ("s", "text", "sentence"))
    body = pick(rng, ([f'return " ".join(word.capitalize() for word in {p}.split())'],
                      [f'return " ".join(word[0].upper() + word[1:] for word in {p}.split())'],
                      ["words = []", f"for word in {p}.split():",
                       "    words.append(word[0].upper() + word[1:])", 'return " ".join(words)']))
    sample = sentence(rng, 2, 5)
    cases = [(q(t), _cap_words(t)) for t in (sentence(rng, 1, 4), word(rng))]
    return FunctionTask(
        name, function_code(name, p, body),
        clause=("capitalize the first letter of each word in a string",
                "convert the first letter of every word in a sentence to uppercase",
                "capitalize every word of a given sentence"),
        given=("capitalize the first letter of each word in the given string",
               "capitalize every word of the following sentence"),
        cases=cases, example=Example(as_text(sample, "sentence"), q(sample), _cap_words(sample)))


def _caesar(text: str, shift: int) -> str:
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            out.append(chr((ord(ch) - 97 + shift) % 26 + 97))
        elif "A" <= ch <= "Z":
            out.append(chr((ord(ch) - 65 + shift) % 26 + 65))
        else:
            out.append(ch)
    return "".join(out)


def caesar_cipher(rng: random.Random) -> FunctionTask:
    k = rng.randint(1, 25)
    p = pick(rng, ("text", "message", "s"))
    mode = rng.randrange(3)  # 0 encrypt by k, 1 decrypt by k, 2 shift by a parameter
    names, params, expr, shift, clause, given = (
        (("caesar_encrypt", "encrypt", "caesar_cipher"), p, f"+ {k}", k,
         f"encrypt a string using a Caesar cipher with a shift of {k}",
         f"encrypt the given text with a Caesar cipher that shifts each letter by {k}"),
        (("caesar_decrypt", "decrypt", "decode_caesar"), p, f"- {k}", -k,
         f"decrypt a message that was encoded with a Caesar cipher using a shift of {k}",
         f"decrypt the given Caesar cipher text, which was shifted by {k}"),
        (("caesar_cipher", "shift_letters", "caesar_shift"), f"{p}, shift", "+ shift", k,
         "shift every letter of a string by a given number of positions in the alphabet "
         "(Caesar cipher), keeping case and leaving other characters as is",
         f"apply a Caesar cipher with a shift of {k} to the given text"),
    )[mode]
    name = pick(rng, names)
    body = ['result = ""', f"for ch in {p}:", "    if ch.isupper():",
            f"        result += chr((ord(ch) - 65 {expr}) % 26 + 65)", "    elif ch.islower():",
            f"        result += chr((ord(ch) - 97 {expr}) % 26 + 97)", "    else:",
            "        result += ch", "return result"]
    extra = f", {k}" if mode == 2 else ""
    texts = [capitalize(sentence(rng, 2, 3)) + "!", word(rng).upper(), word(rng)]
    cases = [(q(t) + extra, _caesar(t, shift)) for t in texts]
    if mode == 2:
        cases.append((f"{q(texts[2])}, 0", texts[2]))
    sample = capitalize(sentence(rng, 2, 3))
    if mode == 1:
        sample = _caesar(sample, k)
    return FunctionTask(name, function_code(name, params, body), clause, given, cases,
                        Example(as_text(sample, "text"), q(sample) + extra,
                                _caesar(sample, shift)))


def remove_char(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("s", "text", "string"))
    sample = sentence(rng, 2, 4)
    c = pick(rng, sorted({ch for ch in sample if ch != " "}))
    name = pick(rng, ("remove_char", "remove_character", "strip_char", "delete_char"))
    as_param = rng.random() < 0.4
    params, target = (f"{p}, char", "char") if as_param else (p, q(c))
    body = chance(rng, 0.5, [f'return {p}.replace({target}, "")'],
                  [f'return "".join(ch for ch in {p} if ch != {target})'])
    extra = f", {q(c)}" if as_param else ""
    others = [sentence(rng, 2, 3), c * 3 + "x", ""]
    cases = [(q(t) + extra, t.replace(c, "")) for t in others]
    if as_param:
        clause = ("remove all occurrences of a given character from a string",
                  "delete every occurrence of a character from a string")
        given = "remove all occurrences of the given character from the given string"
        shown = f"string = {q(sample)}, character = {q(c)}"
    else:
        clause = (f"remove all occurrences of the character '{c}' from a string",
                  f"delete every '{c}' from a given string")
        given = f"remove all occurrences of the character '{c}' from the given string"
        shown = as_text(sample, "string")
    return FunctionTask(name, function_code(name, params, body), clause, given, cases,
                        Example(shown, q(sample) + extra, sample.replace(c, "")))


def _count_overlapping(text: str, sub: str) -> int:
    return sum(1 for i in range(len(text) - len(sub) + 1) if text[i:i + len(sub)] == sub)


def _count_plain(text: str, sub: str) -> int:
    return text.count(sub)


def count_substring(rng: random.Random) -> FunctionTask:
    alphabet = pick(rng, ("ab", "abc", "xy", "aab"))
    name = pick(rng, ("count_substring", "count_occurrences", "substring_count"))
    p = pick(rng, ("text", "s", "string"))
    sub_name = pick(rng, ("sub", "pattern", "substring"))

    def rand_text() -> str:
        return "".join(pick(rng, alphabet) for _ in range(rng.randint(7, 14)))

    def rand_sub() -> str:
        return pick(rng, alphabet) + pick(rng, alphabet)

    sample, sub = rand_text(), rand_sub()
    if rng.random() < 0.5:
        body = total_loop("i", f"range(len({p}) - len({sub_name}) + 1)", "1",
                          f"{p}[i:i + len({sub_name})] == {sub_name}", var="count")
        ref = _count_overlapping
        clause = pick(rng, ("count how many times a substring occurs in a string, including "
                            "overlapping occurrences",
                            "count the overlapping occurrences of a pattern in a string"))
        given = "count the occurrences (overlapping ones included) of the substring in the string"
    else:
        body = chance(rng, 0.5, [f"return {p}.count({sub_name})"],
                      ["count = 0", "start = 0", "while True:",
                       f"    index = {p}.find({sub_name}, start)", "    if index == -1:",
                       "        return count", "    count += 1",
                       f"    start = index + len({sub_name})"])
        ref = _count_plain
        clause = pick(rng, (
            "count the number of non-overlapping occurrences of a substring in a string",
            "count how many times a substring appears in a string (without overlaps)"))
        given = "count the non-overlapping occurrences of the substring in the given string"
    cases = []
    for _ in range(3):
        t, s = rand_text(), rand_sub()
        cases.append((f"{q(t)}, {q(s)}", ref(t, s)))
    cases.append((f"{q(sub * 3)}, {q(sub)}", ref(sub * 3, sub)))
    return FunctionTask(name, function_code(name, f"{p}, {sub_name}", body), clause, given, cases,
                        Example(f"string = {q(sample)}, substring = {q(sub)}",
                                f"{q(sample)}, {q(sub)}", ref(sample, sub)))


Runs = list[tuple[str, int]]


def _runs(rng: random.Random) -> Runs:
    runs: Runs = []
    for _ in range(rng.randint(3, 6)):
        ch = pick(rng, [c for c in "abcd" if not runs or c != runs[-1][0]])
        runs.append((ch, rng.randint(1, 5)))
    return runs


def _plain(runs: Runs) -> str:
    return "".join(ch * n for ch, n in runs)


def run_length_encoding(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("s", "text", "data"))
    runs, other = _runs(rng), [_runs(rng), _runs(rng)]
    mode = rng.randrange(3)  # 0 encode "a3", 1 encode "3a", 2 decode "a3"

    def enc(rs: Runs) -> str:
        return "".join(f"{n}{ch}" if mode == 1 else f"{ch}{n}" for ch, n in rs)

    if mode == 2:
        name = pick(rng, ("rle_decode", "decode_rle", "run_length_decode"))
        code = function_code(name, p, ['result = ""', f"for i in range(0, len({p}), 2):",
                                       f"    result += {p}[i] * int({p}[i + 1])",
                                       "return result"])
        ex = enc(runs)
        clause = ("decode a run-length encoded string in which every character is followed by "
                  f'a single-digit count, e.g. "{ex}" becomes "{_plain(runs)}"')
        given = "decode the given run-length encoded string"
        cases = [(q(enc(rs)), _plain(rs)) for rs in other] + [('""', "")]
        return FunctionTask(name, code, clause, given, cases,
                            Example(as_text(ex), q(ex), _plain(runs)))
    name = pick(rng, ("run_length_encode", "rle_encode", "compress_string", "encode_rle"))
    if rng.random() < 0.6:
        piece = "str(count) + current" if mode == 1 else "current + str(count)"
        code = function_code(name, p, [
            f"if not {p}:", '    return ""', "result = []", f"current = {p}[0]", "count = 1",
            f"for ch in {p}[1:]:", "    if ch == current:", "        count += 1", "    else:",
            f"        result.append({piece})", "        current = ch", "        count = 1",
            f"result.append({piece})", 'return "".join(result)'])
    else:
        piece = "str(len(list(group))) + ch" if mode == 1 else "ch + str(len(list(group)))"
        code = function_code(name, p, [f'return "".join({piece} for ch, group in groupby({p}))'],
                             imports="from itertools import groupby")
    ex = _plain(runs)
    order = "each character followed by its count" if mode == 0 else (
        "each count followed by its character")
    return FunctionTask(
        name, code, f'compress a string using run-length encoding, e.g. "{ex}" becomes '
        f'"{enc(runs)}"', f"compress the given string using run-length encoding ({order})",
        [(q(_plain(rs)), enc(rs)) for rs in other] + [('""', "")],
        Example(as_text(ex), q(ex), enc(runs)))


def longest_word(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("sentence", "text", "s"))
    longest = rng.random() < 0.6
    fn, cmp, label = (max, ">", "longest") if longest else (min, "<", "shortest")
    name = pick(rng, (f"{label}_word", f"find_{label}_word", f"get_{label}_word"))
    body = chance(rng, 0.5, [f"return {fn.__name__}({p}.split(), key=len)"],
                  [f"words = {p}.split()", f"{label} = words[0]", "for word in words[1:]:",
                   f"    if len(word) {cmp} len({label}):", f"        {label} = word",
                   f"return {label}"])
    sample = sentence(rng, 3, 7)
    cases = [(q(s), fn(s.split(), key=len)) for s in (sentence(rng, 2, 6), word(rng))]
    return FunctionTask(
        name, function_code(name, p, body),
        clause=(f"find the {label} word in a sentence",
                f"return the {label} word of a string (the first one if there is a tie)"),
        given=f"find the {label} word in the given sentence", cases=cases,
        example=Example(as_text(sample, "sentence"), q(sample), fn(sample.split(), key=len)))


def _is_anagram(a: str, b: str) -> bool:
    return sorted(a.replace(" ", "").lower()) == sorted(b.replace(" ", "").lower())


_ANAGRAM_PAIRS = (("listen", "silent"), ("Dormitory", "Dirty room"), ("evil", "vile"),
                  ("night", "thing"), ("dusty", "study"), ("hello", "world"), ("apple", "paple"))


def anagram(rng: random.Random) -> FunctionTask:
    name = pick(rng, ("is_anagram", "are_anagrams", "check_anagram"))
    a, b = pick(rng, (("s1", "s2"), ("str1", "str2"), ("first", "second"), ("a", "b")))
    how, imports = chance(rng, 0.5, ("sorted", ""), ("Counter", "from collections import Counter"))
    code = function_code(name, f"{a}, {b}", [
        f'return {how}({a}.replace(" ", "").lower()) == {how}({b}.replace(" ", "").lower())'],
        imports=imports)
    w = word(rng)
    shuffled = "".join(rng.sample(w, len(w)))
    chosen = [_ANAGRAM_PAIRS[i] for i in rng.sample(range(len(_ANAGRAM_PAIRS)), 3)]
    chosen += [(w, shuffled), (word(rng), word(rng))]
    x, y = chosen[0]
    return FunctionTask(
        name, code,
        clause=("check if two strings are anagrams of each other, ignoring case and spaces",
                "determine whether two words are anagrams (ignore spaces and case)"),
        given="check if the two given strings are anagrams of each other",
        cases=[(f"{q(u)}, {q(v)}", _is_anagram(u, v)) for u, v in chosen],
        example=Example(lambda r: chance(r, 0.5, f"{q(x)}, {q(y)}", f"{a} = {q(x)}, {b} = {q(y)}"),
                        f"{q(x)}, {q(y)}", _is_anagram(x, y)))


def count_words(rng: random.Random) -> FunctionTask:
    p = pick(rng, ("sentence", "text", "s"))
    mode = rng.randrange(3)  # all words, words longer than n, words starting with c
    n = rng.randint(3, 5)
    c = pick(rng, "abcgmpst")
    tests = (lambda w: True, lambda w: len(w) > n, lambda w: w.lower().startswith(c))
    if mode == 0:
        name = pick(rng, ("count_words", "word_count", "number_of_words"))
        body = f"return len({p}.split())"
        clause = pick(rng, ("count the number of words in a sentence",
                            "return how many words a string contains"))
        given = "count the number of words in the given sentence"
    elif mode == 1:
        name = pick(rng, ("count_long_words", "long_word_count"))
        body = f"return sum(1 for word in {p}.split() if len(word) > {n})"
        clause = f"count the words in a sentence that are longer than {n} characters"
        given = f"count how many words in the given sentence have more than {n} characters"
    else:
        name = pick(rng, ("count_words_starting_with", "count_starting_words"))
        body = f"return sum(1 for word in {p}.split() if word.lower().startswith({q(c)}))"
        clause = f"count how many words in a sentence start with the letter '{c}'"
        given = f"count the words of the given sentence that start with '{c}'"

    def ref(text: str) -> int:
        return sum(1 for w in text.split() if tests[mode](w))

    sample = sentence(rng, 4, 9)
    fixed = f"{c * (n + 1)} {c} xyz {'q' * (n + 2)} {c}{'w' * n}"
    cases = [(q(s), ref(s)) for s in (sentence(rng, 3, 8), sentence(rng, 1, 2), "", fixed)]
    return FunctionTask(name, function_code(name, p, [body]), clause, given, cases,
                        Example(as_text(sample, "sentence"), q(sample), ref(sample)))
