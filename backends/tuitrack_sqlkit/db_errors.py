"""Database driver errors mapped to tuitrack's own, and the ones worth running again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError

from tuitrack.errors import InvalidValueError, StoreUnavailableError, TuitrackError
from tuitrack_sqlkit.urls import describe

# Concurrent writers that lock rows in different orders: the database rolled one
# transaction back, and running it again is the documented remedy.
_CONFLICT_ERROR_CODES = {1205, 1213}  # MySQL/MariaDB: lock wait timeout, deadlock
_CONFLICT_SQLSTATES = {"40001", "40P01"}  # PostgreSQL: serialization failure, deadlock


def is_write_conflict(error: BaseException) -> bool:
    """True for a deadlock or lock timeout between writers, as mapped by mapped_errors."""
    cause = error.__cause__ if isinstance(error, StoreUnavailableError) else error
    original = getattr(cause, "orig", None)
    if original is None:
        return False
    args = getattr(original, "args", ())
    code = args[0] if args else None
    return code in _CONFLICT_ERROR_CODES or getattr(original, "sqlstate", None) in (
        _CONFLICT_SQLSTATES
    )


# MySQL/MariaDB: out of range, wrong value for the column, value too long.
_REFUSED_VALUE_CODES = {1264, 1292, 1366, 1406}


def refuses_value(driver_error: BaseException) -> bool:
    """The database refused a value it was given (a bug upstream of it: values are
    validated first), as opposed to failing to answer. Takes the driver's own error."""
    sqlstate = getattr(driver_error, "sqlstate", None)  # psycopg
    if isinstance(sqlstate, str) and sqlstate.startswith("22"):  # class 22, data exceptions
        return True
    args: tuple[object, ...] = getattr(driver_error, "args", ())
    return bool(args) and args[0] in _REFUSED_VALUE_CODES


def _refuses_value(error: DBAPIError) -> bool:
    if isinstance(error, DataError):  # PostgreSQL's SQLSTATE class 22, data exceptions
        return True
    return error.orig is not None and refuses_value(error.orig)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else repr(error)


def _store_error(engine: Engine, detail: str, refused: bool) -> TuitrackError:
    if refused:
        return InvalidValueError(f"database {describe(engine)} refused a value: {detail}")
    return StoreUnavailableError(f"database {describe(engine)} failed: {detail}")


@contextmanager
def mapped_errors(engine: Engine) -> Iterator[None]:
    """Turn database driver errors into StoreUnavailableError, or InvalidValueError when the
    database refused a value; let tuitrack errors through."""
    try:
        yield
    except TuitrackError:
        raise
    except IntegrityError:
        raise
    except OverflowError as error:  # sqlite3: an integer beyond 64 bits
        raise InvalidValueError(f"database {describe(engine)} refused a value: {error}") from None
    except DBAPIError as error:
        detail = _first_line(error.orig) if error.orig else str(error)
        raise _store_error(engine, detail, _refuses_value(error)) from error
    except SQLAlchemyError as error:
        raise StoreUnavailableError(f"database {describe(engine)} failed: {error}") from error


@contextmanager
def mapped_driver_errors(connection: Connection) -> Iterator[None]:
    """As mapped_errors, for the driver's own errors (raised by a DB-API cursor, which
    SQLAlchemy does not wrap)."""
    try:
        yield
    except connection.dialect.loaded_dbapi.Error as error:
        raise _store_error(connection.engine, _first_line(error), refuses_value(error)) from error
