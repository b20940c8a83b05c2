"""DataLoader with worker processes vs in the calling process, on a dataset whose ``__getitem__`` does real
work (a numpy image augmentation, and optionally ``--io-ms`` of waiting per sample, as a read from a slow disk
would): ``python -m benchmarks.dataloader_workers [--workers 2] [--n 512] [--passes 20] [--io-ms 0]``.

Prints seconds per epoch for ``num_workers=0`` and ``num_workers=N`` (best of ``--repeat`` epochs) and checks
that both give the same batches.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import autograd as A
from autograd.data import DataLoader, Dataset


class Augmented(Dataset):
    """A deterministic 64x64 image per index, blurred by repeated 3x3 box filters (CPU work in numpy)."""

    def __init__(self, n: int, passes: int, io_ms: float = 0.0) -> None:
        self.n = n
        self.passes = passes
        self.io_ms = io_ms

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        if self.io_ms:
            time.sleep(self.io_ms / 1000)
        img = np.random.default_rng(i).random((3, 64, 64))
        for _ in range(self.passes):
            p = np.pad(img, ((0, 0), (1, 1), (1, 1)), mode="edge")
            img = sum(p[:, a:a + 64, b:b + 64] for a in range(3) for b in range(3)) / 9.0
        return A.tensor(img.astype(np.float32)), i % 10


def epoch_seconds(loader: DataLoader, repeat: int) -> tuple[float, list]:
    best, batches = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        batches = [(x.numpy().sum(), y.tolist()) for x, y in loader]
        best = min(best, time.perf_counter() - t)
    return best, batches


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--passes", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--io-ms", type=float, default=0.0)
    args = ap.parse_args()
    ds = Augmented(args.n, args.passes, args.io_ms)
    t0, b0 = epoch_seconds(DataLoader(ds, batch_size=args.batch_size, shuffle=True, generator=0), args.repeat)
    loader = DataLoader(ds, batch_size=args.batch_size, shuffle=True, generator=0, num_workers=args.workers,
                        persistent_workers=True)
    tn, bn = epoch_seconds(loader, args.repeat)
    same = len(b0) == len(bn) and all(a[1] == b[1] and np.isclose(a[0], b[0]) for a, b in zip(b0, bn))
    print(f"num_workers=0: {t0:.3f} s/epoch; num_workers={args.workers}: {tn:.3f} s/epoch; "
          f"speed-up {t0 / tn:.2f}x; batch order {'equal' if same else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
