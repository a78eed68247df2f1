"""What every SQL backend does to open an engine: parse the URL, pool server connections,
and name a missing driver."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from tuitrack.errors import InvalidValueError, StoreUnavailableError

# Database servers: test a pooled connection before use, replace it after an hour (servers
# and proxies drop idle ones).
SERVER_POOL_OPTIONS: dict[str, Any] = {"pool_pre_ping": True, "pool_recycle": 3600}


def parse_url(store_uri: str, url_text: str) -> URL:
    """`url_text`, the SQLAlchemy URL of `store_uri`, parsed; InvalidValueError naming
    `store_uri` when it is malformed."""
    try:
        return make_url(url_text)
    except ArgumentError as error:
        raise InvalidValueError(f"tracking URI {store_uri!r} is not valid: {error}") from None


def create_store_engine(store_uri: str, url: URL, options: dict[str, Any]) -> Engine:
    """create_engine(url, **options); StoreUnavailableError naming the extra to install
    when the driver is missing."""
    try:
        return create_engine(url, **options)
    except (ArgumentError, ImportError) as error:
        raise StoreUnavailableError(
            f"cannot open {store_uri!r}: {error} (is the database driver installed? "
            "pip install 'tuitrack[postgres]' or 'tuitrack[mysql]')"
        ) from None
