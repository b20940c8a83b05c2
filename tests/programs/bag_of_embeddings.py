"""Text classification with averaged word embeddings (the fastText recipe) over a padded batch with a mask."""
import argparse
import random

import torch
import torch.nn as nn
from torch.utils.data import DataLoader

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=8)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
random.seed(args.seed)
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

positive = "good great excellent love wonderful happy fine nice".split()
negative = "bad awful terrible hate poor sad worse ugly".split()
neutral = "the a movie film plot actor scene was it is and".split()
vocab = ["<pad>"] + positive + negative + neutral
stoi = {w: i for i, w in enumerate(vocab)}
rng = random.Random(0)


def make_example():
    label = rng.randint(0, 1)
    words = rng.choices(neutral, k=rng.randint(3, 8)) + rng.choices(positive if label else negative, k=2)
    rng.shuffle(words)
    return [stoi[w] for w in words], label


examples = [make_example() for _ in range(600)]


def collate(batch):
    length = max(len(x) for x, _ in batch)
    ids = torch.tensor([x + [0] * (length - len(x)) for x, _ in batch])
    return ids, torch.tensor([y for _, y in batch])


train_loader = DataLoader(examples[:500], batch_size=25, shuffle=True, collate_fn=collate)
test_loader = DataLoader(examples[500:], batch_size=100, collate_fn=collate)


class BagOfEmbeddings(nn.Module):
    def __init__(self, vocab_size, dim=16, classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.fc = nn.Linear(dim, classes)

    def forward(self, ids):
        mask = (ids != 0).unsqueeze(-1).float()
        mean = (self.embedding(ids) * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.fc(mean)


model = BagOfEmbeddings(len(vocab)).to(device)
optimizer = torch.optim.Adagrad(model.parameters(), lr=0.3)
criterion = nn.CrossEntropyLoss()
for epoch in range(args.epochs):
    for ids, labels in train_loader:
        optimizer.zero_grad()
        criterion(model(ids.to(device)), labels.to(device)).backward()
        optimizer.step()

correct = total = 0
model.eval()
with torch.no_grad():
    for ids, labels in test_loader:
        correct += (model(ids.to(device)).argmax(1) == labels.to(device)).sum().item()
        total += labels.size(0)
torch.save(model.state_dict(), "bag.pt")
print(f"METRIC accuracy={correct / total:.4f}")
