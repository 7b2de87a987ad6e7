"""One error tree. Mapping to HTTP status and to ack / retry / dead-letter happens in
one place each (``services.api.error_responses`` and ``services.core.bus``)."""
from __future__ import annotations


class LedgersyncError(Exception):
    """Raised when anything in ledgersync fails; the root of every error below."""

    def __init__(self, message: str = "", **context) -> None:
        super().__init__(message)
        self.message = message
        self.context = context


class PermanentError(LedgersyncError):
    """Raised when retrying cannot help: bad input, a refused request, a broken contract."""


class ValidationFailed(PermanentError):
    """Raised when a message or request body does not match its contract."""

    def __init__(self, message: str, errors: list[dict] | None = None, **context) -> None:
        super().__init__(message, **context)
        self.errors = errors or []


class NotFound(PermanentError):
    """Raised when the object asked for does not exist (or belongs to another tenant)."""


class Conflict(PermanentError):
    """Raised when the request contradicts the current state (e.g. a second active connection)."""


class Unauthorized(PermanentError):
    """Raised when credentials or a token are missing, malformed, expired or revoked."""


class RetryableError(LedgersyncError):
    """Raised when the same work may succeed later: timeouts, 5xx, broker or database hiccups."""

    def __init__(self, message: str = "", retry_after: float | None = None, **context) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class Deferred(RetryableError):
    """Raised when work must wait (a paused connection, a dependency in flight); waiting is not
    a failed attempt, so it never ends in the dead-letter queue."""


# ---- the provider's answers (raised by adapters; every other module only catches them) ----

class ProviderError(LedgersyncError):
    """Raised when the provider answers with an error; ``status`` is its HTTP status."""

    def __init__(self, message: str = "", status: int | None = None, body: object = None, **context) -> None:
        super().__init__(message, **context)  # cooperative: RetryableError takes retry_after
        self.status = status
        self.body = body


class ProviderUnavailable(ProviderError, RetryableError):
    """Raised when the provider times out, refuses the connection or answers 5xx."""


class ProviderRateLimited(ProviderUnavailable):
    """Raised when the provider answers 429; ``retry_after`` is its Retry-After in seconds."""


class ProviderDatasetNotReady(ProviderError, RetryableError):
    """Raised when a dataset was never requested or is still syncing (Codat 409): retry later."""


class ProviderRejected(ProviderError, PermanentError):
    """Raised when the provider refuses a request for good (4xx other than 429)."""


class ProviderNotFound(ProviderRejected):
    """Raised when the provider does not know the company, connection or record."""


class WebhookVerificationFailed(PermanentError):
    """Raised when a webhook's signature, headers or timestamp do not verify (answer 401)."""


class WebhookMalformed(PermanentError):
    """Raised when a correctly signed webhook body is not an event of the provider (answer 400)."""
