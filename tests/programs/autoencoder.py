"""A fully connected autoencoder compresses the 8x8 digits to 8 numbers; report the test reconstruction MSE."""
import argparse

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=8)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

X = torch.tensor(load_digits().data / 16.0, dtype=torch.float32)
train_loader = DataLoader(X[:1500], batch_size=64, shuffle=True)
test_x = X[1500:].to(device)


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 8))
        self.decoder = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 64), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


model = AutoEncoder().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.MSELoss()
for epoch in range(args.epochs):
    for batch in train_loader:
        batch = batch.to(device)
        loss = criterion(model(batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch [{epoch + 1}/{args.epochs}], loss: {loss.item():.4f}")

model.eval()
with torch.no_grad():
    test_mse = criterion(model(test_x), test_x).item()
torch.save(model.state_dict(), "./autoencoder.pth")
print(f"METRIC test_mse={test_mse:.5f}")
