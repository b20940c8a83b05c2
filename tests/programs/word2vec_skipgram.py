"""Skip-gram word2vec with negative sampling on a tiny corpus; report the final loss and a neighbour check."""
import argparse
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=15)
parser.add_argument("--dim", type=int, default=16)
parser.add_argument("--negatives", type=int, default=4)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
random.seed(args.seed)
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

sentences = ["king queen royal palace crown", "man woman boy girl child", "apple banana fruit orange juice",
             "car bus train road drive", "queen king crown throne royal", "girl boy woman man person",
             "orange apple juice fruit banana", "train car road bus travel"] * 6
tokens = [s.split() for s in sentences]
vocab = sorted({w for s in tokens for w in s})
w2i = {w: i for i, w in enumerate(vocab)}
pairs = [(w2i[s[i]], w2i[s[j]]) for s in tokens for i in range(len(s))
         for j in range(max(0, i - 2), min(len(s), i + 3)) if i != j]


class SkipGram(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, dim)
        self.out_embed = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.in_embed.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.out_embed.weight)

    def forward(self, center, context, negatives):
        v = self.in_embed(center)
        pos = F.logsigmoid((v * self.out_embed(context)).sum(-1))
        neg = F.logsigmoid(-torch.bmm(self.out_embed(negatives), v.unsqueeze(2)).squeeze(2)).sum(-1)
        return -(pos + neg).mean()


model = SkipGram(len(vocab), args.dim).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
centers = torch.tensor([p[0] for p in pairs])
contexts = torch.tensor([p[1] for p in pairs])
for epoch in range(args.epochs):
    perm = torch.randperm(len(pairs))
    total = 0.0
    for i in range(0, len(pairs), 128):
        idx = perm[i:i + 128]
        negs = torch.randint(0, len(vocab), (len(idx), args.negatives))
        loss = model(centers[idx].to(device), contexts[idx].to(device), negs.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    if epoch % 5 == 0:
        print(f"epoch {epoch} loss {total / len(pairs):.4f}")

emb = F.normalize(model.in_embed.weight.detach(), dim=1)
sims = emb @ emb[w2i["king"]]
sims[w2i["king"]] = -1
print("nearest to king:", vocab[sims.argmax().item()])
torch.save(model.in_embed.state_dict(), "embeddings.pt")
print(f"METRIC loss={total / len(pairs):.4f}")
