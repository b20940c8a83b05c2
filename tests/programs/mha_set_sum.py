"""Self-attention over a set: nn.MultiheadAttention and max pooling predict the largest number of a set."""
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=200)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class SetModel(nn.Module):
    def __init__(self, dim=32, heads=4):
        super().__init__()
        self.embed = nn.Linear(1, dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, 1)

    def forward(self, x, key_padding_mask=None):
        h = self.embed(x)
        a, weights = self.attn(h, h, h, key_padding_mask=key_padding_mask)
        h = self.norm(h + a)
        if key_padding_mask is not None:
            h = h.masked_fill(key_padding_mask.unsqueeze(-1), float("-inf"))
        pooled, _ = h.max(dim=1)
        return self.out(pooled)


def batch(n=64, size=8):
    x = torch.rand(n, size, 1)
    return x.to(device), x.amax(dim=1).to(device)


model = SetModel().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(args.steps):
    x, y = batch()
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
model.eval()
with torch.no_grad():
    x, y = batch(512)
    mse = nn.functional.mse_loss(model(x), y).item()
torch.save(model.state_dict(), "set_model.pt")
print(f"METRIC test_mse={mse:.5f}")
