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


@lru_cache(maxsize=None)
def verify_mnist_file(name: str) -> Path:
    """Check that one MNIST file exists and that its uncompressed MD5 is the published one.

    Verified once per process; raises :class:`DataError` naming the file otherwise.
    """
    if name not in MNIST_FILES:
        raise ValueError(f"{name!r} is not an MNIST file; expected one of {sorted(MNIST_FILES)}")
    path = MNIST_DIR / name
    if not path.is_file():
        raise DataError(f"MNIST file missing: {path}. {_restore_hint(path)}")
    try:
        with gzip.open(path, "rb") as fh:
            digest = hashlib.md5(fh.read()).hexdigest()
    except (OSError, EOFError) as exc:
        raise DataError(f"MNIST file {path} is not a readable gzip file ({exc}). {_restore_hint(path)}") from exc
    if digest != MNIST_FILES[name]:
        raise DataError(f"MNIST file {path} is corrupt: MD5 {digest}, expected {MNIST_FILES[name]}. "
                        f"{_restore_hint(path)}")
    return path


def _mnist_module():
    """The `mnist` package, pointed at the course's copy so that it never downloads."""
    import mnist

    mnist.temporary_dir = lambda: str(MNIST_DIR)
    mnist.datasets_url = "file:///nonexistent/mnist-downloads-are-disabled/"
    return mnist


@lru_cache(maxsize=None)
def _raw_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (N, 28, 28) and labels (N,) of 'train' or 't10k', read through `mnist`."""
    for kind in ("images-idx3", "labels-idx1"):
        verify_mnist_file(f"{split}-{kind}-ubyte.gz")
    mnist = _mnist_module()
    if split == "train":
        images, labels = mnist.train_images(), mnist.train_labels()
    else:
        images, labels = mnist.test_images(), mnist.test_labels()
    images.setflags(write=False)
    labels.setflags(write=False)
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
    X, digits = load_mnist(split, flatten=flatten, dtype=dtype)
    keep = (digits == negative) | (digits == positive)
    return X[keep], (digits[keep] == positive).astype(np.int64)


def load_digits(standardize: bool = False):
    """scikit-learn's bundled 8x8 digits (1,797 images, no download).

    Returns
    -------
    X : ndarray, (1797, 64), pixel values in [0, 16] (or standardised per feature)
    y : ndarray of int64, (1797,), digits 0-9
    """
    from sklearn.datasets import load_digits as _sk_load_digits

    bunch = _sk_load_digits()
    X = bunch.data.astype(np.float64)
    if standardize:
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return X, bunch.target.astype(np.int64)


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
