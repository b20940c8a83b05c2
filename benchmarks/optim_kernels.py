"""Adam step on 10 parameters x 100,000 float32: fused Numba kernel vs numpy vs PyTorch.

    python benchmarks/optim_kernels.py [--threads N]

Variants (median of repeated steps, ms per optimizer step over all 10 parameters):
  naive numpy      per-array Adam written the obvious way (temporaries for every intermediate)
  numpy in-place   optim.adam's numpy rule (in place where numpy allows; still a few temporaries)
  numba kernel     optim._kernels.adam called per parameter (one fused pass, no temporaries)
  numba parallel   the same loop with prange (parallel=True), for comparison
  optim.Adam.step  the whole optimizer step (kernel + per-parameter Python overhead)
  torch default    torch.optim.Adam() (on CPU: the per-tensor loop)
  torch foreach    torch.optim.Adam(foreach=True)
  torch fused      torch.optim.Adam(fused=True)
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from numba import njit, prange  # noqa: E402

import autograd  # noqa: E402
import optim  # noqa: E402
from optim import _kernels  # noqa: E402
from optim.adam import adam_update  # noqa: E402

N_PARAMS, SIZE = 10, 100_000
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-8


@njit(cache=True, parallel=True)
def _adam_parallel(p, g, m, v, w1, beta2, w2, eps, step_size, bc2s):  # pragma: no cover
    for i in prange(p.size):
        mi = m[i] + w1 * (g[i] - m[i])
        m[i] = mi
        vi = v[i] * beta2 + (w2 * g[i]) * g[i]
        v[i] = vi
        p[i] = p[i] + (-step_size * mi) / (np.sqrt(vi) / bc2s + eps)


def timeit(fn, repeat: int) -> float:
    fn()  # warm-up (JIT compile / caches)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (numba parallel uses numba's default)")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(SIZE).astype(np.float32) for _ in range(N_PARAMS)]
    grads = [rng.standard_normal(SIZE).astype(np.float32) for _ in range(N_PARAMS)]
    results: dict[str, float] = {}

    # naive numpy: the textbook formula, a new array for every intermediate
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    ws = [p.copy() for p in params]
    t = [0]

    def naive():
        t[0] += 1
        for i in range(N_PARAMS):
            g = grads[i]
            ms[i] = B1 * ms[i] + (1 - B1) * g
            vs[i] = B2 * vs[i] + (1 - B2) * g * g
            mhat = ms[i] / (1 - B1 ** t[0])
            vhat = vs[i] / (1 - B2 ** t[0])
            ws[i] = ws[i] - LR * mhat / (np.sqrt(vhat) + EPS)

    results["naive numpy"] = timeit(naive, args.repeat)

    # our numpy rule, forced (Fortran-ordered 1-D arrays are still contiguous, so call the rule's numpy branch)
    states = [{"step": np.array(0.0, np.float32), "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}
              for p in params]
    ws2 = [p.copy() for p in params]
    fits = _kernels.fits
    _kernels.fits = lambda *a: False

    def numpy_inplace():
        for w, g, st in zip(ws2, grads, states):
            adam_update(w, g, st, LR, B1, B2, EPS, 0.0, False, False, False)

    results["numpy in-place"] = timeit(numpy_inplace, args.repeat)
    _kernels.fits = fits

    ws3 = [p.copy() for p in params]
    m3 = [np.zeros_like(p) for p in params]
    v3 = [np.zeros_like(p) for p in params]
    s3 = [0]

    def kernel():
        s3[0] += 1
        for w, g, m, v in zip(ws3, grads, m3, v3):
            _kernels.adam(w, g, m, v, None, float(s3[0]), LR, B1, B2, EPS, 0.0, False, False, False)

    results["numba kernel"] = timeit(kernel, args.repeat)

    s4 = [0]
    f32 = np.float32

    def parallel():
        s4[0] += 1
        bc1, bc2 = 1 - B1 ** s4[0], 1 - B2 ** s4[0]
        for w, g, m, v in zip(ws3, grads, m3, v3):
            _adam_parallel(w, g, m, v, f32(1 - B1), f32(B2), f32(1 - B2), f32(EPS), f32(LR / bc1), f32(bc2**0.5))

    results["numba parallel"] = timeit(parallel, args.repeat)

    tensors = [autograd.tensor(p.copy(), requires_grad=True) for p in params]
    for tt, g in zip(tensors, grads):
        tt.grad = autograd.tensor(g)
    opt = optim.Adam(tensors, lr=LR)
    results["optim.Adam.step"] = timeit(opt.step, args.repeat)

    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(args.threads)
        for name, kw in (("torch default", {}), ("torch foreach", {"foreach": True}), ("torch fused", {"fused": True})):
            tps = [torch.tensor(p.copy(), requires_grad=True) for p in params]
            for tp, g in zip(tps, grads):
                tp.grad = torch.from_numpy(g.copy())
            topt = torch.optim.Adam(tps, lr=LR, **kw)
            results[name] = timeit(topt.step, args.repeat)

    print(f"Adam step, {N_PARAMS} params x {SIZE:,} float32, median of {args.repeat} (ms per step)")
    base = results["naive numpy"]
    for name, ms_ in results.items():
        print(f"  {name:16s} {ms_:8.3f} ms   {base / ms_:5.2f}x vs naive numpy")


if __name__ == "__main__":
    main()
