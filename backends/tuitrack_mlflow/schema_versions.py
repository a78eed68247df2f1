"""The MLflow database schema revisions this backend reads, oldest first.

MLflow upgrades its schema with alembic and records the revision in `alembic_version`.
Every revision from the first one with experiment creation times through the newest one
tested is read the same way; anything else is refused with the supported range.
"""

from __future__ import annotations

from tuitrack.errors import StoreUnavailableError

SUPPORTED_REVISIONS: tuple[str, ...] = (
    "97727af70f4d",  # experiments get creation_time / last_update_time (MLflow 2.x)
    "3500859a5d39",
    "7f2a7d5fae7d",
    "2d6e25af4d3e",
    "acf3f17fdcc7",
    "867495a8f9d4",
    "5b0e9adcef9c",
    "4465047574b1",
    "f5a4f2784254",
    "0584bdc529eb",  # head of MLflow 2.22
    "400f98739977",
    "6953534de441",
    "bda7b8c39065",
    "cbc13b556ace",
    "770bee3ae1dd",
    "a1b2c3d4e5f6",
    "de4033877273",
    "1a0cddfcaa16",
    "534353b11cbc",
    "71994744cf8e",
    "3da73c924c2f",
    "bf29a5ff90ea",
    "1bd49d398cd23",
    "b7c8d9e0f1a2",
    "5d2d30f0abce",
    "c9d4e5f6a7b8",
    "2c33131f4dae",
    "d3e4f5a6b7c8",
    "d0e1f2a3b4c5",
    "c8d9e0f1a2b3",
    "1b5f0d9ad7c1",
    "e1f2a3b4c5d6",
    "76601a5f987d",
    "c3d6457b6d8a",
    "a5b4c3d2e1f0",
    "ae8bbe7743c9",
    "7d34483879f0",
    "da6fb0208061",
    "89d3d66ed43f",
    "b7e4c1a90f23",
    "a8b9c0d1e2f3",
    "c1d2e3f4a5b6",
    "c3d9e7f1a2b4",
    "6f8d9c3b2a1e",
    "1971f2d9a75b",
    "17e22815139b",
    "b7e2c1a4d9f3",
    "75868b020152",
    "dc11669786a5",  # head of MLflow 3.17
)
TESTED_MLFLOW_VERSIONS = ("2.22.5", "3.17.2")

SUPPORTED_RANGE = (
    f"MLflow schema revisions {SUPPORTED_REVISIONS[0]} (MLflow 2.x) through "
    f"{SUPPORTED_REVISIONS[-1]} (MLflow 3.17); tested with MLflow "
    + " and ".join(TESTED_MLFLOW_VERSIONS)
)


def check_revision(revision: str | None, where: str) -> str:
    """Return `revision` if this backend reads it; raise StoreUnavailableError otherwise."""
    if revision in SUPPORTED_REVISIONS:
        return revision
    found = "has no schema revision" if revision is None else f"has schema revision {revision!r}"
    raise StoreUnavailableError(
        f"the MLflow database {where} {found}, which tuitrack cannot read. Supported: "
        f"{SUPPORTED_RANGE}. An older database can be upgraded with `mlflow db upgrade URI`; "
        "a newer MLflow needs a newer tuitrack."
    )
