"""Fit a damped oscillation's parameters with L-BFGS and a closure."""
import argparse

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--iters", type=int, default=15)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
t = torch.linspace(0, 4, 100, device=device)
target = 1.5 * torch.exp(-0.5 * t) * torch.cos(2.0 * t + 0.3)

params = torch.tensor([1.0, -0.3, 1.8, 0.0], device=device) + 0.05 * torch.randn(4, device=device)
params.requires_grad_(True)
optimizer = torch.optim.LBFGS([params], lr=1, max_iter=20, history_size=10, line_search_fn="strong_wolfe")


def model(p):
    return p[0] * torch.exp(-p[1].abs() * t) * torch.cos(p[2] * t + p[3])


def closure():
    optimizer.zero_grad()
    loss = ((model(params) - target) ** 2).mean()
    loss.backward()
    return loss


for i in range(args.iters):
    loss = optimizer.step(closure)
    if i % 5 == 0:
        print(f"iter {i}: loss {loss.item():.3e}")

final = closure().item()
fitted = params.detach().clone()
fitted[1] = fitted[1].abs()
error = (fitted - torch.tensor([1.5, 0.5, 2.0, 0.3], device=device)).abs().max().item()
torch.save({"params": params.detach()}, "fit.pt")
print(f"final loss {final:.3e}, params {[round(v, 3) for v in fitted.tolist()]}")
print(f"METRIC param_error={error:.5f}")
