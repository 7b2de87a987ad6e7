"""Receiving comes first: under a burst of deliveries (``burst`` or more being received at once)
the processor behind the queue works one delivery at a time and rests after each (``rest`` times
as long as the delivery took: with 2, a third of one worker's pace, so a long burst is still
processed, slower); otherwise up to half the database pool. Answering the provider fast is what
keeps it from retrying.

The receiver and its processor share one ``Intake`` inside one process (`ledgersync run`); across
processes (`ledgersync webhook-receiver` and its processor child) the receiver's count is on a
board: four bytes of a file named by the receiver's pid (``/dev/shm/ledgersync-intake-<pid>``),
which the child, knowing its parent's pid, reads. The receiver holds an exclusive lock on the file
while it lives, so a board left behind by a killed receiver is never read as a burst."""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import mmap
import os
import struct
import tempfile
import time
import weakref

import structlog

log = structlog.get_logger(__name__)
_COUNT = struct.Struct("<i")
RETRY_ATTACH_S = 1.0  # a parent's board not there yet (or none): looked for again this often


def board_path(pid: int) -> str:
    folder = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    return os.path.join(folder, f"ledgersync-intake-{pid}")


class Board:
    """This process's count of deliveries being received (by every receiver in it), readable by
    its child processes. One per process: ``Board.of_this_process()``."""

    _mine: Board | None = None

    @classmethod
    def of_this_process(cls) -> Board:
        if cls._mine is None or cls._mine.pid != os.getpid():
            cls._mine = cls()
        return cls._mine

    def __init__(self) -> None:
        self.pid, self.count = os.getpid(), 0
        self.path = board_path(self.pid)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.ftruncate(fd, _COUNT.size)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # "alive" for readers; freed on any death
            self._map = mmap.mmap(fd, _COUNT.size)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._finalizer = weakref.finalize(self, _remove, self.path, fd, self._map)

    def add(self, change: int) -> None:
        self.count += change
        _COUNT.pack_into(self._map, 0, self.count)

    def close(self) -> None:
        self._finalizer()


class _NoBoard:
    """Where the board cannot be made (no writable /dev/shm or temp folder): the count stays in
    this process, and a child processes as if no burst were on."""

    def add(self, change: int) -> None:
        pass


def _remove(path: str, fd: int, shared: mmap.mmap) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
    with contextlib.suppress(OSError, ValueError):
        shared.close()
    with contextlib.suppress(OSError):
        os.close(fd)


class ParentBoard:
    """The parent process's board, if the parent is a receiver that has one (else 0)."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid or os.getppid()
        self._map: mmap.mmap | None = None
        self._next_try = 0.0

    def read(self) -> int:
        if self._map is None and not self._attach():
            return 0
        return _COUNT.unpack_from(self._map, 0)[0]

    def _attach(self) -> bool:
        now = time.monotonic()
        if now < self._next_try:
            return False
        self._next_try = now + RETRY_ATTACH_S
        try:
            fd = os.open(board_path(self.pid), os.O_RDONLY)
        except OSError:
            return False
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # its writer holds it: alive
                if os.fstat(fd).st_size >= _COUNT.size:
                    self._map = mmap.mmap(fd, _COUNT.size, prot=mmap.PROT_READ)
                return self._map is not None
            fcntl.flock(fd, fcntl.LOCK_UN)  # nobody holds it: left behind by a dead receiver
            return False
        finally:
            os.close(fd)  # the map stays valid without the descriptor


class Intake:
    def __init__(self, pool_size: int, burst: int = 8, rest: float = 2.0, *,
                 parent: ParentBoard | None = None) -> None:
        """``parent``: where a receiver in the parent process counts its deliveries (by default
        the parent's board, if it has one)."""
        self.receiving, self.burst, self.rest = 0, burst, rest
        self._share = asyncio.Semaphore(max(1, pool_size // 2))
        self._trickle = asyncio.Semaphore(1)
        self._board: Board | _NoBoard | None = None  # made on the first delivery received here
        self._parent = parent or ParentBoard()

    def bursting(self) -> bool:
        """A burst is being received, here or by the receiver this process is the child of."""
        return self.receiving >= self.burst or self._parent.read() >= self.burst

    @contextlib.contextmanager
    def receiving_one(self):
        board = self._board or self._make_board()
        self.receiving += 1
        board.add(1)
        try:
            yield
        finally:
            self.receiving -= 1
            board.add(-1)

    def _make_board(self) -> Board | _NoBoard:
        try:
            self._board = Board.of_this_process()
        except OSError as exc:
            log.warning("intake.no_board", path=board_path(os.getpid()), error=str(exc))
            self._board = _NoBoard()
        return self._board

    @contextlib.asynccontextmanager
    async def processing_turn(self):
        async with self._share:
            if not self.bursting():
                yield
                return
            async with self._trickle:
                started = time.monotonic()
                try:
                    yield
                finally:
                    if self.bursting():
                        await asyncio.sleep((time.monotonic() - started) * self.rest)
