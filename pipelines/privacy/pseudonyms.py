"""Stable pseudonyms for personal values: HMAC-SHA256 under a key that never leaves the data dir.

The same value gets the same pseudonym in every table and every night, so BI still joins and
counts customers; without the key nobody can recompute a pseudonym from a guessed email (a plain
hash could be). The key is HUB_PSEUDONYM_KEY when set. Unset, a random key is generated once and
kept in `<data dir>/privacy/pseudonym.key` (mode 0600): a DPO wants pseudonymised output by
default with no setup step that people skip by choosing a weak key, the key beside the
warehouse adds no exposure (the warehouse holds the clear values anyway) and never reaches the
published files. Set HUB_PSEUDONYM_KEY to keep pseudonyms equal across machines or a lost data dir.
"""

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

import duckdb
from pydantic import SecretStr

log = logging.getLogger(__name__)

KEY_FILE = Path("privacy") / "pseudonym.key"
PSEUDONYM_PREFIX = "p_"
PSEUDONYM_HEX_CHARS = 24  # 96 bits: no collision among billions of people
SQL_FUNCTION = "hub_pseudonym"
_SHA256_BLOCK = 64  # bytes


def pseudonym(key: bytes, value: str) -> str:
    """The published stand-in of `value`: `p_` and the first 96 bits of HMAC-SHA256(key, value) in hex."""
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX_CHARS]


def pseudonym_key(configured: SecretStr | None, data_dir: Path) -> bytes:
    """HUB_PSEUDONYM_KEY's bytes, else the data dir's generated key (made on first use)."""
    if configured is not None:
        return configured.get_secret_value().encode("utf-8")
    path = data_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two first publishes at once cannot write two keys; the loser reads the winner's.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
            log.warning("HUB_PSEUDONYM_KEY is unset: generated a pseudonym key in %s (keep it with the data)", path)
    key = path.read_text().strip()
    if not key:
        raise ValueError(f"{path} is empty: delete it to generate a new key (published pseudonyms will change)")
    return key.encode("utf-8")


def register_pseudonym_function(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """`hub_pseudonym(varchar)` on `con`, equal to `pseudonym(key, value)` (NULL stays NULL).

    HMAC (RFC 2104) spelled with DuckDB's sha256 over the padded key, so publishing stays
    vectorised SQL (a Python UDF would need numpy and a call per row). The padded key sits in a
    TEMP table of this connection only: it is never written to a database file or into SQL text.
    """
    block = key if len(key) <= _SHA256_BLOCK else hashlib.sha256(key).digest()
    block = block.ljust(_SHA256_BLOCK, b"\0")
    inner, outer = bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)
    con.execute(
        f"create or replace temp table {SQL_FUNCTION}_key as select ?::blob as inner_pad, ?::blob as outer_pad",
        [inner, outer],
    )
    con.execute(
        f"create or replace temp macro {SQL_FUNCTION}(value) as '{PSEUDONYM_PREFIX}' || left(sha256("
        f"(select outer_pad from temp.main.{SQL_FUNCTION}_key) || unhex(sha256("
        f"(select inner_pad from temp.main.{SQL_FUNCTION}_key) || encode(value)))), {PSEUDONYM_HEX_CHARS})"
    )
