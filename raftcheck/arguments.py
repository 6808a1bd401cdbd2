"""Argument types shared by the sub-commands: each turns bad text into a one-line usage error."""

from __future__ import annotations

import argparse
from fractions import Fraction


def whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
    return value


def count(text: str) -> int:
    """A whole number >= 0."""
    return whole_number(text, 0)


def positive(text: str) -> int:
    """A whole number >= 1."""
    return whole_number(text, 1)


def count_or_none(text: str) -> int | None:
    """A whole number >= 0, or 'none' (no bound)."""
    return None if text.lower() in ("none", "unbounded") else count(text)


def seconds(text: str) -> float:
    """A positive duration: seconds, or with a unit (90, 5m, 1h)."""
    units = {"s": 1, "m": 60, "h": 3600}
    scale = units.get(text[-1:].lower(), 1)
    number = text[:-1] if text[-1:].lower() in units else text
    try:
        value = float(number) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds (e.g. 90, 5m, 1h), got {text!r}") \
            from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive time, got {text!r}")
    return value


def fraction(text: str) -> Fraction:
    """A rational number: 0.1 or 1/10."""
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(
            f"expected a number such as 0.1 or 1/10, got {text!r}") from None


def timeout_range(text: str) -> tuple[int, int]:
    """MIN or MIN,MAX in whole ticks."""
    low, _, high = text.partition(",")
    try:
        values = int(low), int(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected MIN or MIN,MAX in whole ticks, got {text!r}") from None
    return values


def node_number(text: str) -> int:
    """A node as n1, n2, ... (or 1, 2, ...): its index from 0."""
    name = text.lower().removeprefix("n")
    if not name.isdigit() or int(name) < 1:
        raise argparse.ArgumentTypeError(f"expected a node such as n1, got {text!r}")
    return int(name) - 1
