"""Keeps secrets out of every URL, error message and log line the connectors produce."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that carry credentials at some vendor (Meta's paging.next embeds access_token).
SECRET_PARAMS = frozenset({"access_token", "api_key", "apikey", "key", "token", "client_secret"})
MASK = "***"


class Redactor:
    """Replaces known secret values and secret query parameters with ***."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        # Longest first, so a secret containing another is masked whole.
        self._secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def text(self, value: str) -> str:
        """`value` with every secret masked."""
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        return value

    def url(self, url: str) -> str:
        """`url` with secret query parameters and any secret value masked."""
        parts = urlsplit(url)
        if parts.query:
            query = [
                (k, MASK if k.lower() in SECRET_PARAMS else v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
            ]
            parts = parts._replace(query=urlencode(query, safe="*"))
        return self.text(urlunsplit(parts))
