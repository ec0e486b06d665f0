"""The scenarios that ship with the package, and resolving a name given on the command line."""

from __future__ import annotations

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
    """A path that exists wins; else a bundled scenario by file name, with or without .yaml."""
    given = Path(name)
    if given.exists() or given.parent != Path("."):
        return given
    stem = name[:-5] if name.endswith(".yaml") else name
    candidate = scenarios_dir() / f"{stem}.yaml"
    return candidate if candidate.is_file() else given


def close_names(name: str) -> list[str]:
    """The bundled scenarios whose names are close to ``name`` (a typo), closest first."""
    import difflib

    stem = Path(name).name.removesuffix(".yaml")
    stems = [path.stem for path in bundled()]
    return difflib.get_close_matches(stem.lower(), stems, n=3, cutoff=0.6)
