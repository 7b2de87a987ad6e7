"""Receiving comes first: the receiver's count of deliveries being received is seen by the
processor in the same process and, through the receiver's board, in its child process; under a
burst the processor takes one delivery at a time and rests between; a board left by a dead
receiver is never read as a burst."""
from __future__ import annotations

import asyncio
import fcntl
import os
import struct

from services.webhook_receiver import intake as intake_module
from services.webhook_receiver.intake import Board, Intake, ParentBoard, board_path


class Fixed:
    """A parent board that says what the test wants."""

    def __init__(self, count: int = 0) -> None:
        self.count = count

    def read(self) -> int:
        return self.count


def test_the_receivers_count_is_on_its_board_for_its_children():
    receiving = Intake(4, burst=2, parent=Fixed())
    child_view = ParentBoard(os.getpid())  # as the child, whose parent is this process, reads it
    with receiving.receiving_one(), receiving.receiving_one():
        assert receiving.receiving == 2 and child_view.read() >= 2
        assert Intake(4, burst=2, parent=child_view).bursting()
    assert receiving.receiving == 0 and child_view.read() == 0
    assert os.path.exists(board_path(os.getpid()))


def test_a_board_left_by_a_dead_receiver_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(intake_module, "board_path", lambda pid: str(tmp_path / f"board-{pid}"))
    (tmp_path / "board-4242").write_bytes(struct.pack("<i", 99))  # nobody holds its lock
    assert ParentBoard(4242).read() == 0
    assert ParentBoard(4343).read() == 0  # no board at all


def test_without_a_place_for_the_board_receiving_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(intake_module, "board_path", lambda pid: str(tmp_path / "missing" / f"board-{pid}"))
    monkeypatch.setattr(Board, "_mine", None)
    receiving = Intake(4, burst=1, parent=Fixed())
    with receiving.receiving_one():
        assert receiving.bursting()  # this process still sees its own burst
    assert receiving.receiving == 0


def test_the_board_is_locked_while_its_receiver_lives():
    board = Board.of_this_process()
    fd = os.open(board.path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            raise AssertionError("the board is not locked")
        except BlockingIOError:
            pass
    finally:
        os.close(fd)


async def test_under_a_burst_the_processor_works_one_at_a_time_and_rests():
    parent = Fixed(8)
    intake = Intake(10, burst=8, rest=1.0, parent=parent)
    running, most = 0, 0

    async def process() -> None:
        nonlocal running, most
        async with intake.processing_turn():
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1

    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(process() for _ in range(4)))
    assert most == 1
    assert loop.time() - started >= 4 * 0.02 * 0.9  # each turn rested about as long as it took
    parent.count = 0
    most = 0
    await asyncio.gather(*(process() for _ in range(4)))
    assert most == 4  # no burst: up to half the pool at once
