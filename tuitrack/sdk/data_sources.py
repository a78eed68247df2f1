"""Where a dataset came from, as MLflow records it: a source type and a JSON source.

MLflow's rules for a source given as text: an http(s) URL is type "http" with {"url": ...};
a path, or a file: URI, is "local" with {"uri": ...}; any other URI is its scheme with
{"uri": ...} (s3, gs, hdfs, ...). With no source, the code that made the dataset is the
source: type "code" with {"tags": ...} (who ran which script, and its git commit).
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

from tuitrack.errors import InvalidValueError
from tuitrack.sdk import context

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# The git tags MLflow's own context gives a code source.
_CODE_GIT_TAGS = (context.GIT_COMMIT_TAG, context.GIT_BRANCH_TAG, context.GIT_REPO_URL_TAG)


@dataclass(frozen=True)
class DataSource:
    """A resolved source: MLflow's source type and the JSON it stores."""

    source_type: str
    source_json: str

    def _get_source_type(self) -> str:
        """MLflow's name for `source_type` (its DatasetSource method)."""
        return self.source_type

    def to_json(self) -> str:
        return self.source_json

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.source_json)
        return found


def _of(source_type: str, fields: dict[str, Any]) -> DataSource:
    return DataSource(source_type, json.dumps(fields))


def code_source() -> DataSource:
    """The script making the dataset: user, source name and type, git commit."""
    process = context.process_tags()
    tags = {
        context.USER_TAG: process.get(context.USER_TAG, "unknown"),
        # As MLflow names it: the script as it was started (argv[0]), else "<console>".
        context.SOURCE_NAME_TAG: sys.argv[0] if sys.argv and sys.argv[0] else "<console>",
        context.SOURCE_TYPE_TAG: process[context.SOURCE_TYPE_TAG],
    }
    git = context.git_tags(context.source_directory())
    tags.update({key: git[key] for key in _CODE_GIT_TAGS if key in git})
    return _of("code", {"tags": tags})


def resolve_source(source: object) -> DataSource:
    """`source` as MLflow resolves it: None (the code), a path or URI (str or os.PathLike),
    or a source object of MLflow's (anything with `_get_source_type()` and `to_json()`)."""
    if source is None:
        return code_source()
    if hasattr(source, "_get_source_type") and hasattr(source, "to_json"):
        return DataSource(str(source._get_source_type()), str(source.to_json()))
    if isinstance(source, os.PathLike):
        return _of("local", {"uri": os.fspath(source)})
    if not isinstance(source, str) or not source:
        raise InvalidValueError(
            f"a dataset source is a path, a URI or an MLflow dataset source; got {source!r}"
        )
    scheme = _SCHEME.match(source)
    if scheme is None or _WINDOWS_DRIVE.match(source) or scheme.group(1).lower() == "file":
        return _of("local", {"uri": source})
    name = scheme.group(1).lower()
    if name in ("http", "https"):
        return _of("http", {"url": source})
    return _of(name, {"uri": source})
