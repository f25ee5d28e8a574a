"""Opening HDF5 files that may be hostile or damaged, without letting them read the disk.

HDF5 can point outside the file: external links (``file.h5:/path``), external raw storage
(a dataset whose bytes live in another file) and virtual datasets (assembled from other
files). A crafted model file could make rnntool read ``/etc/passwd`` into its history or
any file's bytes as weights. rnntool never writes any of these, nor soft links (whose loops
would recurse forever), nor a group linked twice (a cycle of hard links), so
:func:`open_checked` refuses a file that holds one, before any data is read. It also bounds
what a file may declare: a dataset larger than :data:`MAX_EXPANSION` times the file's own
size is refused instead of allocating gigabytes for a 20 KB file (rnntool stores datasets
uncompressed, so a genuine file never declares more than it holds; a compressed dataset may
declare up to deflate's limit, about 1000 times). Only metadata is inspected; data is read
afterwards, and only where asked.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import h5py
import numpy as np

from rnntool.errors import CorruptFileError

#: A dataset may declare at most this many times the file's size (plus :data:`SLACK_BYTES`).
MAX_EXPANSION = 64
#: The same for compressed (filtered) datasets: deflate cannot exceed about 1032:1.
MAX_COMPRESSED_EXPANSION = 1100
SLACK_BYTES = 1 << 20
#: Nesting deeper than this is not a file rnntool wrote.
MAX_DEPTH = 32
#: Dataset element kinds rnntool writes: bool, integers, floats, complex, strings.
ALLOWED_KINDS = set("biufcSO")


@contextmanager
def open_checked(path: str | os.PathLike, expected_format: str | None = None,
                 what: str = "rnntool") -> Iterator[h5py.File]:
    """Open ``path`` read-only after checking it holds nothing that reads other files.

    Raises :class:`CorruptFileError` (one line) for a missing, unreadable or unsafe file,
    or one whose ``format`` attribute is not ``expected_format``.
    """
    path = Path(path)
    if not path.is_file():
        raise CorruptFileError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise CorruptFileError(f"{path}: not a readable HDF5 file (truncated or corrupt?)") from None
    try:
        if expected_format is not None and text_attr(f, "format") != expected_format:
            raise CorruptFileError(f"{path}: not an {what} file")
        check_tree(f, path)
        yield f
    except READ_ERRORS as err:
        if _is_write_error(err):
            raise
        raise CorruptFileError(f"{path}: damaged file ({_first_line(err)})") from None
    finally:
        f.close()


#: What h5py raises on damaged contents (a flipped byte can surface anywhere while reading).
READ_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError, AttributeError,
               IndexError, UnicodeDecodeError)


def _is_write_error(err: BaseException) -> bool:
    """Failures of the machine (a full disk while writing a copy), not of the file read."""
    return isinstance(err, OSError) and (err.errno is not None or "write" in str(err).lower())


def check_tree(f: h5py.File, path: Path) -> None:
    """Refuse links, external storage, virtual datasets, odd types and oversized datasets."""
    size = os.path.getsize(path)
    budget = (MAX_EXPANSION * size + SLACK_BYTES, MAX_COMPRESSED_EXPANSION * size + SLACK_BYTES)
    seen = {h5py.h5o.get_info(f.id).addr}
    stack: list[tuple[h5py.Group, int]] = [(f, 0)]
    try:
        while stack:
            group, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise CorruptFileError(f"{path}: groups nested deeper than {MAX_DEPTH}")
            for name in group:
                link = group.get(name, getlink=True)
                where = f"{group.name.rstrip('/')}/{name}"
                if isinstance(link, h5py.ExternalLink):
                    raise CorruptFileError(f"{path}: {where} is an external link to "
                                           f"{link.filename}; refused (rnntool files never "
                                           "point to other files)")
                if isinstance(link, h5py.SoftLink):
                    raise CorruptFileError(f"{path}: {where} is a soft link to {link.path}; "
                                           "refused (rnntool files hold no links)")
                obj = group.get(name)
                address = h5py.h5o.get_info(obj.id).addr
                if address in seen and isinstance(obj, h5py.Group):
                    raise CorruptFileError(f"{path}: group {where} is linked twice (a cycle?); "
                                           "refused (rnntool files are trees)")
                if address in seen:
                    continue
                seen.add(address)
                if isinstance(obj, h5py.Group):
                    stack.append((obj, depth + 1))
                elif isinstance(obj, h5py.Dataset):
                    _check_dataset(obj, where, path, budget)
                else:
                    raise CorruptFileError(f"{path}: {where} is not a group or dataset")
    except (KeyError, OSError, RuntimeError, ValueError, TypeError) as err:
        raise CorruptFileError(f"{path}: unreadable HDF5 structure ({_first_line(err)})") from None


def _check_dataset(ds: h5py.Dataset, where: str, path: Path, budget: tuple[int, int]) -> None:
    if ds.is_virtual:
        raise CorruptFileError(f"{path}: {where} is a virtual dataset; refused (rnntool "
                               "files never read other files)")
    if ds.external:
        raise CorruptFileError(f"{path}: {where} keeps its data in an external file "
                               f"({ds.external[0][0]!s}); refused")
    kind = ds.dtype.kind
    if kind not in ALLOWED_KINDS or (kind == "O" and not h5py.check_string_dtype(ds.dtype)):
        raise CorruptFileError(f"{path}: {where} has an unsupported data type {ds.dtype}")
    declared = int(np.prod(ds.shape, dtype=np.float64)) * max(ds.dtype.itemsize, 1)
    if declared > budget[1 if ds.compression else 0]:
        raise CorruptFileError(f"{path}: {where} declares {ds.shape} ({declared / 1e9:.3g} GB), "
                               "far more than the file holds; refused")


def text_attr(obj: h5py.HLObject, key: str) -> str | None:
    """A string attribute, or None when it is missing or not a string."""
    value = obj.attrs.get(key)
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def int_attr(obj: h5py.HLObject, key: str, path: Path) -> int:
    """An integer scalar attribute; anything else is a damaged file."""
    value = obj.attrs.get(key)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise CorruptFileError(f"{path}: attribute {key!r} must be an integer, got "
                               f"{_describe(value)}")
    return int(value)


def read_array(ds: Any, where: str, path: Path, shape: tuple[int, ...] | None = None,
               kinds: str = "f") -> np.ndarray:
    """Read one dataset after checking its type and shape; floats must be finite."""
    if not isinstance(ds, h5py.Dataset):
        raise CorruptFileError(f"{path}: {where} is missing or not a dataset")
    if ds.dtype.kind not in kinds:
        raise CorruptFileError(f"{path}: {where} has data type {ds.dtype}, expected "
                               f"{'floating point' if kinds == 'f' else kinds}")
    if shape is not None and tuple(ds.shape) != tuple(shape):
        raise CorruptFileError(f"{path}: {where} has shape {tuple(ds.shape)}, but the stored "
                               f"configuration needs {tuple(shape)}")
    data = ds[()]
    if data.dtype.kind in "fc" and not np.all(np.isfinite(data)):
        raise CorruptFileError(f"{path}: {where} holds NaN or infinite values")
    return data


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"{type(value).__name__} {value!r}"[:80]


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
