"""Argument types shared by the sub-commands: each turns bad text into a one-line usage error."""

from __future__ import annotations

import argparse


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
