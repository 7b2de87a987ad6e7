"""Writes a batch's transaction sends together: a statement whose result nothing in the
transaction reads again can wait (``defer``) and go with the others of its batch in one round
trip (asyncpg's ``fetchmany``, pipelined: every execution's Bind and Execute, then one Sync)
just before the commit, instead of one round trip each in the middle of the batch.

Only a write that no later statement of the batch reads may be deferred; a batch that is about to
read what a deferred write would store flushes first (``flush``). A deferred write that fails
fails the batch, as it would have failed in its place."""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from itertools import groupby

_CURRENT: contextvars.ContextVar[Pipeline | None] = contextvars.ContextVar("ledgersync_pipeline", default=None)


@dataclass
class _Write:
    statement: str
    args: tuple
    then: Callable[[object], None] | None  # run with the statement's row, in the context that deferred it
    context: contextvars.Context


@dataclass
class Pipeline:
    """The writes deferred so far in one transaction, in the order they were made, and the keys
    (e.g. object ids) they store."""
    writes: list[_Write] = field(default_factory=list)
    keys: set = field(default_factory=set)
    open: bool = True  # False once its block ended: the contexts copied in it write at once again

    def add(self, statement: str, args: tuple, *, key: Hashable = None,
            then: Callable[[object], None] | None = None) -> None:
        if not self.open:
            raise RuntimeError("a write deferred to a pipeline whose block has ended")
        self.writes.append(_Write(statement, args, then, contextvars.copy_context()))
        if key is not None:
            self.keys.add(key)

    def holds(self, key: Hashable) -> bool:
        return key in self.keys

    async def flush(self, conn) -> int:
        """Send the deferred writes, each run of one statement in one round trip (in order);
        returns how many were sent."""
        writes, self.writes, self.keys = self.writes, [], set()
        for statement, run in groupby(writes, key=lambda w: w.statement):
            run = list(run)
            rows = await conn.fetchmany(statement, [w.args for w in run])
            for write, row in zip(run, rows, strict=True):  # every deferred statement returns one row
                if write.then is not None:
                    write.context.run(write.then, row)
        return len(writes)


def current() -> Pipeline | None:
    """The pipeline of the batch this code runs in, if any (None: write now). Work that outlives
    the batch's block (run later in a context copied inside it) finds none."""
    found = _CURRENT.get()
    return found if found is not None and found.open else None


@contextlib.contextmanager
def pipelined():
    """A pipeline for the code run in this context (and the contexts copied from it) until the
    block ends; flushing it is the caller's, before its commit. Writes still held when the block
    ends are an error (they would be lost): the block raises."""
    pipeline = Pipeline()
    token = _CURRENT.set(pipeline)
    try:
        yield pipeline
    finally:
        pipeline.open = False
        _CURRENT.reset(token)
    if pipeline.writes:
        raise RuntimeError(f"{len(pipeline.writes)} deferred writes were never sent")
