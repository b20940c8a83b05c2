"""Standalone profile of workload 3 (the CNN training step) piece by piece, ours against PyTorch.

    python benchmarks/cnn_profile.py [--repeats 30] [--rounds 5] [--torch-threads 2] [--no-torch] [--threads N]
                                     [--large]

Pieces (float32, the benchmark's shapes): each conv's forward / input grad / weight grad through the dispatching
kernel and through the column (im2col) reference, max-pool forward/backward, and the same pieces in PyTorch
(``torch.nn.functional`` + ``torch.autograd.grad``); then the whole step (zero_grad, forward, loss, backward,
SGD momentum step) for both, interleaved round by round so a loaded machine hurts both alike. ``--large``
profiles workload 11's CNN instead ((256, 3, 32, 32) input): each piece of ours beside its PyTorch op (conv
forward, ``convolution_backward`` for the input and the weight grad, ReLU and its backward, max pool and its
backward), with the ratio. Times are the best
of ``--repeats`` calls: wall (perf_counter) and CPU of this process (process_time, all threads), plus the minor
page faults per step (glibc heap churn shows up there). ``--threads N`` calls ``autograd.set_num_threads(N)``
(the BLAS and the parallel kernels; default: the library's policy). In one process, PyTorch's and OpenBLAS's
idle worker threads spin and take CPU from ours: for the whole step of ours alone use ``--no-torch``. Not part
of ``python -m benchmarks``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def best(fn, repeats: int) -> tuple[float, float]:
    """(best wall ms, best CPU ms) over ``repeats`` calls."""
    wall = cpu = float("inf")
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return wall * 1e3, cpu * 1e3


def conv_pieces(torch, repeats: int) -> list[tuple[str, object]]:
    from autograd.kernels import conv as K
    from autograd.kernels import pool as P

    rng = np.random.default_rng(0)
    out = []
    pad, one = ((1, 1), (1, 1)), (1, 1)
    for n, c, h, o in [(64, 1, 28, 16), (64, 16, 14, 32)]:
        x = rng.standard_normal((n, c, h, h)).astype(np.float32)
        w = rng.standard_normal((o, c, 3, 3)).astype(np.float32) * 0.1
        b = rng.standard_normal(o).astype(np.float32)
        g = rng.standard_normal((n, o, h, h)).astype(np.float32)
        tag = f"Conv2d({c},{o},3,p=1) on ({n},{c},{h},{h})"
        layout = "rows" if K.use_rows(c, 1) else "cols"
        out += [
            (f"{tag} fwd [{layout}]", lambda x=x, w=w, b=b, h=h: K.conv2d_forward(x, w, b, one, pad, one, (h, h), 1)),
            (f"{tag} fwd [cols ref]", lambda x=x, w=w, b=b, h=h: K.conv2d_forward_cols(x, w, b, one, pad, one, (h, h),
                                                                                        1)),
            (f"{tag} grad x [{layout}]", lambda g=g, w=w, x=x: K.conv2d_backward_input(g, w, x.shape, one, pad, one,
                                                                                        1)),
            (f"{tag} grad x [cols ref]", lambda g=g, w=w, x=x: K.conv2d_backward_input_cols(g, w, x.shape, one, pad,
                                                                                             one, 1)),
            (f"{tag} grad w [{layout}]", lambda x=x, g=g, w=w: K.conv2d_backward_weight(x, g, w.shape, one, pad, one,
                                                                                         1)),
            (f"{tag} grad w [cols ref]", lambda x=x, g=g, w=w: K.conv2d_backward_weight_cols(x, g, w.shape, one, pad,
                                                                                              one, 1)),
        ]
        if torch is not None:
            tx, tw, tb, tg = (torch.from_numpy(a) for a in (x, w, b, g))
            txg, twg = tx.clone().requires_grad_(c > 1), tw.clone().requires_grad_(True)

            def t_fb(txg=txg, twg=twg, tb=tb, tg=tg):
                y = torch.nn.functional.conv2d(txg, twg, tb, padding=1)
                torch.autograd.grad(y, [t for t in (txg, twg) if t.requires_grad], tg)

            out += [(f"{tag} fwd [torch]", lambda tx=tx, tw=tw, tb=tb: torch.nn.functional.conv2d(tx, tw, tb,
                                                                                                  padding=1)),
                    (f"{tag} fwd+bwd [torch]", t_fb)]
    for shp in [(64, 16, 28, 28), (64, 32, 14, 14)]:
        x = rng.standard_normal(shp).astype(np.float32)
        oh = (shp[2] // 2, shp[3] // 2)
        y, idx = P.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), oh)
        gy = rng.standard_normal(y.shape).astype(np.float32)
        out += [(f"MaxPool2d(2) on {shp} fwd", lambda x=x, oh=oh: P.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0),
                                                                                       (1, 1), oh)),
                (f"MaxPool2d(2) on {shp} fwd [general loop]",
                 lambda x=x, oh=oh: P._max_forward_numba(x, np.empty(x.shape[:2] + oh, x.dtype),
                                                         np.empty(x.shape[:2] + oh, np.int64), 2, 2, 2, 2, 0, 0, 1, 1,
                                                         work=0)),
                (f"MaxPool2d(2) on {shp} bwd", lambda gy=gy, idx=idx, shp=shp: P.max_pool2d_backward(gy, idx, shp))]
        if torch is not None:
            tx = torch.from_numpy(x)
            out.append((f"MaxPool2d(2) on {shp} fwd [torch]",
                        lambda tx=tx: torch.nn.functional.max_pool2d(tx, 2, return_indices=True)))
    return out


def large_pieces(torch) -> list[tuple[str, object, object]]:
    """(name, ours, PyTorch's or None) for each op of workload 11's CNN step, float32, batch 256."""
    from autograd.kernels import conv as K
    from autograd.kernels import elementwise as E
    from autograd.kernels import pool as P

    rng = np.random.default_rng(0)
    pad, one = ((1, 1), (1, 1)), (1, 1)
    out = []
    for n, c, h, o in [(256, 3, 32, 32), (256, 32, 16, 64)]:
        x = rng.standard_normal((n, c, h, h)).astype(np.float32)
        w = (rng.standard_normal((o, c, 3, 3)) * 0.1).astype(np.float32)
        b = rng.standard_normal(o).astype(np.float32)
        g = rng.standard_normal((n, o, h, h)).astype(np.float32)
        tag = f"Conv2d({c},{o},3,p=1) on ({n},{c},{h},{h})"
        t = {}
        if torch is not None:
            tx, tw, tb, tg = (torch.from_numpy(a) for a in (x, w, b, g))

            def t_grad(mask, tx=tx, tw=tw, tg=tg):
                return lambda: torch.ops.aten.convolution_backward(tg, tx, tw, None, [1, 1], [1, 1], [1, 1], False,
                                                                   [0, 0], 1, mask)
            t = {"fwd": lambda tx=tx, tw=tw, tb=tb: torch.nn.functional.conv2d(tx, tw, tb, padding=1),
                 "gx": t_grad([True, False, False]), "gw": t_grad([False, True, False])}
        out += [(f"{tag} fwd", lambda x=x, w=w, b=b, h=h: K.conv2d_forward(x, w, b, one, pad, one, (h, h), 1),
                 t.get("fwd")),
                (f"{tag} grad w", lambda x=x, g=g, w=w: K.conv2d_backward_weight(x, g, w.shape, one, pad, one, 1),
                 t.get("gw"))]
        if c > 3:  # the step needs no gradient of its input images
            out.append((f"{tag} grad x", lambda g=g, w=w, x=x: K.conv2d_backward_input(g, w, x.shape, one, pad, one,
                                                                                        1), t.get("gx")))
    for shp in [(256, 32, 32, 32), (256, 64, 16, 16)]:
        x = rng.standard_normal(shp).astype(np.float32)
        y = np.maximum(x, 0)
        gy = rng.standard_normal(shp).astype(np.float32)
        oh = (shp[2] // 2, shp[3] // 2)
        _, idx = P.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), oh)
        gp = rng.standard_normal((shp[0], shp[1]) + oh).astype(np.float32)
        t = {}
        if torch is not None:
            tx, ty, tgy, tgp = (torch.from_numpy(a) for a in (x, y, gy, gp))
            _, tidx = torch.nn.functional.max_pool2d(tx, 2, return_indices=True)
            t = {"relu": lambda tx=tx: torch.relu(tx),
                 "relu bwd": lambda tgy=tgy, ty=ty: torch.ops.aten.threshold_backward(tgy, ty, 0),
                 "pool": lambda tx=tx: torch.nn.functional.max_pool2d(tx, 2, return_indices=True),
                 "pool bwd": lambda tgp=tgp, tx=tx, tidx=tidx: torch.ops.aten.max_pool2d_with_indices_backward(
                     tgp, tx, [2, 2], [2, 2], [0, 0], [1, 1], False, tidx)}
        out += [(f"ReLU on {shp}", lambda x=x: np.maximum(x, 0), t.get("relu")),
                (f"ReLU bwd on {shp}", lambda gy=gy, y=y: E.relu_backward(gy, y), t.get("relu bwd")),
                (f"MaxPool2d(2) on {shp} fwd", lambda x=x, oh=oh: P.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0),
                                                                                       (1, 1), oh), t.get("pool")),
                (f"MaxPool2d(2) on {shp} bwd", lambda gp=gp, idx=idx, shp=shp: P.max_pool2d_backward(gp, idx, shp),
                 t.get("pool bwd"))]
    return out


def print_large(torch, repeats: int) -> None:
    """Ours and PyTorch's op interleaved call by call; best wall and CPU time of each, and the CPU ratio."""
    pieces = large_pieces(torch)
    for _, ours, theirs in pieces:
        ours()
        if theirs is not None:
            theirs()
    res = {name: [[np.inf, np.inf], [np.inf, np.inf]] for name, _, _ in pieces}
    for _ in range(repeats):
        for name, ours, theirs in pieces:
            for i, fn in enumerate((ours, theirs)):
                if fn is not None:
                    wall, cpu = best(fn, 1)
                    res[name][i] = [min(res[name][i][0], wall), min(res[name][i][1], cpu)]
    total = [0.0, 0.0]
    for name, ((ow, oc), (tw, tc)) in res.items():
        total = [total[0] + oc, total[1] + tc]
        theirs = f" | torch wall {tw:7.2f} cpu {tc:7.2f} ms  cpu ours/torch {oc / tc:5.2f}" if np.isfinite(tc) else ""
        print(f"{name:46s} ours wall {ow:7.2f} cpu {oc:7.2f} ms{theirs}")
    if np.isfinite(total[1]):
        print(f"{'sum of the pieces':46s} cpu ours {total[0]:7.2f} torch {total[1]:7.2f} ms, "
              f"ratio {total[0] / total[1]:.2f}")


def whole_step(torch, repeats: int, rounds: int) -> None:
    from benchmarks.cnn import builders

    b = builders({"torch": torch} if torch is not None else {}, 64)
    steps = {name: make() for name, make in b.items()}
    for fn in steps.values():
        for _ in range(3):
            fn()
    res: dict[str, list] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, fn in steps.items():
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            res[name].append(best(fn, repeats) + ((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
                                                  / repeats,))
    for name, rows in res.items():
        wall, cpu = min(r[0] for r in rows), min(r[1] for r in rows)
        faults = min(r[2] for r in rows)
        label = f"whole step [{name}]"
        print(f"{label:58s} wall {wall:7.2f} ms  cpu {cpu:7.2f} ms  page faults/step {faults:.0f}")
    if "torch" in res:
        ow, tw = min(r[0] for r in res["ours"]), min(r[0] for r in res["torch"])
        oc, tc = min(r[1] for r in res["ours"]), min(r[1] for r in res["torch"])
        print(f"ours / torch: wall {ow / tw:.2f}, cpu {oc / tc:.2f} (target <= 1.3)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--torch-threads", type=int, default=2)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--threads", type=int, help="autograd.set_num_threads(N) (default: the library's policy)")
    ap.add_argument("--large", action="store_true", help="workload 11's CNN, op by op beside PyTorch's")
    args = ap.parse_args()
    if args.threads:
        import autograd

        autograd.set_num_threads(args.threads)
    torch = None
    if not args.no_torch:
        import torch

        torch.set_num_threads(args.torch_threads)
    if args.large:
        print_large(torch, args.repeats)
        return
    pieces = conv_pieces(torch, args.repeats)
    for _, fn in pieces:
        fn()
    for name, fn in pieces:
        wall, cpu = best(fn, args.repeats)
        print(f"{name:58s} wall {wall:7.2f} ms  cpu {cpu:7.2f} ms")
    whole_step(torch, max(3, args.repeats // 3), args.rounds)


if __name__ == "__main__":
    main()
