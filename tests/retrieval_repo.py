"""A small repository of our own for the retrieval tests: a few modules, a .gitignore.

`make_repo(dest)` writes it; `FUNCTIONS` says where each function lives, so tests can ask
about one by what it does and check the file and lines that come back.
"""

from __future__ import annotations

from pathlib import Path

FILES = {
    "shop/__init__.py": '"""A toy shop: stock, prices and orders."""\n',
    "shop/pricing.py": '''"""Prices: discounts and taxes applied to an order's lines."""

from decimal import Decimal


def apply_discount(price: Decimal, percent: int) -> Decimal:
    """Lower a price by a percentage, never below zero."""
    cut = price * Decimal(percent) / 100
    return max(Decimal(0), price - cut)


def add_sales_tax(amount: Decimal, rate: Decimal = Decimal("0.2")) -> Decimal:
    """The amount with value-added tax on top, rounded to cents."""
    return (amount * (1 + rate)).quantize(Decimal("0.01"))
''',
    "shop/stock.py": '''"""The warehouse: what is on the shelves and when to order more."""

import json
from pathlib import Path


class Warehouse:
    """Counts of items by SKU, saved as JSON."""

    def __init__(self, path: Path):
        self.path = path
        self.counts = json.loads(path.read_text()) if path.exists() else {}

    def restock(self, sku: str, quantity: int) -> int:
        """Add delivered items to the shelf count and return the new count."""
        self.counts[sku] = self.counts.get(sku, 0) + quantity
        return self.counts[sku]


def items_running_low(counts: dict, threshold: int = 5) -> list:
    """Which products have fewer units left than the threshold, so we reorder them."""
    return sorted(sku for sku, n in counts.items() if n < threshold)
''',
    "shop/orders.py": '''"""Orders: parsing order codes typed by customers."""

import re

CODE = re.compile(r"^([A-Z]{3})-(\\d{4})$")


def parse_order_code(text: str) -> tuple:
    """Split a customer's order code like ABC-1234 into its letters and its number."""
    match = CODE.match(text.strip().upper())
    if not match:
        raise ValueError(f"not an order code: {text!r}")
    return match.group(1), int(match.group(2))
''',
    "README.md": "# Toy shop\n\nStock, prices and orders for the retrieval tests.\n",
    ".gitignore": "build/\n*.log\n",
    "build/generated.py": "def apply_discount_generated():\n    return 'ignored'\n",
    "debug.log": "not indexed\n",
}

# function -> (path, first line, last line)
FUNCTIONS = {
    "apply_discount": ("shop/pricing.py", 6, 9),
    "add_sales_tax": ("shop/pricing.py", 12, 14),
    "items_running_low": ("shop/stock.py", 20, 22),
    "parse_order_code": ("shop/orders.py", 8, 13),
}


def make_repo(dest: Path) -> Path:
    for rel, text in FILES.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return dest
