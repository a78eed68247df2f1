"""Digest, schema and profile of a pandas DataFrame or numpy arrays, in MLflow's formats, so
that a dataset logged through tuitrack is the same dataset (same name and digest) as the one
MLflow logs for the same data.

MLflow's facts: the digest is the first 8 hex digits of an MD5 over pandas' hash of (at most)
the first 10,000 rows (a DataFrame: its string and numeric columns) or array elements, the
sizes, and (a DataFrame) the column names. A DataFrame's schema is MLflow's column spec
{"mlflow_colspec": [{"type", "name", "required"}, ...]} and its profile its row and element
counts; arrays have a tensor spec and their shapes, sizes and byte counts.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from tuitrack.errors import InvalidValueError
from tuitrack.sdk import data_types
from tuitrack.sdk.optional_packages import required

DIGEST_ROWS = 10_000
DIGEST_LENGTH = 8


def _packages(needed_for: str) -> tuple[ModuleType, ModuleType]:
    """pandas and numpy (MLflow's digests need both), or an error naming the extra."""
    return (
        required("pandas", "pandas", "pandas", needed_for),
        required("numpy", "numpy", "pandas", needed_for),
    )


def _md5_prefix(parts: Iterable[Any]) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    for part in parts:
        md5.update(part)
    return md5.hexdigest()[:DIGEST_LENGTH]


# --- pandas ------------------------------------------------------------------------------


def pandas_digest(df: Any) -> str:
    pd, np = _packages("a DataFrame's digest")
    head = df.head(DIGEST_ROWS)
    cell_types = df.map(type) if hasattr(df, "map") else df.applymap(type)
    text_columns = head.columns[cell_types.isin([str]).all(axis=0)]
    number_columns = head.select_dtypes(include=[np.number]).columns
    hashed = pd.util.hash_pandas_object(head[text_columns.union(number_columns)]).values
    return _md5_prefix([hashed, np.int64(len(df)), *(str(name).encode() for name in df.columns)])


# MLflow's type names by numpy dtype kind: (itemsize limit, name), the first that fits.
_SIZED_TYPES = {
    "i": ((4, "integer"), (8, "long")),
    "u": ((3, "integer"), (7, "long")),  # unsigned: one byte less than signed
    "f": ((4, "float"), (8, "double")),
}
_KIND_TYPES = {"b": "boolean", "U": "string", "S": "binary", "M": "datetime"}


def _scalar_type(dtype: Any) -> str | None:
    """MLflow's type name of a numpy or pandas dtype; None for object columns (their values
    decide); InvalidValueError for a dtype MLflow has no type for."""
    kind, size = dtype.kind, getattr(dtype, "itemsize", 0)
    if kind == "O":
        return None
    for limit, name in _SIZED_TYPES.get(kind, ()):
        if size <= limit:
            return name
    if kind in _KIND_TYPES:
        return _KIND_TYPES[kind]
    raise InvalidValueError(f"MLflow has no column type for dtype {dtype}")


def _column_type(column: Any) -> dict[str, Any]:
    """MLflow's type JSON of a column: by its dtype, else (object columns) by its values."""
    if column.dtype.kind == "O":
        column = column.infer_objects()
    found = _scalar_type(column.dtype)
    if found is not None:
        return {"type": found}
    try:
        return data_types.column_type(column.to_list())
    except InvalidValueError:
        pd, _ = _packages("a DataFrame's schema")
        if pd.api.types.is_string_dtype(column):
            return {"type": "string"}
        raise


def _is_missing(value: Any, pd: ModuleType) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return value is None or value is pd.NA or value is pd.NaT


def pandas_schema(df: Any) -> str | None:
    """MLflow's column spec of the DataFrame as JSON; None where MLflow infers none."""
    pd, _ = _packages("a DataFrame's schema")
    try:
        columns = [
            {
                **_column_type(df[name]),
                "name": name,
                "required": not any(_is_missing(value, pd) for value in df[name]),
            }
            for name in df.columns
        ]
    except (InvalidValueError, TypeError, ValueError):
        return None
    return json.dumps({"mlflow_colspec": columns})


def pandas_profile(df: Any) -> str:
    return json.dumps({"num_rows": len(df), "num_elements": int(df.size)})


# --- numpy -------------------------------------------------------------------------------


def _named_arrays(data: Any) -> list[tuple[str | None, Any]]:
    """An array, or MLflow's dict of named arrays, as (name, array) pairs in dict order."""
    if isinstance(data, dict):
        return list(data.items())
    return [(None, data)]


def numpy_digest(features: Any, targets: Any) -> str:
    """MLflow's digest of arrays; a dict's arrays are hashed in the order of their names."""
    pd, np = _packages("an array's digest")
    parts: list[Any] = []
    for data in (features, targets):
        if data is None:
            continue
        arrays = [data[key] for key in sorted(data)] if isinstance(data, dict) else [data]
        for array in arrays:
            head = array.flatten()[:DIGEST_ROWS]
            try:
                parts.append(pd.util.hash_array(head))
            except TypeError:
                parts.append(np.int64(head.size))
            parts.extend(np.int64(length) for length in array.shape)
    return _md5_prefix(parts)


def _tensor_specs(data: Any) -> str:
    _, np = _packages("an array's schema")
    specs = []
    for name, array in _named_arrays(data):
        dtype = array.dtype
        if dtype.char == "U":
            dtype = np.dtype("str")
        elif dtype.char == "S":
            dtype = np.dtype("bytes")
        spec = {"dtype": dtype.name, "shape": [-1, *array.shape[1:]]}
        named = {} if name is None else {"name": name}
        specs.append({**named, "type": "tensor", "tensor-spec": spec})
    return json.dumps(specs)


def numpy_schema(features: Any, targets: Any) -> str | None:
    """MLflow's tensor spec of the arrays as JSON; None (as MLflow) for a 0-d array."""
    given = [data for data in (features, targets) if data is not None]
    if any(array.ndim == 0 for data in given for _, array in _named_arrays(data)):
        return None
    spec = {
        "features": _tensor_specs(features),
        "targets": None if targets is None else _tensor_specs(targets),
    }
    return json.dumps({"mlflow_tensorspec": spec})


def numpy_profile(features: Any, targets: Any) -> str:
    """Shapes, sizes and byte counts (per name for a dict of arrays)."""
    profile: dict[str, Any] = {}
    for prefix, data in (("features", features), ("targets", targets)):
        if data is None:
            continue
        for field in ("shape", "size", "nbytes"):
            values = {name: _plain(getattr(array, field)) for name, array in _named_arrays(data)}
            profile[f"{prefix}_{field}"] = values if isinstance(data, dict) else values[None]
    return json.dumps(profile)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else int(value)
