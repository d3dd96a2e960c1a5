"""The peer of bench/kernels.ts: PyTorch's fused CPU kernels on the same shapes, timed the same way
(best of N, one op per call). Prints one JSON object per kernel: {"kernel": name, "ms": best}."""
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


def best_inner(fn):
    fn()
    return min(fn() for _ in range(reps)) * 1000


with torch.no_grad():
    results = {
        "crossEntropy": best(lambda: F.cross_entropy(logits, targets)),
        "softmax": best(lambda: torch.softmax(logits, dim=-1)),
        "gelu": best(lambda: F.gelu(x, approximate="tanh")),
        "layerNorm": best(lambda: F.layer_norm(ln_x, (width,), gamma, beta)),
    }
results["crossEntropyBackward"] = best_inner(ce_backward)
results["geluBackward"] = best_inner(gelu_backward)
for name, ms in results.items():
    print(json.dumps({"kernel": name, "ms": ms}))
