"""The lowest versions pyproject.toml allows, as pip constraints (name==version), and a check that
an environment has exactly those.

usage: floors.py pyproject.toml      (Python 3.11+: prints the constraints)
       floors.py --check FILE        (any Python: FILE holds the constraints printed before)
"""

from __future__ import annotations

import re
import sys
from importlib import metadata


def release(version: str) -> tuple[int, ...]:
    """1.24 and 1.24.0 are the same release."""
    numbers = [int(part) for part in re.findall(r"\d+", version.split("+")[0])]
    while numbers and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


if sys.argv[1] == "--check":
    with open(sys.argv[2], encoding="utf-8") as file:
        constraints = file.read().split()
    wrong = []
    for line in constraints:
        name, version = line.split("==")
        installed = metadata.version(name)
        if release(installed) != release(version):
            wrong.append(f"{name} {installed} (floor {version})")
    if wrong:
        sys.exit("floors not installed: " + ", ".join(wrong))
    print("floors installed: " + " ".join(constraints))
else:
    import tomllib

    with open(sys.argv[1], "rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    for requirement in dependencies:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*", requirement)
        if match is None:
            sys.exit(f"pyproject.toml: {requirement!r} has no >= floor to test")
        print(f"{match[1]}=={match[2]}")
