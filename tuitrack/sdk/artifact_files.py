"""The files behind log_image, log_figure and log_table, made as MLflow makes them, so that
MLflow's UI shows what tuitrack logged: the client and the fluent API share these helpers.

- An image is a PIL image or a numpy array (HxW, HxWx1, HxWx3 or HxWx4; integers in
  [0, 255], floats in [0, 1], booleans), saved in the format its file name's extension
  names. Logged under a `key`, it becomes MLflow's image series: the file
  `images/<key, '/' as '~'>+step+<step>+timestamp+<ms>+<uuid>.png`, a thumbnail at most
  256 pixels on its longer side next to it (`...+compressed.webp`), and the run tag
  `mlflow.loggedImages = True`.
- A table is a dict of columns or a pandas DataFrame, saved as pandas' "split" JSON
  (`{"columns": [...], "data": [[...], ...]}`) or as Parquet; logging to the same file
  again appends rows. The run tag `mlflow.loggedArtifacts` lists the tables, as JSON
  objects `{"path": ..., "type": "table"}`. A column of images is saved as image files
  under `table_images/<table name>/` and its cells point to them.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import re
import sys
import uuid
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from tuitrack.errors import InvalidValueError
from tuitrack.sdk.optional_packages import required

LOGGED_IMAGES_TAG = "mlflow.loggedImages"
LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"
THUMBNAIL_SIZE = 256
IMAGE_EXTRA = "images"
TABLE_EXTRA = "pandas"
_IMAGE_KEY = re.compile(r"^[a-zA-Z0-9_\-./ ]+$")
_TABLE_FILE_FORBIDDEN = ('"', "'", ",", ":", "[", "]", "{", "}")
_ARRAY_KINDS = {"b": "bool", "i": "signed integer", "u": "unsigned integer", "f": "floating"}


class InvalidArgumentError(InvalidValueError, TypeError):
    """An argument of the wrong kind, or arguments that do not go together: a TypeError
    too, as MLflow raises for these."""


# --- images ----------------------------------------------------------------------------


def _pil(needed_for: str) -> Any:
    return required("PIL.Image", "Pillow", IMAGE_EXTRA, needed_for)


def _is_pil_image(value: object) -> bool:
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(value, pil.Image)


def _is_array(value: object) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def _as_uint8(array: Any) -> Any:
    """Pixel values as uint8: integers must be in [0, 255]; floats (and booleans) are
    scaled from [0, 1], after a min-max rescale with a warning when outside it."""
    numpy = sys.modules["numpy"]
    is_integer = numpy.issubdtype(array.dtype, numpy.integer)
    if array.size:
        low, high = array.min(), array.max()
        if is_integer and (low < 0 or high > 255):
            raise InvalidValueError(
                "Integer pixel values out of acceptable range [0, 255]. "
                f"Found minimum value {low} and maximum value {high}. "
                "Ensure all pixel values are within the specified range."
            )
        if not is_integer and (low < 0 or high > 1):
            warnings.warn(
                "Float pixel values out of acceptable range [0.0, 1.0]. "
                f"Found minimum value {low} and maximum value {high}. "
                "Rescaling values to [0.0, 1.0] with min/max scaler.",
                stacklevel=4,
            )
            array = (array - low) / (high - low)
    if not is_integer:
        array = array * 255
    return array.astype(numpy.uint8)


def _array_image(array: Any) -> Any:
    pil = _pil("log_image of a numpy array")
    if array.dtype.kind not in _ARRAY_KINDS:
        raise InvalidArgumentError(
            f"Invalid array data type: '{array.dtype}'. "
            f"Must be one of {list(_ARRAY_KINDS.values())}"
        )
    if array.ndim not in (2, 3):
        raise InvalidValueError(
            f"`image` must be a 2D or 3D array but got image shape: {array.shape}"
        )
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4):
        raise InvalidValueError(
            f"Invalid channel length: {array.shape[2]}. Must be one of [1, 3, 4]"
        )
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]  # PIL takes a grayscale image as 2D only
    return pil.fromarray(_as_uint8(array))


def pil_image(image: Any) -> Any:
    """`image` (a PIL image or a numpy array) as a PIL image."""
    if _is_array(image):
        return _array_image(image)
    if _is_pil_image(image):
        return image
    _pil("log_image")
    raise InvalidArgumentError(
        f"Unsupported image object type: {type(image)}. "
        "`image` must be one of numpy.ndarray and PIL.Image.Image."
    )


def image_bytes(image: Any, artifact_file: str) -> bytes:
    """A PIL image encoded in the format `artifact_file`'s extension names."""
    pil = _pil("log_image")
    extension = os.path.splitext(artifact_file)[1].lower()
    image_format = pil.registered_extensions().get(extension)
    if image_format is None:
        raise InvalidValueError(
            f"cannot save an image as {artifact_file!r}: unknown file extension "
            f"{extension or '(none)'!r}; use an image extension such as .png, .jpg or .webp"
        )
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=image_format)
    except (OSError, ValueError) as error:  # e.g. an RGBA image as JPEG
        raise InvalidValueError(f"cannot save the image as {artifact_file!r}: {error}") from None
    return buffer.getvalue()


