"""Reference stand-ins, hidden objectives and named wrong answers for the hidden tests of
02_activations_and_gradients.

Never released and never in a sandbox: helpers.isolate and helpers.reference.variants call it
while recording, in the instructor's kernel, and in the class grader (outside the sandbox).
"""
import numpy as np

EPS = 1e-7


# ------------------------------------------------------------ stand-ins (helpers.isolate)

def sigmoid(x):
    '''Numerically stable sigmoid, elementwise (float64 out, also for integer x).'''
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def sigmoid_grad(x):
    '''sigma'(x) = sigma(x) * (1 - sigma(x)), at the sigmoid's input x.'''
    s = sigmoid(x)
    return s * (1.0 - s)


def bce(y_hat, y):
    '''Mean binary cross-entropy (a float), predictions clipped to [EPS, 1 - EPS].'''
    p = np.clip(y_hat, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_grad(y_hat, y):
    '''dL/dy_hat of the mean BCE (with its 1/N), at the clipped predictions.'''
    p = np.clip(y_hat, EPS, 1 - EPS)
    return (p - y) / (p * (1 - p)) / y_hat.shape[0]


# ------------------------------------------------- hidden objectives for numerical_gradient

_P = np.random.default_rng(61).normal(size=(4, 3))


def logsumexp(v):
    '''log(sum(exp(v))) over all entries (the max trick): its gradient is the softmax of v.'''
    m = np.max(v)
    return float(np.log(np.sum(np.exp(v - m))) + m)


def half_squared_distance(v):
    '''sum((v - P)**2) / 2 for a fixed (4, 3) matrix P: its gradient is v - P.'''
    return float(np.sum((v - _P) ** 2) / 2)


def half_squared_norm(v):
    '''sum(v**2) / 2: its gradient is v.'''
    return float(np.sum(np.asarray(v, dtype=np.float64) ** 2) / 2)


def cos_weighted_sum(v):
    '''sum(cos(v) * v): its gradient is cos(v) - v sin(v).'''
    return float(np.sum(np.cos(v) * v))


# ------------------------------------------------------------ named wrong answers (variants)

def wrong_numerical_gradients(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    forward, central, fx = np.zeros_like(x), np.zeros_like(x), f(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        forward[i] = (f(xp) - fx) / h
        central[i] = (f(xp) - f(xm)) / (2 * h)
    return {"divided by h instead of 2h: the two points x + h e_i and x - h e_i are 2h apart, so the central "
            "difference is (f(x + h e_i) - f(x - h e_i)) / (2h)": 2 * central,
            "forward differences (f(x + h e_i) - f(x)) / h: their error is of order h (about 1e-5 here); "
            "the central difference (f(x + h e_i) - f(x - h e_i)) / (2h) is accurate to about 1e-10": forward,
            "all coordinates were perturbed at once (f(x + h) - f(x - h)) / (2h), a single number: "
            "perturb one entry x[i] at a time and fill grad[i]": (f(x + h) - f(x - h)) / (2 * h)}


def wrong_bce_grads(y_hat, y):
    p = np.clip(y_hat, EPS, 1 - EPS)
    return {"the second term has the wrong sign: d/dp log(1 - p) = -1 / (1 - p) (chain rule), so the term "
            "-(1 - y) log(1 - p) contributes +(1 - y) / (1 - p)": (-y / p - (1 - y) / (1 - p)) / len(y)}


def wrong_neuron_forward(X, w, b, which):
    '''Named wrong answers for the output `which` ('z' or 'y_hat') of neuron_forward.'''
    z = X @ w + b
    if which == "z":
        return {"the bias b is missing: z = X w + b": z - b,
                "y_hat and z are swapped: return (y_hat, z) in this order": sigmoid(z)}
    return {"the bias b is missing: y_hat = sigmoid(X w + b)": sigmoid(z - b),
            "y_hat is the pre-activation: apply the sigmoid": z}


def wrong_neuron_grads(X, w, z, y, which):
    '''Named wrong answers for the gradient `which` ('dX', 'dw' or 'db') of neuron_backward:
    sigma' evaluated at the wrong quantity, or missing.'''
    dy = bce_grad(sigmoid(z), y)
    wrong_dz = {
        "the sigmoid derivative was applied to the upstream gradient: sigmoid_grad(dL/dy_hat); "
        "evaluate it at the pre-activation z: dz = dL/dy_hat * sigmoid_grad(z)": dy * sigmoid_grad(dy),
        "the sigmoid derivative was applied to the upstream gradient alone: sigmoid_grad(dL/dy_hat) "
        "replaced dL/dy_hat; use dz = dL/dy_hat * sigmoid_grad(z)": sigmoid_grad(dy),
        "the sigmoid derivative was applied to the output y_hat instead of the pre-activation z: "
        "use sigmoid_grad(z), not sigmoid_grad(y_hat)": dy * sigmoid_grad(sigmoid(z)),
        "the sigmoid's derivative is missing: dz = dL/dy_hat * sigmoid_grad(z)": dy}
    if len(y) > 1:
        wrong_dz[f"the 1/N of the mean is missing (N={len(y)}): the loss is the mean over the batch, so dL/dz "
                 f"carries a factor 1/N"] = len(y) * dy * sigmoid_grad(z)
    through_z = {"dX": lambda dz: np.outer(dz, w), "dw": lambda dz: X.T @ dz, "db": lambda dz: float(np.sum(dz))}
    return {text: through_z[which](dz) for text, dz in wrong_dz.items()}
