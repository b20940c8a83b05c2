"""A network with a hand-written autograd Function (a clamped linear unit with its own backward)."""
import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Function


class ClampedLinearUnit(Function):
    """y = clamp(x, 0, 6); the backward passes the gradient where 0 < x < 6."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0, max=6)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[x < 0] = 0
        grad_input[x > 6] = 0
        return grad_input


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 32)
        self.fc2 = nn.Linear(32, 1)

    def forward(self, x):
        return self.fc2(ClampedLinearUnit.apply(self.fc1(x)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    check = torch.randn(5, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(ClampedLinearUnit.apply, (check,), eps=1e-6, atol=1e-4)
    x = torch.tensor(np.random.RandomState(5).randn(256, 3), dtype=torch.float32)
    y = (x[:, :1] * 2 - x[:, 1:2] + 0.5 * x[:, 2:] ** 2)
    x, y = x.to(device), y.to(device)
    model = Net().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for step in range(args.steps):
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    torch.save(model.state_dict(), "custom_fn.pt")
    print(f"METRIC mse={loss.item():.5f}")


if __name__ == "__main__":
    main()
