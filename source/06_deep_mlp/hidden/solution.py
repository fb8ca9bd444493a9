"""Reference stand-ins and named wrong answers for the hidden tests of 06_deep_mlp (never released).

Never in a sandbox: helpers.isolate and helpers.reference.variants call it while recording, in the
instructor's kernel, and in the class grader (outside the sandbox, on the arguments the kernel sent).
Under the class grader a stand-in gets and returns data only, so:
- iterate_minibatches returns a list (a generator is not data) and cannot draw from the kernel's
  np.random.Generator (not data either): it shuffles with its own generator, seeded by n;
- sgd_step has no stand-in: an update in place cannot come back over the channel.
"""
import numpy as np


def dense_forward(x, W, b):
    return x @ W + b, (x, W)


def dense_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(z):
    return np.maximum(z, 0), z


def relu_backward(da, cache):
    return da * (cache > 0)


def mlp_forward(params, X):
    L = len(params) // 2
    a, caches = X, []
    for l in range(1, L + 1):
        z, dense_cache = dense_forward(a, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            a, relu_cache = relu_forward(z)
        else:
            a, relu_cache = z, None
        caches.append((dense_cache, relu_cache))
    return a, caches


def mlp_backward(dlogits, caches):
    grads = {}
    d = dlogits
    for l in range(len(caches), 0, -1):
        dense_cache, relu_cache = caches[l - 1]
        if relu_cache is not None:
            d = relu_backward(d, relu_cache)
        d, grads[f"W{l}"], grads[f"b{l}"] = dense_backward(d, dense_cache)
    return grads


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, y):
    N = len(y)
    rows = np.arange(N)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1
    dlogits /= N
    return float(loss), dlogits


def mse_loss(probs, y):
    N = len(y)
    diff = probs.copy()
    diff[np.arange(N), y] -= 1
    return float(0.5 * np.sum(diff ** 2) / N), diff / N


def softmax_backward(dprobs, probs):
    dlogits = np.empty_like(dprobs)
    for n in range(len(probs)):
        p = probs[n]
        dlogits[n] = (np.diag(p) - np.outer(p, p)).T @ dprobs[n]
    return dlogits


def iterate_minibatches(n, batch_size, rng):
    """Every index once, shuffled, in batches (a list); `rng` is ignored (see the module docstring)."""
    order = np.random.default_rng(int(n)).permutation(int(n))
    return [order[start:start + batch_size] for start in range(0, int(n), batch_size)]


# ------------------------------------------------------------ named wrong answers (variants)

def wrong_mlp_forward(params, X):
    """{description: wrong logits} of the usual mlp_forward mistakes."""
    linear = X
    for l in range(1, len(params) // 2 + 1):
        linear = linear @ params[f"W{l}"] + params[f"b{l}"]
    return {"ReLU was applied to the output layer too (logits must be able to be negative)":
            np.maximum(mlp_forward(params, X)[0], 0),
            "no ReLU between the layers": linear}


def wrong_epoch_loss(params, X, y, lr, batch_size, loss):
    """{description: wrong mean loss} of one train_epoch (no weight decay) from a copy of params."""
    params = {k: v.copy() for k, v in params.items()}
    losses = []
    for idx in iterate_minibatches(len(X), batch_size, None):
        logits, caches = mlp_forward(params, X[idx])
        if loss == "ce":
            batch_loss, dlogits = softmax_cross_entropy(logits, y[idx])
        else:
            probs = softmax(logits)
            batch_loss, dprobs = mse_loss(probs, y[idx])
            dlogits = softmax_backward(dprobs, probs)
        for k, g in mlp_backward(dlogits, caches).items():
            params[k] -= lr * g
        losses.append(batch_loss)
    return {"the last minibatch's loss was returned instead of the mean of all minibatch losses": losses[-1],
            "the sum of the minibatch losses was returned instead of their mean": float(np.sum(losses))}
