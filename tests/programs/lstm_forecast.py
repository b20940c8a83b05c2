"""Forecast the next value of a noisy sine wave from a window of 20 with an LSTM; report the test MSE."""
import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--window", type=int, default=20)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
np.random.seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

t = np.arange(0, 60, 0.1)
series = (np.sin(t) + 0.05 * np.random.RandomState(0).randn(len(t))).astype(np.float32)
windows = np.stack([series[i:i + args.window] for i in range(len(series) - args.window)])
targets = series[args.window:]
X = torch.from_numpy(windows).unsqueeze(-1)
y = torch.from_numpy(targets).unsqueeze(-1)
split = int(len(X) * 0.8)
train_loader = DataLoader(TensorDataset(X[:split], y[:split]), batch_size=32, shuffle=True)


class Forecaster(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, num_layers=1, batch_first=True)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, x):
        out, (h_n, c_n) = self.lstm(x)
        return self.linear(out[:, -1, :])


model = Forecaster().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.MSELoss()
for epoch in range(args.epochs):
    model.train()
    for xb, yb in train_loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(f"Epoch {epoch + 1}/{args.epochs}, Loss: {loss.item():.5f}")

model.eval()
with torch.no_grad():
    test_mse = loss_fn(model(X[split:].to(device)), y[split:].to(device)).item()
torch.save(model.state_dict(), "forecaster.pt")
print(f"METRIC test_mse={test_mse:.5f}")
