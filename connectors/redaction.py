"""Keeps secrets out of every URL, error message and log line the connectors produce."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

# Query parameters that carry credentials at some vendor (Meta's paging.next embeds access_token).
SECRET_PARAMS = frozenset({"access_token", "api_key", "apikey", "key", "token", "client_secret"})
MASK = "***"
MIN_SCRUB_LENGTH = 8
# `scheme://user:password@` anywhere in a text: the userinfo of a URL is a credential.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s\"'<>]+@")


def userinfo_password(url: str) -> tuple[str, ...]:
    """The password a URL carries (`https://user:pw@host`), to be masked wherever it appears (the
    user name is masked inside URLs only: as a plain word it may well be data)."""
    password = urlsplit(url).password
    return (password,) if password else ()


class Redactor:
    """Replaces known secret values and secret query parameters with ***."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        # Longest first, so a secret containing another is masked whole.
        self._secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
        # The bytes a secret can take in a page: as is, and percent-encoded inside a URL. A very
        # short "secret" (a test's "t") would mangle every page it occurs in and protects nothing.
        self._secret_bytes = tuple(
            dict.fromkeys(
                form.encode() for s in self._secrets if len(s) >= MIN_SCRUB_LENGTH for form in (s, quote(s, safe=""))
            )
        )

    def text(self, value: str) -> str:
        """`value` with every secret and every URL userinfo masked."""
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        return _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", value)

    def scrub(self, body: bytes) -> bytes:
        """`body` with every secret masked; the same object when none occurs (the usual case: one
        substring search per secret, no copy)."""
        for secret in self._secret_bytes:
            if secret in body:
                body = body.replace(secret, MASK.encode())
        return body

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
