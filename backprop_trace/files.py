"""Writing files safely: a temporary file beside the destination, then a rename, so a failure
leaves the old file (if any) as it was and nothing half written."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(destination: Path, content: str | bytes) -> None:
    """Text is written as UTF-8; bytes as they are."""
    temporary = destination.with_name(f".{destination.name}.{os.getpid()}.tmp")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        with open(temporary, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, destination)
    finally:
        if temporary.exists():
            temporary.unlink()


def same_file(a: Path, b: Path) -> bool:
    return a.exists() and b.exists() and a.resolve() == b.resolve()
