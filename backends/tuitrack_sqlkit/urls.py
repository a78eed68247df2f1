"""Database URLs: the drivers tuitrack ships extras for, and how an engine names itself."""

from __future__ import annotations

from sqlalchemy import Engine

from tuitrack.errors import InvalidValueError

# Plain dialect names choose the drivers tuitrack ships extras for.
_DRIVER_DEFAULTS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def sqlalchemy_url(store_uri: str) -> str:
    """`store_uri` with a plain dialect name (postgresql://) given its default driver."""
    scheme, sep, rest = store_uri.partition("://")
    if not sep:
        raise InvalidValueError(f"tracking URI {store_uri!r} is not a database URL")
    return f"{_DRIVER_DEFAULTS.get(scheme.lower(), scheme)}://{rest}"


def describe(engine: Engine) -> str:
    """The engine's URL without its password, for messages."""
    return engine.url.render_as_string(hide_password=True)
