"""Classify sequences by whether their running sum ends positive, with a bidirectional GRU."""
import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class SignDataset(Dataset):
    def __init__(self, n, length, seed):
        self.x = torch.from_numpy(np.random.RandomState(seed).randn(n, length, 1).astype(np.float32))
        self.y = (self.x.sum(dim=(1, 2)) > 0).long()

    def __len__(self):
        return len(self.y)

    def __getitem__(self, idx):
        return self.x[idx], self.y[idx]


class GRUNet(nn.Module):
    def __init__(self, hidden=24):
        super().__init__()
        self.gru = nn.GRU(1, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, 2)

    def forward(self, x):
        _, h = self.gru(x)  # h: (2, batch, hidden)
        return self.fc(torch.cat([h[0], h[1]], dim=1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(SignDataset(512, 10, 0), batch_size=32, shuffle=True)
    test_loader = DataLoader(SignDataset(256, 10, 1), batch_size=64)
    model = GRUNet().to(device)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=3e-3)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x.to(device)), y.to(device)).backward()
            optimizer.step()
    model.eval()
    correct = 0
    with torch.inference_mode():
        for x, y in test_loader:
            correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
    acc = correct / len(test_loader.dataset)
    torch.save(model.state_dict(), "gru.pt")
    print(f"METRIC accuracy={acc:.4f}")


if __name__ == "__main__":
    main()
