"""The course's data loaders: MNIST (offline, checksummed), its 3-vs-9 split,
scikit-learn's digits, and a safe loader for the pickled test batches.

Everything is batch first: images are ``(N, 784)`` (or ``(N, 28, 28)``) float arrays
scaled to [0, 1], labels are ``(N,)`` integer arrays.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import pickle
from functools import lru_cache
from pathlib import Path

import numpy as np

from .paths import MNIST_DIR

# MD5 of the *uncompressed* IDX files, as published with MNIST.
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}


class DataError(RuntimeError):
    """A data file is missing or corrupt; the message says which and how to restore it."""


def _restore_hint(path: Path) -> str:
    return (f"Restore it with `git checkout -- {path.relative_to(MNIST_DIR.parent.parent.parent)}` "
            f"(the course ships the four original MNIST files in {MNIST_DIR}).")


def _read_verified(name: str) -> bytes:
    """The uncompressed bytes of one MNIST file, after checking that its MD5 is the published one."""
    if name not in MNIST_FILES:
        raise ValueError(f"{name!r} is not an MNIST file; expected one of {sorted(MNIST_FILES)}")
    path = MNIST_DIR / name
    if not path.is_file():
        raise DataError(f"MNIST file missing: {path}. {_restore_hint(path)}")
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"MNIST file {path} is not a readable gzip file ({exc}). {_restore_hint(path)}") from exc
    digest = hashlib.md5(raw).hexdigest()
    if digest != MNIST_FILES[name]:
        raise DataError(f"MNIST file {path} is corrupt: MD5 {digest}, expected {MNIST_FILES[name]}. "
                        f"{_restore_hint(path)}")
    return raw


@lru_cache(maxsize=None)
def verify_mnist_file(name: str) -> Path:
    """Check that one MNIST file exists and that its uncompressed MD5 is the published one.

    Verified once per process; raises :class:`DataError` naming the file otherwise.
    """
    _read_verified(name)
    return MNIST_DIR / name


def _idx(raw: bytes) -> np.ndarray:
    """An IDX array of unsigned bytes (the format of the MNIST files): a 4-byte magic number whose
    last byte is the number of dimensions, one big-endian uint32 per dimension, then the data."""
    if raw[:3] != b"\x00\x00\x08":
        raise DataError(f"not an IDX file of unsigned bytes (magic {raw[:4].hex()})")
    ndim = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


@lru_cache(maxsize=None)
def _raw_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (N, 28, 28) and labels (N,) of 'train' or 't10k', read-only (views of bytes):
    each file is decompressed once, checked against its published MD5, and parsed."""
    images, labels = (_idx(_read_verified(f"{split}-{kind}-ubyte.gz")) for kind in ("images-idx3", "labels-idx1"))
    if len(images) != len(labels):
        raise DataError(f"MNIST {split}: {len(images)} images but {len(labels)} labels")
    return images, labels


def load_mnist(split: str = "train", flatten: bool = True, dtype=np.float64):
    """MNIST images scaled to [0, 1] and their labels.

    Parameters
    ----------
    split : {'train', 'test'}
    flatten : bool
        True gives images of shape (N, 784), False (N, 28, 28).
    dtype : float dtype of the images (float64 by default, float32 for speed).

    Returns
    -------
    X : ndarray, (N, 784) or (N, 28, 28), values in [0, 1]
    y : ndarray of int64, (N,), digits 0-9
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images, labels = _raw_mnist("train" if split == "train" else "t10k")
    X = images.astype(dtype) / 255.0
    if flatten:
        X = X.reshape(len(X), -1)
    return X, labels.astype(np.int64)


def load_mnist_binary(split: str = "train", negative: int = 3, positive: int = 9, flatten: bool = True,
                      dtype=np.float64):
    """The binary MNIST task of notebook 04: only digits 3 and 9, label 1 for a 9 and 0 for a 3.

    Returns
    -------
    X : ndarray, (N, 784) in [0, 1]
    y : ndarray of int64, (N,), 0 (a `negative` digit) or 1 (a `positive` digit)
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images, digits = _raw_mnist("train" if split == "train" else "t10k")
    keep = (digits == negative) | (digits == positive)       # select first: scale 12k images, not 60k
    X = images[keep].astype(dtype) / 255.0
    if flatten:
        X = X.reshape(len(X), -1)
    return X, (digits[keep] == positive).astype(np.int64)


