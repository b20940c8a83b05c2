"""Regress a noisy sine with an MLP, Adam and a StepLR schedule; report the test MSE."""
import argparse
import math

import numpy as np
import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset, random_split

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

rng = np.random.RandomState(1234)
x = torch.tensor(rng.rand(512, 1) * 2 * math.pi, dtype=torch.float32)
y = torch.sin(x) + 0.05 * torch.tensor(rng.randn(512, 1), dtype=torch.float32)
train_set, test_set = random_split(TensorDataset(x, y), [400, 112], generator=torch.Generator().manual_seed(0))
train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
test_loader = DataLoader(test_set, batch_size=112)

model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1)).to(device)
optimizer = optim.Adam(model.parameters(), lr=1e-2)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.3)
loss_fn = nn.MSELoss()

for epoch in range(args.epochs):
    model.train()
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss_fn(model(xb.to(device)), yb.to(device)).backward()
        optimizer.step()
    scheduler.step()

model.eval()
with torch.no_grad():
    xb, yb = next(iter(test_loader))
    mse = loss_fn(model(xb.to(device)), yb.to(device)).item()
print(f"lr now {scheduler.get_last_lr()[0]:.5f}")
torch.save(model.state_dict(), "sine.pt")
print(f"METRIC test_mse={mse:.5f}")
