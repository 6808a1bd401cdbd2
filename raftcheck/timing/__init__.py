"""Timing questions that explicit states can only sample, answered symbolically with z3."""

from .lease import (
    Event,
    LeaseInputError,
    LeaseQuestion,
    LeaseVerdict,
    Timeline,
    check_lease,
    closed_form_lease,
    optimum_lease,
    stale_read,
)

__all__ = [
    "Event",
    "LeaseInputError",
    "LeaseQuestion",
    "LeaseVerdict",
    "Timeline",
    "check_lease",
    "closed_form_lease",
    "optimum_lease",
    "stale_read",
]
