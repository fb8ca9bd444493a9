"""Realistic wrong answers for 04_binary_mnist: each must lose exactly the points of `fails`.

No mistake cascades: the deliverables (loss and gradients on the shipped batch) are checked in the hidden parts of
correct_logistic_loss and correct_backward_pass with a forward pass computed by the test, and under grading
correct_train runs the student's loop with reference stand-ins (hidden/solution.py) of the functions it calls;
its visible part runs the loop with stand-ins of its own (a linear model with the squared error), so Validate judges
the loop alone too.
"""
from helpers.grader.submissions import Mistake, Replace

MISTAKES = [
    Mistake(cell='sigmoid_activation', name='naive sigmoid 1 / (1 + exp(-s)) overflows for very negative s',
            fails=('correct_sigmoid_activation',),
            diagnosis='overflowed',
            patch=[
        Replace('''e = np.exp(-np.abs(s))                          # in (0, 1]: never overflows
    out = np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    out = np.clip(out, eps, 1.0 - eps)
    grad = out * (1.0 - out)
    return out, grad''',
                '''out = np.clip(1.0 / (1.0 + np.exp(-s)), eps, 1.0 - eps)
    return out, out * (1.0 - out)''')]),
    Mistake(cell='sigmoid_activation', name='np.where with both branches computing exp (still overflows)',
            fails=('correct_sigmoid_activation',),
            diagnosis='np.where evaluates BOTH branches',
            patch=[
        Replace('''e = np.exp(-np.abs(s))                          # in (0, 1]: never overflows
    out = np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e''',
                'out = np.where(s >= 0, 1.0 / (1.0 + np.exp(-s)), np.exp(s) / (1.0 + np.exp(s)'),
        Replace('''grad = out * (1.0 - out)
    return out, grad''',
                'return out, out * (1.0 - out)')]),
    Mistake(cell='sigmoid_activation', name='stable but not clipped (returns exactly 0 and 1)',
            fails=('correct_sigmoid_activation',),
            diagnosis='Clip the output',
            patch=[
        Replace('''out = np.clip(out, eps, 1.0 - eps)
    grad = out * (1.0 - out)
    return out, grad''',
                'return out, out * (1.0 - out)')]),
    Mistake(cell='sigmoid_activation', name='derivative formula applied to s instead of sigma(s)',
            fails=('correct_sigmoid_activation',),
            diagnosis='applied to s itself',
            patch=[
        Replace('''                          # in (0, 1]: never overflows
    out = np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    out = np.clip(out, eps, 1.0 - eps)
    grad = out * (1.0 - out)
    return out, grad''',
                '''
    out = np.clip(np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), eps, 1.0 - eps)
    return out, s * (1.0 - s)''')]),
    Mistake(cell='sigmoid_activation', name='derivative computed from the unclipped output',
            fails=('correct_sigmoid_activation',),
            diagnosis='computed from the unclipped output',
            patch=[
        Replace('''    out = np.clip(out, eps, 1.0 - eps)
''',
                ''),
        Replace(' out,',
                ' np.clip(out, eps, 1.0 - eps),')]),
    Mistake(cell='relu_activation', name='ReLU derivative from out >= 0 (always 1)',
            fails=('correct_relu_activation',),
            diagnosis='1 for negative inputs too',
            patch=[
        Replace('''grad = (s > 0).astype(np.float64)
    return out, grad''',
                'return out, (out >= 0).astype(float)')]),
    Mistake(cell='relu_activation', name='ReLU derivative returned as the ReLU output',
            fails=('correct_relu_activation',),
            diagnosis='not the 0/1 mask',
            patch=[
        Replace('''grad = (s > 0).astype(np.float64)
    return out, grad''',
                'return out, out')]),
    Mistake(cell='logistic_loss', name='y (N,) broadcast against g (N, 1) into an (N, N) loss',
            fails=('correct_logistic_loss',),
            diagnosis='broadcast',
            patch=[
        Replace('''    y = y.reshape(-1, 1)                       # (N, 1), lined up with g
''',
                ''),
        Replace('[:, 0]',
                '')]),
    Mistake(cell='logistic_loss', name='sign of dL/dg flipped',
            fails=('correct_logistic_loss',),
            diagnosis='the sign of dL/dg is flipped',
            patch=[
        Replace('''dL_dg = (g - y) / (g * (1 - g))
    return loss[:, 0], dL_dg''',
                'return loss[:, 0], (y - g) / (g * (1 - g))')]),
    Mistake(cell='logistic_loss', name="dL/dg = g - y (the sigmoid's derivative folded into the loss)",
            fails=('correct_logistic_loss',),
            diagnosis='missing the 1 / (g (1 - g)) factor',
            patch=[
        Replace('''dL_dg = (g - y) / (g * (1 - g))
    return loss[:, 0], dL_dg''',
                'return loss[:, 0], g - y')]),
    Mistake(cell='logistic_loss', name='dL/dg already averaged over the batch',
            fails=('correct_logistic_loss',),
            diagnosis='divided by N: logistic_loss returns per-sample derivatives',
            patch=[
        Replace('''dL_dg = (g - y) / (g * (1 - g))
    return loss[:, 0], dL_dg''',
                'return loss[:, 0], (g - y) / (g * (1 - g)) / len(g)')]),
    Mistake(cell='layer_forward', name='activation derivative taken at the layer output',
            fails=('correct_layer_forward',),
            diagnosis='taken at the layer output',
            patch=[
        Replace('''s = x @ W + b
    out, grad = activation(s''',
                '''out, _ = activation(x @ W + b)
    _, grad = activation(out''')]),
    Mistake(cell='layer_forward', name='cache stores the layer output instead of its input',
            fails=('correct_layer_forward',),
            diagnosis='cache[0]',
            patch=[
        Replace('''s = x @ W + b
    out, grad = activation(s)
    return out, (x''',
                '''out, grad = activation(x @ W + b)
    return out, (out''')]),
    Mistake(cell='create_weight_matrices', name='weights of shape (D_out, D_in)',
            fails=('correct_create_weight_matrices',),
            diagnosis='transposed',
            patch=[
        Replace('(d_in, d_out)',
                '(d_out, d_in)')]),
    Mistake(cell='create_weight_matrices', name='standard normal weights, not scaled by sqrt(2 / D_in)',
            fails=('correct_create_weight_matrices',),
            diagnosis='forget to scale',
            patch=[
        Replace('''0.0, np.sqrt(2.0 / d_in), size=(d_in, d_out))
           ''',
                'size=(d_in, d_out))')]),
    Mistake(cell='create_weight_matrices', name='global np.random ignores the seed',
            fails=('correct_create_weight_matrices',),
            diagnosis='same seed gave different weights',
            patch=[
        Replace('''rng = np.random.default_rng(seed)
    return [rng.normal(0.0, np.sqrt(2.0 / d_in), size=(d_in, d_out)''',
                'return [np.random.randn(d_in, d_out) * np.sqrt(2.0 / d_in')]),
    Mistake(cell='create_weight_matrices', name='scale sqrt(2 / D_out): fan-out instead of fan-in',
            fails=('correct_create_weight_matrices',),
            diagnosis='sqrt(2 / D_out) (fan-out)',
            patch=[
        Replace(' d_in)',
                ' d_out)')]),
    Mistake(cell='create_weight_matrices', name='scale sqrt(2 / (D_in + D_out)): fan-in + fan-out where He wants the fan-in',
            fails=('correct_create_weight_matrices',),
            diagnosis='sqrt(2 / (D_in + D_out)) (fan-in + fan-out',
            patch=[
        Replace(' d_in)',
                ' (d_in + d_out))')]),
    Mistake(cell='create_weight_matrices', name='variance 2 / D_in passed as the standard deviation',
            fails=('correct_create_weight_matrices',),
            diagnosis='the variance was used as the standard deviation',
            patch=[
        Replace('np.sqrt(2.0 / d_in)',
                '2.0 / d_in')]),
    Mistake(cell='create_bias_vectors', name='biases as column vectors (D_out, 1)',
            fails=('correct_create_bias_vectors',),
            diagnosis='broadcasts wrongly',
            patch=[
        Replace('(d_out)',
                '((d_out, 1))')]),
    Mistake(cell='forward_pass', name='caches returned last layer first',
            fails=('correct_forward_pass',),
            diagnosis='in layer order',
            patch=[
        Replace(''' = []
    a =''',
                ', a = [],'),
        Replace('append(',
                'insert(0, ')]),
    Mistake(cell='forward_pass', name='activations applied in reverse order',
            fails=('correct_forward_pass',),
            diagnosis='wrong order',
            patch=[
        Replace(''' = []
    a = X
    for W, b, activation in zip(weights, biases, activations''',
                ''', a = [], X
    for W, b, activation in zip(weights, biases, activations[::-1]''')]),
    Mistake(cell='forward_pass', name='every layer fed X instead of the previous output',
            fails=('correct_forward_pass',),
            diagnosis='every layer received the input X',
            patch=[
        Replace('''    a = X
''',
                ''),
        Replace('a, cache = layer_forward(a',
                'out, cache = layer_forward(X'),
        Replace(' a,',
                ' out,')]),
    Mistake(cell='backward_pass', name='gradients averaged twice (1/N in delta and again in dW, db)',
            fails=('correct_backward_pass',),
            diagnosis='did you average twice?',
            patch=[
        Replace('''                    # (N, D_out)
        dWs.append(x.T @ delta)                 # (D_in, D_out): sums over the batch
        dbs.append(delta.sum(axis=0))           # (D_out,)
        dL_da = delta @ W.T                     # (N, D_in): to the previous layer''',
                '''
        dWs.append(x.T @ delta / N)
        dbs.append(delta.mean(axis=0))
        dL_da = delta @ W.T''')]),
    Mistake(cell='backward_pass', name='gradients summed over the batch, not averaged',
            fails=('correct_backward_pass',),
            diagnosis='you summed over the batch instead of averaging',
            patch=[
        Replace('''N = dL_dg.shape[0]
    dL_da = dL_dg / N                           # the mean over the batch, taken once''',
                'dL_da = dL_dg')]),
    Mistake(cell='backward_pass', name='dW transposed (delta.T @ x)',
            fails=('correct_backward_pass',),
            diagnosis='the transpose of',
            patch=[
        Replace('''                    # (N, D_out)
        dWs.append(x.T @ delta)                 # (D_in, D_out): sums over the batch
        dbs.append(delta.sum(axis=0))           # (D_out,)
        dL_da = delta @ W.T                     # (N, D_in): to the previous layer''',
                '''
        dWs.append(delta.T @ x)
        dbs.append(delta.sum(axis=0))
        dL_da = delta @ W.T''')]),
    Mistake(cell='backward_pass', name='bias gradient not summed over the batch',
            fails=('correct_backward_pass',),
            diagnosis='Sum delta over the batch',
            patch=[
        Replace('''                    # (N, D_out)
        dWs.append(x.T @ delta)                 # (D_in, D_out): sums over the batch
        dbs.append(delta.sum(axis=0))           # (D_out,)
        dL_da = delta @ W.T                     # (N, D_in): to the previous layer''',
                '''
        dWs.append(x.T @ delta)
        dbs.append(delta)
        dL_da = delta @ W.T''')]),
    Mistake(cell='backward_pass', name='bias gradient summed over the wrong axis',
            fails=('correct_backward_pass',),
            diagnosis='reduced over the wrong axis',
            patch=[
        Replace('''                    # (N, D_out)
        dWs.append(x.T @ delta)                 # (D_in, D_out): sums over the batch
        dbs.append(delta.sum(axis=0))           # (D_out,)
        dL_da = delta @ W.T                     # (N, D_in): to the previous layer''',
                '''
        dWs.append(x.T @ delta)
        dbs.append(delta.sum(axis=1))
        dL_da = delta @ W.T''')]),
    Mistake(cell='backward_pass', name='activation derivative not applied (delta = dL/da)',
            fails=('correct_backward_pass',),
            diagnosis="the activation's derivative was not applied",
            patch=[
        Replace(''' * grad                    # (N, D_out)
        dWs.append(x.T @ delta)                 # (D_in, D_out): sums over the batch
        dbs.append(delta.sum(axis=0))           # (D_out,)
        dL_da = delta @ W.T                     # (N, D_in): to the previous layer''',
                '''
        dWs.append(x.T @ delta)
        dbs.append(delta.sum(axis=0))
        dL_da = delta @ W.T''')]),
    Mistake(cell='backward_pass', name='gradients returned last layer first',
            fails=('correct_backward_pass',),
            diagnosis='reverse order',
            patch=[
        Replace('[::-1], dbs[::-1]',
                ', dbs')]),
    Mistake(cell='fd_grad', name='one-sided (forward) difference',
            fails=('correct_fd_grad',),
            diagnosis='one-sided',
            patch=[
        Replace('''old - eps
''',
                '''old
'''),
        Replace('(2 * eps)',
                'eps')]),
    Mistake(cell='fd_grad', name='central difference divided by eps instead of 2 eps',
            fails=('correct_fd_grad',),
            diagnosis='divided by eps instead of 2 eps',
            patch=[
        Replace('''                      # restore
        grad[i] = (f_plus - f_minus) / (2 * eps)''',
                '''
        grad[i] = (f_plus - f_minus) / eps''')]),
    Mistake(cell='fd_grad', name='perturbed entries not restored',
            fails=('correct_fd_grad',),
            diagnosis='put each entry back',
            patch=[
        Replace('''        flat_array[i] = old                      # restore
''',
                '')]),
    Mistake(cell='train', name='test set evaluated after every step',
            fails=('correct_train',),
            diagnosis='expected one per epoch',
            patch=[
        Replace('''test_loss, test_acc = evaluate(X_test, y_test, weights, biases)
        history["test_loss"].append(test_loss)
''',
                '''    test_loss, test_acc = evaluate(X_test, y_test, weights, biases)
            history["test_loss"].append(test_loss)
    ''')]),
    Mistake(cell='train', name='gradient ascent (W += lr * dW)',
            fails=('correct_train',),
            diagnosis='moved up the gradient',
            patch=[
        Replace('''-= lr * dW
                b -''',
                '''+= lr * dW
                b +''')]),
    Mistake(cell='train', name='last, smaller minibatch of every epoch dropped',
            fails=('correct_train',),
            diagnosis='not dropped',
            patch=[
        Replace(' N, ',
                ' N - batch_size + 1, ')]),
    Mistake(cell='train', name='update rebinds the loop variable (W = W - lr * dW): the weights never change',
            fails=('correct_train',),
            diagnosis='the weights were never updated',
            patch=[
        Replace('''-= lr * dW
                b -=''',
                '''= W - lr * dW
                b = b -''')]),
]
