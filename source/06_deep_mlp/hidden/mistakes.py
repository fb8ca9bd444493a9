"""Realistic wrong answers for 06_deep_mlp: each must lose exactly the points of `fails`.

A test that builds on other functions judges it alone, in Validate as in grading: its visible part swaps in
stand-ins written out in the test cell (the formulas of task 1 for mlp_forward, central differences of the
layers and caches built by the test for mlp_backward, a stable softmax for the losses, spies for train_epoch),
and its hidden part gets reference stand-ins (helpers.isolate.use_reference, from hidden/solution.py). So a
mistake in one function costs only that function's test. train_epoch's hidden part keeps the student's
sgd_step (an in-place update cannot be stood in), but is judged with weight_decay=0 except for the decay
step relative to the student's own sgd_step's, which no sgd_step slip below changes. The entries marked
"isolation" prove it for wrong caches and wrong layers, which used to reach later tests.
"""

DENSE_FORWARD = '''
def dense_forward(x, W, b):
    {body}
'''

DENSE_BACKWARD = '''
def dense_backward(dout, cache):
    x, W = cache
    dx = {dx}
    dW = {dW}
    db = {db}
    return dx, dW, db
'''

RELU = '''
def relu_forward(z):
    return {fwd}, z


def relu_backward(da, cache):
    return {bwd}
'''

CREATE = '''
def create_dense_sequential(n_in, n_out, hidden_sizes, init="he", rng=None, dtype=np.float64):
    if init not in ("he", "normal"):
        raise ValueError(init)
    rng = np.random.default_rng(0) if rng is None else rng
    sizes = [n_in, *hidden_sizes, n_out]
    params = {{}}
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        std = {std} if init == "he" else 0.1
        params[f"W{{l}}"] = (rng.standard_normal((fan_in, fan_out)) * std).astype(dtype)
        params[f"b{{l}}"] = {bias}
    return params
'''

MLP_FORWARD = '''
def mlp_forward(params, X):
    L = len(params) // 2
    a, caches = X, []
    for l in range(1, L + 1):
        z, dense_cache = dense_forward(a, params[f"W{{l}}"], params[f"b{{l}}"])
        if {relu_if}:
            a, relu_cache = relu_forward(z)
        else:
            a, relu_cache = z, None
        caches.append((dense_cache, relu_cache))
    return a, caches
'''

MLP_BACKWARD = '''
def mlp_backward(dlogits, caches):
    grads = {{}}
    d = dlogits
    for l in {order}:
        dense_cache, relu_cache = caches[l - 1]
        if {relu_if}:
            d = relu_backward(d, relu_cache)
        d, grads[f"W{{l}}"], grads[f"b{{l}}"] = dense_backward(d, dense_cache)
    return grads
'''

SOFTMAX = '''
def softmax(z):
    e = np.exp({shifted})
    return e / e.sum(axis=1, keepdims=True)
'''

CE = '''
def softmax_cross_entropy(logits, y):
    N = len(y)
    rows = np.arange(N)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = {loss}
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1
    dlogits = {dlogits}
    return float(loss), dlogits
'''

MSE = '''
def mse_loss(probs, y):
    N = len(y)
    diff = {copy}
    diff[np.arange(N), y] -= 1
    loss = {loss}
    return float(loss), {grad}
'''

SOFTMAX_BACKWARD = '''
def softmax_backward(dprobs, probs):
    dlogits = np.empty_like(dprobs)
    for n in range(len(probs)):
        p = probs[n]
        J = {J}
        dlogits[n] = J.T @ dprobs[n]
    return dlogits
'''

SGD = '''
def sgd_step(params, grads, lr, weight_decay=0.0):
    for key, value in params.items():
        grad = grads[key]
        if {decay_if}:
            grad = grad {sign} weight_decay * value
        {update}
'''

BATCHES = '''
def iterate_minibatches(n, batch_size, rng):
    order = {order}
    for start in range(0, {stop}, batch_size):
        yield order[start:start + batch_size]
'''

