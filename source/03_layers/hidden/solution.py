"""Reference stand-ins and named wrong answers for the hidden tests of 03_layers (never released)."""
import numpy as np


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def bce_with_logits(z, y):
    """The notebook's given helper: (mean binary cross-entropy of logits z (N, 1), dloss/dz (N, 1))."""
    y = y.reshape(z.shape).astype(np.float64)
    loss = np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))
    return float(loss), (_sigmoid(z) - y) / len(z)


def wrong_sigmoid_backward(x, dy):
    """{description: wrong Sigmoid.backward(x, dy)}: the usual mistakes of the sigmoid's derivative."""
    s = _sigmoid(x)
    ss = _sigmoid(s)
    return {"sigma' was applied to the output": dy * ss * (1 - ss),
            "the input x was used as if it were the output (x * (1 - x))": dy * x * (1 - x)}
