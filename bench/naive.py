"""Naive student patterns against the course's vectorised versions, measured in one run.

1. Backward of a dense layer: a per-sample outer product (einsum into an (N, D_in, D_out)
   tensor, then a mean) against one matrix product x.T @ delta / N.
2. Softmax cross-entropy gradient: the per-sample softmax Jacobian (C x C per sample) against
   the fused (p - y) / N.
3. Evaluation: the full test set after every minibatch against once per epoch.

    .venv/bin/python bench/naive.py
Prints seconds per call (min of repeats) and the slowdown factor of each naive pattern.
"""
from __future__ import annotations

import time

import numpy as np


def best_of(fn, repeat=5, number=1):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return min(times)


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def main():
    rng = np.random.default_rng(0)
    N, D_in, D_out, C = 32, 784, 100, 10
    x = rng.random((N, D_in), dtype=np.float32)
    delta = rng.standard_normal((N, D_out), dtype=np.float32)

    def dW_naive():
        return np.einsum("ni,nj->nij", x, delta).mean(axis=0)

    def dW_fast():
        return x.T @ delta / N

    assert np.allclose(dW_naive(), dW_fast(), atol=1e-5)

    logits = rng.standard_normal((N, C))
    y = np.eye(C)[rng.integers(0, C, N)]

    def dz_jacobian():
        p = softmax(logits)
        out = np.empty_like(p)
        for n in range(N):
            J = np.diag(p[n]) - np.outer(p[n], p[n])   # d softmax / d z, (C, C)
            out[n] = J @ (-y[n] / p[n]) / N            # chain rule through -log p_y
        return out

    def dz_fused():
        return (softmax(logits) - y) / N

    assert np.allclose(dz_jacobian(), dz_fused(), atol=1e-10)

    # 3. one epoch of 60,000 / 32 minibatches: evaluating a 784-100-10 net on 10,000 test images
    W1 = rng.standard_normal((D_in, D_out), dtype=np.float32) * 0.05
    W2 = rng.standard_normal((D_out, C), dtype=np.float32) * 0.05
    X_test = rng.random((10000, D_in), dtype=np.float32)
    X_train = rng.random((60000, D_in), dtype=np.float32)

    def step(xb):   # a forward + backward-sized amount of work for one minibatch
        h = np.maximum(xb @ W1, 0)
        g = softmax(h @ W2)
        return xb.T @ (g @ W2.T * (h > 0))

    def evaluate():
        return softmax(np.maximum(X_test @ W1, 0) @ W2).argmax(1)

    batches = [X_train[i:i + N] for i in range(0, 6400, N)]      # 200 minibatches, scaled to an epoch
    scale = 60000 / 6400

    def epoch_eval_each_batch():
        for xb in batches:
            step(xb)
            evaluate()

    def epoch_eval_once():
        for xb in batches:
            step(xb)
        evaluate()

    rows = [
        ("dense backward dW, batch 32", best_of(dW_naive, number=20), best_of(dW_fast, number=200)),
        ("softmax-CE gradient, batch 32", best_of(dz_jacobian, number=20), best_of(dz_fused, number=500)),
        ("one epoch incl. test evaluation", best_of(epoch_eval_each_batch, repeat=2) * scale,
         best_of(epoch_eval_once, repeat=2) * scale),
    ]
    print(f"{'pattern':<34}{'naive s':>12}{'course s':>12}{'slowdown':>10}")
    for name, naive, fast in rows:
        print(f"{name:<34}{naive:>12.2e}{fast:>12.2e}{naive / fast:>9.0f}x")
    print("(1) per-sample outer products (einsum) vs x.T @ delta; (2) per-sample softmax Jacobian vs (p - y)/N;"
          "\n(3) test set evaluated after every minibatch vs once per epoch.")


if __name__ == "__main__":
    main()