TRAIN = '''
def train_epoch(params, X, y, lr, batch_size=64, weight_decay=0.0, loss="ce", rng=None):
    if loss not in ("ce", "mse"):
        raise ValueError(loss)
    rng = np.random.default_rng(0) if rng is None else rng
    losses = []
    for idx in {batches}:
        logits, caches = mlp_forward(params, X[idx])
        if loss == "ce":
            batch_loss, dlogits = softmax_cross_entropy(logits, y[idx])
        else:
            probs = softmax(logits)
            batch_loss, dprobs = mse_loss(probs, y[idx])
            dlogits = {mse_dlogits}
        grads = mlp_backward(dlogits, caches)
        {step}
        losses.append(batch_loss)
    return {result}
'''

GOOD_TRAIN = dict(batches="iterate_minibatches(len(X), batch_size, rng)", mse_dlogits="softmax_backward(dprobs, probs)",
                  step="sgd_step(params, grads, lr, weight_decay)", result="float(np.mean(losses))")


def train(**changes):
    return TRAIN.format(**{**GOOD_TRAIN, **changes})


GOOD_DB = dict(dx="dout @ W.T", dW="x.T @ dout", db="dout.sum(axis=0)")
GOOD_SGD = dict(decay_if='key.startswith("W") and weight_decay', sign="+", update="value -= lr * grad")

