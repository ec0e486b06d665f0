"""The real program in a pseudo-terminal, read through a terminal emulator (pyte): type keys
when the screen says something, and see what a person would see."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass, field

import pyte


@dataclass
class Terminal:
    """A program running in a pseudo-terminal of ``columns`` × ``lines``."""

    args: list[str]
    columns: int = 100
    lines: int = 50
    env: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""

    def __post_init__(self) -> None:
        self.screen = pyte.Screen(self.columns, self.lines)
        self.stream = pyte.ByteStream(self.screen)
        self.main, child = pty.openpty()
        self._size(child)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backprop_trace", *self.args],
            stdin=child,
            stdout=child,
            stderr=child,
            env={**os.environ, "TERM": "xterm-256color", **self.env},
            close_fds=True,
            start_new_session=True,  # the terminal is its controlling terminal: SIGWINCH
        )
        os.close(child)

    def _size(self, fd: int) -> None:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", self.lines, self.columns, 0, 0))

    def read(self, seconds: float = 0.2) -> None:
        """Take in what the program wrote within ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.main], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(self.main, 65536)
            except OSError:  # the program ended and the terminal closed
                return
            if not chunk:
                return
            self.raw += chunk
            self.stream.feed(chunk)

    def wait_for(self, text: str, seconds: float = 60) -> None:
        """Read until ``text`` is on the screen (or the program ended)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in self.text():
                return
            if self.process.poll() is not None:
                self.read(0.2)
                break
            self.read(0.1)
        assert text in self.text(), f"{text!r} never showed:\n{self.text()}"

    def press(self, keys: bytes) -> None:
        os.write(self.main, keys)

    def resize(self, columns: int, lines: int) -> None:
        self.columns, self.lines = columns, lines
        self.screen.resize(lines, columns)
        self._size(self.main)
        os.killpg(self.process.pid, signal.SIGWINCH)

    def text(self) -> str:
        """The screen as a person sees it, row by row."""
        return "\n".join(row.rstrip() for row in self.screen.display)

    def reversed_text(self) -> list[str]:
        """The runs of characters drawn in reverse video (a picked entry), row by row."""
        runs = []
        for y in range(self.lines):
            row = self.screen.buffer[y]
            run = "".join(row[x].data for x in range(self.columns) if row[x].reverse)
            if run.strip():
                runs.append(run.strip())
        return runs

    def finish(self, seconds: float = 30) -> int:
        """Wait for the program to end; its exit status."""
        deadline = time.monotonic() + seconds
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read(0.1)
        self.read(0.1)
        code = self.process.wait(timeout=5)
        os.close(self.main)
        return code
