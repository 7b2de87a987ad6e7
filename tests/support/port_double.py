"""A double of the provider port (``services.providers.base.ProviderAdapter``) for service tests.

It is a small accounting system in memory: datasets the pull lists, companies and connections,
and every write it received, in order. A test scripts what the next writes answer
(``answer_next``), finishes a write when it likes (``finish``) and turns that into the webhook
body the provider would send (``write_webhook``). Its webhooks are JSON bodies checked against the
secret in an ``x-double-secret`` header; ``tests/unit/test_adapters_fill_the_port.py`` holds that
it implements every method of the port.
"""
from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from services.core.errors import (
    ProviderNotFound,
    ValidationFailed,
    WebhookMalformed,
    WebhookVerificationFailed,
)
from services.providers.base import (
    DATA_TYPES,
    ConnectionNotice,
    ProviderCompany,
    ProviderConnection,
    PushResult,
    ReadNotice,
    RecordPage,
    WebhookDisposition,
    WebhookEvent,
    WebhookNotice,
    WriteAttempt,
    WriteNotice,
)
from services.sync.prerequisites import Verdict

KIND_TO_DATA_TYPE = {"customer": "customers", "vendor": "suppliers", "receivable": "invoices",
                     "credit_note": "creditNotes", "bill": "bills", "payment_record": "payments"}
NAME_FIELDS = {"customers": "customerName", "suppliers": "supplierName"}
WEBHOOK_KINDS = {"write.finished": "handled", "connection.changed": "handled", "read.finished": "handled",
                 "company.renamed": "ignored"}
SECRET_HEADER = "x-double-secret"


@dataclass
class Write:
    """One write the provider received."""
    method: str  # "push" or "update"
    company_id: str
    connection_id: str
    data_type: str
    body: dict
    idempotency_key: str
    record_id: str | None  # update: the document changed
    operation_id: str | None = None


