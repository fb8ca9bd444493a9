"""Reference stand-ins for 04_binary_mnist's hidden tests (see helpers.isolate); never released.

The notebook's functions that tests isolate others from, with their exact names and signatures,
plus the hidden inputs that are functions and the diagnosis data of the backward-pass test.
"""
import numpy as np


# ------------------------------------------------------------------ the notebook's functions

def sigmoid_activation(s, eps=1e-7):
    e = np.exp(-np.abs(s))
    out = np.clip(np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), eps, 1.0 - eps)
    return out, out * (1.0 - out)


def relu_activation(s):
    return np.maximum(s, 0.0), (s > 0).astype(np.float64)


def logistic_loss(g, y):
    y = y.reshape(-1, 1)
    loss = -(y * np.log(g) + (1 - y) * np.log(1 - g))
    return loss[:, 0], (g - y) / (g * (1 - g))


def layer_forward(x, W, b, activation):
    out, grad = activation(x @ W + b)
    return out, (x, W, grad)


def forward_pass(X, weights, biases, activations):
    caches, a = [], X
    for W, b, activation in zip(weights, biases, activations):
        a, cache = layer_forward(a, W, b, activation)
        caches.append(cache)
    return a, caches


def backward_pass(dL_dg, caches):
    dL_da = dL_dg / dL_dg.shape[0]
    dWs, dbs = [], []
    for x, W, grad in reversed(caches):
        delta = dL_da * grad
        dWs.append(x.T @ delta)
        dbs.append(delta.sum(axis=0))
        dL_da = delta @ W.T
    return dWs[::-1], dbs[::-1]


def create_weight_matrices(layer_dims, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, np.sqrt(2.0 / d_in), size=(d_in, d_out))
            for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:])]


def create_bias_vectors(layer_dims):
    return [np.zeros(d_out) for d_out in layer_dims[1:]]


# ------------------------------------------------------------------ hidden inputs that are functions

def softplus_activation(s):
    '''The activation of correct_layer_forward's hidden layer: softplus and its derivative.'''
    return np.logaddexp(0, s), 1 / (1 + np.exp(-s))


_FD_M = np.random.default_rng(17).normal(size=(8, 8))


def fd_test_function(v):
    '''The function correct_fd_grad differentiates on a hidden point: exponentials plus a quadratic form.'''
    return float(np.sum(np.exp(0.3 * v)) + 0.5 * v @ _FD_M @ v)


# ------------------------------------------------------------------ diagnosis data (helpers.reference.variants)

def backward_delta(dL_dg, caches, layer):
    '''delta = dL/ds of layer `layer` (0-based) for the batch mean: db = delta.sum(axis=0), for wrong-axis diagnoses.'''
    d, deltas = dL_dg / dL_dg.shape[0], []
    for x, W, grad in reversed(caches):
        deltas.insert(0, d * grad)
        d = deltas[0] @ W.T
    return deltas[layer]