def thumbnail(image: Any) -> Any:
    """The image scaled to fit a THUMBNAIL_SIZE square, keeping its aspect ratio."""
    width, height = image.size
    if width > height:  # the ratio first, as MLflow rounds it
        size = (THUMBNAIL_SIZE, int(height * (THUMBNAIL_SIZE / width)))
    else:
        size = (int(width * (THUMBNAIL_SIZE / height)), THUMBNAIL_SIZE)
    return image.resize(size)


def check_image_arguments(
    artifact_file: str | None, key: str | None, step: int | None, timestamp: int | None
) -> None:
    """Exactly one of `artifact_file` (a single image) and `key` (an image series)."""
    if artifact_file is not None and (key, step, timestamp) != (None, None, None):
        raise InvalidArgumentError(
            "log_image takes either `artifact_file` (a single image) or `key` with optional "
            "`step` and `timestamp` (an image series), not both"
        )
    if artifact_file is None and key is None:
        raise InvalidArgumentError(
            "log_image needs exactly one of `artifact_file` (a single image) or `key` "
            "(an image series shown step by step)"
        )


def image_series_files(key: str, step: int, timestamp: int) -> tuple[str, str]:
    """The artifact paths of one image of a series and of its thumbnail."""
    if not _IMAGE_KEY.match(key):
        raise InvalidValueError(
            f"image key {key!r} has characters outside letters, digits, underscores (_), "
            "dashes (-), periods (.), spaces ( ) and slashes (/)"
        )
    stem = f"images/{key.replace('/', '~')}+step+{step}+timestamp+{timestamp}+{uuid.uuid4()}"
    return f"{stem}.png", f"{stem}+compressed.webp"


# --- figures ---------------------------------------------------------------------------


def figure_bytes(figure: Any, artifact_file: str, save_kwargs: Mapping[str, Any] | None) -> bytes:
    """A matplotlib figure (any format it writes, by extension) or a plotly figure (.html,
    or an image format plotly writes) as the file's content."""
    options = dict(save_kwargs or {})
    extension = os.path.splitext(artifact_file)[1].lower().lstrip(".")
    if hasattr(figure, "savefig"):
        options.setdefault("format", extension or None)  # None: matplotlib's default, png
        binary = io.BytesIO()
        figure.savefig(binary, **options)
        return binary.getvalue()
    if hasattr(figure, "write_html") and extension in ("html", "htm"):
        options.setdefault("include_plotlyjs", "cdn")
        options.setdefault("auto_open", False)
        text = io.StringIO()
        figure.write_html(text, **options)
        return text.getvalue().encode("utf-8")
    if hasattr(figure, "to_image") and extension in ("png", "jpeg", "jpg", "webp", "svg", "pdf"):
        data: bytes = figure.to_image(format=extension, **options)
        return data
    if hasattr(figure, "to_image"):
        raise InvalidValueError(
            f"a plotly figure cannot be saved as {artifact_file!r}: use .html, .png, .jpeg, "
            ".webp, .svg or .pdf"
        )
    raise InvalidArgumentError(
        f"log_figure takes a matplotlib or plotly figure, got {type(figure).__name__}"
    )


# --- tables ----------------------------------------------------------------------------


def _pandas(needed_for: str) -> Any:
    return required("pandas", "pandas", TABLE_EXTRA, needed_for)


