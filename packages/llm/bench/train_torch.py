"""The PyTorch peer for bench/train.ts: the book's chapter-4 GPT model (bench/gpt_torch.py)
trained with AdamW on CPU, in two modes. Run with Debian's torch at /usr/bin/python3:

  speed: tokens/s of training steps on random token ids, and the process's peak RSS
    /usr/bin/python3 bench/train_torch.py speed --layers 12 --heads 12 --dim 768 --context 256 \
        --batch 2 --steps 4 --threads 2
  book: the book's chapter-5 run (section 5.2) on token ids given as JSON {"train": [...], "val": [...]}
    /usr/bin/python3 bench/train_torch.py book --ids ids.json --threads 2
    With --products bf16, every matrix product of the forward and the backward (the linear layers,
    the attention's two, the output head) multiplies operands rounded to bfloat16 with a float32
    result, as `llm-scratch train --precision bf16` does; all else stays float32. The products run
    as float32 matmuls of the rounded operands (exact: a product of two bf16 values is exact in
    float32), because Debian's torch multiplies bfloat16 at about 4 GFLOPS on a CPU without AVX-512.

Prints JSON lines.
"""
import argparse
import json
import resource
import time

import torch

from gpt_torch import GPTModel


def bf16(t):
    return t.to(torch.bfloat16).to(torch.float32)


class Bf16Product(torch.autograd.Function):
    """a @ b with both operands rounded to bfloat16, and so the backward's: dA = bf16(g) @ bf16(b)^T,
    dB = bf16(a)^T @ bf16(g)."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = bf16(a), bf16(b)
        ctx.save_for_backward(a, b)
        return torch.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        g = bf16(g)
        da, db = torch.matmul(g, b.transpose(-1, -2)), torch.matmul(a.transpose(-1, -2), g)
        # Sum a broadcast operand's gradient back to its shape (a linear layer's weight).
        while db.dim() > b.dim():
            db = db.sum(0)
        return da, db


def use_bf16_products():
    def linear(self, x):
        y = Bf16Product.apply(x, self.weight.t())
        return y if self.bias is None else y + self.bias

    torch.nn.Linear.forward = linear
    torch.Tensor.__matmul__ = lambda a, b: Bf16Product.apply(a, b)


def calc_loss_batch(model, x, y):
    return torch.nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())


def speed(args):
    torch.manual_seed(123)
    c = dict(vocab_size=50257, context_length=args.context, emb_dim=args.dim, n_heads=args.heads,
             n_layers=args.layers, drop_rate=0.0, qkv_bias=False)
    model = GPTModel(c)
    optimizer = torch.optim.AdamW(model.parameters(), lr=4e-4, weight_decay=0.1)
    ids = torch.randint(0, 50257, (args.batch, args.context + 1))
    x, y = ids[:, :-1], ids[:, 1:]
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        optimizer.zero_grad()
        calc_loss_batch(model, x, y).backward()
        optimizer.step()
        times.append(time.perf_counter() - t0)
    timed = sorted(times[1:])  # the first step allocates the optimizer state
    rate = lambda s: args.batch * args.context / s
    print(json.dumps({"tokensPerSecond": rate(timed[len(timed) // 2]), "best": rate(timed[0]),
                      "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def windows(ids, length, stride):
    starts = range(0, len(ids) - length, stride)
    return [(ids[s:s + length], ids[s + 1:s + length + 1]) for s in starts]


def loader(ws, batch, shuffle, drop_last, generator=None):
    order = torch.randperm(len(ws), generator=generator).tolist() if shuffle else list(range(len(ws)))
    end = len(ws) - len(ws) % batch if drop_last else len(ws)
    for i in range(0, end, batch):
        rows = [ws[j] for j in order[i:i + batch]]
        yield torch.tensor([r[0] for r in rows]), torch.tensor([r[1] for r in rows])


def book(args):
    # Section 5.2 as printed: GPT_CONFIG_124M with context 256, AdamW(lr 4e-4, wd 0.1), 10 epochs,
    # eval_freq 5, eval_iter 5, torch.manual_seed(123). The book's DataLoader reshuffles per epoch.
    data = json.loads(open(args.ids).read())
    torch.manual_seed(123)
    c = dict(vocab_size=50257, context_length=256, emb_dim=768, n_heads=12, n_layers=12, drop_rate=0.1,
             qkv_bias=False)
    model = GPTModel(c)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.0004, weight_decay=0.1)
    train_w, val_w = windows(data["train"], 256, 256), windows(data["val"], 256, 256)

    def loss_over(ws, shuffle, drop_last, n):
        total, k = 0.0, 0
        for x, y in loader(ws, 2, shuffle, drop_last):
            if k >= n:
                break
            total += calc_loss_batch(model, x, y).item()
            k += 1
        return total / k

    t0 = time.perf_counter()
    tokens_seen, step = 0, -1
    for epoch in range(10):
        model.train()
        for x, y in loader(train_w, 2, True, True):
            optimizer.zero_grad()
            loss = calc_loss_batch(model, x, y)
            loss.backward()
            optimizer.step()
            tokens_seen += x.numel()
            step += 1
            if step % 5 == 0:
                model.eval()
                with torch.no_grad():
                    tr, va = loss_over(train_w, True, True, 5), loss_over(val_w, False, False, 5)
                model.train()
                print(json.dumps({"epoch": epoch + 1, "step": step, "tokensSeen": tokens_seen,
                                  "trainLoss": tr, "valLoss": va}), flush=True)
    print(json.dumps({"seconds": time.perf_counter() - t0, "steps": step + 1,
                      "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["speed", "book"])
parser.add_argument("--layers", type=int, default=12)
parser.add_argument("--heads", type=int, default=12)
parser.add_argument("--dim", type=int, default=768)
parser.add_argument("--context", type=int, default=256)
parser.add_argument("--batch", type=int, default=2)
parser.add_argument("--steps", type=int, default=4)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--ids")
parser.add_argument("--products", choices=["f32", "bf16"], default="f32")
args = parser.parse_args()
torch.set_num_threads(args.threads)
if args.products == "bf16":
    use_bf16_products()
speed(args) if args.mode == "speed" else book(args)
