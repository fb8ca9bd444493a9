"""Realistic wrong answers for 04_binary_mnist: each must lose exactly the points of `fails`.

No mistake cascades: the deliverables (loss and gradients on the shipped batch) are checked in the hidden parts of
correct_logistic_loss and correct_backward_pass with a forward pass computed by the test, and under grading
correct_train runs the student's loop with reference stand-ins (hidden/solution.py) of the functions it calls;
its visible part runs the loop with stand-ins of its own (a linear model with the squared error), so Validate judges
the loop alone too.
"""
MISTAKES = [
    # ------------------------------------------------------------------ sigmoid_activation
    dict(cell="sigmoid_activation", name="naive sigmoid 1 / (1 + exp(-s)) overflows for very negative s",
         code='''
def sigmoid_activation(s, eps=1e-7):
    out = np.clip(1.0 / (1.0 + np.exp(-s)), eps, 1.0 - eps)
    return out, out * (1.0 - out)
''', fails=("correct_sigmoid_activation",), diagnosis="overflowed"),
    dict(cell="sigmoid_activation", name="np.where with both branches computing exp (still overflows)",
         code='''
def sigmoid_activation(s, eps=1e-7):
    out = np.where(s >= 0, 1.0 / (1.0 + np.exp(-s)), np.exp(s) / (1.0 + np.exp(s)))
    out = np.clip(out, eps, 1.0 - eps)
    return out, out * (1.0 - out)
''', fails=("correct_sigmoid_activation",), diagnosis="np.where evaluates BOTH branches"),
    dict(cell="sigmoid_activation", name="stable but not clipped (returns exactly 0 and 1)",
         code='''
def sigmoid_activation(s, eps=1e-7):
    e = np.exp(-np.abs(s))
    out = np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, out * (1.0 - out)
''', fails=("correct_sigmoid_activation",), diagnosis="Clip the output"),
    dict(cell="sigmoid_activation", name="derivative formula applied to s instead of sigma(s)",
         code='''
def sigmoid_activation(s, eps=1e-7):
    e = np.exp(-np.abs(s))
    out = np.clip(np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), eps, 1.0 - eps)
    return out, s * (1.0 - s)
''', fails=("correct_sigmoid_activation",), diagnosis="applied to s itself"),
    dict(cell="sigmoid_activation", name="derivative computed from the unclipped output",
         code='''
def sigmoid_activation(s, eps=1e-7):
    e = np.exp(-np.abs(s))
    out = np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    grad = out * (1.0 - out)
    return np.clip(out, eps, 1.0 - eps), grad
''', fails=("correct_sigmoid_activation",), diagnosis="computed from the unclipped output"),
    # ------------------------------------------------------------------ relu_activation
    dict(cell="relu_activation", name="ReLU derivative from out >= 0 (always 1)",
         code='''
def relu_activation(s):
    out = np.maximum(s, 0.0)
    return out, (out >= 0).astype(float)
''', fails=("correct_relu_activation",), diagnosis="1 for negative inputs too"),
    dict(cell="relu_activation", name="ReLU derivative returned as the ReLU output",
         code='''
def relu_activation(s):
    out = np.maximum(s, 0.0)
    return out, out
''', fails=("correct_relu_activation",), diagnosis="not the 0/1 mask"),
    # ------------------------------------------------------------------ logistic_loss
    dict(cell="logistic_loss", name="y (N,) broadcast against g (N, 1) into an (N, N) loss",
         code='''
def logistic_loss(g, y):
    loss = -(y * np.log(g) + (1 - y) * np.log(1 - g))
    dL_dg = (g - y) / (g * (1 - g))
    return loss, dL_dg
''', fails=("correct_logistic_loss",), diagnosis="broadcast"),
    dict(cell="logistic_loss", name="sign of dL/dg flipped",
         code='''
def logistic_loss(g, y):
    y = y.reshape(-1, 1)
    loss = -(y * np.log(g) + (1 - y) * np.log(1 - g))
    return loss[:, 0], (y - g) / (g * (1 - g))
''', fails=("correct_logistic_loss",), diagnosis="the sign of dL/dg is flipped"),
    dict(cell="logistic_loss", name="dL/dg = g - y (the sigmoid's derivative folded into the loss)",
         code='''
def logistic_loss(g, y):
    y = y.reshape(-1, 1)
    loss = -(y * np.log(g) + (1 - y) * np.log(1 - g))
    return loss[:, 0], g - y
''', fails=("correct_logistic_loss",), diagnosis="missing the 1 / (g (1 - g)) factor"),
    dict(cell="logistic_loss", name="dL/dg already averaged over the batch",
         code='''
def logistic_loss(g, y):
    y = y.reshape(-1, 1)
    loss = -(y * np.log(g) + (1 - y) * np.log(1 - g))
    return loss[:, 0], (g - y) / (g * (1 - g)) / len(g)
''', fails=("correct_logistic_loss",), diagnosis="divided by N: logistic_loss returns per-sample derivatives"),
    # ------------------------------------------------------------------ layer_forward
    dict(cell="layer_forward", name="activation derivative taken at the layer output",
         code='''
def layer_forward(x, W, b, activation):
    out, _ = activation(x @ W + b)
    _, grad = activation(out)
    return out, (x, W, grad)
''', fails=("correct_layer_forward",), diagnosis="taken at the layer output"),
    dict(cell="layer_forward", name="cache stores the layer output instead of its input",
         code='''
def layer_forward(x, W, b, activation):
    out, grad = activation(x @ W + b)
    return out, (out, W, grad)
''', fails=("correct_layer_forward",), diagnosis="cache[0]"),
    # ------------------------------------------------------------------ create_weight_matrices
    dict(cell="create_weight_matrices", name="weights of shape (D_out, D_in)",
         code='''
def create_weight_matrices(layer_dims, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, np.sqrt(2.0 / d_in), size=(d_out, d_in))
            for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:])]
''', fails=("correct_create_weight_matrices",), diagnosis="transposed"),
    dict(cell="create_weight_matrices", name="standard normal weights, not scaled by sqrt(2 / D_in)",
         code='''
def create_weight_matrices(layer_dims, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(d_in, d_out)) for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:])]
''', fails=("correct_create_weight_matrices",), diagnosis="forget to scale"),
    dict(cell="create_weight_matrices", name="global np.random ignores the seed",
         code='''
def create_weight_matrices(layer_dims, seed=0):
    return [np.random.randn(d_in, d_out) * np.sqrt(2.0 / d_in)
            for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:])]
''', fails=("correct_create_weight_matrices",), diagnosis="same seed gave different weights"),
    dict(cell="create_weight_matrices", name="scale sqrt(2 / D_out): fan-out instead of fan-in",
         code='''
def create_weight_matrices(layer_dims, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, np.sqrt(2.0 / d_out), size=(d_in, d_out))
            for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:])]
''', fails=("correct_create_weight_matrices",), diagnosis="sqrt(2 / D_out) (fan-out)"),
    dict(cell="create_weight_matrices", name="scale sqrt(2 / (D_in + D_out)): fan-in + fan-out where He wants the fan-in",
         code='''
def create_weight_matrices(layer_dims, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, np.sqrt(2.0 / (d_in + d_out)), size=(d_in, d_out))
            for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:])]
''', fails=("correct_create_weight_matrices",),
         diagnosis="sqrt(2 / (D_in + D_out)) (fan-in + fan-out"),
    dict(cell="create_weight_matrices", name="variance 2 / D_in passed as the standard deviation",
         code='''
def create_weight_matrices(layer_dims, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, 2.0 / d_in, size=(d_in, d_out))
            for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:])]
''', fails=("correct_create_weight_matrices",),
         diagnosis="the variance was used as the standard deviation"),
    # ------------------------------------------------------------------ create_bias_vectors
    dict(cell="create_bias_vectors", name="biases as column vectors (D_out, 1)",
         code='''
def create_bias_vectors(layer_dims):
    return [np.zeros((d_out, 1)) for d_out in layer_dims[1:]]
''', fails=("correct_create_bias_vectors",), diagnosis="broadcasts wrongly"),
    # ------------------------------------------------------------------ forward_pass
    dict(cell="forward_pass", name="caches returned last layer first",
         code='''
def forward_pass(X, weights, biases, activations):
    caches, a = [], X
    for W, b, activation in zip(weights, biases, activations):
        a, cache = layer_forward(a, W, b, activation)
        caches.insert(0, cache)
    return a, caches
''', fails=("correct_forward_pass",), diagnosis="in layer order"),
    dict(cell="forward_pass", name="activations applied in reverse order",
         code='''
def forward_pass(X, weights, biases, activations):
    caches, a = [], X
    for W, b, activation in zip(weights, biases, activations[::-1]):
        a, cache = layer_forward(a, W, b, activation)
        caches.append(cache)
    return a, caches
''', fails=("correct_forward_pass",), diagnosis="wrong order"),
    dict(cell="forward_pass", name="every layer fed X instead of the previous output",
         code='''
def forward_pass(X, weights, biases, activations):
    caches = []
    for W, b, activation in zip(weights, biases, activations):
        out, cache = layer_forward(X, W, b, activation)
        caches.append(cache)
    return out, caches
''', fails=("correct_forward_pass",), diagnosis="every layer received the input X"),
    # ------------------------------------------------------------------ backward_pass
    dict(cell="backward_pass", name="gradients averaged twice (1/N in delta and again in dW, db)",
         code='''
def backward_pass(dL_dg, caches):
    N = dL_dg.shape[0]
    dL_da = dL_dg / N
    dWs, dbs = [], []
    for x, W, grad in reversed(caches):
        delta = dL_da * grad
        dWs.append(x.T @ delta / N)
        dbs.append(delta.mean(axis=0))
        dL_da = delta @ W.T
    return dWs[::-1], dbs[::-1]
''', fails=("correct_backward_pass",), diagnosis="did you average twice?"),
    dict(cell="backward_pass", name="gradients summed over the batch, not averaged",
         code='''
def backward_pass(dL_dg, caches):
    dL_da = dL_dg
    dWs, dbs = [], []
    for x, W, grad in reversed(caches):
        delta = dL_da * grad
        dWs.append(x.T @ delta)
        dbs.append(delta.sum(axis=0))
        dL_da = delta @ W.T
    return dWs[::-1], dbs[::-1]
''', fails=("correct_backward_pass",), diagnosis="you summed over the batch instead of averaging"),
    dict(cell="backward_pass", name="dW transposed (delta.T @ x)",
         code='''
def backward_pass(dL_dg, caches):
    dL_da = dL_dg / dL_dg.shape[0]
    dWs, dbs = [], []
    for x, W, grad in reversed(caches):
        delta = dL_da * grad
        dWs.append(delta.T @ x)
        dbs.append(delta.sum(axis=0))
        dL_da = delta @ W.T
    return dWs[::-1], dbs[::-1]
''', fails=("correct_backward_pass",), diagnosis="the transpose of"),
    dict(cell="backward_pass", name="bias gradient not summed over the batch",
         code='''
def backward_pass(dL_dg, caches):
    dL_da = dL_dg / dL_dg.shape[0]
    dWs, dbs = [], []
    for x, W, grad in reversed(caches):
        delta = dL_da * grad
        dWs.append(x.T @ delta)
        dbs.append(delta)
        dL_da = delta @ W.T
    return dWs[::-1], dbs[::-1]
''', fails=("correct_backward_pass",), diagnosis="Sum delta over the batch"),
    dict(cell="backward_pass", name="bias gradient summed over the wrong axis",
         code='''
def backward_pass(dL_dg, caches):
    dL_da = dL_dg / dL_dg.shape[0]
    dWs, dbs = [], []
    for x, W, grad in reversed(caches):
        delta = dL_da * grad
        dWs.append(x.T @ delta)
        dbs.append(delta.sum(axis=1))
        dL_da = delta @ W.T
    return dWs[::-1], dbs[::-1]
''', fails=("correct_backward_pass",), diagnosis="reduced over the wrong axis"),
    dict(cell="backward_pass", name="activation derivative not applied (delta = dL/da)",
         code='''
def backward_pass(dL_dg, caches):
    dL_da = dL_dg / dL_dg.shape[0]
    dWs, dbs = [], []
    for x, W, grad in reversed(caches):
        delta = dL_da
        dWs.append(x.T @ delta)
        dbs.append(delta.sum(axis=0))
        dL_da = delta @ W.T
    return dWs[::-1], dbs[::-1]
''', fails=("correct_backward_pass",), diagnosis="the activation's derivative was not applied"),
    dict(cell="backward_pass", name="gradients returned last layer first",
         code='''
def backward_pass(dL_dg, caches):
    dL_da = dL_dg / dL_dg.shape[0]
    dWs, dbs = [], []
    for x, W, grad in reversed(caches):
        delta = dL_da * grad
        dWs.append(x.T @ delta)
        dbs.append(delta.sum(axis=0))
        dL_da = delta @ W.T
    return dWs, dbs
''', fails=("correct_backward_pass",), diagnosis="reverse order"),
    # ------------------------------------------------------------------ fd_grad
    dict(cell="fd_grad", name="one-sided (forward) difference",
         code='''
def fd_grad(func, flat_array, eps=1e-6):
    grad = np.zeros(flat_array.shape)
    f0 = func(flat_array)
    for i in range(flat_array.size):
        old = flat_array[i]
        flat_array[i] = old + eps
        grad[i] = (func(flat_array) - f0) / eps
        flat_array[i] = old
    return grad
''', fails=("correct_fd_grad",), diagnosis="one-sided"),
    dict(cell="fd_grad", name="central difference divided by eps instead of 2 eps",
         code='''
def fd_grad(func, flat_array, eps=1e-6):
    grad = np.zeros(flat_array.shape)
    for i in range(flat_array.size):
        old = flat_array[i]
        flat_array[i] = old + eps
        f_plus = func(flat_array)
        flat_array[i] = old - eps
        f_minus = func(flat_array)
        flat_array[i] = old
        grad[i] = (f_plus - f_minus) / eps
    return grad
''', fails=("correct_fd_grad",), diagnosis="divided by eps instead of 2 eps"),
    dict(cell="fd_grad", name="perturbed entries not restored",
         code='''
def fd_grad(func, flat_array, eps=1e-6):
    grad = np.zeros(flat_array.shape)
    for i in range(flat_array.size):
        flat_array[i] += eps
        f_plus = func(flat_array)
        flat_array[i] -= 2 * eps
        f_minus = func(flat_array)
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
''', fails=("correct_fd_grad",), diagnosis="put each entry back"),
    # ------------------------------------------------------------------ train
    dict(cell="train", name="test set evaluated after every step",
         code='''
def train(X_train, y_train, X_test, y_test, layer_dims, lr=0.5, epochs=8, batch_size=32, seed=0):
    rng = np.random.default_rng(seed)
    weights, biases = create_weight_matrices(layer_dims, seed=seed), create_bias_vectors(layer_dims)
    activations = network_activations(len(weights))
    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    for epoch in range(epochs):
        order = rng.permutation(len(X_train))
        for start in progress(range(0, len(X_train), batch_size)):
            idx = order[start:start + batch_size]
            g, caches = forward_pass(X_train[idx], weights, biases, activations)
            losses, dL_dg = logistic_loss(g, y_train[idx])
            dWs, dbs = backward_pass(dL_dg, caches)
            for W, b, dW, db in zip(weights, biases, dWs, dbs):
                W -= lr * dW
                b -= lr * db
            history["train_loss"].append(np.mean(losses))
            history["train_acc"].append(np.mean((g[:, 0] > 0.5) == y_train[idx]))
            test_loss, test_acc = evaluate(X_test, y_test, weights, biases)
            history["test_loss"].append(test_loss)
            history["test_acc"].append(test_acc)
    return weights, biases, history
''', fails=("correct_train",), diagnosis="expected one per epoch"),
    dict(cell="train", name="gradient ascent (W += lr * dW)",
         code='''
def train(X_train, y_train, X_test, y_test, layer_dims, lr=0.5, epochs=8, batch_size=32, seed=0):
    rng = np.random.default_rng(seed)
    weights, biases = create_weight_matrices(layer_dims, seed=seed), create_bias_vectors(layer_dims)
    activations = network_activations(len(weights))
    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    for epoch in range(epochs):
        order = rng.permutation(len(X_train))
        for start in progress(range(0, len(X_train), batch_size)):
            idx = order[start:start + batch_size]
            g, caches = forward_pass(X_train[idx], weights, biases, activations)
            losses, dL_dg = logistic_loss(g, y_train[idx])
            dWs, dbs = backward_pass(dL_dg, caches)
            for W, b, dW, db in zip(weights, biases, dWs, dbs):
                W += lr * dW
                b += lr * db
            history["train_loss"].append(np.mean(losses))
            history["train_acc"].append(np.mean((g[:, 0] > 0.5) == y_train[idx]))
        test_loss, test_acc = evaluate(X_test, y_test, weights, biases)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
    return weights, biases, history
''', fails=("correct_train",), diagnosis="moved up the gradient"),
    dict(cell="train", name="last, smaller minibatch of every epoch dropped",
         code='''
def train(X_train, y_train, X_test, y_test, layer_dims, lr=0.5, epochs=8, batch_size=32, seed=0):
    rng = np.random.default_rng(seed)
    weights, biases = create_weight_matrices(layer_dims, seed=seed), create_bias_vectors(layer_dims)
    activations = network_activations(len(weights))
    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    for epoch in range(epochs):
        order = rng.permutation(len(X_train))
        for step in progress(range(len(X_train) // batch_size)):
            idx = order[step * batch_size:(step + 1) * batch_size]
            g, caches = forward_pass(X_train[idx], weights, biases, activations)
            losses, dL_dg = logistic_loss(g, y_train[idx])
            dWs, dbs = backward_pass(dL_dg, caches)
            for W, b, dW, db in zip(weights, biases, dWs, dbs):
                W -= lr * dW
                b -= lr * db
            history["train_loss"].append(np.mean(losses))
            history["train_acc"].append(np.mean((g[:, 0] > 0.5) == y_train[idx]))
        test_loss, test_acc = evaluate(X_test, y_test, weights, biases)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
    return weights, biases, history
''', fails=("correct_train",), diagnosis="not dropped"),
    dict(cell="train", name="update rebinds the loop variable (W = W - lr * dW): the weights never change",
         code='''
def train(X_train, y_train, X_test, y_test, layer_dims, lr=0.5, epochs=8, batch_size=32, seed=0):
    rng = np.random.default_rng(seed)
    weights, biases = create_weight_matrices(layer_dims, seed=seed), create_bias_vectors(layer_dims)
    activations = network_activations(len(weights))
    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    for epoch in range(epochs):
        order = rng.permutation(len(X_train))
        for start in progress(range(0, len(X_train), batch_size)):
            idx = order[start:start + batch_size]
            g, caches = forward_pass(X_train[idx], weights, biases, activations)
            losses, dL_dg = logistic_loss(g, y_train[idx])
            dWs, dbs = backward_pass(dL_dg, caches)
            for W, b, dW, db in zip(weights, biases, dWs, dbs):
                W = W - lr * dW
                b = b - lr * db
            history["train_loss"].append(np.mean(losses))
            history["train_acc"].append(np.mean((g[:, 0] > 0.5) == y_train[idx]))
        test_loss, test_acc = evaluate(X_test, y_test, weights, biases)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
    return weights, biases, history
''', fails=("correct_train",), diagnosis="the weights were never updated"),
]