def check_table_file(artifact_file: str) -> None:
    """A table's file: .json or .parquet, without characters MLflow's tag search needs."""
    for character in _TABLE_FILE_FORBIDDEN:
        if character in artifact_file:
            raise InvalidValueError(
                f"The artifact_file contains forbidden character: {character} "
                f"({artifact_file!r}; not allowed: {' '.join(_TABLE_FILE_FORBIDDEN)})"
            )
    if not artifact_file.endswith((".json", ".parquet")):
        raise InvalidValueError(
            f"Invalid artifact file path '{artifact_file}': a table's file name must end "
            "in .json or .parquet"
        )


def table_frame(data: Any) -> Any:
    """A dict of columns (or of single values: one row) or a DataFrame, as a DataFrame."""
    pd = _pandas("log_table")
    if isinstance(data, pd.DataFrame):
        return data.copy()
    if not isinstance(data, dict):
        raise InvalidArgumentError(
            f"log_table's data must be a pandas.DataFrame or a dictionary, got "
            f"{type(data).__name__}"
        )
    try:
        return pd.DataFrame(data)
    except ValueError:  # only scalars: one row
        return pd.DataFrame([data])


def _is_image_cell(value: object) -> bool:
    return all(callable(getattr(value, name, None)) for name in ("save", "resize")) and hasattr(
        value, "size"
    )


def save_image_columns(frame: Any, artifact_file: str, save: Callable[[bytes, str], None]) -> None:
    """Replace each column of images by references to image files saved with `save`."""
    table_name = os.path.splitext(artifact_file)[0]

    def saved(image: Any) -> dict[str, str]:
        stem = posixpath.join("table_images", table_name, str(uuid.uuid4()))
        save(image_bytes(image, f"{stem}.png"), f"{stem}.png")
        save(image_bytes(thumbnail(image), f"{stem}.webp"), f"{stem}.webp")
        return {"type": "image", "filepath": f"{stem}.png", "compressed_filepath": f"{stem}.webp"}

    for column in [c for c in frame.columns if frame[c].dtype == object]:
        images = [_is_image_cell(value) for value in frame[column]]
        if any(images) and not all(images):
            raise InvalidValueError(
                f"Column `{column}` contains a mix of images and non-images. "
                "Please ensure that all elements in the column are of the same type."
            )
        if images and all(images):
            frame[column] = frame[column].map(saved)


def read_table(content: bytes, artifact_file: str) -> Any:
    """A table file's content as a DataFrame."""
    pd = _pandas("reading a table")
    if artifact_file.endswith(".json"):
        return pd.read_json(io.StringIO(content.decode("utf-8")), orient="split")
    return pd.read_parquet(io.BytesIO(content))


def table_bytes(frame: Any, artifact_file: str) -> bytes:
    """The table file's content: "split" JSON without the index, or Parquet."""
    try:
        if artifact_file.endswith(".json"):
            text: str = frame.to_json(orient="split", index=False, date_format="iso")
            return text.encode("utf-8")
        binary = io.BytesIO()
        frame.to_parquet(binary, index=False)
        return binary.getvalue()
    except (TypeError, ValueError, OverflowError) as error:
        raise InvalidValueError(
            f"cannot save the table as {artifact_file!r}: its data is not serializable: {error}"
        ) from None


def appended_all(tables: list[Any]) -> Any:
    """The tables' rows one after the other, in one DataFrame."""
    pd = _pandas("log_table")
    return pd.concat(tables, ignore_index=True)


def logged_tables_tag(current: str | None, artifact_file: str) -> str | None:
    """The `mlflow.loggedArtifacts` tag's value with this table listed, or None when it is
    listed already."""
    entries: list[Any] = json.loads(current) if current else []
    entry = {"path": artifact_file, "type": "table"}
    if entry in entries:
        return None
    return json.dumps([*entries, entry])


def table_search_filter(artifact_file: str, run_ids: list[str] | None) -> str:
    """A search_runs filter for the runs whose tag lists this table."""
    listed = f'"path"%:%"{artifact_file}",%"type"%:%"table"'
    filter_string = f"tags.`{LOGGED_ARTIFACTS_TAG}` LIKE '%{listed}%'"
    if run_ids:
        filter_string += f" and attributes.run_id IN ({','.join(map(repr, run_ids))})"
    return filter_string
