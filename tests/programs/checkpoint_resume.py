"""Train, save a checkpoint (model + optimizer + epoch), load it into fresh objects and resume training."""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=6)
parser.add_argument("--checkpoint", default="checkpoint.pth.tar")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

rng = np.random.RandomState(11)
centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]], dtype=np.float32)
labels_np = rng.randint(0, 3, size=450)
points = torch.tensor(centers[labels_np] + rng.randn(450, 2), dtype=torch.float32)
labels = torch.tensor(labels_np)
loader = DataLoader(TensorDataset(points, labels), batch_size=30, shuffle=True)


def make():
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)).to(device)
    return model, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)


def train_epoch(model, optimizer):
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        F.cross_entropy(model(xb.to(device)), yb.to(device)).backward()
        optimizer.step()


model, optimizer = make()
half = args.epochs // 2
for epoch in range(half):
    train_epoch(model, optimizer)
torch.save({"epoch": half, "state_dict": model.state_dict(), "optimizer": optimizer.state_dict()}, args.checkpoint)

model, optimizer = make()
if os.path.isfile(args.checkpoint):
    checkpoint = torch.load(args.checkpoint, map_location=device)
    start_epoch = checkpoint["epoch"]
    model.load_state_dict(checkpoint["state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    print(f"=> loaded checkpoint '{args.checkpoint}' (epoch {start_epoch})")
for epoch in range(start_epoch, args.epochs):
    train_epoch(model, optimizer)

model.eval()
with torch.no_grad():
    acc = (model(points.to(device)).argmax(1) == labels.to(device)).float().mean().item()
print(f"METRIC accuracy={acc:.4f}")