MISTAKES = [
    # ------------------------------------------------------------------ dense_forward
    dict(cell="dense_forward", name="bias not added",
         code=DENSE_FORWARD.format(body="return x @ W, (x, W)"),
         fails=("correct_dense_forward",), diagnosis="the bias b was not added"),
    # isolation: the cache holds the output, which would break any dense_backward fed with it
    dict(cell="dense_forward", name="x overwritten by the output, so the cache holds the output",
         code=DENSE_FORWARD.format(body="x = x @ W + b\n    return x, (x, W)"),
         fails=("correct_dense_forward",), diagnosis="the cache holds the output instead of the input x"),
    # isolation: a forward pass that drops the bias costs only dense_forward (not dense_backward, mlp_forward, mlp_backward)
    dict(cell="dense_forward", name="bias added with the wrong sign (x @ W - b)",
         code=DENSE_FORWARD.format(body="return x @ W - b, (x, W)"),
         fails=("correct_dense_forward",), diagnosis="dense_forward(x, W, b) is wrong"),
    # ------------------------------------------------------------------ dense_backward
    dict(cell="dense_backward", name="dW averaged over the batch a second time",
         code=DENSE_BACKWARD.format(**{**GOOD_DB, "dW": "x.T @ dout / len(x)"}),
         fails=("correct_dense_backward",), diagnosis="batch size"),
    dict(cell="dense_backward", name="bias gradient averaged instead of summed",
         code=DENSE_BACKWARD.format(**{**GOOD_DB, "db": "dout.mean(axis=0)"}),
         fails=("correct_dense_backward",), diagnosis="mean"),
    dict(cell="dense_backward", name="bias gradient summed over the wrong axis",
         code=DENSE_BACKWARD.format(**{**GOOD_DB, "db": "dout.sum(axis=1)"}),
         fails=("correct_dense_backward",), diagnosis="axis"),
    dict(cell="dense_backward", name="dW transposed",
         code=DENSE_BACKWARD.format(**{**GOOD_DB, "dW": "dout.T @ x"}),
         fails=("correct_dense_backward",), diagnosis="transpose"),
    # ------------------------------------------------------------------ relu
    dict(cell="relu", name="ReLU applied to the upstream gradient",
         code=RELU.format(fwd="np.maximum(z, 0)", bwd="np.maximum(da, 0)"),
         fails=("correct_relu",), diagnosis="ReLU was applied to the upstream gradient"),
    dict(cell="relu", name="upstream gradient multiplied by z",
         code=RELU.format(fwd="np.maximum(z, 0)", bwd="da * cache"),
         fails=("correct_relu",), diagnosis="multiplied by z"),
    dict(cell="relu", name="ReLU derivative taken as 1 at exactly z = 0 (z >= 0)",
         code=RELU.format(fwd="np.maximum(z, 0)", bwd="da * (cache >= 0)"),
         fails=("correct_relu",), diagnosis="the derivative at exactly z = 0 was taken as 1"),
    # ------------------------------------------------------------------ create_dense_sequential
    dict(cell="create_dense_sequential", name="He init with the wrong fan (fan_out)",
         code=CREATE.format(std="np.sqrt(2.0 / fan_out)", bias="np.zeros(fan_out, dtype=dtype)"),
         fails=("correct_create_dense_sequential",), diagnosis="fan_out instead of fan_in"),
    dict(cell="create_dense_sequential", name="variance used as standard deviation",
         code=CREATE.format(std="2.0 / fan_in", bias="np.zeros(fan_out, dtype=dtype)"),
         fails=("correct_create_dense_sequential",), diagnosis="variance 2/fan_in used as the standard deviation"),
    dict(cell="create_dense_sequential", name="biases initialised randomly",
         code=CREATE.format(std="np.sqrt(2.0 / fan_in)", bias="(rng.standard_normal(fan_out) * 0.1).astype(dtype)"),
         fails=("correct_create_dense_sequential",), diagnosis="biases should start at zero"),
    dict(cell="create_dense_sequential", name="first and last layer built from hidden_sizes[0] and hidden_sizes[-1] (no hidden layer fails)",
         code='''
def create_dense_sequential(n_in, n_out, hidden_sizes, init="he", rng=None, dtype=np.float64):
    if init not in ("he", "normal"):
        raise ValueError(init)
    rng = np.random.default_rng(0) if rng is None else rng
    pairs = [(n_in, hidden_sizes[0]), *zip(hidden_sizes[:-1], hidden_sizes[1:]), (hidden_sizes[-1], n_out)]
    params = {}
    for l, (fan_in, fan_out) in enumerate(pairs, start=1):
        std = np.sqrt(2.0 / fan_in) if init == "he" else 0.1
        params[f"W{l}"] = (rng.standard_normal((fan_in, fan_out)) * std).astype(dtype)
        params[f"b{l}"] = np.zeros(fan_out, dtype=dtype)
    return params
''', fails=("correct_create_dense_sequential",), diagnosis="with hidden_sizes=[] (no hidden layer"),
    # ------------------------------------------------------------------ mlp_forward
    dict(cell="mlp_forward", name="ReLU on the output layer too",
         code=MLP_FORWARD.format(relu_if="True"),
         fails=("correct_mlp_forward",), diagnosis="ReLU was applied to the output layer"),
    dict(cell="mlp_forward", name="no ReLU between the layers",
         code=MLP_FORWARD.format(relu_if="False"),
         fails=("correct_mlp_forward",), diagnosis="no ReLU between the layers"),
    # isolation: right logits, but only the last layer's cache, which would break any mlp_backward fed with it
    dict(cell="mlp_forward", name="caches.append outside the loop (only the last layer's cache)",
         code='''
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
''', fails=("correct_mlp_forward",), diagnosis="expected one cache per layer"),
    # ------------------------------------------------------------------ mlp_backward
    dict(cell="mlp_backward", name="ReLU skipped on the way back",
         code=MLP_BACKWARD.format(order="range(len(caches), 0, -1)", relu_if="False"),
         fails=("correct_mlp_backward",), diagnosis='relu_backward was never called'),
    dict(cell="mlp_backward", name="layers walked in forward order",
         code=MLP_BACKWARD.format(order="range(1, len(caches) + 1)", relu_if="relu_cache is not None"),
         fails=("correct_mlp_backward",), diagnosis='it must walk them backwards'),
    dict(cell="mlp_backward", name="gradients divided by the batch size again (04's habit)",
         code='''
def mlp_backward(dlogits, caches):
    grads = {}
    d = dlogits
    N = len(dlogits)
    for l in range(len(caches), 0, -1):
        dense_cache, relu_cache = caches[l - 1]
        if relu_cache is not None:
            d = relu_backward(d, relu_cache)
        d, dW, db = dense_backward(d, dense_cache)
        grads[f"W{l}"], grads[f"b{l}"] = dW / N, db / N
    return grads
''', fails=("correct_mlp_backward",), diagnosis="divided by the batch size"),
    # ------------------------------------------------------------------ softmax
    dict(cell="softmax", name="softmax without the max trick",
         code=SOFTMAX.format(shifted="z"),
         fails=("correct_softmax",), diagnosis="Subtract each row's own maximum before np.exp (the max trick)"),
    dict(cell="softmax", name="global max subtracted instead of each row's",
         code=SOFTMAX.format(shifted="z - z.max()"),
         fails=("correct_softmax",), diagnosis="maximum of the whole array (1000) instead of each row's maximum"),
    # ------------------------------------------------------------------ softmax_cross_entropy
    dict(cell="softmax_cross_entropy", name="gradient not divided by N",
         code=CE.format(loss="-log_probs[rows, y].mean()", dlogits="dlogits"),
         fails=("correct_softmax_cross_entropy",), diagnosis="batch size"),
    dict(cell="softmax_cross_entropy", name="gradient averaged twice",
         code=CE.format(loss="-log_probs[rows, y].mean()", dlogits="dlogits / N / N"),
         fails=("correct_softmax_cross_entropy",), diagnosis="batch size"),
    dict(cell="softmax_cross_entropy", name="gradient sign flipped (Y - P)",
         code=CE.format(loss="-log_probs[rows, y].mean()", dlogits="-dlogits / N"),
         fails=("correct_softmax_cross_entropy",), diagnosis="sign"),
    dict(cell="softmax_cross_entropy", name="loss as log of a naive softmax",
         code=CE.format(loss="-np.log((np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))[rows, y]).mean()",
                        dlogits="dlogits / N"),
         fails=("correct_softmax_cross_entropy",), diagnosis='np.exp(1000) overflowed to inf. Compute log p with the log-sum-exp formula'),
    # ------------------------------------------------------------------ mse_loss
    dict(cell="mse_loss", name="averaged over classes too (np.mean)",
         code=MSE.format(copy="probs.copy()", loss="np.mean(diff ** 2)", grad="2 * diff / diff.size"),
         fails=("correct_mse_loss",), diagnosis='averaged over all N*K entries (np.mean) instead of summing over the classes and averaging over the batch, and the 1/2 left out'),
    dict(cell="mse_loss", name="mean over all entries, halved (np.mean(diff ** 2) / 2)",
         code=MSE.format(copy="probs.copy()", loss="np.mean(diff ** 2) / 2", grad="diff / N"),
         fails=("correct_mse_loss",), diagnosis="averaged over all N*K entries (np.mean(diff ** 2) / 2)"),
    dict(cell="mse_loss", name="the 1/2 left out of the loss",
         code=MSE.format(copy="probs.copy()", loss="np.sum(diff ** 2) / N", grad="diff / N"),
         fails=("correct_mse_loss",), diagnosis='the 1/2 left out: twice the correct loss'),
    dict(cell="mse_loss", name="probs modified in place",
         code=MSE.format(copy="probs", loss="0.5 * np.sum(diff ** 2) / N", grad="diff / N"),
         fails=("correct_mse_loss",), diagnosis="must not modify its input"),
    dict(cell="mse_loss", name="gradient not divided by N",
         code=MSE.format(copy="probs.copy()", loss="0.5 * np.sum(diff ** 2) / N", grad="diff"),
         fails=("correct_mse_loss",), diagnosis="batch size"),
    # ------------------------------------------------------------------ softmax_backward
    dict(cell="softmax_backward", name="only the diagonal of the Jacobian (sigmoid-style p(1-p))",
         code=SOFTMAX_BACKWARD.format(J="np.diag(p * (1 - p))"),
         fails=("correct_softmax_backward",), diagnosis="only the diagonal"),
    dict(cell="softmax_backward", name="MSE through softmax without the Jacobian",
         code=SOFTMAX_BACKWARD.format(J="np.eye(len(p))"),
         fails=("correct_softmax_backward",), diagnosis="the softmax was skipped"),
    dict(cell="softmax_backward", name="outer product added instead of subtracted",
         code=SOFTMAX_BACKWARD.format(J="np.diag(p) + np.outer(p, p)"),
         fails=("correct_softmax_backward",), diagnosis="the outer product was added"),
    # ------------------------------------------------------------------ sgd_step
    dict(cell="sgd_step", name="weight decay with the wrong sign",
         code=SGD.format(**{**GOOD_SGD, "sign": "-"}),
         fails=("correct_sgd_step",), diagnosis="wrong sign"),
    dict(cell="sgd_step", name="weight decay applied to the biases",
         code=SGD.format(**{**GOOD_SGD, "decay_if": "weight_decay"}),
         fails=("correct_sgd_step",), diagnosis="applied to the bias"),
    dict(cell="sgd_step", name="weight decay doubled (2 lambda W)",
         code=SGD.format(**{**GOOD_SGD, "sign": "+ 2 *"}),
         fails=("correct_sgd_step",), diagnosis="weight decay doubled"),
    dict(cell="sgd_step", name="new arrays instead of an in-place update",
         code=SGD.format(**{**GOOD_SGD, "update": "params[key] = value - lr * grad"}),
         fails=("correct_sgd_step",), diagnosis="in place"),
    dict(cell="sgd_step", name="decay term not multiplied by the learning rate",
         code='''
def sgd_step(params, grads, lr, weight_decay=0.0):
    for key, value in params.items():
        if key.startswith("W"):
            value -= lr * grads[key] + weight_decay * value
        else:
            value -= lr * grads[key]
''', fails=("correct_sgd_step",), diagnosis="not multiplied by the learning rate"),
    # ------------------------------------------------------------------ iterate_minibatches
    dict(cell="iterate_minibatches", name="no shuffling",
         code=BATCHES.format(order="np.arange(n)", stop="n"),
         fails=("correct_iterate_minibatches",), diagnosis="not shuffled"),
    dict(cell="iterate_minibatches", name="last partial batch dropped",
         code=BATCHES.format(order="rng.permutation(n)", stop="n - batch_size + 1"),
         fails=("correct_iterate_minibatches",), diagnosis="dropped"),
    dict(cell="iterate_minibatches", name="indices drawn with replacement",
         code=BATCHES.format(order="rng.integers(0, n, n)", stop="n"),
         fails=("correct_iterate_minibatches",), diagnosis="exactly once"),
    dict(cell="iterate_minibatches", name="the same order every epoch",
         code=BATCHES.format(order="np.random.default_rng(0).permutation(n)", stop="n"),
         fails=("correct_iterate_minibatches",), diagnosis="same order"),
    # ------------------------------------------------------------------ train_epoch
    dict(cell="train_epoch", name="the optimizer step forgotten",
         code=train(step="pass"),
         fails=("correct_train_epoch",), diagnosis='is the update applied?'),
    dict(cell="train_epoch", name="MSE through the softmax without the Jacobian",
         code=train(mse_dlogits="dprobs"),
         fails=("correct_train_epoch",), diagnosis="mlp_backward received mse_loss's dprobs"),
    dict(cell="train_epoch", name="the last minibatch's loss returned instead of the mean",
         code=train(result="float(losses[-1])"),
         fails=("correct_train_epoch",), diagnosis="the last minibatch's loss was returned"),
    dict(cell="train_epoch", name="shuffled with the global numpy generator, ignoring rng",
         code=train(batches="np.array_split(np.random.permutation(len(X)), -(-len(X) // batch_size))"),
         fails=("correct_train_epoch",), diagnosis='never called iterate_minibatches'),
    dict(cell="train_epoch", name="weight decay never passed on",
         code=train(step="sgd_step(params, grads, lr)"),
         fails=("correct_train_epoch",), diagnosis='weight decay never passed on'),
    dict(cell="train_epoch", name="weight decay applied twice (added to the gradients and passed to sgd_step)",
         code=train(step="grads = {k: g + weight_decay * params[k] if k.startswith('W') else g for k, g in grads.items()}\n"
                         "        sgd_step(params, grads, lr, weight_decay)"),
         fails=("correct_train_epoch",), diagnosis="weight decay applied twice"),
]
