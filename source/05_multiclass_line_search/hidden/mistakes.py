"""Realistic wrong answers for 05_multiclass_line_search: each must lose exactly the points of `fails`.

Isolation: the hidden tests of later functions rebind their dependencies to reference stand-ins
(isolate.use_reference); their visible parts, which Validate runs on the student's own functions, swap
in small stand-ins of their own (a stable softmax and cross-entropy in the fused loss's test, the plain
fused loss in compute_grad_loss's and the deliverable's), and the visible test of gradient_descent runs
on a quadratic, so each mistake costs only its own function's tests, in Validate as in grading.
compute_grad_loss has two graded cells (its own checks and the test-batch deliverable); a wrong
compute_grad_loss loses both, by design: the deliverable is that function's output.
"""
from helpers.grader.submissions import Mistake, Replace

MISTAKES = [
    Mistake(cell='softmax', name='softmax without the max trick (NaN at logits of 1000)',
            fails=('correct_softmax',),
            diagnosis='Use the max trick',
            patch=[
        Replace('''shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted''',
                'e = np.exp(z')]),
    Mistake(cell='softmax', name='softmax normalised over the wrong axis',
            fails=('correct_softmax',),
            diagnosis='normalised over the wrong axis',
            patch=[
        Replace('''shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1''',
                '''e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=0''')]),
    Mistake(cell='softmax', name='softmax shifted by the maximum of the whole matrix',
            fails=('correct_softmax',),
            diagnosis="maximum of the whole array (1000) instead of each row's maximum",
            patch=[
        Replace('''shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted''',
                'e = np.exp(z - z.max()')]),
    Mistake(cell='softmax', name='softmax modifies its input in place',
            fails=('correct_softmax',),
            diagnosis='in place',
            patch=[
        Replace('''shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted''',
                '''z -= z.max(axis=1, keepdims=True)
    e = np.exp(z''')]),
    Mistake(cell='softmax', name='softmax without keepdims (shapes do not broadcast)',
            fails=('correct_softmax',),
            diagnosis='reduce with keepdims=True',
            patch=[
        Replace('''shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True''',
                '''e = np.exp(z - z.max(axis=1))
    return e / e.sum(axis=1''')]),
    Mistake(cell='cross_entropy', name='cross-entropy summed instead of averaged',
            fails=('correct_cross_entropy',),
            diagnosis='summed over the batch',
            patch=[
        Replace('''n = probs.shape[0]
    return float(-np.mean(np.log(probs[np.arange(n''',
                'return float(-np.sum(np.log(probs[np.arange(len(y)')]),
    Mistake(cell='cross_entropy', name='cross-entropy over all probabilities instead of the true class',
            fails=('correct_cross_entropy',),
            diagnosis='true class',
            patch=[
        Replace('''n = probs.shape[0]
    return float(-np.mean(np.log(probs[np.arange(n), y]''',
                'return float(-np.mean(np.log(probs')]),
    Mistake(cell='cross_entropy', name='cross-entropy as a one-hot product: 0 * log 0 = NaN where a probability is 0',
            fails=('correct_cross_entropy',),
            diagnosis='0 * log(0) = 0 * (-inf) gives NaN',
            patch=[
        Replace('''n = probs.shape[0]
    return float(-np.mean(np.log(probs[np.arange(n), y]''',
                '''Y = one_hot(y, probs.shape[1])
    return float(-np.mean(np.sum(Y * np.log(probs), axis=1''')]),
    Mistake(cell='cross_entropy', name='cross-entropy without the minus sign',
            fails=('correct_cross_entropy',),
            diagnosis='sign flipped',
            patch=[
        Replace('''n = probs.shape[0]
    return float(-np.mean(np.log(probs[np.arange(n''',
                'return float(np.mean(np.log(probs[np.arange(len(y)')]),
    Mistake(cell='softmax_cross_entropy', name='loss as log(softmax): -inf at logits of -1000',
            fails=('correct_softmax_cross_entropy',),
            diagnosis='a probability underflowed to exactly 0 and log(0) = -inf',
            patch=[
        Replace('''rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1.0
    return float(loss), dlogits''',
                '''p = softmax(logits)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    d = p.copy()
    d[np.arange(n), y] -= 1
    return float(loss), d''')]),
    Mistake(cell='softmax_cross_entropy', name='log-sum-exp without the max trick',
            fails=('correct_softmax_cross_entropy',),
            diagnosis='np.exp(1000) overflowed to inf',
            patch=[
        Replace('''rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1.0
    return float(loss), dlogits''',
                '''log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    d = np.exp(log_probs)
    d[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].mean()), d''')]),
    Mistake(cell='softmax_cross_entropy', name='dlogits made float64 by a float64 one-hot matrix (training 4x slower)',
            fails=('correct_softmax_cross_entropy',),
            diagnosis='float32 logits should give float32 dlogits',
            patch=[
        Replace('''loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1.0
    return float(loss), dlogits / n''',
                '''d = (np.exp(log_probs) - one_hot(y, logits.shape[1])) / n
    return float(-log_probs[np.arange(n), y].mean()), d''')]),
    Mistake(cell='softmax_cross_entropy', name='gradient not divided by N',
            fails=('correct_softmax_cross_entropy',),
            diagnosis='summed over the batch',
            patch=[
        Replace('''loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1.0
    return float(loss), dlogits / n''',
                '''d = np.exp(log_probs)
    d[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].mean()), d''')]),
    Mistake(cell='softmax_cross_entropy', name='gradient divided by N twice',
            fails=('correct_softmax_cross_entropy',),
            diagnosis='average twice',
            patch=[
        Replace('''loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1.0
    return float(loss), dlogits''',
                '''d = np.exp(log_probs)
    d[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].mean()), d / n''')]),
    Mistake(cell='softmax_cross_entropy', name='gradient with the sign flipped (y - p)',
            fails=('correct_softmax_cross_entropy',),
            diagnosis='sign flipped',
            patch=[
        Replace('''loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1.0
    return float(loss), dlogits''',
                '''d = -np.exp(log_probs)
    d[np.arange(n), y] += 1
    return float(-log_probs[np.arange(n), y].mean()), d''')]),
    Mistake(cell='compute_grad_loss', name='dW2 transposed',
            fails=('correct_compute_grad_loss', 'correct_test_batch'),
            diagnosis='dW2',
            patch=[
        Replace('''                  # (N, H)
    grads = {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": S.T @ dZ''',
                '''
    grads = {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": dZ.T @ S''')]),
    Mistake(cell='compute_grad_loss', name='bias gradients averaged again (mean instead of sum)',
            fails=('correct_compute_grad_loss', 'correct_test_batch'),
            diagnosis='average twice',
            patch=[
        Replace('''                  # (N, H)
    grads = {"W1": X.T @ dA, "b1": dA.sum(axis=0), "W2": S.T @ dZ, "b2": dZ.sum''',
                '''
    grads = {"W1": X.T @ dA, "b1": dA.mean(axis=0), "W2": S.T @ dZ, "b2": dZ.mean''')]),
    Mistake(cell='compute_grad_loss', name='dW1 averaged twice',
            fails=('correct_compute_grad_loss', 'correct_test_batch'),
            diagnosis='average twice',
            patch=[
        Replace('''                  # (N, H)
    grads = {"W1": X.T @ dA''',
                '''
    grads = {"W1": X.T @ dA / len(y)''')]),
    Mistake(cell='compute_grad_loss', name='sigmoid derivative applied to the pre-activation A',
            fails=('correct_compute_grad_loss', 'correct_test_batch'),
            diagnosis='applied to the pre-activation A',
            patch=[
        Replace('S = sigmoid(X @ W1 + b1)                          # (N, H)',
                'A = X @ W1 + b1                                   # (N, H) pre-activation\n    S = sigmoid(A)'),
        Replace('S * (1.0 - S)                  # (N, H',
                'A * (1.0 - A')]),
    Mistake(cell='compute_grad_loss', name='sigmoid derivative forgotten',
            fails=('correct_compute_grad_loss', 'correct_test_batch'),
            diagnosis='S (1 - S) is missing',
            patch=[
        Replace('(dZ @ W2.T) * S * (1.0 - S)                  # (N, H)',
                'dZ @ W2.T')]),
    Mistake(cell='compute_grad_loss', name='db1 summed over the wrong axis',
            fails=('correct_compute_grad_loss', 'correct_test_batch'),
            diagnosis='db1',
            patch=[
        Replace('''                  # (N, H)
    grads = {"W1": X.T @ dA, "b1": dA.sum(axis=0''',
                '''
    grads = {"W1": X.T @ dA, "b1": dA.sum(axis=1''')]),
    Mistake(cell='compute_grad_loss', name='accuracy counted instead of averaged',
            fails=('correct_compute_grad_loss', 'correct_test_batch'),
            diagnosis='accuracy',
            patch=[
        Replace('float(np.mean',
                'int(np.sum')]),
    Mistake(cell='armijo_line_search', name='line search that never shrinks the step',
            fails=('correct_armijo_line_search',),
            diagnosis='does not satisfy the Armijo condition',
            patch=[
        Replace('''alpha *= beta
        f_new = f(step_params(params, grads, alpha''',
                'f_new = f(step_params(params, grads, alpha * beta')]),
    Mistake(cell='armijo_line_search', name='line search with ||g|| instead of ||g||^2',
            fails=('correct_armijo_line_search',),
            diagnosis='Armijo condition',
            patch=[
        Replace('g2 = sum(float(np.sum(g * g)) for g in grads.values())     # ||g||^2 over every array of the dict',
                'g_norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))'),
        Replace('g2',
                'g_norm')]),
    Mistake(cell='armijo_line_search', name='line search shrinks before the first try',
            fails=('correct_armijo_line_search',),
            diagnosis='shrank too far',
            patch=[
        Replace('''
    f_new = f(step_params(params, grads, alpha))
 ''',
                '''
 '''),
        Replace('''max_shrinks):
    ''',
                '''max_shrinks):
        alpha *= beta
        f_new = f(step_params(params, grads, alpha))
    '''),
        Replace('''break
        alpha *= beta
        f_new = f(step_params(params, grads, alpha))
  ''',
                '''break
  ''')]),
    Mistake(cell='armijo_line_search', name='line search accepts any decrease (sigma ignored)',
            fails=('correct_armijo_line_search',),
            diagnosis='does not satisfy the Armijo condition',
            patch=[
        Replace('''    g2 = sum(float(np.sum(g * g)) for g in grads.values())     # ||g||^2 over every array of the dict
''',
                ''),
        Replace('= f0 - sigma * alpha * g2',
                ' f0')]),
    Mistake(cell='armijo_line_search', name='line search steps uphill (p + alpha g)',
            fails=('correct_armijo_line_search',),
            diagnosis='f_new',
            patch=[
        Replace('''(step_params(params, grads, alpha))
    for''',
                '''(step_params(params, grads, -alpha))
    for'''),
        Replace(', alpha)',
                ', -alpha)')]),
    Mistake(cell='armijo_line_search', name='line search reads the training set from notebook globals',
            fails=('correct_armijo_line_search',),
            diagnosis='not a pure function',
            patch=[
        Replace('''  f_new = f(step_params(params, grads, alpha))
    for''',
                '''  f_new = forward_loss(step_params(params, grads, alpha), X_train, y_train)
    for'''),
        Replace('f(step_params(params, grads, alpha))',
                'forward_loss(step_params(params, grads, alpha), X_train, y_train)')]),
    Mistake(cell='armijo_line_search', name='line search gives up one shrink early (max_shrinks steps tried, not max_shrinks + 1)',
            fails=('correct_armijo_line_search',),
            diagnosis='one shrink too few',
            patch=[
        Replace('''     # ||g||^2 over every array of the dict
    alpha = alpha0
    f_new = f(step_params(params, grads, alpha))
    for _ in range(max_shrinks):''',
                '''
    for k in range(max_shrinks):
        alpha = alpha0 * beta ** k
        f_new = f(step_params(params, grads, alpha))'''),
        Replace('''        alpha *= beta
        f_new = f(step_params(params, grads, alpha))
''',
                '')]),
    Mistake(cell='armijo_line_search', name='line search shrinks once more after the last failed try',
            fails=('correct_armijo_line_search',),
            diagnosis='one shrink too many',
            patch=[
        Replace('''f_new = f(step_params(params, grads, alpha))
    for _ in range(max_shrinks):''',
                '''for _ in range(max_shrinks + 1):
        f_new = f(step_params(params, grads, alpha))'''),
        Replace('''beta
        f_new = f(step_params(params, grads, alpha))
  ''',
                '''beta
  ''')]),
    Mistake(cell='gradient_descent', name='history records the loss after the step',
            fails=('correct_gradient_descent',),
            diagnosis='train_loss',
            patch=[
        Replace('''        history["train_loss"].append(float(loss))
        history["train_acc"].append(float(acc))
''',
                ''),
        Replace('''alpha)
   ''',
                '''alpha)
        history["train_loss"].append(float(forward_loss(params, X, y)))
        history["train_acc"].append(float(acc))
   ''')]),
    Mistake(cell='gradient_descent', name='line search always restarted from the initial alpha0',
            fails=('correct_gradient_descent',),
            diagnosis='alpha0 passed to the line search',
            patch=[
        Replace('=next_alpha0)',
                '=alpha0)')]),
    Mistake(cell='gradient_descent', name='parameters updated in place',
            fails=('correct_gradient_descent',),
            diagnosis='in place',
            patch=[
        Replace('''float(alpha))
        params = step_params(params, grads, alpha)''',
                '''alpha)
        for k in params:
            params[k] -= alpha * grads[k]''')]),
    Mistake(cell='gradient_descent', name='step taken uphill (params + alpha * grads)',
            fails=('correct_gradient_descent',),
            diagnosis='final params',
            patch=[
        Replace('''float(alpha))
        params = step_params(params, grads, ''',
                '''alpha)
        params = step_params(params, grads, -''')]),
]
