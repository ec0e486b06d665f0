"""A registry of kinds whose classes are imported when first asked for.

A package of kinds (layers/, optim/) keeps an index, kind -> the module (in the package) that
defines it, and the kinds register themselves in a dict as their modules are imported. Looking
a kind up imports its module when it has not been; listing the kinds' names imports nothing;
going through the classes imports every module. So a scenario pays for its own kinds only.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """kind -> class. ``index``: kind -> the module of ``package`` that defines it, in the
    order listings show them; ``defined``: the dict the kinds register in when defined (a kind
    defined elsewhere is listed after the index's)."""

    def __init__(self, package: str, index: dict[str, str], defined: dict[str, T]) -> None:
        self.package, self.index, self.defined = package, index, defined

    def __getitem__(self, kind: str) -> T:
        if kind not in self.defined and kind in self.index:
            self.module(self.index[kind])
        return self.defined[kind]

    def __contains__(self, kind: object) -> bool:
        return kind in self.index or kind in self.defined

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def names(self) -> list[str]:
        """Every kind's name, without importing any kind."""
        return [*self.index, *(kind for kind in self.defined if kind not in self.index)]

    def module(self, name: str) -> object:
        return importlib.import_module(f"{self.package}.{name}")
