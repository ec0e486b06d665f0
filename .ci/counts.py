"""After a CI test run: fail when a test was skipped, and, for the full run, when the number of
tests collected is not the one .ci/test-count records.

usage: counts.py JUNIT_XML [the pytest arguments of the run]
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

report, *pytest_arguments = sys.argv[1:]
root = ET.parse(report).getroot()
suite = root if root.tag == "testsuite" else root.find("testsuite")
assert suite is not None, f"{report}: no testsuite"
count = {key: int(suite.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")}
problems = []
if count["skipped"]:
    skipped = [
        f"{case.get('classname')}::{case.get('name')}"
        for case in suite.iter("testcase")
        if case.find("skipped") is not None
    ]
    problems.append(f"{count['skipped']} skipped (none may be in CI): " + ", ".join(skipped[:10]))
if count["failures"] or count["errors"]:
    problems.append(f"{count['failures']} failed, {count['errors']} errors")
if not pytest_arguments:  # the full run: every test collected
    expected = int(Path(__file__).with_name("test-count").read_text().split()[0])
    if count["tests"] != expected:
        problems.append(
            f"{count['tests']} tests collected, .ci/test-count says {expected}: if tests were "
            "added or removed on purpose, write the new number there"
        )
if count["tests"] == 0:
    problems.append("no test ran")
if problems:
    sys.exit("CI: " + "; ".join(problems))
print(f"CI: {count['tests']} tests ran, none skipped")
