"""Opening the files a user names (scenarios, data files): regular files only, opened without
blocking, and read with a bound. A FIFO with no writer would block for ever, and a device such
as /dev/zero reports size 0 and never ends, so the size on disk cannot be the only limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO


class UnreadableFile(Exception):
    """A file that cannot be read as asked. ``message`` continues the file's name ("is a FIFO,
    not a regular file"); ``hint`` says what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


_NON_BLOCKING = getattr(os, "O_NONBLOCK", 0)  # not on Windows, which has no FIFOs to fear
_OPEN_FLAGS = os.O_RDONLY | _NON_BLOCKING | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _refuse_unless_regular(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a file")
    raise UnreadableFile(f"is {kind}, not a regular file", "give the path of a file")


def _os_error(error: OSError) -> UnreadableFile:
    if isinstance(error, FileNotFoundError):
        return UnreadableFile("no such file", "check the path")
    return UnreadableFile(f"cannot be read: {error.strerror or error}", "check the path")


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading. Checked before opening (so that opening a device has no
    effect) and again on what was opened (so that a file swapped in between is caught); opened
    with O_NONBLOCK, so that even a FIFO swapped in cannot block the open."""
    try:
        _refuse_unless_regular(os.stat(path).st_mode)
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise _os_error(error) from None
    try:
        _refuse_unless_regular(os.fstat(descriptor).st_mode)
        if _NON_BLOCKING:
            os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return os.fdopen(descriptor, "rb")


def read_bounded(path: Path, limit: int, what: str, too_large_hint: str) -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes: refused by its size before
    reading, and by what it holds (at most ``limit`` + 1 bytes are read), whatever size it
    reports. ``what`` names such files in the message ("scenarios")."""
    with open_regular(path) as file:
        size = os.fstat(file.fileno()).st_size
        content = file.read(limit + 1) if size <= limit else b""
    if size > limit or len(content) > limit:
        shown = f"{size:,} bytes" if size > limit else f"more than {limit:,} bytes"
        raise UnreadableFile(
            f"the file is {shown}; {what} are limited to {limit:,}", too_large_hint
        )
    return content


def real_path(path: Path) -> Path:
    """``path`` with every symbolic link followed, as far as they go (a loop of links is left for
    opening to report; Path.resolve would raise RuntimeError)."""
    return Path(os.path.realpath(path))


def is_inside(folder: Path, path: Path) -> bool:
    """Whether ``path``, with every symbolic link followed, lies in ``folder`` or below it."""
    return real_path(path).is_relative_to(real_path(folder))
