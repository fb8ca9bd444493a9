"""Reference stand-ins and named wrong answers for the hidden tests of 05_multiclass_line_search.

Never released and never in a sandbox: helpers.isolate and helpers.reference.variants call it
while recording, in the instructor's kernel, and in the class grader (outside the sandbox).
"""
import numpy as np


# ------------------------------------------------------------ given helpers of the notebook (copies)

def sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def logits(params, X):
    return sigmoid(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def step_params(params, grads, alpha):
    return {k: params[k] - alpha * grads[k] for k in params}


# ------------------------------------------------------------ stand-ins for the graded functions

def softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(probs, y):
    n = probs.shape[0]
    return float(-np.mean(np.log(probs[np.arange(n), y])))


def softmax_cross_entropy(logits, y):
    n = logits.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1.0
    return float(loss), dlogits / n


def compute_grad_loss(params, X, y):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    S = sigmoid(X @ W1 + b1)
    Z = S @ W2 + b2
    loss, dZ = softmax_cross_entropy(Z, y)
    accuracy = float(np.mean(Z.argmax(axis=1) == y))
    dA = (dZ @ W2.T) * S * (1.0 - S)
    grads = {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": S.T @ dZ, "b2": dZ.sum(axis=0)}
    return grads, loss, accuracy


def armijo_line_search(f, params, grads, f0, alpha0=1.0, beta=0.5, sigma=1e-4, max_shrinks=30):
    # Only calls f and does numpy on data: under the class grader f is called back in the kernel.
    g2 = sum(float(np.sum(g * g)) for g in grads.values())
    alpha = alpha0
    f_new = f(step_params(params, grads, alpha))
    for _ in range(max_shrinks):
        if f_new <= f0 - sigma * alpha * g2:
            break
        alpha *= beta
        f_new = f(step_params(params, grads, alpha))
    return alpha, f_new


# ------------------------------------------------------------ hidden objectives (isolate.reference)

_CURV_U = np.array([0.7, 12.0, 3.5, 38.0])                        # curvatures of the hidden problems
_CURV_V = np.array([[1.5, 25.0], [0.5, 9.0], [17.0, 4.0]])


def armijo_objective(p):
    '''A non-quadratic loss of {"u": (4,), "V": (3, 2)} for the hidden line-search problems.'''
    return float(0.5 * np.sum(_CURV_U * p["u"] ** 2) + 0.5 * np.sum(_CURV_V * p["V"] ** 2)
                 + np.sum(np.cos(p["u"])))


def armijo_objective_grad(p):
    return {"u": _CURV_U * p["u"] - np.sin(p["u"]), "V": _CURV_V * p["V"]}


_batch = []


def armijo_training_loss(params):
    '''The network's loss on 400 MNIST test images (2000:2400), a function of the parameters alone.'''
    if not _batch:
        from helpers import data

        X, y = data.load_mnist("test")
        _batch.extend([X[2000:2400], y[2000:2400]])
    return softmax_cross_entropy(logits(params, _batch[0]), _batch[1])[0]


# ------------------------------------------------------------ named wrong answers (variants)

def wrong_grads(params, X, y, key):
    '''{description: wrong gradient of `key`} for the usual backward-pass mistakes, for diagnoses.'''
    if key not in ("W1", "b1"):
        return {}
    A = X @ params["W1"] + params["b1"]
    S = sigmoid(A)
    dZ = softmax_cross_entropy(S @ params["W2"] + params["b2"], y)[1]
    back = dZ @ params["W2"].T
    out = {}
    for why, dA in (("the sigmoid derivative was applied to the pre-activation A = X W1 + b1 instead of "
                     "computed from the output S = sigmoid(A) as S (1 - S)", back * A * (1 - A)),
                    ("the sigmoid derivative S (1 - S) is missing from dL/dA", back),
                    ("dL/dA used W2 instead of W2.T, or the derivative S (1 - S) was applied twice",
                     back * (S * (1 - S)) ** 2)):
        out[why] = X.T @ dA if key == "W1" else dA.sum(axis=0)
    return out
