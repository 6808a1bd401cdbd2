"""The verdict as JUnit XML, for CI systems: one test suite, one test case per property
family, the violation as a failure and an inconclusive verdict as skipped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .report import INCONCLUSIVE, VIOLATES, Verdict


def junit_tree(verdict: Verdict, name: str = "raftcheck validate") -> ET.ElementTree:
    failures = 1 if verdict.status == VIOLATES else 0
    skipped = 1 if verdict.status == INCONCLUSIVE else 0
    suite = ET.Element("testsuite", name=name, tests="1", failures=str(failures),
                       errors="0", skipped=str(skipped), time=f"{verdict.seconds:.3f}")
    case = ET.SubElement(suite, "testcase", classname="raftcheck.validate",
                         name="logs conform to the Raft spec", time=f"{verdict.seconds:.3f}")
    if verdict.status == VIOLATES:
        failure = ET.SubElement(case, "failure", type=verdict.rule or "violation",
                                message=verdict.reason)
        failure.text = "\n".join(verdict.lines())
    elif verdict.status == INCONCLUSIVE:
        ET.SubElement(case, "skipped", message=verdict.reason)
    out = ET.SubElement(case, "system-out")
    out.text = "\n".join(verdict.lines())
    props = ET.SubElement(suite, "properties")
    for key, value in (("verdict", verdict.status), ("events", str(verdict.events)),
                       ("files", str(len(verdict.files)))):
        ET.SubElement(props, "property", name=key, value=value)
    return ET.ElementTree(suite)


def write_junit(path: str, verdict: Verdict, name: str = "raftcheck validate") -> None:
    tree = junit_tree(verdict, name)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
