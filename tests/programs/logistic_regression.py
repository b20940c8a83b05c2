"""Binary classification of two interleaving half-moons with logistic regression on polynomial features."""
import argparse

import torch
import torch.nn as nn
from sklearn.datasets import make_moons
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

X, y = make_moons(n_samples=400, noise=0.15, random_state=0)
X = torch.tensor(X, dtype=torch.float32)
features = torch.cat([X, X ** 2, X[:, :1] * X[:, 1:], X ** 3], dim=1)
y = torch.tensor(y, dtype=torch.float32).unsqueeze(1)
loader = DataLoader(TensorDataset(features, y), batch_size=32, shuffle=True)

model = nn.Linear(features.shape[1], 1).to(device)
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

for epoch in range(args.epochs):
    total = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        loss = criterion(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * xb.size(0)
    if epoch % 5 == 0:
        print(f"epoch {epoch} loss {total / len(loader.dataset):.4f}")

with torch.no_grad():
    probs = torch.sigmoid(model(features.to(device)))
    accuracy = ((probs > 0.5).float() == y.to(device)).float().mean().item()
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, "logreg.pt")
print(f"METRIC accuracy={accuracy:.4f}")
