"""A character-level language model with nn.RNN over a short repeated text; report the final perplexity."""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=150)
parser.add_argument("--seq-len", type=int, default=24)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

text = "the quick brown fox jumps over the lazy dog. " * 20
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)


class CharRNN(nn.Module):
    def __init__(self, vocab, hidden=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, 32)
        self.rnn = nn.RNN(32, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, h=None):
        out, h = self.rnn(self.embed(x), h)
        return self.head(out), h


model = CharRNN(len(chars)).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(args.steps):
    starts = torch.randint(0, len(data) - args.seq_len - 1, (16,))
    x = torch.stack([data[s:s + args.seq_len] for s in starts]).to(device)
    y = torch.stack([data[s + 1:s + args.seq_len + 1] for s in starts]).to(device)
    logits, _ = model(x)
    loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()

model.eval()
with torch.no_grad():
    logits, _ = model(data[:-1].unsqueeze(0).to(device))
    eval_loss = F.cross_entropy(logits[0], data[1:].to(device)).item()
    idx, h, out = data[:1].view(1, 1), None, []
    for _ in range(20):
        logits, h = model(idx, h)
        idx = logits[:, -1].argmax(-1, keepdim=True)
        out.append(chars[idx.item()])
print("sample:", "t" + "".join(out))
torch.save({"model": model.state_dict(), "chars": chars}, "char_rnn.pt")
print(f"METRIC perplexity={math.exp(eval_loss):.3f}")