def load_digits(standardize: bool = False):
    """scikit-learn's bundled 8x8 digits (1,797 images, no download).

    Returns
    -------
    X : ndarray, (1797, 64), pixel values in [0, 16] (or standardised per feature)
    y : ndarray of int64, (1797,), digits 0-9
    """
    pixels, digits = _raw_digits()
    X = pixels.astype(np.float64)
    if standardize:
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return X, digits.astype(np.int64)


# MD5 of scikit-learn's digits.csv.gz, uncompressed (1,797 rows: 64 pixels and the digit).
DIGITS_MD5 = "a0339c30a8a5312a1b6f9e5c719dcce5"


@lru_cache(maxsize=None)
def _raw_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits, read once per process: pixels (1797, 64) and digits (1797,), read-only.

    Read from the CSV file scikit-learn ships (checked against its MD5), without importing
    scikit-learn itself (over a second of start-up); the values are those of
    ``sklearn.datasets.load_digits()`` (tests/unit/test_data.py compares them).
    """
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("scikit-learn is not installed: the 8x8 digits ship with it. "
                        "Install the course's requirements (`pip install -r requirements.txt`).")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read scikit-learn's digits at {path} ({exc}); reinstall scikit-learn") from exc
    if (digest := hashlib.md5(raw).hexdigest()) != DIGITS_MD5:
        raise DataError(f"scikit-learn's digits at {path} are not the expected ones: MD5 {digest}, expected "
                        f"{DIGITS_MD5}; install the scikit-learn version of requirements.txt")
    table = np.loadtxt(io.BytesIO(raw), delimiter=",")
    pixels, digits = table[:, :-1], table[:, -1].astype(np.int64)
    for a in (pixels, digits):
        a.setflags(write=False)
    return pixels, digits


PRELOADS = {"load_mnist": lambda: (_raw_mnist("train"), _raw_mnist("t10k")), "load_digits": _raw_digits}


def preload(loaders) -> None:
    """Read the data sets behind the named loaders (keys of PRELOADS) into this process's caches.

    A warm grading sandbox (helpers.grader.zygote) calls this before any student code runs, so that
    each kernel it forks starts with the data in memory (its own copy: a fork's memory is its own).
    The loaders hand out new arrays on every call; the cached ones are read-only.
    """
    for name in loaders:
        PRELOADS[name]()


# ----------------------------------------------------------------------------- pickles

class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and plain containers only; any other global is refused.

    A pickle can name any importable callable (os.system, ...) and the standard
    unpickler calls it. The course's test batches only ever need these few.
    """

    ALLOWED = {
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
        ("builtins", "list"), ("builtins", "tuple"), ("builtins", "dict"), ("builtins", "set"),
        ("builtins", "frozenset"), ("builtins", "bytearray"), ("collections", "OrderedDict"),
        ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        if module.startswith("numpy") and name.startswith("dtype"):  # numpy 2 dtype classes, e.g. dtypes.Float64DType
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: course batches contain only numpy arrays and plain "
            f"containers. This file was not made by the course (or was tampered with); restore it from git.")


def load_batch(path):
    """Load a course test-batch pickle safely (numpy arrays, numbers, lists, tuples, dicts only)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"test batch missing: {path}. Restore it with `git checkout -- {path.name}` "
                        f"in the assignment folder, or copy it again from release/.")
    with open(path, "rb") as fh:
        return _RestrictedUnpickler(fh).load()


def loads_batch(data: bytes):
    """Like :func:`load_batch`, from bytes."""
    return _RestrictedUnpickler(io.BytesIO(data)).load()


def save_batch(path, obj) -> None:
    """Write a test batch (protocol 4, readable by :func:`load_batch`)."""
    with open(path, "wb") as fh:
        pickle.dump(obj, fh, protocol=4)
