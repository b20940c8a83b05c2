"""A custom Dataset class with a transform, random_split into train/validation, early stopping on validation."""
import argparse

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, random_split


class CirclesDataset(Dataset):
    """Points inside/outside a circle; a transform standardizes each sample."""

    def __init__(self, n=800, transform=None):
        rng = np.random.RandomState(3)
        self.points = rng.uniform(-1.5, 1.5, size=(n, 2)).astype(np.float32)
        self.labels = (np.linalg.norm(self.points, axis=1) < 1.0).astype(np.int64)
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        x = torch.from_numpy(self.points[idx])
        if self.transform:
            x = self.transform(x)
        return x, torch.tensor(self.labels[idx])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--patience", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dataset = CirclesDataset(transform=lambda x: x / 1.5)
    train_set, val_set = random_split(dataset, [640, 160], generator=torch.Generator().manual_seed(42))
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=160)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    criterion = nn.CrossEntropyLoss()
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(args.epochs):
        model.train()
        for xb, yb in train_loader:
            optimizer.zero_grad()
            criterion(model(xb.to(device)), yb.to(device)).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            xb, yb = next(iter(val_loader))
            out = model(xb.to(device))
            val_loss = criterion(out, yb.to(device)).item()
            val_acc = (out.argmax(1) == yb.to(device)).float().mean().item()
        if val_loss < best_loss:
            best_loss, waited = val_loss, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
            torch.save(best_state, "best.pt")
        else:
            waited += 1
            if waited >= args.patience:
                print(f"early stop at epoch {epoch}")
                break
    model.load_state_dict(torch.load("best.pt"))
    with torch.no_grad():
        xb, yb = next(iter(val_loader))
        val_acc = (model(xb.to(device)).argmax(1) == yb.to(device)).float().mean().item()
    print(f"METRIC accuracy={val_acc:.4f}")


if __name__ == "__main__":
    main()
