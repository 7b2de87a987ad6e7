"""The per-company cap of concurrent provider calls, held in PostgreSQL: replicas (here, two
``PgSlots`` with holders of their own on one database) together never exceed it, companies do
not wait for each other, and a crashed holder's slots come back when its lease runs out."""
from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from services.core.call_slots import PgSlots
from tests.support.inproc import eventually

pytest_plugins = ("tests.support.inproc",)  # its fixtures: db_dsn, pool


async def test_two_replicas_together_keep_to_the_cap_per_company(pool):
    replicas = [PgSlots(pool, 3, call_timeout_s=5, poll_s=0.01), PgSlots(pool, 3, call_timeout_s=5, poll_s=0.01)]
    running, peak, done = Counter(), Counter(), Counter()
    release = asyncio.Event()

    async def call(slots: PgSlots, company: str) -> None:
        async with slots.slot(company):
            running[company] += 1
            peak[company] = max(peak[company], running[company])
            await release.wait()  # held until the test has seen the cap reached
            running[company] -= 1
            done[company] += 1
    calls = [asyncio.create_task(call(replicas[i % 2], company)) for i in range(8) for company in ("a", "b")]
    await eventually(lambda: running == {"a": 3, "b": 3}, what="three calls per company running")
    release.set()
    await asyncio.gather(*calls)
    for slots in replicas:
        await slots.close()
    assert done == {"a": 8, "b": 8}
    assert peak == {"a": 3, "b": 3}  # reached, never passed: per company, across both
    assert await pool.fetchval("SELECT count(*) FROM provider_call_slots WHERE holder IS NOT NULL") == 0


async def test_the_slots_of_a_crashed_holder_come_back_after_their_lease(pool):
    crashed = PgSlots(pool, 2, call_timeout_s=0.1, hold_s=0.1)
    crashed.lease_s = 0.5
    for _ in range(2):  # leased and never given back: the process died mid-call
        await crashed.slot("c").__aenter__()
    survivor = PgSlots(pool, 2, call_timeout_s=5, poll_s=0.05)
    holders = await pool.fetch("SELECT DISTINCT holder FROM provider_call_slots WHERE company_id = 'c'")
    assert [r["holder"] for r in holders] == [crashed.holder]
    async with asyncio.timeout(5):
        async with survivor.slot("c"):
            holder = await pool.fetchval("SELECT holder FROM provider_call_slots WHERE company_id = 'c' "
                                         "AND holder = $1", survivor.holder)
    assert holder == survivor.holder and isinstance(holder, uuid.UUID)
    await survivor.close()


async def test_a_slot_leased_while_closing_is_given_back(pool):
    """A poll's lease that answers after ``close`` began (its waiter gave up meanwhile) goes back
    to the table, not to an idle list nobody will release."""
    other, closing = PgSlots(pool, 1, call_timeout_s=5), PgSlots(pool, 1, call_timeout_s=5, poll_s=0.01)
    held, done, gate, leases = asyncio.Event(), asyncio.Event(), asyncio.Event(), []
    lease = closing._lease

    async def gated_lease(key: str, want: int) -> list[int]:
        leases.append(want)
        if len(leases) > 1:  # the poll's: held back until close() has begun
            await gate.wait()
        return await lease(key, want)
    closing._lease = gated_lease

    async def hold() -> None:
        async with other.slot("c"):
            held.set()
            await done.wait()
    holder = asyncio.create_task(hold())
    await held.wait()
    waiting = asyncio.create_task(closing.slot("c").__aenter__())
    await eventually(lambda: len(leases) > 1, what="the poll's lease to be under way")
    waiting.cancel()
    shutdown = asyncio.create_task(closing.close())
    await asyncio.sleep(0.05)
    done.set()  # the other replica's call ends and its slot goes back to the table
    await holder
    await other.close()
    gate.set()  # then the poll's lease answers: it gets that slot, with nobody waiting for it
    await shutdown
    assert await pool.fetchval("SELECT count(*) FROM provider_call_slots WHERE holder IS NOT NULL") == 0


async def test_a_burst_of_calls_beyond_the_cap_asks_the_database_once_at_a_time(pool, monkeypatch):
    """Twenty calls at once for a cap of two: one asks for a slot itself, the rest wait for one
    poller; they never each poll the database (which once made a burst cost a lease per call)."""
    slots = PgSlots(pool, 2, call_timeout_s=5, poll_s=0.05)
    asks, asking, most_asking = [], 0, 0
    lease = slots._lease

    async def counted(key: str, want: int):
        nonlocal asking, most_asking
        asking += 1
        most_asking = max(most_asking, asking)
        try:
            leased = await lease(key, want)
        finally:
            asking -= 1
        asks.append((want, len(leased)))
        return leased
    monkeypatch.setattr(slots, "_lease", counted)
    release = asyncio.Event()

    async def call() -> None:
        async with slots.slot("burst"):
            await release.wait()
    calls = [asyncio.create_task(call()) for _ in range(20)]
    await eventually(lambda: sum(n for _, n in asks) == 2, what="both slots leased")
    await asyncio.sleep(0.3)  # the waiters poll meanwhile: one poller, every 50 ms
    release.set()
    await asyncio.gather(*calls)
    await slots.close()
    assert most_asking <= 2  # the first call asking for itself and one poller for the rest, never one per call
    assert len(asks) < 20
    assert await pool.fetchval("SELECT count(*) FROM provider_call_slots WHERE holder IS NOT NULL") == 0
