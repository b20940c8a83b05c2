"""Data-parallel training of a digits MLP: the same global batch split over N processes.

    python -m autograd.distributed.run -n 2 examples/ddp_digits.py      # 2 processes
    python -m autograd.distributed.run -n 1 examples/ddp_digits.py      # 1 process: the same accuracy

Each process holds a replica of the model (DistributedDataParallel copies rank 0's weights into all of them),
reads its own shard of every epoch's shuffled order (DistributedSampler) in batches of ``--batch / N``, and
backward averages the gradients over the processes, so every step is the step of one process on the whole
global batch. The test accuracy is counted on each rank's share of the test set and summed with all_reduce.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import autograd  # noqa: E402
import autograd.distributed as dist  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402
from autograd.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402
from autograd.data.datasets import load_digits  # noqa: E402
from nn.parallel import DistributedDataParallel as DDP  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64, help="global batch, split evenly over the processes")
    ap.add_argument("--lr", type=float, default=0.1)
    args = ap.parse_args()

    dist.init_process_group(backend="mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch % world:
        raise SystemExit(f"--batch {args.batch} must be a multiple of the number of processes ({world})")

    X, y = load_digits()
    X, y = X.astype(np.float32), y.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(X))  # the same split on every rank
    train_idx, test_idx = order[:1440], order[1440:]
    train = TensorDataset(autograd.tensor(X[train_idx]), autograd.tensor(y[train_idx]))
    sampler = DistributedSampler(train, shuffle=True, seed=0)
    loader = DataLoader(train, batch_size=args.batch // world, sampler=sampler, drop_last=True)

    autograd.manual_seed(rank)  # replicas start apart on purpose: DDP makes them rank 0's model
    model = DDP(nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)))
    opt = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        total = autograd.zeros(2, dtype=autograd.float64)  # (sum of batch losses, batches) on this rank
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += autograd.tensor([loss.item(), 1.0])
        dist.all_reduce(total)
        if rank == 0:
            print(f"epoch {epoch + 1:2d}  mean train loss {total[0].item() / total[1].item():.4f}", flush=True)
    seconds = time.perf_counter() - t0

    mine = test_idx[rank::world]  # each rank scores its share; all_reduce adds the counts
    model.eval()
    with autograd.no_grad():
        pred = model(autograd.tensor(X[mine])).argmax(dim=1).numpy()
    counts = autograd.tensor([float((pred == y[mine]).sum()), float(len(mine))], dtype=autograd.float64)
    dist.all_reduce(counts)
    if rank == 0:
        correct, n = counts.tolist()
        print(f"{world} process(es): test accuracy {correct / n:.4f} ({int(correct)}/{int(n)}), "
              f"training {seconds:.2f} s")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
