"""Realistic wrong answers for 02_activations_and_gradients: each must lose exactly the points of `fails`.

Isolation: sigmoid_grad's visible test compares with central differences of the sigmoid's definition
(not of the student's sigmoid), and its hidden test rebinds `sigmoid` to a correct private version;
its visible test also runs sigmoid_grad with scipy's expit in place of the student's sigmoid; neuron_forward
is judged relative to the student's sigmoid (hidden: rebound); neuron_backward's visible test runs it with
stand-ins built from scipy (expit, the Bernoulli log-likelihood and central differences) in place of the
student's sigmoid, sigmoid_grad, bce and bce_grad, and its hidden test rebinds all four to the reference.
So each mistake costs only its own function.
"""
MISTAKES = [
    # ------------------------------------------------------------ sigmoid_naive
    dict(cell="sigmoid_naive", name="minus sign of exp(-x) missing",
         code='''
def sigmoid_naive(x):
    return 1.0 / (1.0 + np.exp(x))
''', fails=("correct_sigmoid_naive",), diagnosis="the minus sign of exp(-x) is missing"),
    dict(cell="sigmoid_naive", name="math.exp on an array",
         code='''
import math

def sigmoid_naive(x):
    return 1.0 / (1.0 + math.exp(-x))
''', fails=("correct_sigmoid_naive",), diagnosis="use np.exp"),
    # ------------------------------------------------------------------ sigmoid
    dict(cell="sigmoid", name="the naive formula: overflow warning at -1000",
         code='''
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))
''', fails=("correct_sigmoid",), diagnosis="np.exp overflowed"),
    dict(cell="sigmoid", name="np.where evaluates both branches",
         code='''
def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)))
''', fails=("correct_sigmoid",), diagnosis="np.where"),
    dict(cell="sigmoid", name="1 - sigmoid(-x) for negative x: cancellation",
         code='''
def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    out[~pos] = 1.0 - 1.0 / (1.0 + np.exp(x[~pos]))
    return out
''', fails=("correct_sigmoid",), diagnosis="digits lost to cancellation"),
    dict(cell="sigmoid", name="exp(x) / (1 + exp(x)) everywhere: NaN for large x",
         code='''
def sigmoid(x):
    e = np.exp(np.asarray(x, dtype=np.float64))
    return e / (1.0 + e)
''', fails=("correct_sigmoid",), diagnosis="contains NaN/inf"),
    dict(cell="sigmoid", name="np.empty_like keeps an integer dtype",
         code='''
def sigmoid(x):
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out
''', fails=("correct_sigmoid",), diagnosis="keeps x's integer dtype"),
    # ------------------------------------------------------------- sigmoid_grad
    dict(cell="sigmoid_grad", name="x * (1 - x): the argument taken for the output",
         code='''
def sigmoid_grad(x):
    return x * (1.0 - x)
''', fails=("correct_sigmoid_grad",), diagnosis="treated as the sigmoid's output"),
    dict(cell="sigmoid_grad", name="exp(-x) / (1 + exp(-x))**2: NaN at -1e4",
         code='''
def sigmoid_grad(x):
    e = np.exp(-x)
    return e / (1.0 + e) ** 2
''', fails=("correct_sigmoid_grad",), diagnosis="contains NaN/inf"),
    # --------------------------------------------------------------------- relu
    dict(cell="relu", name="np.max(x, 0) instead of np.maximum",
         code='''
def relu(x):
    return np.max(x, 0)
''', fails=("correct_relu",), diagnosis="np.max(x, 0) is the largest entry along axis 0"),
    dict(cell="relu", name="writes into x in place",
         code='''
def relu(x):
    x[x < 0] = 0.0
    return x
''', fails=("correct_relu",), diagnosis="writes into the caller's array"),
    # ---------------------------------------------------------------- relu_grad
    dict(cell="relu_grad", name="np.sign: -1 for negative x",
         code='''
def relu_grad(x):
    return np.sign(x)
''', fails=("correct_relu_grad",), diagnosis="-1 for negative x"),
    dict(cell="relu_grad", name="x >= 0: 1 at the kink",
         code='''
def relu_grad(x):
    return (x >= 0).astype(np.float64)
''', fails=("correct_relu_grad",), diagnosis="1 at the kink x = 0"),
    dict(cell="relu_grad", name="returns a boolean array",
         code='''
def relu_grad(x):
    return x > 0
''', fails=("correct_relu_grad",), diagnosis="returned a boolean array"),
    # ------------------------------------------------------- numerical_gradient
    dict(cell="numerical_gradient", name="forward differences",
         code='''
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - fx) / h
        x[i] = old
    return grad
''', fails=("correct_numerical_gradient",), diagnosis="forward differences"),
    dict(cell="numerical_gradient", name="divides by h instead of 2h",
         code='''
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / h
    return grad
''', fails=("correct_numerical_gradient",), diagnosis="divided by h instead of 2h"),
    dict(cell="numerical_gradient", name="perturbs the caller's x and never restores it",
         code='''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
''', fails=("correct_numerical_gradient",), diagnosis="an entry was not restored after its perturbation"),
    dict(cell="numerical_gradient", name="works in place on x without a float copy (integer x: zeros)",
         code='''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
''', fails=("correct_numerical_gradient",), diagnosis="x may be an integer array"),
    dict(cell="numerical_gradient", name="float32 arithmetic",
         code='''
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=np.float32)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
''', fails=("correct_numerical_gradient",), diagnosis="float32"),
    dict(cell="numerical_gradient", name="a large step h = 1e-1",
         code='''
def numerical_gradient(f, x, h=1e-1):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
''', fails=("correct_numerical_gradient",), diagnosis="step h that is too large"),
    dict(cell="numerical_gradient", name="a step h = 1e-3: close, but not to 1e-7",
         code='''
def numerical_gradient(f, x, h=1e-3):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
''', fails=("correct_numerical_gradient",), diagnosis="step h that is too large"),
    dict(cell="numerical_gradient", name="perturbs all coordinates at once",
         code='''
def numerical_gradient(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)
''', fails=("correct_numerical_gradient",), diagnosis="all coordinates were perturbed at once"),
    # ---------------------------------------------------------------------- bce
    dict(cell="bce", name="not clipped: inf/NaN at 0 and 1",
         code='''
def bce(y_hat, y):
    return float(-np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))
''', fails=("correct_bce",), diagnosis="the prediction was not clipped"),
    dict(cell="bce", name="sum over the batch instead of the mean",
         code='''
def bce(y_hat, y):
    p = np.clip(y_hat, EPS, 1 - EPS)
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))
''', fails=("correct_bce",), diagnosis="summed over the batch instead of averaging"),
    dict(cell="bce", name="the leading minus sign forgotten",
         code='''
def bce(y_hat, y):
    p = np.clip(y_hat, EPS, 1 - EPS)
    return float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
''', fails=("correct_bce",), diagnosis="with the sign flipped"),
    # ----------------------------------------------------------------- bce_grad
    dict(cell="bce_grad", name="not clipped: inf/NaN at 0 and 1",
         code='''
def bce_grad(y_hat, y):
    return (y_hat - y) / (y_hat * (1 - y_hat)) / y_hat.shape[0]
''', fails=("correct_bce_grad",), diagnosis="the prediction was not clipped"),
    dict(cell="bce_grad", name="sign flipped",
         code='''
def bce_grad(y_hat, y):
    p = np.clip(y_hat, EPS, 1 - EPS)
    return (y - p) / (p * (1 - p)) / y_hat.shape[0]
''', fails=("correct_bce_grad",), diagnosis="with the sign flipped"),
    dict(cell="bce_grad", name="the 1/N of the mean forgotten",
         code='''
def bce_grad(y_hat, y):
    p = np.clip(y_hat, EPS, 1 - EPS)
    return (p - y) / (p * (1 - p))
''', fails=("correct_bce_grad",), diagnosis="summed over the batch instead of averaging"),
    dict(cell="bce_grad", name="d/dp log(1 - p) without the chain rule's minus",
         code='''
def bce_grad(y_hat, y):
    p = np.clip(y_hat, EPS, 1 - EPS)
    return (-y / p - (1 - y) / (1 - p)) / y_hat.shape[0]
''', fails=("correct_bce_grad",), diagnosis="the second term has the wrong sign"),
    # ----------------------------------------------------------- neuron_forward
    dict(cell="neuron_forward", name="bias forgotten",
         code='''
def neuron_forward(X, w, b):
    z = X @ w
    return sigmoid(z), z
''', fails=("correct_neuron_forward",), diagnosis="the bias b is missing"),
    dict(cell="neuron_forward", name="w used as a column (D, 1): outputs of shape (N, 1)",
         code='''
def neuron_forward(X, w, b):
    z = X @ w.reshape(-1, 1) + b
    return sigmoid(z), z
''', fails=("correct_neuron_forward",), diagnosis="same values, but shape"),
    dict(cell="neuron_forward", name="returns (z, y_hat)",
         code='''
def neuron_forward(X, w, b):
    z = X @ w + b
    return z, sigmoid(z)
''', fails=("correct_neuron_forward",), diagnosis="y_hat and z are swapped"),
    # ---------------------------------------------------------- neuron_backward
    dict(cell="neuron_backward", name="sigmoid derivative applied to the upstream gradient (the published bug)",
         code='''
def neuron_backward(X, w, z, y):
    y_hat = sigmoid(z)
    dy_hat = bce_grad(y_hat, y)
    dz = dy_hat * sigmoid_grad(dy_hat)
    return np.outer(dz, w), X.T @ dz, float(np.sum(dz))
''', fails=("correct_neuron_backward",), diagnosis="applied to the upstream gradient"),
    dict(cell="neuron_backward", name="sigmoid derivative applied to the output y_hat",
         code='''
def neuron_backward(X, w, z, y):
    y_hat = sigmoid(z)
    dz = bce_grad(y_hat, y) * sigmoid_grad(y_hat)
    return np.outer(dz, w), X.T @ dz, float(np.sum(dz))
''', fails=("correct_neuron_backward",), diagnosis="applied to the output y_hat"),
    dict(cell="neuron_backward", name="fused dz = y_hat - y without the 1/N (summed)",
         code='''
def neuron_backward(X, w, z, y):
    dz = sigmoid(z) - y
    return np.outer(dz, w), X.T @ dz, float(np.sum(dz))
''', fails=("correct_neuron_backward",), diagnosis="the 1/N of the mean is missing"),
    dict(cell="neuron_backward", name="db averaged instead of summed",
         code='''
def neuron_backward(X, w, z, y):
    dz = bce_grad(sigmoid(z), y) * sigmoid_grad(z)
    return np.outer(dz, w), X.T @ dz, float(np.mean(dz))
''', fails=("correct_neuron_backward",), diagnosis="did you average twice?"),
    dict(cell="neuron_backward", name="dw as a column (D, 1)",
         code='''
def neuron_backward(X, w, z, y):
    dz = bce_grad(sigmoid(z), y) * sigmoid_grad(z)
    return np.outer(dz, w), X.T @ dz[:, None], float(np.sum(dz))
''', fails=("correct_neuron_backward",), diagnosis="same values, but shape (3, 1)"),
    dict(cell="neuron_backward", name="dX transposed: np.outer(w, dz)",
         code='''
def neuron_backward(X, w, z, y):
    dz = bce_grad(sigmoid(z), y) * sigmoid_grad(z)
    return np.outer(w, dz), X.T @ dz, float(np.sum(dz))
''', fails=("correct_neuron_backward",), diagnosis="the transpose of the correct one"),
]
