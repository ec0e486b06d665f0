"""The scenarios that ship with the package, and resolving a name given on the command line."""

from __future__ import annotations

import os
from pathlib import Path


def scenarios_dir() -> Path:
    """Installed: backprop_trace/scenarios; from a source checkout: the repository's scenarios/."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "scenarios", here.parent / "scenarios"):
        if candidate.is_dir():
            return candidate
    return here / "scenarios"


def bundled() -> list[Path]:
    return sorted(scenarios_dir().glob("*.yaml"))


def resolve(name: str) -> Path:
    """A path that exists wins; else a bundled scenario by file name, with or without .yaml. A
    name that cannot be a path (too long, say) is returned as given, for the loader to say why."""
    given = Path(name)
    if _exists(given) or given.parent != Path("."):
        return given
    stem = name[:-5] if name.endswith(".yaml") else name
    candidate = scenarios_dir() / f"{stem}.yaml"
    return candidate if _exists(candidate) and candidate.is_file() else given


def close_names(name: str) -> list[str]:
    """The bundled scenarios whose names are close to ``name`` (a typo), closest first."""
    import difflib

    stem = Path(name).name.removesuffix(".yaml")
    stems = [path.stem for path in bundled()]
    return difflib.get_close_matches(stem.lower(), stems, n=3, cutoff=0.6)


def _exists(path: Path) -> bool:
    try:
        os.stat(path)
    except (OSError, ValueError):  # missing, a name too long, a NUL byte: not a file that exists
        return False
    return True
