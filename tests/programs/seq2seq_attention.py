"""Sequence-to-sequence with attention (GRU encoder, Bahdanau-style decoder, teacher forcing): reverse digit strings."""
import argparse
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

SOS, EOS, N_TOKENS, LENGTH = 10, 11, 12, 5

parser = argparse.ArgumentParser()
parser.add_argument("--iters", type=int, default=120)
parser.add_argument("--hidden", type=int, default=48)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
random.seed(args.seed)
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class EncoderRNN(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(N_TOKENS, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)

    def forward(self, src):
        return self.gru(self.embedding(src))


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(N_TOKENS, hidden_size)
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, N_TOKENS)

    def step(self, token, hidden, enc_out):
        query = hidden.permute(1, 0, 2)  # (B, 1, H)
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(enc_out))).squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, enc_out)
        output, hidden = self.gru(torch.cat((self.embedding(token), context), dim=2), hidden)
        return self.out(output), hidden

    def forward(self, enc_out, enc_hidden, target=None, max_len=LENGTH + 1):
        token = torch.full((enc_out.size(0), 1), SOS, dtype=torch.long, device=enc_out.device)
        hidden, outputs = enc_hidden, []
        for i in range(max_len):
            out, hidden = self.step(token, hidden, enc_out)
            outputs.append(out)
            token = target[:, i].unsqueeze(1) if target is not None else out.argmax(-1).detach()
        return F.log_softmax(torch.cat(outputs, dim=1), dim=-1)


def make_batch(n):
    src = torch.randint(0, 10, (n, LENGTH))
    tgt = torch.cat([src.flip(1), torch.full((n, 1), EOS)], dim=1)
    return src.to(device), tgt.to(device)


encoder, decoder = EncoderRNN(args.hidden).to(device), AttnDecoderRNN(args.hidden).to(device)
enc_opt = torch.optim.Adam(encoder.parameters(), lr=5e-3)
dec_opt = torch.optim.Adam(decoder.parameters(), lr=5e-3)
criterion = nn.NLLLoss()
for it in range(1, args.iters + 1):
    src, tgt = make_batch(32)
    enc_opt.zero_grad()
    dec_opt.zero_grad()
    enc_out, enc_hidden = encoder(src)
    log_probs = decoder(enc_out, enc_hidden, tgt)
    loss = criterion(log_probs.view(-1, N_TOKENS), tgt.view(-1))
    loss.backward()
    enc_opt.step()
    dec_opt.step()
    if it % 40 == 0:
        print(f"iter {it} loss {loss.item():.4f}")

encoder.eval()
decoder.eval()
with torch.no_grad():
    src, tgt = make_batch(200)
    pred = decoder(*encoder(src)).argmax(-1)
    token_acc = (pred == tgt).float().mean().item()
torch.save({"encoder": encoder.state_dict(), "decoder": decoder.state_dict()}, "seq2seq.pt")
print(f"METRIC token_accuracy={token_acc:.4f}")
