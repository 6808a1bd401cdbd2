"""The timeline as one self-contained HTML page: an SVG swimlane (nodes x time: role bands,
term changes, elections, leaderless windows shaded, warnings as markers whose tooltip is the
log line), the diagnosis, and the tables. No script, no external resource: hovering uses SVG
``<title>`` elements, which every browser shows."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from html import escape

from .diagnose import DISK_WARNINGS
from .jsonout import rfc3339
from .model import LoggedWarning, Timeline, hms
from .terms import term_rows

WIDTH = 1400
LEFT, RIGHT, TOP = 120, 30, 46
LANE, GAP = 26, 14
ROLE_COLOUR = {"leader": "#2e7d32", "candidate": "#f9a825", "pre-candidate": "#4fc3f7",
               "follower": "#cfd8dc", "down": "#b71c1c"}
WARNING_COLOUR = {"slow-fsync": "#e65100", "heartbeat-late": "#e65100", "slow-apply": "#8d6e63",
                  "slow-read-index": "#8d6e63", "clock-drift": "#6a1b9a",
                  "peer-active": "#43a047", "stopping": "#000000"}
OTHER_WARNING = "#7b1fa2"

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px}
.meta{color:#555;font-size:13px} table{border-collapse:collapse;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5} .finding{border-left:4px solid #c62828;padding:6px 12px;margin:8px 0;
background:#fff5f5} .finding.ok{border-color:#2e7d32;background:#f3fbf3}
.finding .title{font-weight:600} .advice{color:#0d47a1;margin-top:4px}
.evidence{font-family:ui-monospace,Menlo,monospace;font-size:12px;color:#555;margin-top:4px}
details summary{cursor:pointer} code,.line{font-family:ui-monospace,Menlo,monospace;
font-size:12px} .line{white-space:pre-wrap;word-break:break-all;color:#444}
svg text{font-family:system-ui,sans-serif} .legend span{display:inline-block;width:12px;
height:12px;margin:0 4px 0 14px;vertical-align:middle}
"""


def write_html(t: Timeline, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(page(t))


def page(t: Timeline) -> str:
    span = (t.end - t.start).total_seconds() if t.start and t.end else 0.0
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>raftcheck timeline: {escape(t.run)}</title><style>{STYLE}</style></head><body>",
        f"<h1>raftcheck timeline: {escape(t.run)}</h1>",
        f"<div class=meta>{escape(t.implementation)}, {len(t.members)} nodes; "
        f"{escape(rfc3339(t.start) or '-')} to {escape(rfc3339(t.end) or '-')} "
        f"({span:.1f} s, {t.events} events, {len(t.elections)} elections)</div>",
        _legend(), swimlane(t), "<h2>Diagnosis</h2>", _findings(t),
        "<h2>Terms</h2>", _terms(t), "<h2>Elections</h2>", _elections(t),
        "<h2>Warnings</h2>", _warnings(t), "<h2>Members</h2>", _members(t),
    ]
    if t.notes or t.problems:
        parts.append("<h2>Notes</h2><ul>")
        parts.extend(f"<li>{escape(n)}</li>" for n in t.notes)
        if t.problems:
            parts.append(f"<li>{len(t.problems)} raft line(s) did not parse; first: "
                         f"<code>{escape(t.problems[0])}</code></li>")
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _legend() -> str:
    items = [(ROLE_COLOUR[r], r) for r in ("leader", "candidate", "pre-candidate", "follower",
                                           "down")]
    items += [("rgba(198,40,40,.18)", "no leader"), (WARNING_COLOUR["slow-fsync"],
                                                     "disk warning"),
              (OTHER_WARNING, "network/peer warning")]
    return "<div class=legend>" + "".join(
        f"<span style='background:{c}'></span>{escape(n)}" for c, n in items) + "</div>"


