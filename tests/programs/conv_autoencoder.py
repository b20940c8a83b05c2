"""A convolutional denoising autoencoder (Conv2d down, ConvTranspose2d up) on the 8x8 digits."""
import argparse

import torch
import torch.nn as nn
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=4)
parser.add_argument("--noise", type=float, default=0.3)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

images = torch.tensor(load_digits().images / 16.0, dtype=torch.float32).unsqueeze(1)
train_loader = DataLoader(TensorDataset(images[:1400]), batch_size=32, shuffle=True)
test = images[1400:].to(device)

model = nn.Sequential(
    nn.Conv2d(1, 8, 3, stride=2, padding=1),  # 8x8 -> 4x4
    nn.ReLU(True),
    nn.Conv2d(8, 16, 3, stride=2, padding=1),  # 4x4 -> 2x2
    nn.ReLU(True),
    nn.ConvTranspose2d(16, 8, 2, stride=2),  # 2x2 -> 4x4
    nn.ReLU(True),
    nn.ConvTranspose2d(8, 1, 2, stride=2),  # 4x4 -> 8x8
    nn.Sigmoid(),
).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3, weight_decay=1e-5)
criterion = nn.MSELoss()
for epoch in range(args.epochs):
    for (img,) in train_loader:
        img = img.to(device)
        noisy = (img + args.noise * torch.randn_like(img)).clamp(0.0, 1.0)
        loss = criterion(model(noisy), img)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch [{epoch + 1}/{args.epochs}], loss:{loss.item():.4f}")

model.eval()
with torch.no_grad():
    g = torch.Generator().manual_seed(0)
    noisy = (test + args.noise * torch.randn(test.shape, generator=g).to(device)).clamp(0.0, 1.0)
    test_mse = criterion(model(noisy), test).item()
torch.save(model.state_dict(), "conv_autoencoder.pth")
print(f"METRIC test_mse={test_mse:.5f}")
