"""Writing files safely. A regular file is written beside the destination and renamed over it,
so a failure leaves the old file (if any) as it was and nothing half written; the new file keeps
the old one's permissions. A symbolic link is followed: its target is written (atomically
there). What is not a regular file is written into, never replaced: a character device
(/dev/null, /dev/full, a terminal) directly, a FIFO only when a process reads it (never waiting
for one). A folder or a block device is refused."""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

NAME_MAX = 255  # bytes in one file name, on every file system the tool is used on
TERMINATED = 128 + signal.SIGTERM  # the exit status of a process ended by SIGTERM, as a shell says


class DestinationError(Exception):
    """A destination that is not a file the tool can write: the message says why."""


def check_destination(destination: str) -> Path:
    """The path to write, or DestinationError before any work is done."""
    if not destination:
        raise DestinationError("no file name given")
    if "\0" in destination:
        raise DestinationError("a file name cannot hold a NUL character")
    path = Path(destination)
    too_long = [part for part in path.parts if len(os.fsencode(part)) > NAME_MAX]
    if too_long:
        raise DestinationError(
            f"a name in the path is longer than {NAME_MAX} bytes, the most a file system allows"
        )
    if destination.endswith(os.sep) or path.name in ("", ".", ".."):
        raise DestinationError("that names a folder, not a file")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError as error:
        raise DestinationError(error.strerror or str(error)) from None
    if stat.S_ISDIR(mode):
        raise DestinationError("that is a folder, not a file")
    if stat.S_ISBLK(mode):
        raise DestinationError("that is a block device (a disk), not a file")
    return path


def write_atomically(destination: Path, content: str | bytes) -> None:
    """Text (written as UTF-8) or bytes, to a file, a link's target, a device or a FIFO."""
    check_destination(str(destination))
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        old: os.stat_result | None = os.stat(destination)  # through links
    except FileNotFoundError:
        old = None
    if old is not None and not stat.S_ISREG(old.st_mode):
        _write_into(destination, data)  # /dev/stdout too, whatever it links to
    else:  # a link's target is replaced in its place, the link kept
        _replace(Path(os.path.realpath(destination)), data, old)


def _write_into(target: Path, data: bytes) -> None:
    """A device or a FIFO: opened without waiting for a reader, then written as a stream."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as error:
        if error.errno == errno.ENXIO:  # a FIFO that no process reads
            raise OSError(error.errno, "no process reads this FIFO") from None
        raise
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)  # a reader is there: keep pace
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _replace(target: Path, data: bytes, old: os.stat_result | None) -> None:
    """Write a temporary file beside the target, then rename it over the target, with the old
    file's permissions (and, for root, its owner). A temporary left by a killed run of the same
    process id is replaced; SIGTERM removes it."""
    stem = os.fsencode(target.name)[: NAME_MAX - 30].decode("utf-8", "ignore")
    temporary = target.with_name(f".{stem}.{os.getpid()}.tmp")
    with _removed_on_sigterm(temporary):
        try:
            fd = _create(temporary)
            try:
                if old is not None:
                    os.fchmod(fd, stat.S_IMODE(old.st_mode))
                    if os.geteuid() == 0:  # root writing someone's file: it stays theirs
                        os.fchown(fd, old.st_uid, old.st_gid)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, target)
        finally:
            if os.path.lexists(temporary):
                temporary.unlink()


def _create(temporary: Path) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        return os.open(temporary, flags, 0o666)
    except FileExistsError:  # left by a run killed with SIGKILL that had our process id
        temporary.unlink()
        return os.open(temporary, flags, 0o666)


@contextmanager
def _removed_on_sigterm(temporary: Path) -> Iterator[None]:
    """While the temporary exists, SIGTERM removes it and ends the process with status 143."""

    def terminated(signum: int, frame: FrameType | None) -> None:
        if os.path.lexists(temporary):
            temporary.unlink()
        sys.exit(TERMINATED)

    try:
        previous = signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def same_file(a: Path, b: Path) -> bool:
    return a.exists() and b.exists() and a.resolve() == b.resolve()
