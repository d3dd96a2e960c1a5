"""The peer of bench/kernels.ts: PyTorch's fused CPU kernels on the same shapes, and its AdamW step,
timed the same way (best of N, one op per call). Prints one JSON object per kernel: {"kernel": name, "ms": best}."""
import json
import sys
import time

import torch
import torch.nn.functional as F

threads, reps = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
rows, vocab, n, width = 256, 50257, 1 << 22, 768
g = torch.Generator().manual_seed(1)
logits = torch.randn(rows, vocab, generator=g) * 3
targets = torch.randint(0, vocab, (rows,), generator=g)
x = torch.randn(n, generator=g) * 3
ln_x = torch.randn(n // width, width, generator=g)
gamma, beta = torch.ones(width), torch.zeros(width)
# gpt2-small's attention: batch 2, context 256, 12 heads of 64, q, k and v as the projections write them.
att_b, att_t, att_h, att_d = 2, 256, 12, 64
att_q, att_k, att_v, att_grad = (torch.randn(att_b, att_t, att_h * att_d, generator=g) for _ in range(4))
att_mask = torch.triu(torch.ones(att_t, att_t, dtype=torch.bool), 1)
# AdamW over the LM head's weights.
adamw_param = torch.nn.Parameter(torch.full((vocab * width,), 0.02))
adamw_param.grad = torch.full((vocab * width,), 1e-3)
adamw = torch.optim.AdamW([adamw_param], lr=4e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)


def best(fn):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1000


def ce_backward():
    lg = logits.detach().requires_grad_()
    loss = F.cross_entropy(lg, targets)
    t0 = time.perf_counter()
    loss.backward()
    return time.perf_counter() - t0


def gelu_backward():
    xg = x.detach().requires_grad_()
    y = F.gelu(xg, approximate="tanh")
    grad = torch.ones_like(y)
    t0 = time.perf_counter()
    y.backward(grad)
    return time.perf_counter() - t0


def attention(q, k, v):
    """The book's MultiHeadAttention between its projections (torch 1.13 has no fused SDPA)."""

    def split(x):
        return x.view(att_b, att_t, att_h, att_d).transpose(1, 2)

    scores = split(q) @ split(k).transpose(2, 3)
    weights = torch.softmax(scores.masked_fill(att_mask, -torch.inf) / att_d**0.5, dim=-1)
    return (weights @ split(v)).transpose(1, 2).contiguous().view(att_b, att_t, att_h * att_d)


def attention_backward():
    q, k, v = (x.detach().requires_grad_() for x in (att_q, att_k, att_v))
    y = attention(q, k, v)
    t0 = time.perf_counter()
    y.backward(att_grad)
    return time.perf_counter() - t0


def best_inner(fn):
    fn()
    return min(fn() for _ in range(reps)) * 1000


with torch.no_grad():
    results = {
        "crossEntropy": best(lambda: F.cross_entropy(logits, targets)),
        "softmax": best(lambda: torch.softmax(logits, dim=-1)),
        "gelu": best(lambda: F.gelu(x, approximate="tanh")),
        "layerNorm": best(lambda: F.layer_norm(ln_x, (width,), gamma, beta)),
        "causalAttention": best(lambda: attention(att_q, att_k, att_v)),
    }
results["crossEntropyBackward"] = best_inner(ce_backward)
results["geluBackward"] = best_inner(gelu_backward)
results["causalAttentionBackward"] = best_inner(attention_backward)
results["adamw"] = best(adamw.step)
for name, ms in results.items():
    print(json.dumps({"kernel": name, "ms": ms}))
