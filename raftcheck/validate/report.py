"""The outcome of a validation: verdict, reason, where, and the facts behind it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from raftcheck import exit_codes

CONFORMS, VIOLATES, INCONCLUSIVE = "conforms", "violates", "inconclusive"
EXIT_CODES = {CONFORMS: exit_codes.HOLDS, VIOLATES: exit_codes.VIOLATED,
              INCONCLUSIVE: exit_codes.INCONCLUSIVE}


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
        if self.location:
            out.append(f"  at {self.location}")
            if self.line_text:
                text = self.line_text.splitlines()[0]
                out.append(f"    {text[:200]}")
        if self.explanation and self.status == VIOLATES:
            out.append(f"  {self.rule}: {self.explanation}")
        for r in self.related:
            out.append(f"  see also {r}")
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
