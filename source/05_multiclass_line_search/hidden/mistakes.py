"""Realistic wrong answers for 05_multiclass_line_search: each must lose exactly the points of `fails`.

Isolation: the hidden tests of later functions rebind their dependencies to reference stand-ins
(isolate.use_reference); their visible parts, which Validate runs on the student's own functions, swap
in small stand-ins of their own (a stable softmax and cross-entropy in the fused loss's test, the plain
fused loss in compute_grad_loss's and the deliverable's), and the visible test of gradient_descent runs
on a quadratic, so each mistake costs only its own function's tests, in Validate as in grading.
compute_grad_loss has two graded cells (its own checks and the test-batch deliverable); a wrong
compute_grad_loss loses both, by design: the deliverable is that function's output.
"""

_SOFTMAX_DOC = '''def softmax(z):
    """Row-wise softmax."""
'''
_CE_DOC = '''def cross_entropy(probs, y):
    """Mean cross-entropy."""
'''
_SCE_DOC = '''def softmax_cross_entropy(logits, y):
    """Fused softmax + cross-entropy."""
'''
_ARMIJO_SIG = '''def armijo_line_search(f, params, grads, f0, alpha0=1.0, beta=0.5, sigma=1e-4, max_shrinks=30):
'''
_GD_SIG = '''def gradient_descent(params, X, y, n_iters, step_size=None, line_search=None, alpha0=1.0, alpha_max=64.0,
                     callback=None, desc="gradient descent"):
    if line_search is None:
        line_search = armijo_line_search
'''


def _grad_loss(forward_backward: str, accuracy: str = "float(np.mean(Z.argmax(axis=1) == y))") -> str:
    return f'''def compute_grad_loss(params, X, y):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    A = X @ W1 + b1
    S = sigmoid(A)
    Z = S @ W2 + b2
    loss, dZ = softmax_cross_entropy(Z, y)
    accuracy = {accuracy}
{forward_backward}
    return grads, loss, accuracy
'''


_GRAD_OK = '''    dA = (dZ @ W2.T) * S * (1.0 - S)
    grads = {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": S.T @ dZ, "b2": dZ.sum(axis=0)}'''

