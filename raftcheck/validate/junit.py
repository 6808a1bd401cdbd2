"""The verdicts as JUnit XML, for CI systems: one test suite, one test case per run; a
violation is a failure, refused input or an internal error an error, an inconclusive verdict
skipped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .report import INCONCLUSIVE, INTERNAL_ERROR, REFUSED, VIOLATES, Report


def junit_tree(report: Report, name: str = "raftcheck validate") -> ET.ElementTree:
    verdicts = report.verdicts
    count = {s: sum(v.status == s for v in verdicts) for s in
             (VIOLATES, INCONCLUSIVE, REFUSED, INTERNAL_ERROR)}
    seconds = sum(v.seconds for v in verdicts)
    suite = ET.Element("testsuite", name=name, tests=str(len(verdicts)),
                       failures=str(count[VIOLATES]),
                       errors=str(count[REFUSED] + count[INTERNAL_ERROR]),
                       skipped=str(count[INCONCLUSIVE]), time=f"{seconds:.3f}")
    props = ET.SubElement(suite, "properties")  # before the test cases, as the schema orders
    for key, value in (("verdict", report.status), ("exit_code", str(report.exit_code)),
                       ("runs", str(len(verdicts))),
                       ("events", str(sum(v.events for v in verdicts))),
                       ("files", str(sum(len(v.files) for v in verdicts)))):
        ET.SubElement(props, "property", name=key, value=value)
    for v in verdicts:
        case = ET.SubElement(suite, "testcase", classname="raftcheck.validate",
                             name=v.run or "logs conform to the Raft spec",
                             time=f"{v.seconds:.3f}")
        text = "\n".join(v.lines())
        if v.status == VIOLATES:
            failure = ET.SubElement(case, "failure", type=v.rule or "violation",
                                    message=v.reason)
            failure.text = text
        elif v.status in (REFUSED, INTERNAL_ERROR):
            error = ET.SubElement(case, "error", type=v.status, message=v.reason)
            error.text = text
        elif v.status == INCONCLUSIVE:
            ET.SubElement(case, "skipped", message=v.reason)
        out = ET.SubElement(case, "system-out")
        out.text = text
    return ET.ElementTree(suite)


def write_junit(path: str, report: Report, name: str = "raftcheck validate") -> None:
    tree = junit_tree(report, name)
    ET.indent(tree)
    with open(path, "w", encoding="utf-8") as f:
        tree.write(f, encoding="unicode", xml_declaration=True)
        f.write("\n")
