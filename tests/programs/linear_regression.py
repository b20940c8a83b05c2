"""Fit y = 3x - 2 + noise with nn.Linear and plain SGD, the first example of every tutorial."""
import argparse

import numpy as np
import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=300)
parser.add_argument("--lr", type=float, default=0.05)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

torch.manual_seed(args.seed)
device = "cuda" if torch.cuda.is_available() else "cpu"

rng = np.random.RandomState(0)
x_np = rng.uniform(-1, 1, size=(200, 1)).astype(np.float32)
y_np = (3 * x_np - 2 + 0.1 * rng.randn(200, 1)).astype(np.float32)
x, y = torch.from_numpy(x_np).to(device), torch.from_numpy(y_np).to(device)

model = nn.Linear(1, 1).to(device)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)

for step in range(args.steps):
    pred = model(x)
    loss = criterion(pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(f"step {step}: loss {loss.item():.5f}")

w, b = model.weight.item(), model.bias.item()
print(f"learned w={w:.3f} b={b:.3f}")
torch.save(model.state_dict(), "linear.pth")
print(f"METRIC mse={loss.item():.5f}")