@dataclass(repr=False)
class PortDouble:
    name: str = "codat"  # Settings.provider names one of the real ones; the double stands in for it
    idempotency_window: timedelta | None = timedelta(minutes=85)
    datasets: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in DATA_TYPES})
    writes: list[Write] = field(default_factory=list)
    lookups: list[WriteAttempt] = field(default_factory=list)
    # what the accounting system holds, by the idempotency key that wrote it (find_written reads it)
    written: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    _answers: deque = field(default_factory=deque)
    _operations: dict[str, PushResult] = field(default_factory=dict)
    _companies: dict[str, ProviderCompany] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    # ---- scripting ----

    def answer_next(self, *answers: str | BaseException) -> None:
        """What the next writes answer, in order: "pending" (the default once these are used up),
        "success", "failed" or "timed_out"; an exception is raised instead of answering."""
        self._answers.extend(answers)

    def finish(self, operation_id: str, status: str, *, created: bool | None = None,
               errors: Sequence[str] = ()) -> PushResult:
        """The provider completes a write: ``success`` creates the document, ``timed_out`` creates
        it only when ``created``; ``failed`` refuses it with ``errors``."""
        write = next(w for w in self.writes if w.operation_id == operation_id)
        record_id = None
        if status == "success" or (status == "timed_out" and created):
            record_id = write.record_id or self.written.get(write.idempotency_key) or self._new_id("doc")
            self.written[write.idempotency_key] = record_id
        result = PushResult(operation_id, status, record_id if status == "success" else None,
                            [{"message": m, "item_id": None, "validator": "double"} for m in errors],
                            data_type=write.data_type, company_id=write.company_id,
                            connection_id=write.connection_id)
        self._operations[operation_id] = result
        return result

    def write_webhook(self, operation_id: str) -> dict:
        """The webhook telling that write's current outcome, as the provider sends it."""
        result = self._operations[operation_id]
        return {"id": self._new_id("evt"), "type": "write.finished", "company_id": result.company_id,
                "operation_id": operation_id, "status": result.status, "record_id": result.record_id,
                "data_type": result.data_type}

    @staticmethod
    def connection_webhook(company_id: str, connection_id: str, change: str, platform: str = "xero") -> dict:
        return {"id": f"evt-{company_id}-{change}", "type": "connection.changed", "company_id": company_id,
                "connection_id": connection_id, "change": change, "platform": platform}

    def writes_of(self, data_type: str) -> list[Write]:
        return [w for w in self.writes if w.data_type == data_type]

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    # ---- companies and connections ----

    async def create_company(self, name: str, tags: Mapping[str, str] | None = None) -> ProviderCompany:
        self.calls.append("create_company")
        company_id = self._new_id("co")
        company = ProviderCompany(company_id, name, f"https://double.test/link/{company_id}", dict(tags or {}))
        self._companies[company_id] = company
        return company

    async def get_company(self, company_id: str) -> ProviderCompany:
        self.calls.append("get_company")
        if company_id not in self._companies:
            raise ProviderNotFound(f"no company {company_id}", status=404)
        return self._companies[company_id]

    async def create_connection(self, company_id: str, platform: str) -> ProviderConnection:
        self.calls.append("create_connection")
        link_id = self._new_id("link")
        return ProviderConnection(link_id, company_id, "pending_auth", platform,
                                  f"https://double.test/link/{company_id}/{link_id}", None)

    async def disconnect(self, company_id: str, connection_id: str) -> ProviderConnection:
        self.calls.append("disconnect")
        return ProviderConnection(connection_id, company_id, "disconnected", None, None, None)

    async def business_info(self, company_id: str, connection_id: str) -> dict | None:
        self.calls.append("business_info")
        return {"name": self._companies[company_id].name}

    # ---- reading ----

    async def refresh_all(self, company_id: str) -> None:
        self.calls.append("refresh_all")

    async def list_page(self, company_id: str, data_type: str, page: int = 1,
                        page_size: int = 500) -> RecordPage:
        self.calls.append(f"list_page:{data_type}")
        rows = self.datasets[data_type]
        start = (page - 1) * page_size
        return RecordPage(rows[start:start + page_size], page, page_size, len(rows), start + page_size < len(rows))

    async def find_by_name(self, company_id: str, data_type: str, names: Sequence[str]) -> list[dict]:
        self.calls.append(f"find_by_name:{data_type}")
        wanted = {n.strip().lower() for n in names}
        return [r for r in self.datasets[data_type] if str(r.get(NAME_FIELDS[data_type], "")).strip().lower() in wanted]

    # ---- writing ----

    def data_type_of(self, kind: str) -> str:
        return KIND_TO_DATA_TYPE[kind]

    def write_body(self, kind: str, data: dict, verdict: Verdict | None = None, *,
                   invoice_id: str | None = None) -> dict:
        body = {"kind": kind, "id": str(data["id"]), "name": data.get("name"), "number": data.get("document_id"),
                "status": data.get("status"), "total": data.get("total_amount") or data.get("amount")}
        if verdict is not None:
            body.update(counterpart=verdict.counterpart_id, items=dict(verdict.items),
                        tax=[t.provider_id if t else None for t in verdict.tax], accounts=list(verdict.accounts))
        if invoice_id is not None:
            body["invoice"] = invoice_id
        return body

    async def _write(self, write: Write) -> PushResult:
        answer = self._answers.popleft() if self._answers else "pending"
        self.writes.append(write)
        if isinstance(answer, BaseException):
            raise answer
        write.operation_id = self._new_id("op")
        self._operations[write.operation_id] = PushResult(write.operation_id, "pending", None, [],
                                                          data_type=write.data_type, company_id=write.company_id,
                                                          connection_id=write.connection_id)
        if answer != "pending":
            return self.finish(write.operation_id, answer, errors=("refused by the double",)
                               if answer == "failed" else ())
        return self._operations[write.operation_id]

    async def push(self, company_id: str, connection_id: str, data_type: str, body: dict,
                   idempotency_key: str, timeout_minutes: int | None = None) -> PushResult:
        return await self._write(Write("push", company_id, connection_id, data_type, body, idempotency_key, None))

    async def update(self, company_id: str, connection_id: str, data_type: str, record_id: str, body: dict,
                     idempotency_key: str, timeout_minutes: int | None = None) -> PushResult:
        return await self._write(Write("update", company_id, connection_id, data_type, body, idempotency_key,
                                       record_id))

    async def get_push_operation(self, company_id: str, operation_id: str) -> PushResult:
        self.calls.append("get_push_operation")
        if operation_id not in self._operations:
            raise ProviderNotFound(f"no push operation {operation_id}", status=404)
        return self._operations[operation_id]

    async def find_written(self, company_id: str, connection_id: str, attempt: WriteAttempt) -> str | None:
        self.lookups.append(attempt)
        return self.written.get(attempt.idempotency_key)

    # ---- webhooks (no I/O) ----

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str], secret: str) -> WebhookEvent:
        if headers.get(SECRET_HEADER) != secret:
            raise WebhookVerificationFailed(f"{SECRET_HEADER} does not match")
        try:
            body = json.loads(raw_body)
            return WebhookEvent(str(body["id"]), str(body["type"]), body.get("company_id"), body, None)
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookMalformed(f"not a double event: {exc}") from exc

    def classify_webhook(self, event_type: str) -> WebhookDisposition:
        return WEBHOOK_KINDS.get(event_type, "unknown")  # type: ignore[return-value]

    def read_webhook(self, event_type: str, body: dict) -> WebhookNotice:
        try:
            if event_type == "write.finished":
                return WriteNotice(PushResult(body["operation_id"], body["status"], body.get("record_id"), [],
                                              raw=body, data_type=body.get("data_type"),
                                              company_id=body["company_id"]))
            if event_type == "connection.changed":
                status = "connected" if body["change"] == "connected" else "disconnected"
                link = ProviderConnection(body["connection_id"], body["company_id"], status, body.get("platform"),
                                          None, {"name": "Double Books Ltd"})
                return ConnectionNotice(body["company_id"], link, body["change"])
            return ReadNotice(body["company_id"], list(body["data_types"]), dict(body.get("failures") or {}))
        except KeyError as exc:
            raise ValidationFailed(f"{event_type} webhook lacks {exc}") from exc

    async def close(self) -> None:
        self.calls.append("close")
