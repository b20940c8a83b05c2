"""A Transformer encoder classifies token sequences by whether token 1 appears more often than token 2."""
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=4)
parser.add_argument("--d-model", type=int, default=32)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=64):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return x + self.pe[:, : x.size(1)]


class TransformerClassifier(nn.Module):
    def __init__(self, vocab=6, d_model=32, nhead=4, layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=64, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=layers)
        self.head = nn.Linear(d_model, 2)

    def forward(self, tokens):
        h = self.encoder(self.pos(self.embed(tokens) * math.sqrt(self.embed.embedding_dim)))
        return self.head(h.mean(dim=1))


tokens = torch.from_numpy(np.random.RandomState(7).randint(0, 6, size=(600, 16))).long()
labels = ((tokens == 1).sum(1) > (tokens == 2).sum(1)).long()
train = DataLoader(TensorDataset(tokens[:480], labels[:480]), batch_size=32, shuffle=True)
test_x, test_y = tokens[480:].to(device), labels[480:].to(device)

model = TransformerClassifier(d_model=args.d_model).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
criterion = nn.CrossEntropyLoss(label_smoothing=0.05)
for epoch in range(args.epochs):
    model.train()
    for xb, yb in train:
        optimizer.zero_grad()
        loss = criterion(model(xb.to(device)), yb.to(device))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
    model.eval()
    with torch.no_grad():
        acc = (model(test_x).argmax(-1) == test_y).float().mean().item()
    print(f"epoch {epoch}: loss {loss.item():.3f} test acc {acc:.3f}")
torch.save(model.state_dict(), "transformer.pt")
print(f"METRIC accuracy={acc:.4f}")
