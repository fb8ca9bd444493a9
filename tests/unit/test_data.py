"""The offline data loaders: checksums, shapes, labels, the restricted unpickler."""
import gzip
import os
import pickle

import numpy as np
import pytest

from helpers import data


def test_mnist_train_shapes_scale_and_label_counts():
    X, y = data.load_mnist("train")
    assert X.shape == (60000, 784) and X.dtype == np.float64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_mnist_test_unflattened_float32():
    X, y = data.load_mnist("test", flatten=False, dtype=np.float32)
    assert X.shape == (10000, 28, 28) and X.dtype == np.float32
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_loaders_do_not_share_mutable_state():
    X1, _ = data.load_mnist("test")
    X1[0, 0] = 123.0
    X2, _ = data.load_mnist("test")
    assert X2[0, 0] == 0.0


def test_binary_split_is_3_vs_9_with_label_1_for_nine():
    X, y = data.load_mnist_binary("test")
    _, digits = data.load_mnist("test")
    assert len(y) == np.sum(digits == 3) + np.sum(digits == 9) == 2019
    assert np.sum(y == 1) == 1009 and np.sum(y == 0) == 1010
    assert X.shape == (2019, 784)


def test_digits_standardized():
    X, y = data.load_digits(standardize=True)
    assert X.shape == (1797, 64) and y.shape == (1797,)
    nonconstant = X.std(axis=0) > 0
    assert np.allclose(X.mean(axis=0), 0, atol=1e-12)
    assert np.allclose(X.std(axis=0)[nonconstant], 1)


def test_bad_split_names_the_choices():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.load_mnist("validation")


@pytest.fixture
def fake_mnist_dir(tmp_path, monkeypatch):
    """A copy of the MNIST folder that a test may damage."""
    for name in data.MNIST_FILES:
        os.symlink(data.MNIST_DIR / name, tmp_path / name)
    monkeypatch.setattr(data, "MNIST_DIR", tmp_path)
    data.verify_mnist_file.cache_clear()
    yield tmp_path
    data.verify_mnist_file.cache_clear()


def test_missing_file_is_named_with_a_fix(fake_mnist_dir):
    (fake_mnist_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(data.DataError, match="t10k-labels-idx1-ubyte.gz.*git checkout"):
        data.verify_mnist_file("t10k-labels-idx1-ubyte.gz")


def test_corrupt_file_is_named_with_its_checksum(fake_mnist_dir):
    path = fake_mnist_dir / "t10k-labels-idx1-ubyte.gz"
    path.unlink()
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + b"\x00" * 20))
    with pytest.raises(data.DataError, match="corrupt: MD5 .* expected 27ae3e4e"):
        data.verify_mnist_file("t10k-labels-idx1-ubyte.gz")


def test_not_gzip_is_reported(fake_mnist_dir):
    path = fake_mnist_dir / "t10k-labels-idx1-ubyte.gz"
    path.unlink()
    path.write_bytes(b"this is not gzip")
    with pytest.raises(data.DataError, match="not a readable gzip"):
        data.verify_mnist_file("t10k-labels-idx1-ubyte.gz")


def test_batch_roundtrip(tmp_path):
    batch = (np.arange(6.0).reshape(2, 3), np.array([0, 1]), [np.ones((3, 1))], {"b": np.zeros(1)}, 0.5)
    data.save_batch(tmp_path / "b.pkl", batch)
    loaded = data.load_batch(tmp_path / "b.pkl")
    assert np.array_equal(loaded[0], batch[0]) and loaded[2][0].shape == (3, 1) and loaded[4] == 0.5


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch /tmp/course-pwned",))


def test_tampered_pickle_cannot_run_code(tmp_path):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps((np.zeros(2), _Exploit())))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load .*system"):
        data.load_batch(path)
    assert not os.path.exists("/tmp/course-pwned")


def test_missing_batch_says_how_to_restore(tmp_path):
    with pytest.raises(data.DataError, match="test batch missing"):
        data.load_batch(tmp_path / "nope.pkl")


def test_digits_are_scikit_learns():
    """load_digits reads scikit-learn's CSV itself (no sklearn import): the same values as sklearn's loader."""
    from sklearn.datasets import load_digits

    X, y = data.load_digits()
    ref = load_digits()
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert np.array_equal(X, ref.data) and np.array_equal(y, ref.target)
    X[0, 0] = 99.0                              # a copy: the cached table is untouched
    assert data.load_digits()[0][0, 0] == ref.data[0, 0]


def test_mnist_idx_parse_matches_the_bytes():
    """The IDX reader gives the header's shape and the bytes after it."""
    raw = gzip.decompress((data.MNIST_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    labels = data._idx(raw)
    assert labels.shape == (10000,) and bytes(labels[:5]) == raw[8:13]
    with pytest.raises(data.DataError, match="not an IDX file"):
        data._idx(b"\x00\x00\x0d\x01" + b"\x00" * 8)
