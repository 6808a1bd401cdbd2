"""Argument types shared by the sub-commands: each turns bad text into a one-line usage error."""

from __future__ import annotations

import argparse
import re
from fractions import Fraction
from typing import NamedTuple


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


def positive_or_auto(text: str) -> int | None:
    """A whole number >= 1, or 'auto' (None: the command chooses, e.g. one per core)."""
    return None if text.lower() == "auto" else positive(text)


def count_or_none(text: str) -> int | None:
    """A whole number >= 0, or 'none' (no bound)."""
    return None if text.lower() in ("none", "unbounded") else count(text)


UNITS = {"h": Fraction(3600), "m": Fraction(60), "s": Fraction(1), "ms": Fraction(1, 1000),
         "us": Fraction(1, 10**6), "µs": Fraction(1, 10**6)}
"""Time units every time flag accepts (a bare number is in seconds, except for lease's times,
which are in one unit of the user's choice)."""

_TIME = re.compile(r"\s*(-?[0-9]*\.?[0-9]+(?:/[0-9]+)?)\s*(h|ms|us|µs|m|s)?\s*\Z")


class TimeValue(NamedTuple):
    """A time as given: its number and its unit (None: a bare number)."""

    number: Fraction
    unit: str | None

    @property
    def seconds(self) -> Fraction:
        return self.number * UNITS[self.unit or "s"]


def time_value(text: str) -> TimeValue:
    """A time: 90, 1.5s, 50ms, 250us, 5m, 1h, or p/q (1/10); its sign is checked by the
    flag's type (duration, seconds) or its command."""
    m = _TIME.match(text)
    if m is None:
        raise argparse.ArgumentTypeError(
            f"expected a time such as 0.5, 50ms, 1.5s, 5m or 1h, got {text!r}")
    try:
        number = Fraction(m.group(1))
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"expected a time, got {text!r}") from None
    return TimeValue(number, m.group(2))


def duration(text: str) -> float:
    """A time >= 0, in seconds: 0.1, 50ms, 1.5s, 5m, 1h."""
    value = float(time_value(text).seconds)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a time >= 0, got {text!r}")
    return value


def seconds(text: str) -> float:
    """A positive time, in seconds: 90, 500ms, 5m, 1h."""
    value = float(time_value(text).seconds)
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
