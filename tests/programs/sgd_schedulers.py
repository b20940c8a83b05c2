"""Softmax regression on three Gaussian blobs with SGD momentum, warm-up (LinearLR) then cosine decay."""
import argparse

import numpy as np
import torch
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

rng = np.random.RandomState(2)
means = np.array([[0.0, 3.0], [3.0, -1.0], [-3.0, -1.0]], dtype=np.float32)
labels = rng.randint(0, 3, size=600)
X = torch.from_numpy(means[labels] + 1.2 * rng.randn(600, 2).astype(np.float32))
y = torch.from_numpy(labels).long()
train_loader = DataLoader(TensorDataset(X[:500], y[:500]), batch_size=50, shuffle=True)

model = nn.Linear(2, 3).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, weight_decay=1e-4)
warmup = LinearLR(optimizer, start_factor=0.1, total_iters=2)
cosine = CosineAnnealingLR(optimizer, T_max=args.epochs - 2, eta_min=1e-3)
scheduler = SequentialLR(optimizer, schedulers=[warmup, cosine], milestones=[2])
criterion = nn.CrossEntropyLoss()
for epoch in range(args.epochs):
    for xb, yb in train_loader:
        optimizer.zero_grad()
        criterion(model(xb.to(device)), yb.to(device)).backward()
        optimizer.step()
    scheduler.step()
    print(f"epoch {epoch} lr {optimizer.param_groups[0]['lr']:.4f}")
with torch.no_grad():
    acc = (model(X[500:].to(device)).argmax(dim=1) == y[500:].to(device)).float().mean().item()
torch.save(model.state_dict(), "blobs.pt")
print(f"METRIC accuracy={acc:.4f}")
