"""The outcome of a validation: verdict, reason, where, and the facts behind it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from raftcheck import exit_codes

CONFORMS, VIOLATES, INCONCLUSIVE = "conforms", "violates", "inconclusive"
REFUSED, INTERNAL_ERROR = "refused", "internal error"
EXIT_CODES = {CONFORMS: exit_codes.HOLDS, VIOLATES: exit_codes.VIOLATED,
              INCONCLUSIVE: exit_codes.INCONCLUSIVE, REFUSED: exit_codes.USAGE,
              INTERNAL_ERROR: exit_codes.INTERNAL}
SEVERITY = (CONFORMS, INCONCLUSIVE, REFUSED, INTERNAL_ERROR, VIOLATES)
"""Verdicts from best to worst: several runs exit with the code of the worst. A violation is
worst: it is a certain finding about a cluster, and nothing may mask it."""


@dataclass
class FileFacts:
    path: str
    format: str
    node: str | None
    lines: int
    events: int
    skipped: int
    problems: int


@dataclass
class Verdict:
    """``status`` is conforms / violates / inconclusive; ``reason`` one line saying why.

    For a violation: ``location`` (file:line of the first event no behaviour explains),
    ``rule`` (the spec rule or property broken), ``explanation`` and the line's text;
    ``related`` lists other lines involved. ``features`` maps each feature outside the model
    to where it is first used; ``notes`` say what was assumed."""

    status: str
    reason: str
    run: str = ""
    rule: str | None = None
    location: str | None = None
    line_text: str | None = None
    explanation: str | None = None
    related: list[str] = field(default_factory=list)
    features: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    files: list[FileFacts] = field(default_factory=list)
    nodes: dict[str, list[str]] = field(default_factory=dict)
    events: int = 0
    checked: int = 0
    max_candidates: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def to_json(self) -> dict:
        out = asdict(self)
        out["exit_code"] = self.exit_code
        return out

    def lines(self) -> list[str]:
        """The report for people."""
        out = [f"{self.status.upper()}: {self.reason}"]
        if self.status in (REFUSED, INTERNAL_ERROR):
            return out
        if self.location and self.line_text:  # the reason names the location already
            out.append(f"    {self.line_text.splitlines()[0][:200]}")
        if self.explanation and self.status == VIOLATES:
            out.append(f"  {self.rule}: {self.explanation}")
        for r in self.related:
            out.append(f"  see also {r}")
        if self.status != INCONCLUSIVE or self.location:  # an inconclusive reason lists them
            for feature, where in self.features.items():
                out.append(f"  outside the model: {feature} (first at {where})")
        for note in self.notes:
            out.append(f"  note: {note}")
        out.append(f"  {len(self.files)} file(s), {sum(f.lines for f in self.files)} lines, "
                   f"{self.events} events, {self.checked} checked against the spec, "
                   f"at most {self.max_candidates} candidate state(s), {self.seconds:.2f} s")
        for p in self.problems[:10]:
            out.append(f"  unparsed raft line: {p}")
        if len(self.problems) > 10:
            out.append(f"  ... and {len(self.problems) - 10} more unparsed raft lines")
        return out


@dataclass
class Report:
    """The verdicts of every run given to one ``validate``, in the order found."""

    verdicts: list[Verdict]

    @property
    def status(self) -> str:
        return max((v.status for v in self.verdicts), key=SEVERITY.index, default=CONFORMS)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def counts(self) -> dict[str, int]:
        return {s: n for s in SEVERITY if (n := sum(v.status == s for v in self.verdicts))}

    def to_json(self) -> dict:
        return {"status": self.status, "exit_code": self.exit_code, "counts": self.counts(),
                "runs": [v.to_json() for v in self.verdicts]}

    def lines(self) -> list[str]:
        """One verdict per run, then (for several runs) a summary line."""
        if len(self.verdicts) == 1:
            return self.verdicts[0].lines()
        out: list[str] = []
        for v in self.verdicts:
            out.append(f"run {v.run}")
            out.extend(f"  {line}" for line in v.lines())
        shown = ", ".join(f"{s} {n}" for s, n in self.counts().items())
        out.append(f"{len(self.verdicts)} runs: {shown}; exit {self.exit_code} "
                   f"({self.status}, the worst)")
        return out
