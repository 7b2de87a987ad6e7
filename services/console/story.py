"""A synced record's whole story, in order: the domain events about its object, each push
attempt (the body sent, every answer), the provider's webhooks, the status changes and the
webhooks sent to the partner about them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from services.console.filters import label


@dataclass
class Chapter:
    at: datetime
    kind: str            # event | push | answer | webhook | status
    title: str
    body: object = None
    errors: list = field(default_factory=list)


def _errors(value) -> list:
    return (value or {}).get("details") or ([value] if value else [])


async def _events(conn, record) -> list[Chapter]:
    rows = await conn.fetch("SELECT message_id, message_type, processed_at, body FROM inbox WHERE source = 'domain' "
                            "AND object_id = $1 ORDER BY processed_at", record["object_id"])
    return [Chapter(r["processed_at"], "event", f"Domain event {r['message_type']} ({r['message_id']})",
                    r["body"]) for r in rows]


async def _pushes(conn, record) -> list[Chapter]:
    chapters = []
    for a in await conn.fetch("SELECT * FROM push_attempts WHERE record_id = $1 ORDER BY requested_at", record["id"]):
        chapters.append(Chapter(a["requested_at"], "push", f"Push {a['generation']} to {a['data_type']} "
                                f"(now {a['status'].replace('_', ' ')})", a["body"]))
        for answer in a["answers"]:
            chapters.append(Chapter(datetime.fromisoformat(answer["at"]), "answer",
                                    f"Provider answered: {answer['status'].replace('_', ' ')}",
                                    {k: v for k, v in answer.items() if k != "at" and v},
                                    [e for e in answer.get("errors") or []]))
    return chapters


async def _history(conn, record) -> list[Chapter]:
    chapters = []
    for h in await conn.fetch("SELECT * FROM synced_record_history WHERE record_id = $1 ORDER BY id", record["id"]):
        d = h["detail"]
        if h["kind"] == "status":
            chapters.append(Chapter(h["at"], "status", f"Status {d['from'] or 'new'} → {d['to']}",
                                    errors=_errors(d.get("errors"))))
        else:
            chapters.append(Chapter(h["at"], "webhook", f"Webhook: {d.get('data_type') or 'write'} "
                                    f"{label(d.get('status'))}", d.get("body")))
    return chapters


def safe_url(url: str) -> str:
    """A partner's endpoint without what may be a credential (user info, query, fragment)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _delivery_title(row) -> str:
    answer = f", last answer HTTP {row['response_status_code']}" if row["response_status_code"] else ""
    return (f"Partner webhook {row['action']} to {safe_url(row['url'])}: {row['status']} "
            f"({row['requests_made_count']} request(s){answer})")


async def _partner_webhooks(conn, record) -> list[Chapter]:
    rows = await conn.fetch(
        "SELECT d.action, d.url, d.status, d.requests_made_count, d.response_status_code, d.created_at "
        "FROM partner_webhook_deliveries d JOIN partner_events e ON e.id = d.event_id "
        "WHERE e.entity_id = $1 AND e.object_id = $2 ORDER BY d.created_at", record["entity_id"], record["id"])
    return [Chapter(r["created_at"], "partner", _delivery_title(r)) for r in rows]


async def story(conn, record) -> list[Chapter]:
    chapters = (await _events(conn, record) + await _pushes(conn, record) + await _history(conn, record)
                + await _partner_webhooks(conn, record))
    return sorted(chapters, key=lambda c: c.at)


def record_errors(record) -> list:
    """The record's errors as the API returns them: each with code, message and hint."""
    return _errors(record["errors"])