def swimlane(t: Timeline) -> str:
    if t.start is None or t.end is None:
        return "<p>no timestamps</p>"
    nodes = list(t.members)
    height = TOP + len(nodes) * (LANE + GAP) + 30
    start, end = t.start.timestamp(), t.end.timestamp()
    scale = (WIDTH - LEFT - RIGHT) / max(end - start, 1e-6)

    def x(when: datetime) -> float:
        return LEFT + (when.timestamp() - start) * scale

    def lane_y(node: str) -> float:
        return TOP + nodes.index(node) * (LANE + GAP)

    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
           f"viewBox='0 0 {WIDTH} {height}' role='img' aria-label='swimlane'>",
           "<defs><pattern id='hatch' width='6' height='6' patternUnits='userSpaceOnUse' "
           "patternTransform='rotate(45)'><rect width='6' height='6' fill='#b71c1c'/>"
           "<line x1='0' y1='0' x2='0' y2='6' stroke='#fff' stroke-width='2'/></pattern>"
           "</defs>"]
    out.extend(_axis(t.start, t.end, x, height))
    bottom = TOP + len(nodes) * (LANE + GAP) - GAP
    for w in t.windows:  # shaded leaderless windows, behind everything
        w_end = w.end or t.end
        left, right = x(w.start), max(x(w_end), x(w.start) + 1.5)
        what = "start-up: no leader yet" if w.startup else "no leader"
        tip = (f"{what} from {hms(w.start)} to {hms(w.end)} "
               f"({w.seconds:.3f} s)" if w.seconds is not None else f"{what} from "
               f"{hms(w.start)} until the logs end")
        if w.start_source:
            tip += f"\nfirst sign: {w.start_source}\n{w.start_source.raw[:300]}"
        if not w.startup and w.seconds is not None and right - left > 40:
            out.append(f"<text x='{(left + right) / 2:.1f}' y='{bottom + 14}' font-size='11' "
                       f"text-anchor='middle' fill='#b71c1c'>{w.seconds:.2f} s</text>")
        out.append(f"<rect x='{left:.1f}' y='{TOP - 6}' width='{right - left:.1f}' "
                   f"height='{bottom - TOP + 12}' fill='{'#eeeeee' if w.startup else '#c62828'}'"
                   f" fill-opacity='{0.5 if w.startup else 0.18}'><title>{escape(tip)}"
                   "</title></rect>")
    for node in nodes:
        y = lane_y(node)
        out.append(f"<text x='{LEFT - 8}' y='{y + LANE / 2 + 4}' text-anchor='end' "
                   f"font-size='13'>{escape(t.name(node))}</text>")
        out.append(f"<line x1='{LEFT}' x2='{WIDTH - RIGHT}' y1='{y + LANE / 2}' "
                   f"y2='{y + LANE / 2}' stroke='#eee'/>")
        previous_term = None
        for s in (s for s in t.spans if s.node == node):
            left = x(s.start)
            width = max(x(s.end) - left, 1.0)
            fill = "url(#hatch)" if s.role == "down" else ROLE_COLOUR.get(s.role, "#999")
            tall = s.role in ("leader", "down")
            top = y + (0 if tall else 5)
            h = LANE if tall else LANE - 10
            term = f" at term {s.term}" if s.term is not None else ""
            tip = f"{t.name(node)} {s.role}{term}\n{hms(s.start)} to {hms(s.end)}"
            if s.source is not None:
                tip += f"\n{s.source}\n{s.source.raw[:300]}"
            out.append(f"<rect x='{left:.1f}' y='{top}' width='{width:.1f}' height='{h}' "
                       f"fill='{fill}'><title>{escape(tip)}</title></rect>")
            if s.role == "leader" and width > 22 and s.term is not None:
                out.append(f"<text x='{left + 4:.1f}' y='{y + LANE / 2 + 4}' font-size='11' "
                           f"fill='#fff'>T{s.term}</text>")
            if s.term is not None and previous_term is not None and s.term != previous_term:
                change = f"term {previous_term} to {s.term} at {hms(s.start)}"
                out.append(f"<line x1='{left:.1f}' x2='{left:.1f}' y1='{y - 3}' "
                           f"y2='{y + LANE + 3}' stroke='#333' stroke-width='1'>"
                           f"<title>{escape(change)}</title></line>")
            if s.term is not None:
                previous_term = s.term
    for e in t.elections:  # one marker per election, on the winner's lane
        ex, y = x(e.at), lane_y(e.leader)
        trig = e.trigger
        tip = f"term {e.term}: {t.name(e.leader)} elected at {hms(e.at)}"
        if e.window is not None and not e.window.startup:
            tip += f" after {e.window.seconds:.3f} s without a leader"
        if trig is not None:
            tip += f"\ntrigger: {trig.kind}: {trig.summary}"
        tip += f"\n{e.source}\n{e.source.raw[:300]}"
        out.append(f"<line x1='{ex:.1f}' x2='{ex:.1f}' y1='{TOP - 8}' y2='{bottom + 4}' "
                   "stroke='#1b5e20' stroke-dasharray='3,3' stroke-width='1'/>")
        out.append(f"<path d='M{ex:.1f},{y - 9} l5,-8 h-10 z' fill='#1b5e20'>"
                   f"<title>{escape(tip)}</title></path>")
    for w in t.warnings:
        if w.kind in DISK_WARNINGS and w.seconds:
            # the stall itself: the warning is logged when the slow write returns
            began = w.at - timedelta(seconds=w.seconds)
            y = lane_y(w.node) + LANE - 3
            tip = f"{t.name(w.node)}: {w.kind} {w.seconds:.3f} s, {hms(began)} to {hms(w.at)}"
            out.append(f"<rect x='{x(began):.1f}' y='{y}' width='{max(x(w.at) - x(began), 1):.1f}'"
                       f" height='3' fill='{WARNING_COLOUR[w.kind]}'><title>{escape(tip)}"
                       "</title></rect>")
        out.append(_warning_marker(w, x(w.at), lane_y(w.node), t))
    out.append("</svg>")
    return "\n".join(out)


