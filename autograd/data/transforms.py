"""Data augmentation for image arrays of shape (C, H, W) or (H, W), as numpy arrays or Tensors.

Each transform is a callable object; random ones take ``generator=`` (int seed, numpy Generator or
``autograd.Generator``) so a pipeline is repeatable under a seed. The output has the input's type.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..random import rng
from ..tensor import Tensor, _make


def _unwrap(img):
    if isinstance(img, Tensor):
        return img._data, True
    return np.asarray(img), False


def _wrap(arr, was_tensor):
    return _make(np.ascontiguousarray(arr)) if was_tensor else arr


def _own_rng(generator):
    return np.random.default_rng(generator) if isinstance(generator, (int, np.integer)) else generator


class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms) -> None:
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return "Compose(\n" + "".join(f"    {t!r}\n" for t in self.transforms) + ")"


class ToTensor:
    """A (H, W, C) uint8 image in [0, 255] -> a float32 (C, H, W) Tensor in [0, 1]; (H, W) -> (1, H, W)."""

    def __call__(self, img):
        arr = np.asarray(img._data if isinstance(img, Tensor) else img)
        if arr.ndim == 2:
            arr = arr[None]
        elif arr.ndim == 3:
            arr = arr.transpose(2, 0, 1)
        else:
            raise ValueError(f"ToTensor expects an (H, W) or (H, W, C) image, got shape {arr.shape}")
        out = arr.astype(np.float32)
        if arr.dtype == np.uint8:
            out /= 255.0
        return _make(np.ascontiguousarray(out))


class Normalize:
    """(x - mean[c]) / std[c] per channel of a (C, H, W) image."""

    def __init__(self, mean, std) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)
        if (self.std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to float, leading to division by zero: {std}")

    def __call__(self, img):
        arr, was = _unwrap(img)
        if arr.ndim < 3 and self.mean.size > 1:
            raise ValueError(f"Normalize with {self.mean.size} channels expects a (C, H, W) image, got {arr.shape}")
        shape = (-1,) + (1,) * (arr.ndim - 1) if arr.ndim >= 3 else ()
        dtype = arr.dtype if arr.dtype.kind == "f" else np.float32
        out = ((arr - self.mean.reshape(shape)) / self.std.reshape(shape)).astype(dtype)
        return _wrap(out, was)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class RandomHorizontalFlip:
    """Flip the last (width) axis with probability ``p``."""

    def __init__(self, p: float = 0.5, generator=None) -> None:
        self.p = p
        self.generator = _own_rng(generator)

    def __call__(self, img):
        arr, was = _unwrap(img)
        if rng(self.generator).random() < self.p:
            arr = arr[..., ::-1]
        return _wrap(arr, was)


class RandomVerticalFlip(RandomHorizontalFlip):
    """Flip the height axis with probability ``p``."""

    def __call__(self, img):
        arr, was = _unwrap(img)
        if rng(self.generator).random() < self.p:
            arr = arr[..., ::-1, :]
        return _wrap(arr, was)


class RandomCrop:
    """Zero-pad by ``padding`` (int or (left/right, top/bottom)) then crop a random ``size`` window."""

    def __init__(self, size, padding=None, fill: float = 0, generator=None) -> None:
        self.size = (size, size) if isinstance(size, numbers.Integral) else tuple(size)
        self.padding = padding
        self.fill = fill
        self.generator = _own_rng(generator)

    def __call__(self, img):
        arr, was = _unwrap(img)
        if self.padding:
            p = self.padding
            pw, ph = (p, p) if isinstance(p, numbers.Integral) else (p[0], p[1])
            pads = [(0, 0)] * (arr.ndim - 2) + [(ph, ph), (pw, pw)]
            arr = np.pad(arr, pads, constant_values=self.fill)
        h, w = arr.shape[-2:]
        th, tw = self.size
        if th > h or tw > w:
            raise ValueError(f"RandomCrop: required crop size {self.size} is larger than the input image size {(h, w)}")
        g = rng(self.generator)
        i = int(g.integers(0, h - th + 1))
        j = int(g.integers(0, w - tw + 1))
        return _wrap(arr[..., i: i + th, j: j + tw], was)


class RandomRotation:
    """Rotate by an angle drawn from ``degrees`` (a number d means [-d, d]), bilinear, filling with ``fill``."""

    def __init__(self, degrees, fill: float = 0.0, generator=None) -> None:
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError("If degrees is a single number, it must be positive.")
            degrees = (-degrees, degrees)
        self.degrees = tuple(float(d) for d in degrees)
        self.fill = fill
        self.generator = _own_rng(generator)

    def __call__(self, img):
        arr, was = _unwrap(img)
        angle = np.deg2rad(rng(self.generator).uniform(*self.degrees))
        return _wrap(rotate(arr, angle, self.fill), was)


def rotate(arr: np.ndarray, angle: float, fill: float = 0.0) -> np.ndarray:
    """Rotate the last two axes of ``arr`` by ``angle`` radians (counter-clockwise) about the centre."""
    h, w = arr.shape[-2:]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    cos, sin = np.cos(angle), np.sin(angle)
    # inverse mapping: where in the source each output pixel comes from
    sx = cos * (xx - cx) - sin * (yy - cy) + cx
    sy = sin * (xx - cx) + cos * (yy - cy) + cy
    x0, y0 = np.floor(sx).astype(int), np.floor(sy).astype(int)
    fx, fy = sx - x0, sy - y0
    out = np.zeros(arr.shape, dtype=np.float64)
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            yi, xi = y0 + dy, x0 + dx
            inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
            vals = np.where(inside, arr[..., np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)], fill)
            out += wy * wx * vals
    return out.astype(arr.dtype if arr.dtype.kind == "f" else np.float32)


class GaussianNoise:
    """Add N(mean, std^2) noise elementwise."""

    def __init__(self, mean: float = 0.0, std: float = 0.1, generator=None) -> None:
        self.mean, self.std = mean, std
        self.generator = _own_rng(generator)

    def __call__(self, img):
        arr, was = _unwrap(img)
        noise = rng(self.generator).normal(self.mean, self.std, arr.shape)
        dtype = arr.dtype if arr.dtype.kind == "f" else np.float32
        return _wrap((arr + noise).astype(dtype), was)


class Lambda:
    """Wrap a function as a transform."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def __call__(self, img):
        return self.fn(img)
