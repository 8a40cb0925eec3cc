"""The evaluation prompts of seed 000 (sections 11.1 and 11.2), verbatim."""

SANITY_PROMPTS = [
    "Write a Python function to reverse a string",
    "How do I read a CSV file in Python?",
    "Explain list comprehensions in Python",
    "Create a function to check if a number is prime",
    "Write a binary search implementation",
    "How do I handle exceptions in Python?",
    "Write a function to find the longest word in a list",
    "Explain Python decorators",
    "How do I sort a dictionary by value?",
    "Write a function to calculate factorial",
]

COMPILE_SMOKE_PROMPTS = [
    "Write a Python function to calculate factorial",
    "Write a Python function to find the longest word in a list",
]
