"""The connectors' exceptions: one class per way a stream can fail, so callers can tell them apart."""


class ConnectorError(Exception):
    """Base of every error the connectors raise on purpose."""


class ConfigError(ConnectorError):
    """Settings are missing or malformed; raised before any request or write."""


class AuthError(ConnectorError):
    """The vendor rejected the credentials (401/403); retrying cannot help."""


class NotFoundError(ConnectorError):
    """The vendor answered 404 for a path that should exist."""


class RequestError(ConnectorError):
    """A non-retryable HTTP error other than auth or not-found (e.g. 400 for a bad query)."""


class RetryExhausted(ConnectorError):
    """Retries ran out of their time budget; names the stream, the redacted URL and last status."""


class UnsafeLinkError(ConnectorError):
    """A pagination link or redirect pointed away from the configured origin."""


class LoadError(ConnectorError):
    """Landed pages could not be loaded into the warehouse."""


class BrokenPage(ConnectorError, ValueError):
    """A 2xx page that breaks the vendor's documented shape (records key missing, totals that do
    not add up, no next cursor although the totals say there is more): retried like a malformed body."""


class LoopingCursorError(ConnectorError):
    """The vendor handed back a cursor or next link already followed in this listing."""
