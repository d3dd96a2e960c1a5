"""The book's GPT model in PyTorch, the peer for bench/generate.ts and (imported) bench/train_torch.py.

The model follows chapter 4 (GPTModel, TransformerBlock, MultiHeadAttention, with its dropout layers)
with the KV cache of the book's bonus material (keys and values concatenated per step). Run with
Debian's torch:
  /usr/bin/python3 bench/gpt_torch.py generate --threads 2 --tokens 100 [--preset gpt2-small]
Prints one JSON line per mode.
"""
import argparse
import json
import time

import torch
import torch.nn as nn

PRESETS = {
    "gpt2-small": dict(vocab_size=50257, context_length=1024, emb_dim=768, n_heads=12, n_layers=12),
    "gpt2-mini": dict(vocab_size=50257, context_length=128, emb_dim=256, n_heads=4, n_layers=4),
}


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        self.d_out, self.num_heads, self.head_dim = d_out, num_heads, d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1), persistent=False)
        self.cache_k = self.cache_v = None

    def forward(self, x, use_cache=False):
        b, t, _ = x.shape
        split = lambda z: z.view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.W_query(x)), split(self.W_key(x)), split(self.W_value(x))
        if use_cache:
            if self.cache_k is not None:
                k = torch.cat([self.cache_k, k], dim=2)
                v = torch.cat([self.cache_v, v], dim=2)
            self.cache_k, self.cache_v = k, v
        total = k.shape[2]
        scores = q @ k.transpose(2, 3)
        start = total - t
        mask = self.mask.bool()[start:start + t, :total]
        scores.masked_fill_(mask, -torch.inf)
        w = self.dropout(torch.softmax(scores / self.head_dim ** 0.5, dim=-1))
        return self.out_proj((w @ v).transpose(1, 2).reshape(b, t, self.d_out))


class TransformerBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, drop = c["emb_dim"], c.get("drop_rate", 0.0)
        self.att = MultiHeadAttention(d, d, c["context_length"], drop, c["n_heads"], c.get("qkv_bias", False))
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(approximate="tanh"), nn.Linear(4 * d, d))
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.drop_shortcut = nn.Dropout(drop)

    def forward(self, x, use_cache=False):
        x = x + self.drop_shortcut(self.att(self.norm1(x), use_cache))
        return x + self.drop_shortcut(self.ff(self.norm2(x)))


class GPTModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.tok_emb = nn.Embedding(c["vocab_size"], c["emb_dim"])
        self.pos_emb = nn.Embedding(c["context_length"], c["emb_dim"])
        self.drop_emb = nn.Dropout(c.get("drop_rate", 0.0))
        self.trf_blocks = nn.ModuleList([TransformerBlock(c) for _ in range(c["n_layers"])])
        self.final_norm = nn.LayerNorm(c["emb_dim"])
        self.out_head = nn.Linear(c["emb_dim"], c["vocab_size"], bias=False)
        self.pos = 0

    def reset_cache(self):
        self.pos = 0
        for blk in self.trf_blocks:
            blk.att.cache_k = blk.att.cache_v = None

    def forward(self, idx, use_cache=False):
        t = idx.shape[1]
        start = self.pos if use_cache else 0
        x = self.drop_emb(self.tok_emb(idx) + self.pos_emb(torch.arange(start, start + t)))
        if use_cache:
            self.pos += t
        for blk in self.trf_blocks:
            x = blk(x, use_cache)
        return self.out_head(self.final_norm(x))


def generate(model, idx, max_new, use_cache):
    with torch.no_grad():
        model.reset_cache()
        if use_cache:
            logits = model(idx, use_cache=True)
            for _ in range(max_new):
                nxt = logits[:, -1].argmax(dim=-1, keepdim=True)
                idx = torch.cat([idx, nxt], dim=1)
                logits = model(nxt, use_cache=True)
        else:
            for _ in range(max_new):
                logits = model(idx)
                idx = torch.cat([idx, logits[:, -1].argmax(dim=-1, keepdim=True)], dim=1)
    return idx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("task", choices=["generate"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=100)
    ap.add_argument("--preset", default="gpt2-small")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(123)
    model = GPTModel(PRESETS[args.preset]).eval()
    prompt = torch.tensor([[15496, 11, 314, 716]])
    for use_cache in (True, False):
        generate(model, prompt, 5, use_cache)  # warm up
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            generate(model, prompt, args.tokens, use_cache)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(json.dumps({"peer": "pytorch " + torch.__version__, "kvCache": use_cache, "threads": args.threads,
                          "tokens": args.tokens, "tokensPerSecond": args.tokens / times[len(times) // 2],
                          "best": args.tokens / times[0]}), flush=True)


if __name__ == "__main__":
    main()
