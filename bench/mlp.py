"""The course's reference MLP training step against PyTorch CPU, and against the BLAS peak.

The numpy code is notebook 06's reference solution, re-implemented identically here (the release
does not contain it): dense layers x @ W + b with caches, ReLU, the fused softmax cross-entropy
gradient (p - y)/N, backward as x.T @ delta, and an in-place SGD step. The same network
(784-100-200-10), the same initial weights, the same data order and the same hyperparameters
run in PyTorch (optional: `pip install torch==2.13.0`; skipped with a message when missing).

For batch 32, 128 and 256 and float32 / float64 it prints seconds per epoch (min and median of
several epochs), the numpy/PyTorch ratio, the float32 matmul peak measured in the same run, the
fraction of it reached, and the final test accuracies.

    .venv/bin/python bench/mlp.py [--epochs 3] [--quick]

Targets (issue 7): numpy <= 0.6x PyTorch's time per epoch at batch 32 and <= 0.9x at batch 256
(float32); >= 50 % of the matmul peak at batch 256; accuracies within 0.3 points of PyTorch's.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import data  # noqa: E402

SIZES = (784, 100, 200, 10)
LR = 0.1


# ---------------------------------------------------------------- the reference code (notebook 06)

def init_params(rng, dtype):
    """He initialisation, zero biases."""
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
        params[f"W{l}"] = (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(dtype)
        params[f"b{l}"] = np.zeros(fan_out, dtype=dtype)
    return params


def train_step(params, x, y):
    """Forward, fused softmax cross-entropy, backward, SGD: one minibatch, in place."""
    L = len(SIZES) - 1
    a, cache = x, []
    for l in range(1, L + 1):
        z = a @ params[f"W{l}"]
        z += params[f"b{l}"]
        cache.append(a)
        a = np.maximum(z, 0, out=z) if l < L else z
    z = a - a.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)               # p = softmax(logits)
    z[np.arange(len(y)), y] -= 1
    delta = z / len(y)                              # (p - y) / N
    for l in range(L, 0, -1):
        a_prev = cache[l - 1]
        W = params[f"W{l}"]
        dW = a_prev.T @ delta
        db = delta.sum(axis=0)
        if l > 1:
            delta = delta @ W.T
            delta *= a_prev > 0                     # ReLU backward: a_prev = relu(z_prev)
        W -= LR * dW
        params[f"b{l}"] -= LR * db


def accuracy_np(params, X, y):
    a = X
    L = len(SIZES) - 1
    for l in range(1, L + 1):
        a = a @ params[f"W{l}"] + params[f"b{l}"]
        if l < L:
            a = np.maximum(a, 0)
    return float(np.mean(a.argmax(1) == y))


def epoch_np(params, X, y, order, batch):
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        train_step(params, X[idx], y[idx])


# ---------------------------------------------------------------- the same in PyTorch

def torch_model(params):
    import torch

    layers = []
    for l in range(1, len(SIZES)):
        lin = torch.nn.Linear(SIZES[l - 1], SIZES[l])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(params[f"W{l}"].T.copy()))
            lin.bias.copy_(torch.from_numpy(params[f"b{l}"].copy()))
        layers.append(lin)
        if l < len(SIZES) - 1:
            layers.append(torch.nn.ReLU())
    dtype = torch.float32 if params["W1"].dtype == np.float32 else torch.float64
    return torch.nn.Sequential(*layers).to(dtype)


def epoch_torch(model, opt, Xt, yt, order, batch):
    import torch

    loss_fn = torch.nn.CrossEntropyLoss()
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        opt.zero_grad(set_to_none=True)
        loss_fn(model(Xt[idx]), yt[idx]).backward()
        opt.step()


def matmul_peak(dtype=np.float32, n=2048, repeat=5):
    a = np.random.default_rng(0).random((n, n), dtype=dtype)
    b = np.random.default_rng(1).random((n, n), dtype=dtype)
    best = min(_timed(lambda: a @ b) for _ in range(repeat))
    return 2 * n ** 3 / best / 1e9


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def epoch_gflop(n, batch):
    """Multiply-adds of one epoch: forward 1x, backward 2x (dW and dx, no dx for the first layer)."""
    flops = 0
    for l, (i, o) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        flops += 2 * n * i * o * (3 if l > 0 else 2)
    return flops / 1e9


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="batch 32 and 256, float32 only, 2 epochs")
    args = ap.parse_args()
    try:
        import torch
        torch.manual_seed(0)
    except ImportError:
        torch = None
        print("PyTorch is not installed (optional: pip install torch==2.13.0): numpy numbers only.\n")
    from threadpoolctl import threadpool_info

    X, y = data.load_mnist("train")
    Xte, yte = data.load_mnist("test")
    peak = matmul_peak()
    blas = {i.get("internal_api"): i.get("num_threads") for i in threadpool_info()}
    print(f"float32 2048^3 matmul peak: {peak:.0f} GFLOP/s (BLAS threads: {blas}"
          f"{', torch threads: ' + str(torch.get_num_threads()) if torch else ''})")
    batches = (32, 256) if args.quick else (32, 128, 256)
    dtypes = (np.float32,) if args.quick else (np.float32, np.float64)
    epochs = 2 if args.quick else args.epochs
    print(f"\n{'dtype':<8}{'batch':>6}{'numpy s/epoch':>18}{'torch s/epoch':>18}{'ratio':>7}"
          f"{'% peak':>8}{'acc np':>8}{'acc torch':>10}")
    for dtype in dtypes:
        Xd, Xted = X.astype(dtype), Xte.astype(dtype)
        for batch in batches:
            rng = np.random.default_rng(0)
            params = init_params(rng, dtype)
            model = torch_model(params) if torch else None
            orders = [np.random.default_rng(100 + e).permutation(len(Xd)) for e in range(epochs)]
            t_np = [_timed(lambda o=o: epoch_np(params, Xd, y, o, batch)) for o in orders]
            acc_np = accuracy_np(params, Xted, yte)
            t_t, acc_t = [], float("nan")
            if torch:
                opt = torch.optim.SGD(model.parameters(), lr=LR)
                Xt, yt = torch.from_numpy(Xd), torch.from_numpy(y)
                t_t = [_timed(lambda o=o: epoch_torch(model, opt, Xt, yt, torch.from_numpy(o), batch))
                       for o in orders]
                with torch.no_grad():
                    acc_t = float((model(torch.from_numpy(Xted)).argmax(1).numpy() == yte).mean())
            frac = epoch_gflop(len(Xd), batch) / min(t_np) / peak if dtype == np.float32 else float("nan")
            tn = f"{min(t_np):.3f} / {statistics.median(t_np):.3f}"
            tt = f"{min(t_t):.3f} / {statistics.median(t_t):.3f}" if t_t else "-"
            ratio = f"{min(t_np) / min(t_t):.2f}" if t_t else "-"
            print(f"{np.dtype(dtype).name:<8}{batch:>6}{tn:>18}{tt:>18}{ratio:>7}{100 * frac:>7.0f}%"
                  f"{100 * acc_np:>7.2f}%{100 * acc_t:>9.2f}%")
    print("\ns/epoch: min / median over epochs; ratio = numpy min / torch min (lower is better for numpy);"
          "\n% peak: the epoch's float32 GFLOP over its time, against the measured matmul peak.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