def _warning_marker(w: LoggedWarning, wx: float, y: float, t: Timeline) -> str:
    colour = WARNING_COLOUR.get(w.kind, OTHER_WARNING)
    peer = f" ({t.name(w.peer)})" if w.peer else ""
    tip = f"{t.name(w.node)} {hms(w.at)} {w.kind}{peer}\n{w.source}\n{w.source.raw[:600]}"
    cy = y + LANE + 5
    return (f"<path d='M{wx:.1f},{cy - 4} l4,4 l-4,4 l-4,-4 z' fill='{colour}' "
            f"stroke='#fff' stroke-width='0.5'><title>{escape(tip)}</title></path>")


def _axis(first: datetime, last: datetime, x, height: int) -> list[str]:  # type: ignore[no-untyped-def]
    span = (last - first).total_seconds()
    step = _nice_step(span / 10)
    out = []
    tick = math.ceil(first.timestamp() / step) * step
    while tick <= last.timestamp():
        when = first + timedelta(seconds=tick - first.timestamp())
        px = x(when)
        label = f"{when:%H:%M:%S}" if step >= 1 else f"{when:%H:%M:%S.%f}"[:-3]
        out.append(f"<line x1='{px:.1f}' x2='{px:.1f}' y1='{TOP - 14}' y2='{height - 16}' "
                   "stroke='#f0f0f0'/>")
        out.append(f"<text x='{px:.1f}' y='{TOP - 18}' font-size='11' text-anchor='middle' "
                   f"fill='#666'>{label}</text>")
        tick += step
    return out


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def _evidence(sources: list, limit: int = 8) -> str:  # type: ignore[type-arg]
    if not sources:
        return ""
    items = "".join(f"<div><code>{escape(str(s))}</code> <span class=line>"
                    f"{escape(s.raw[:400])}</span></div>" for s in sources[:limit])
    more = f"<div>... and {len(sources) - limit} more</div>" if len(sources) > limit else ""
    return f"<details><summary>{len(sources)} line(s)</summary>{items}{more}</details>"


