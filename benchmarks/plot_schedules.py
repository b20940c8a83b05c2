"""Plot every learning-rate schedule of ``optim.lr_scheduler`` (and SWALR) over 100 steps into one PNG.

    python benchmarks/plot_schedules.py [out.png]      (default: benchmarks/schedules.png)

Cycling schedulers (CyclicLR, OneCycleLR) also show the momentum they cycle, on a second axis.
"""

from __future__ import annotations

import math
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import autograd  # noqa: E402
import optim  # noqa: E402
from optim import lr_scheduler as L  # noqa: E402
from optim.swa_utils import SWALR  # noqa: E402

STEPS = 100
# a validation loss that falls for 25 steps, then plateaus with noise
METRIC = [1.0 / (1 + 0.2 * min(i, 25)) + 0.01 * math.sin(i) for i in range(STEPS)]

SCHEDULES = {
    "LambdaLR (0.97^t)": lambda o: L.LambdaLR(o, lambda t: 0.97**t),
    "MultiplicativeLR (x0.98)": lambda o: L.MultiplicativeLR(o, lambda t: 0.98),
    "StepLR (20, 0.5)": lambda o: L.StepLR(o, step_size=20, gamma=0.5),
    "MultiStepLR ([30, 60, 80])": lambda o: L.MultiStepLR(o, milestones=[30, 60, 80], gamma=0.3),
    "ConstantLR (1/3, 25)": lambda o: L.ConstantLR(o, total_iters=25),
    "LinearLR (0.1 -> 1, 40)": lambda o: L.LinearLR(o, start_factor=0.1, total_iters=40),
    "ExponentialLR (0.97)": lambda o: L.ExponentialLR(o, gamma=0.97),
    "PolynomialLR (80, power 2)": lambda o: L.PolynomialLR(o, total_iters=80, power=2.0),
    "CosineAnnealingLR (T_max 50)": lambda o: L.CosineAnnealingLR(o, T_max=50, eta_min=0.01),
    "CosineAnnealingWarmRestarts (10, x2)": lambda o: L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2),
    "CyclicLR triangular": lambda o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=15),
    "CyclicLR triangular2": lambda o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10, mode="triangular2"),
    "CyclicLR exp_range": lambda o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10, mode="exp_range",
                                               gamma=0.98),
    "OneCycleLR cos": lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=STEPS),
    "OneCycleLR linear, three_phase": lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=STEPS,
                                                             anneal_strategy="linear", three_phase=True),
    "ReduceLROnPlateau (patience 5)": lambda o: L.ReduceLROnPlateau(o, patience=5, factor=0.5),
    "SequentialLR (warmup, cosine)": lambda o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.05, total_iters=10), L.CosineAnnealingLR(o, T_max=90)], milestones=[10]),
    "ChainedScheduler (warmup x decay)": lambda o: L.ChainedScheduler(
        [L.LinearLR(o, start_factor=0.1, total_iters=15), L.ExponentialLR(o, gamma=0.98)]),
    "SWALR (cos, 20 -> 0.02)": lambda o: SWALR(o, swa_lr=0.02, anneal_epochs=20),
}


def curve(make):
    """Learning rate (and momentum) at each of the STEPS steps."""
    opt = optim.SGD([autograd.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = make(opt)
    lrs, moms = [], []
    for t in range(STEPS):
        lrs.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        if isinstance(sched, L.ReduceLROnPlateau):
            sched.step(METRIC[t])
        else:
            sched.step()
    return lrs, moms


def main(out: str, dpi: int = 110, only: list[str] | None = None) -> None:
    schedules = {k: v for k, v in SCHEDULES.items() if only is None or k in only}
    n = len(schedules)
    cols = 4
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, squeeze=False, figsize=(4.2 * cols, 2.8 * rows), constrained_layout=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ax, (title, make) in zip(axes.flat, schedules.items()):
            lrs, moms = curve(make)
            ax.plot(lrs, color="tab:blue")
            ax.set_title(title, fontsize=9)
            ax.set_xlabel("step", fontsize=8)
            ax.set_ylabel("lr", fontsize=8, color="tab:blue")
            ax.tick_params(labelsize=7)
            if len(set(moms)) > 1:
                ax2 = ax.twinx()
                ax2.plot(moms, color="tab:orange", linestyle="--", linewidth=1)
                ax2.set_ylabel("momentum", fontsize=8, color="tab:orange")
                ax2.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("optim.lr_scheduler: learning rate over 100 steps (SGD, lr=0.1, momentum=0.9)")
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                            "schedules.png"))
