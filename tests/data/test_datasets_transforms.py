"""Toy generators, IDX reading, digits, and transforms' shapes and determinism."""

import numpy as np
import pytest

import autograd as A
from autograd.data import datasets
from autograd.data import transforms as T


def test_moons_match_scikit_learn_without_noise():
    sk = pytest.importorskip("sklearn.datasets")
    X, y = datasets.make_moons(100, shuffle=False)
    Xs, ys = sk.make_moons(100, shuffle=False)
    np.testing.assert_allclose(X, Xs, atol=1e-6)
    np.testing.assert_array_equal(y, ys)
    X, y = datasets.make_circles(50, factor=0.5, shuffle=False)
    Xs, ys = sk.make_circles(50, factor=0.5, shuffle=False)
    np.testing.assert_allclose(X, Xs, atol=1e-6)
    np.testing.assert_array_equal(y, ys)


def test_generators_are_seeded_and_shaped():
    for make in (datasets.make_moons, datasets.make_circles, datasets.make_xor):
        X1, y1 = make(60, noise=0.1, random_state=0)
        X2, y2 = make(60, noise=0.1, random_state=0)
        np.testing.assert_array_equal(X1, X2)
        assert X1.shape == (60, 2) and X1.dtype == np.float32 and set(np.unique(y1)) == {0, 1}
    X, y = datasets.make_spirals(300, n_classes=3, random_state=0)
    assert X.shape == (300, 2) and set(np.unique(y)) == {0, 1, 2}
    X, y = datasets.make_regression(200, n_features=6, noise=0.0, random_state=0)
    expect = 2 * X[:, 0] - 3 * X[:, 1] ** 2 + np.sin(np.pi * X[:, 2]) + X[:, 3] * X[:, 4] + 0.5 * X[:, 5]
    np.testing.assert_allclose(y, expect, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="n_features"):
        datasets.make_regression(10, n_features=3)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_roundtrip_and_mnist_reader(tmp_path, suffix):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    datasets.write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", images)
    datasets.write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", labels)
    np.testing.assert_array_equal(datasets.read_idx(str(tmp_path / f"train-images-idx3-ubyte{suffix}")), images)
    ds = datasets.MNIST(str(tmp_path), train=True)
    img, label = ds[2]
    assert len(ds) == 5 and img.shape == (1, 28, 28) and img.dtype == A.float32 and label == 4
    np.testing.assert_allclose(img.numpy()[0], images[2] / 255.0, rtol=1e-6)
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        datasets.MNIST(str(tmp_path), train=False)


def test_idx_reader_rejects_bad_files(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x05abc")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.read_idx(str(p))
    p.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05abc")
    with pytest.raises(ValueError, match="expected 5 bytes"):
        datasets.read_idx(str(p))
    for dtype in (np.int16, np.int32, np.float32, np.float64):
        arr = np.arange(6, dtype=dtype).reshape(2, 3)
        datasets.write_idx(str(tmp_path / "x"), arr)
        np.testing.assert_array_equal(datasets.read_idx(str(tmp_path / "x")), arr)


def test_load_digits():
    pytest.importorskip("sklearn")
    X, y = datasets.load_digits()
    assert X.shape == (1797, 64) and X.max() == 1.0 and y.max() == 9


def test_transforms_shapes_and_determinism():
    img = np.random.default_rng(0).random((3, 32, 32)).astype(np.float32)
    pipe = lambda seed: T.Compose([  # noqa: E731
        T.RandomCrop(32, padding=4, generator=seed),
        T.RandomHorizontalFlip(generator=seed),
        T.RandomRotation(10, generator=seed),
        T.GaussianNoise(std=0.05, generator=seed),
        T.Normalize([0.5, 0.5, 0.5], [0.2, 0.2, 0.2]),
    ])
    a, b = pipe(7), pipe(7)
    out1 = [a(img) for _ in range(3)]
    out2 = [b(img) for _ in range(3)]
    for x, y in zip(out1, out2):
        assert x.shape == (3, 32, 32) and x.dtype == np.float32
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(out1[0], out1[1])
    t = pipe(7)(A.tensor(img))
    assert isinstance(t, A.Tensor) and t.shape == (3, 32, 32)


def test_transform_semantics():
    img = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(img), img[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(img), img)
    np.testing.assert_array_equal(T.RandomCrop((3, 4))(img), img)
    np.testing.assert_allclose(T.RandomRotation((0, 0))(img), img, atol=1e-5)
    r90 = T.rotate(np.eye(3, dtype=np.float32)[None], np.pi / 2)
    np.testing.assert_allclose(r90[0], np.eye(3)[:, ::-1], atol=1e-5)
    np.testing.assert_allclose(T.Normalize([1.0], [2.0])(img), (img - 1) / 2)
    u8 = np.full((2, 2, 3), 255, dtype=np.uint8)
    t = T.ToTensor()(u8)
    assert t.shape == (3, 2, 2) and t.numpy().max() == 1.0
    with pytest.raises(ValueError, match="larger than the input"):
        T.RandomCrop(5)(img)
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize([0.0], [0.0])