MISTAKES = [
    # ------------------------------------------------------------------ softmax
    dict(cell="softmax", name="softmax without the max trick (NaN at logits of 1000)",
         code=_SOFTMAX_DOC + '''    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
''', fails=("correct_softmax",), diagnosis='Use the max trick'),
    dict(cell="softmax", name="softmax normalised over the wrong axis",
         code=_SOFTMAX_DOC + '''    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
''', fails=("correct_softmax",), diagnosis='normalised over the wrong axis'),
    dict(cell="softmax", name="softmax shifted by the maximum of the whole matrix",
         code=_SOFTMAX_DOC + '''    e = np.exp(z - z.max())
    return e / e.sum(axis=1, keepdims=True)
''', fails=("correct_softmax",), diagnosis="maximum of the whole array (1000) instead of each row's maximum"),
    dict(cell="softmax", name="softmax modifies its input in place",
         code=_SOFTMAX_DOC + '''    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
''', fails=("correct_softmax",), diagnosis="in place"),
    dict(cell="softmax", name="softmax without keepdims (shapes do not broadcast)",
         code=_SOFTMAX_DOC + '''    e = np.exp(z - z.max(axis=1))
    return e / e.sum(axis=1)
''', fails=("correct_softmax",), diagnosis='reduce with keepdims=True'),
    # ------------------------------------------------------------------ cross-entropy
    dict(cell="cross_entropy", name="cross-entropy summed instead of averaged",
         code=_CE_DOC + '''    return float(-np.sum(np.log(probs[np.arange(len(y)), y])))
''', fails=("correct_cross_entropy",), diagnosis="summed over the batch"),
    dict(cell="cross_entropy", name="cross-entropy over all probabilities instead of the true class",
         code=_CE_DOC + '''    return float(-np.mean(np.log(probs)))
''', fails=("correct_cross_entropy",), diagnosis="true class"),
    dict(cell="cross_entropy", name="cross-entropy as a one-hot product: 0 * log 0 = NaN where a probability is 0",
         code=_CE_DOC + """    Y = one_hot(y, probs.shape[1])
    return float(-np.mean(np.sum(Y * np.log(probs), axis=1)))
""", fails=("correct_cross_entropy",), diagnosis="0 * log(0) = 0 * (-inf) gives NaN"),
    dict(cell="cross_entropy", name="cross-entropy without the minus sign",
         code=_CE_DOC + '''    return float(np.mean(np.log(probs[np.arange(len(y)), y])))
''', fails=("correct_cross_entropy",), diagnosis="sign flipped"),
    # ------------------------------------------------------------------ fused softmax cross-entropy
    dict(cell="softmax_cross_entropy", name="loss as log(softmax): -inf at logits of -1000",
         code=_SCE_DOC + '''    n = logits.shape[0]
    p = softmax(logits)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    d = p.copy()
    d[np.arange(n), y] -= 1
    return float(loss), d / n
''', fails=("correct_softmax_cross_entropy",), diagnosis='a probability underflowed to exactly 0 and log(0) = -inf'),
    dict(cell="softmax_cross_entropy", name="log-sum-exp without the max trick",
         code=_SCE_DOC + '''    n = logits.shape[0]
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    d = np.exp(log_probs)
    d[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].mean()), d / n
''', fails=("correct_softmax_cross_entropy",), diagnosis='np.exp(1000) overflowed to inf'),
    dict(cell="softmax_cross_entropy", name="dlogits made float64 by a float64 one-hot matrix (training 4x slower)",
         code=_SCE_DOC + """    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    d = (np.exp(log_probs) - one_hot(y, logits.shape[1])) / n
    return float(-log_probs[np.arange(n), y].mean()), d
""", fails=("correct_softmax_cross_entropy",), diagnosis="float32 logits should give float32 dlogits"),
    dict(cell="softmax_cross_entropy", name="gradient not divided by N",
         code=_SCE_DOC + '''    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    d = np.exp(log_probs)
    d[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].mean()), d
''', fails=("correct_softmax_cross_entropy",), diagnosis="summed over the batch"),
    dict(cell="softmax_cross_entropy", name="gradient divided by N twice",
         code=_SCE_DOC + '''    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    d = np.exp(log_probs)
    d[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].mean()), d / n / n
''', fails=("correct_softmax_cross_entropy",), diagnosis="average twice"),
    dict(cell="softmax_cross_entropy", name="gradient with the sign flipped (y - p)",
         code=_SCE_DOC + '''    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    d = -np.exp(log_probs)
    d[np.arange(n), y] += 1
    return float(-log_probs[np.arange(n), y].mean()), d / n
''', fails=("correct_softmax_cross_entropy",), diagnosis="sign flipped"),
    # ------------------------------------------------------------------ compute_grad_loss
    dict(cell="compute_grad_loss", name="dW2 transposed",
         code=_grad_loss('''    dA = (dZ @ W2.T) * S * (1.0 - S)
    grads = {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": dZ.T @ S, "b2": dZ.sum(axis=0)}'''),
         fails=("correct_compute_grad_loss", "correct_test_batch"), diagnosis="dW2"),
    dict(cell="compute_grad_loss", name="bias gradients averaged again (mean instead of sum)",
         code=_grad_loss('''    dA = (dZ @ W2.T) * S * (1.0 - S)
    grads = {"W1": X.T @ dA, "b1": dA.mean(axis=0), "W2": S.T @ dZ, "b2": dZ.mean(axis=0)}'''),
         fails=("correct_compute_grad_loss", "correct_test_batch"), diagnosis="average twice"),
    dict(cell="compute_grad_loss", name="dW1 averaged twice",
         code=_grad_loss('''    dA = (dZ @ W2.T) * S * (1.0 - S)
    grads = {"W1": X.T @ dA / len(y), "b1": dA.sum(axis=0), "W2": S.T @ dZ, "b2": dZ.sum(axis=0)}'''),
         fails=("correct_compute_grad_loss", "correct_test_batch"), diagnosis="average twice"),
    dict(cell="compute_grad_loss", name="sigmoid derivative applied to the pre-activation A",
         code=_grad_loss('''    dA = (dZ @ W2.T) * A * (1.0 - A)
    grads = {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": S.T @ dZ, "b2": dZ.sum(axis=0)}'''),
         fails=("correct_compute_grad_loss", "correct_test_batch"), diagnosis='applied to the pre-activation A'),
    dict(cell="compute_grad_loss", name="sigmoid derivative forgotten",
         code=_grad_loss('''    dA = dZ @ W2.T
    grads = {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": S.T @ dZ, "b2": dZ.sum(axis=0)}'''),
         fails=("correct_compute_grad_loss", "correct_test_batch"), diagnosis='S (1 - S) is missing'),
    dict(cell="compute_grad_loss", name="db1 summed over the wrong axis",
         code=_grad_loss('''    dA = (dZ @ W2.T) * S * (1.0 - S)
    grads = {"W1": X.T @ dA, "b1": dA.sum(axis=1), "W2": S.T @ dZ, "b2": dZ.sum(axis=0)}'''),
         fails=("correct_compute_grad_loss", "correct_test_batch"), diagnosis="db1"),
    dict(cell="compute_grad_loss", name="accuracy counted instead of averaged",
         code=_grad_loss(_GRAD_OK, accuracy="int(np.sum(Z.argmax(axis=1) == y))"),
         fails=("correct_compute_grad_loss", "correct_test_batch"), diagnosis="accuracy"),
    # ------------------------------------------------------------------ line search
    dict(cell="armijo_line_search", name="line search that never shrinks the step",
         code=_ARMIJO_SIG + '''    g2 = sum(float(np.sum(g * g)) for g in grads.values())
    alpha = alpha0
    f_new = f(step_params(params, grads, alpha))
    for _ in range(max_shrinks):
        if f_new <= f0 - sigma * alpha * g2:
            break
        f_new = f(step_params(params, grads, alpha * beta))
    return alpha, f_new
''', fails=("correct_armijo_line_search",), diagnosis="does not satisfy the Armijo condition"),
    dict(cell="armijo_line_search", name="line search with ||g|| instead of ||g||^2",
         code=_ARMIJO_SIG + '''    g_norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    alpha = alpha0
    f_new = f(step_params(params, grads, alpha))
    for _ in range(max_shrinks):
        if f_new <= f0 - sigma * alpha * g_norm:
            break
        alpha *= beta
        f_new = f(step_params(params, grads, alpha))
    return alpha, f_new
''', fails=("correct_armijo_line_search",), diagnosis="Armijo condition"),
    dict(cell="armijo_line_search", name="line search shrinks before the first try",
         code=_ARMIJO_SIG + '''    g2 = sum(float(np.sum(g * g)) for g in grads.values())
    alpha = alpha0
    for _ in range(max_shrinks):
        alpha *= beta
        f_new = f(step_params(params, grads, alpha))
        if f_new <= f0 - sigma * alpha * g2:
            break
    return alpha, f_new
''', fails=("correct_armijo_line_search",), diagnosis="shrank too far"),
    dict(cell="armijo_line_search", name="line search accepts any decrease (sigma ignored)",
         code=_ARMIJO_SIG + '''    alpha = alpha0
    f_new = f(step_params(params, grads, alpha))
    for _ in range(max_shrinks):
        if f_new < f0:
            break
        alpha *= beta
        f_new = f(step_params(params, grads, alpha))
    return alpha, f_new
''', fails=("correct_armijo_line_search",), diagnosis="does not satisfy the Armijo condition"),
    dict(cell="armijo_line_search", name="line search steps uphill (p + alpha g)",
         code=_ARMIJO_SIG + '''    g2 = sum(float(np.sum(g * g)) for g in grads.values())
    alpha = alpha0
    f_new = f(step_params(params, grads, -alpha))
    for _ in range(max_shrinks):
        if f_new <= f0 - sigma * alpha * g2:
            break
        alpha *= beta
        f_new = f(step_params(params, grads, -alpha))
    return alpha, f_new
''', fails=("correct_armijo_line_search",), diagnosis="f_new"),
    dict(cell="armijo_line_search", name="line search reads the training set from notebook globals",
         code=_ARMIJO_SIG + '''    g2 = sum(float(np.sum(g * g)) for g in grads.values())
    alpha = alpha0
    f_new = forward_loss(step_params(params, grads, alpha), X_train, y_train)
    for _ in range(max_shrinks):
        if f_new <= f0 - sigma * alpha * g2:
            break
        alpha *= beta
        f_new = forward_loss(step_params(params, grads, alpha), X_train, y_train)
    return alpha, f_new
''', fails=("correct_armijo_line_search",), diagnosis='not a pure function'),
    dict(cell="armijo_line_search", name="line search gives up one shrink early (max_shrinks steps tried, not max_shrinks + 1)",
         code=_ARMIJO_SIG + """    g2 = sum(float(np.sum(g * g)) for g in grads.values())
    for k in range(max_shrinks):
        alpha = alpha0 * beta ** k
        f_new = f(step_params(params, grads, alpha))
        if f_new <= f0 - sigma * alpha * g2:
            break
    return alpha, f_new
""", fails=("correct_armijo_line_search",), diagnosis="one shrink too few"),
    dict(cell="armijo_line_search", name="line search shrinks once more after the last failed try",
         code=_ARMIJO_SIG + """    g2 = sum(float(np.sum(g * g)) for g in grads.values())
    alpha = alpha0
    for _ in range(max_shrinks + 1):
        f_new = f(step_params(params, grads, alpha))
        if f_new <= f0 - sigma * alpha * g2:
            break
        alpha *= beta
    return alpha, f_new
""", fails=("correct_armijo_line_search",), diagnosis="one shrink too many"),
    # ------------------------------------------------------------------ gradient descent
    dict(cell="gradient_descent", name="history records the loss after the step",
         code=_GD_SIG + '''    history, steps, a0 = {"train_loss": [], "train_acc": []}, [], alpha0
    for t in range(n_iters):
        grads, loss, acc = compute_grad_loss(params, X, y)
        if step_size is None:
            alpha, f_new = line_search(lambda p: forward_loss(p, X, y), params, grads, loss, alpha0=a0)
            a0 = min(2 * alpha, alpha_max)
        else:
            alpha = step_size
            f_new = forward_loss(step_params(params, grads, alpha), X, y)
        steps.append(alpha)
        params = step_params(params, grads, alpha)
        history["train_loss"].append(f_new)
        history["train_acc"].append(acc)
        if callback is not None:
            callback(t, params, history)
    return params, history, steps
''', fails=("correct_gradient_descent",), diagnosis="train_loss"),
    dict(cell="gradient_descent", name="line search always restarted from the initial alpha0",
         code=_GD_SIG + '''    history, steps = {"train_loss": [], "train_acc": []}, []
    for t in range(n_iters):
        grads, loss, acc = compute_grad_loss(params, X, y)
        history["train_loss"].append(loss)
        history["train_acc"].append(acc)
        if step_size is None:
            alpha, _ = line_search(lambda p: forward_loss(p, X, y), params, grads, loss, alpha0=alpha0)
        else:
            alpha = step_size
        steps.append(alpha)
        params = step_params(params, grads, alpha)
        if callback is not None:
            callback(t, params, history)
    return params, history, steps
''', fails=("correct_gradient_descent",), diagnosis="alpha0 passed to the line search"),
    dict(cell="gradient_descent", name="parameters updated in place",
         code=_GD_SIG + '''    history, steps, a0 = {"train_loss": [], "train_acc": []}, [], alpha0
    for t in range(n_iters):
        grads, loss, acc = compute_grad_loss(params, X, y)
        history["train_loss"].append(loss)
        history["train_acc"].append(acc)
        if step_size is None:
            alpha, _ = line_search(lambda p: forward_loss(p, X, y), params, grads, loss, alpha0=a0)
            a0 = min(2 * alpha, alpha_max)
        else:
            alpha = step_size
        steps.append(alpha)
        for k in params:
            params[k] -= alpha * grads[k]
        if callback is not None:
            callback(t, params, history)
    return params, history, steps
''', fails=("correct_gradient_descent",), diagnosis="in place"),
    dict(cell="gradient_descent", name="step taken uphill (params + alpha * grads)",
         code=_GD_SIG + '''    history, steps, a0 = {"train_loss": [], "train_acc": []}, [], alpha0
    for t in range(n_iters):
        grads, loss, acc = compute_grad_loss(params, X, y)
        history["train_loss"].append(loss)
        history["train_acc"].append(acc)
        if step_size is None:
            alpha, _ = line_search(lambda p: forward_loss(p, X, y), params, grads, loss, alpha0=a0)
            a0 = min(2 * alpha, alpha_max)
        else:
            alpha = step_size
        steps.append(alpha)
        params = step_params(params, grads, -alpha)
        if callback is not None:
            callback(t, params, history)
    return params, history, steps
''', fails=("correct_gradient_descent",), diagnosis="final params"),
]