def _findings(t: Timeline) -> str:
    out = []
    for f in t.findings:
        cls = "finding ok" if f.kind == "no-trouble" else "finding"
        out.append(f"<div class='{cls}'><div class=title>{escape(f.title)}</div>"
                   f"<div>{escape(f.detail)}</div>"
                   + (f"<div class=advice>What to do: {escape(f.advice)}</div>"
                      if f.advice else "")
                   + f"<div class=evidence>{_evidence(f.evidence)}</div></div>")
    return "\n".join(out)


def _terms(t: Timeline) -> str:
    rows = ["<table><tr><th>term</th><th>pre-vote</th><th>vote</th><th>leader</th>"
            "<th>elected at</th><th>no leader before</th><th>stepped down</th></tr>"]
    for r in term_rows(t):
        window = r.window
        before = "-" if window is None or window.seconds is None else (
            f"{window.seconds:.3f} s" + (" (start-up)" if window.startup else ""))
        down = "-"
        if r.tenure is not None:
            down = (f"{hms(r.tenure.end)} {r.tenure.reason}" if r.tenure.end
                    else r.tenure.reason)
        rows.append(f"<tr><td>{r.term}</td><td>{escape(', '.join(map(t.name, r.pre_vote)))}"
                    f"</td><td>{escape(', '.join(map(t.name, r.vote)))}</td>"
                    f"<td>{escape(t.name(r.leader) if r.leader else 'none')}</td>"
                    f"<td>{hms(r.elected_at)}</td><td>{before}</td><td>{escape(down)}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _elections(t: Timeline) -> str:
    rows = ["<table><tr><th>term</th><th>leader</th><th>at</th><th>no leader</th>"
            "<th>trigger</th><th>fault began</th><th>warnings before</th><th>evidence</th>"
            "</tr>"]
    for e in t.elections:
        trig = e.trigger
        window = e.window
        gap = "-" if window is None or window.seconds is None else (
            f"{window.seconds:.3f} s from {hms(window.start)}"
            + (" (start-up)" if window.startup else ""))
        began = "-" if trig is None or trig.began is None else (
            f"{hms(trig.began[0])} to {hms(trig.began[1])}")
        what = "-" if trig is None else f"<b>{escape(trig.kind)}</b>: {escape(trig.summary)}"
        evidence = _evidence(trig.evidence if trig else [])
        rows.append(f"<tr><td>{e.term}</td><td>{escape(t.name(e.leader))}</td>"
                    f"<td>{hms(e.at)}</td><td>{gap}</td><td>{what}</td><td>{began}</td>"
                    f"<td>{len(e.warnings)}</td><td>{evidence}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _warnings(t: Timeline) -> str:
    if not t.warnings:
        return "<p>none</p>"
    rows = [f"<details><summary>{len(t.warnings)} warning(s)</summary><table><tr><th>at</th>"
            "<th>node</th><th>kind</th><th>peer</th><th>before election</th><th>line</th>"
            "</tr>"]
    for w in t.warnings:
        rows.append(f"<tr><td>{hms(w.at)}</td><td>{escape(t.name(w.node))}</td>"
                    f"<td>{escape(w.kind)}</td><td>{escape(t.name(w.peer) if w.peer else '')}"
                    f"</td><td>{'' if w.election is None else f'term {w.election}'}</td>"
                    f"<td><code>{escape(str(w.source))}</code><div class=line>"
                    f"{escape(w.source.raw[:400])}</div></td></tr>")
    rows.append("</table></details>")
    return "\n".join(rows)


def _members(t: Timeline) -> str:
    rows = ["<table><tr><th>name</th><th>node</th><th>ids</th><th>election timeout</th>"
            "<th>heartbeat</th><th>pre-vote</th><th>log files</th></tr>"]
    for m in t.members.values():
        pre = "-" if m.pre_vote is None else ("on" if m.pre_vote else "off")
        rows.append(f"<tr><td>{escape(m.name)}</td><td>{m.node}</td>"
                    f"<td>{escape(', '.join(m.ids))}</td>"
                    f"<td>{m.election_ms or '-'} ms</td><td>{m.heartbeat_ms or '-'} ms</td>"
                    f"<td>{pre}</td><td>{escape(', '.join(m.files))}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)
