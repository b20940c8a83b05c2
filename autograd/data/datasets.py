"""Datasets to learn and test with: generated toy problems, scikit-learn's bundled digits, MNIST-format IDX.

Generators return ``(X, y)`` numpy arrays (float32 features; int64 labels or float32 targets); wrap them with
``TensorDataset(autograd.tensor(X), autograd.tensor(y))``. Nothing is downloaded, ever: IDX files are read from
a local path.
"""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np

from ..random import rng
from ..tensor import _make
from .dataset import Dataset


def make_moons(n_samples: int = 100, noise: float = 0.0, random_state=None, shuffle: bool = True,
               dtype=np.float32):
    """Two interleaving half circles (scikit-learn's construction): label 0 the upper, 1 the lower moon.

    ``dtype`` is the features' dtype (float64 gives scikit-learn's values exactly, as the scalar-engine demo uses).
    """
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.vstack([
        np.concatenate([np.cos(t_out), 1 - np.cos(t_in)]),
        np.concatenate([np.sin(t_out), 1 - np.sin(t_in) - 0.5]),
    ]).T
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    return _finish(X, y, noise, random_state, shuffle, dtype)


def make_circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.8, random_state=None,
                 shuffle: bool = True):
    """A small circle (label 1, radius ``factor``) inside a unit circle (label 0)."""
    if not 0 <= factor < 1:
        raise ValueError(f"'factor' has to be between 0 and 1, got {factor}")
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([
        np.concatenate([np.cos(t_out), factor * np.cos(t_in)]),
        np.concatenate([np.sin(t_out), factor * np.sin(t_in)]),
    ]).T
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    return _finish(X, y, noise, random_state, shuffle)


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, random_state=None):
    """``n_classes`` interleaved spiral arms (CS231n's spiral data), labels 0..n_classes-1."""
    g = rng(random_state)
    per = n_samples // n_classes
    X, y = [], []
    for c in range(n_classes):
        r = np.linspace(0.0, 1.0, per)
        t = np.linspace(c * 4, (c + 1) * 4, per) + g.standard_normal(per) * noise
        X.append(np.c_[r * np.sin(t), r * np.cos(t)])
        y.append(np.full(per, c, np.int64))
    return np.concatenate(X).astype(np.float32), np.concatenate(y)


def make_xor(n_samples: int = 200, noise: float = 0.1, random_state=None):
    """Points around the four corners of [-1, 1]^2; label = x0 > 0 XOR x1 > 0."""
    g = rng(random_state)
    corners = g.choice([-1.0, 1.0], size=(n_samples, 2))
    X = corners + g.standard_normal((n_samples, 2)) * noise
    y = ((corners[:, 0] > 0) ^ (corners[:, 1] > 0)).astype(np.int64)
    return X.astype(np.float32), y


def make_regression(n_samples: int = 1000, n_features: int = 8, noise: float = 0.1, random_state=None):
    """A synthetic nonlinear regression target over x ~ N(0, 1)^n_features (n_features >= 5):

    y = 2 x0 - 3 x1^2 + sin(pi x2) + x3 x4 + 0.5 sum(x5:) + noise N(0, noise^2)
    """
    if n_features < 5:
        raise ValueError(f"make_regression needs n_features >= 5, got {n_features}")
    g = rng(random_state)
    X = g.standard_normal((n_samples, n_features))
    y = 2 * X[:, 0] - 3 * X[:, 1] ** 2 + np.sin(np.pi * X[:, 2]) + X[:, 3] * X[:, 4] + 0.5 * X[:, 5:].sum(1)
    y = y + g.standard_normal(n_samples) * noise
    return X.astype(np.float32), y.astype(np.float32)


def _finish(X, y, noise, random_state, shuffle, dtype=np.float32):
    g = rng(random_state)
    if shuffle:
        perm = g.permutation(len(y))
        X, y = X[perm], y[perm]
    if noise:
        X = X + g.normal(scale=noise, size=X.shape)
    return X.astype(dtype), y


def load_digits(return_X_y: bool = True, scale: bool = True):
    """scikit-learn's bundled 8x8 digits (1797 samples, 10 classes); pixels scaled to [0, 1] by default.

    Needs scikit-learn (``pip install numbagrad[tools]``); the data ships inside it, nothing is downloaded.
    """
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as e:
        raise ImportError("load_digits needs scikit-learn: pip install scikit-learn") from e
    d = sk_load_digits()
    X = d.data.astype(np.float32) / (16.0 if scale else 1.0)
    y = d.target.astype(np.int64)
    return (X, y) if return_X_y else d


# ---- MNIST-format IDX files ----
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (MNIST's format; ``.gz`` compressed or not) into a numpy array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        header = f.read(4)
        if len(header) != 4 or header[0] != 0 or header[1] != 0:
            raise ValueError(f"{path}: not an IDX file (bad magic number {header!r})")
        code, ndim = header[2], header[3]
        if code not in _IDX_DTYPES:
            raise ValueError(f"{path}: unknown IDX data type code 0x{code:02x}")
        dims = struct.unpack(f">{ndim}I", f.read(4 * ndim))
        dtype = np.dtype(_IDX_DTYPES[code])
        data = f.read()
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"{path}: expected {expected} bytes of data for shape {dims}, found {len(data)}")
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (uint8, int8, int16, int32, float32 or float64)."""
    array = np.asarray(array)
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
             np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}
    if array.dtype not in codes:
        raise TypeError(f"write_idx: unsupported dtype {array.dtype}")
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(bytes([0, 0, codes[array.dtype], array.ndim]))
        f.write(struct.pack(f">{array.ndim}I", *array.shape))
        f.write(array.astype(array.dtype.newbyteorder(">")).tobytes())


class MNIST(Dataset):
    """MNIST (or Fashion-MNIST) from IDX files already on disk under ``root``.

    Looks for ``{train,t10k}-images-idx3-ubyte[.gz]`` and ``...-labels-idx1-ubyte[.gz]``. Samples are
    ``(image, label)``: a float32 (1, 28, 28) Tensor in [0, 1] (or ``transform(image)``) and an int label.
    """

    def __init__(self, root: str, train: bool = True, transform=None, target_transform=None) -> None:
        prefix = "train" if train else "t10k"
        self.images = read_idx(self._find(root, f"{prefix}-images-idx3-ubyte"))
        self.labels = read_idx(self._find(root, f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
        if len(self.images) != len(self.labels):
            raise ValueError(f"MNIST: {len(self.images)} images but {len(self.labels)} labels under {root}")
        self.transform = transform
        self.target_transform = target_transform

    @staticmethod
    def _find(root: str, stem: str) -> str:
        for name in (stem, stem + ".gz", stem.replace("-idx", ".idx")):
            path = os.path.join(root, name)
            if os.path.exists(path):
                return path
        raise FileNotFoundError(f"MNIST: {stem}[.gz] not found under {root} (nothing is downloaded)")

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        img = _make((self.images[index].astype(np.float32) / 255.0)[None])
        if self.transform is not None:
            img = self.transform(img)
        label = int(self.labels[index])
        if self.target_transform is not None:
            label = self.target_transform(label)
        return img, label
