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
from helpers.grader.submissions import Mistake, Replace

MISTAKES = [
    Mistake(cell='dense_forward', name='bias not added',
            fails=('correct_dense_forward',),
            diagnosis='the bias b was not added',
            patch=[
        Replace('''out = x @ W + b
    cache = (x, W)
    return out, cache''',
                'return x @ W, (x, W)')]),
    Mistake(cell='dense_forward', name='x overwritten by the output, so the cache holds the output',
            fails=('correct_dense_forward',),
            diagnosis='the cache holds the output instead of the input x',
            patch=[
        Replace('''out = x @ W + b
    cache = (x, W)
    return out, cache''',
                '''x = x @ W + b
    return x, (x, W)''')]),
    Mistake(cell='dense_forward', name='bias added with the wrong sign (x @ W - b)',
            fails=('correct_dense_forward',),
            diagnosis='dense_forward(x, W, b) is wrong',
            patch=[
        Replace('''out = x @ W + b
    cache = (x, W)
    return out, cache''',
                'return x @ W - b, (x, W)')]),
    Mistake(cell='dense_backward', name='dW averaged over the batch a second time',
            fails=('correct_dense_backward',),
            diagnosis='batch size',
            patch=[
        Replace('''dout
''',
                '''dout / len(x)
''')]),
    Mistake(cell='dense_backward', name='bias gradient averaged instead of summed',
            fails=('correct_dense_backward',),
            diagnosis='mean',
            patch=[
        Replace('sum',
                'mean')]),
    Mistake(cell='dense_backward', name='bias gradient summed over the wrong axis',
            fails=('correct_dense_backward',),
            diagnosis='axis',
            patch=[
        Replace('0',
                '1')]),
    Mistake(cell='dense_backward', name='dW transposed',
            fails=('correct_dense_backward',),
            diagnosis='transpose',
            patch=[
        Replace('x.T @ dout',
                'dout.T @ x')]),
    Mistake(cell='relu', name='ReLU applied to the upstream gradient',
            fails=('correct_relu',),
            diagnosis='ReLU was applied to the upstream gradient',
            patch=[
        Replace('da * (cache >',
                'np.maximum(da,')]),
    Mistake(cell='relu', name='upstream gradient multiplied by z',
            fails=('correct_relu',),
            diagnosis='multiplied by z',
            patch=[
        Replace('(cache > 0)',
                'cache')]),
    Mistake(cell='relu', name='ReLU derivative taken as 1 at exactly z = 0 (z >= 0)',
            fails=('correct_relu',),
            diagnosis='the derivative at exactly z = 0 was taken as 1',
            patch=[
        Replace('cache > 0)',
                'cache >= 0)')]),
    Mistake(cell='create_dense_sequential', name='He init with the wrong fan (fan_out)',
            fails=('correct_create_dense_sequential',),
            diagnosis='fan_out instead of fan_in',
            patch=[
        Replace('/ fan_in) ',
                '/ fan_out) ')]),
    Mistake(cell='create_dense_sequential', name='variance used as standard deviation',
            fails=('correct_create_dense_sequential',),
            diagnosis='variance 2/fan_in used as the standard deviation',
            patch=[
        Replace('np.sqrt(2.0 / fan_in)',
                '2.0 / fan_in')]),
    Mistake(cell='create_dense_sequential', name='biases initialised randomly',
            fails=('correct_create_dense_sequential',),
            diagnosis='biases should start at zero',
            patch=[
        Replace('np.zeros(fan_out, dtype=',
                '(rng.standard_normal(fan_out) * 0.1).astype(')]),
    Mistake(cell='create_dense_sequential', name='first and last layer built from hidden_sizes[0] and hidden_sizes[-1] (no hidden layer fails)',
            fails=('correct_create_dense_sequential',),
            diagnosis='with hidden_sizes=[] (no hidden layer',
            patch=[
        Replace('sizes = [n_in, *hidden_sizes, n_out',
                'pairs = [(n_in, hidden_sizes[0]), *zip(hidden_sizes[:-1], hidden_sizes[1:]), (hidden_sizes[-1], n_out)'),
        Replace('zip(sizes[:-1], sizes[1:])',
                'pairs')]),
    Mistake(cell='mlp_forward', name='ReLU on the output layer too',
            fails=('correct_mlp_forward',),
            diagnosis='ReLU was applied to the output layer',
            patch=[
        Replace('l < L',
                'True')]),
    Mistake(cell='mlp_forward', name='no ReLU between the layers',
            fails=('correct_mlp_forward',),
            diagnosis='no ReLU between the layers',
            patch=[
        Replace('l < L',
                'False')]),
    Mistake(cell='mlp_forward', name="caches.append outside the loop (only the last layer's cache)",
            fails=('correct_mlp_forward',),
            diagnosis='expected one cache per layer',
            patch=[
        Replace('     caches',
                ' caches')]),
    Mistake(cell='mlp_backward', name='ReLU skipped on the way back',
            fails=('correct_mlp_backward',),
            diagnosis='relu_backward was never called',
            patch=[
        Replace('relu_cache is not None',
                'False')]),
    Mistake(cell='mlp_backward', name='layers walked in forward order',
            fails=('correct_mlp_backward',),
            diagnosis='it must walk them backwards',
            patch=[
        Replace('len(caches), 0, -',
                '1, len(caches) + ')]),
    Mistake(cell='mlp_backward', name="gradients divided by the batch size again (04's habit)",
            fails=('correct_mlp_backward',),
            diagnosis='divided by the batch size',
            patch=[
        Replace('''dlogits
  ''',
                '''dlogits
    N = len(dlogits)
  '''),
        Replace('grads[f"W{l}"], grads[f"b{l}"] = dense_backward(d, dense_cache)',
                '''dW, db = dense_backward(d, dense_cache)
        grads[f"W{l}"], grads[f"b{l}"] = dW / N, db / N''')]),
    Mistake(cell='softmax', name='softmax without the max trick',
            fails=('correct_softmax',),
            diagnosis="Subtract each row's own maximum before np.exp (the max trick)",
            patch=[
        Replace(' - z.max(axis=1, keepdims=True)',
                '')]),
    Mistake(cell='softmax', name="global max subtracted instead of each row's",
            fails=('correct_softmax',),
            diagnosis="maximum of the whole array (1000) instead of each row's maximum",
            patch=[
        Replace('max(axis=1, keepdims=True))',
                'max())')]),
    Mistake(cell='softmax_cross_entropy', name='gradient not divided by N',
            fails=('correct_softmax_cross_entropy',),
            diagnosis='batch size',
            patch=[
        Replace('/= N',
                '= dlogits')]),
    Mistake(cell='softmax_cross_entropy', name='gradient averaged twice',
            fails=('correct_softmax_cross_entropy',),
            diagnosis='batch size',
            patch=[
        Replace('/=',
                '= dlogits / N /')]),
    Mistake(cell='softmax_cross_entropy', name='gradient sign flipped (Y - P)',
            fails=('correct_softmax_cross_entropy',),
            diagnosis='sign',
            patch=[
        Replace('/=',
                '= -dlogits /')]),
    Mistake(cell='softmax_cross_entropy', name='loss as log of a naive softmax',
            fails=('correct_softmax_cross_entropy',),
            diagnosis='np.exp(1000) overflowed to inf. Compute log p with the log-sum-exp formula',
            patch=[
        Replace('log_probs[rows, y]',
                'np.log((np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))[rows, y])'),
        Replace('/=',
                '= dlogits /')]),
    Mistake(cell='mse_loss', name='averaged over classes too (np.mean)',
            fails=('correct_mse_loss',),
            diagnosis='averaged over all N*K entries (np.mean) instead of summing over the classes and averaging over the batch, and the 1/2 left out',
            patch=[
        Replace('''0.5 * np.sum(diff ** 2) / N
    return float(loss), diff / N''',
                '''np.mean(diff ** 2)
    return float(loss), 2 * diff / diff.size''')]),
    Mistake(cell='mse_loss', name='mean over all entries, halved (np.mean(diff ** 2) / 2)',
            fails=('correct_mse_loss',),
            diagnosis='averaged over all N*K entries (np.mean(diff ** 2) / 2)',
            patch=[
        Replace('0.5 * np.sum(diff ** 2) / N',
                'np.mean(diff ** 2) / 2')]),
    Mistake(cell='mse_loss', name='the 1/2 left out of the loss',
            fails=('correct_mse_loss',),
            diagnosis='the 1/2 left out: twice the correct loss',
            patch=[
        Replace('0.5 * ',
                '')]),
    Mistake(cell='mse_loss', name='probs modified in place',
            fails=('correct_mse_loss',),
            diagnosis='must not modify its input',
            patch=[
        Replace('.copy()',
                '')]),
    Mistake(cell='mse_loss', name='gradient not divided by N',
            fails=('correct_mse_loss',),
            diagnosis='batch size',
            patch=[
        Replace('diff / N',
                'diff')]),
    Mistake(cell='softmax_backward', name='only the diagonal of the Jacobian (sigmoid-style p(1-p))',
            fails=('correct_softmax_backward',),
            diagnosis='only the diagonal',
            patch=[
        Replace(') - np.outer(p, p',
                ' * (1 - p)')]),
    Mistake(cell='softmax_backward', name='MSE through softmax without the Jacobian',
            fails=('correct_softmax_backward',),
            diagnosis='the softmax was skipped',
            patch=[
        Replace('diag(p) - np.outer(p, p',
                'eye(len(p)')]),
    Mistake(cell='softmax_backward', name='outer product added instead of subtracted',
            fails=('correct_softmax_backward',),
            diagnosis='the outer product was added',
            patch=[
        Replace(') - np',
                ') + np')]),
    Mistake(cell='sgd_step', name='weight decay with the wrong sign',
            fails=('correct_sgd_step',),
            diagnosis='wrong sign',
            patch=[
        Replace('+',
                '-')]),
    Mistake(cell='sgd_step', name='weight decay applied to the biases',
            fails=('correct_sgd_step',),
            diagnosis='applied to the bias',
            patch=[
        Replace('key.startswith("W") and ',
                '')]),
    Mistake(cell='sgd_step', name='weight decay doubled (2 lambda W)',
            fails=('correct_sgd_step',),
            diagnosis='weight decay doubled',
            patch=[
        Replace('+ weight_decay ',
                '+ 2 * weight_decay ')]),
    Mistake(cell='sgd_step', name='new arrays instead of an in-place update',
            fails=('correct_sgd_step',),
            diagnosis='in place',
            patch=[
        Replace('value -=',
                'params[key] = value -')]),
    Mistake(cell='sgd_step', name='decay term not multiplied by the learning rate',
            fails=('correct_sgd_step',),
            diagnosis='not multiplied by the learning rate',
            patch=[
        Replace('''grad = grads[key]
        if key.startswith("W") and weight_decay:
            grad = grad + weight_decay * value
        value -= lr * grad''',
                '''if key.startswith("W"):
            value -= lr * grads[key] + weight_decay * value
        else:
            value -= lr * grads[key]''')]),
    Mistake(cell='iterate_minibatches', name='no shuffling',
            fails=('correct_iterate_minibatches',),
            diagnosis='not shuffled',
            patch=[
        Replace('= rng.permutation(n',
                '= np.arange(n')]),
    Mistake(cell='iterate_minibatches', name='last partial batch dropped',
            fails=('correct_iterate_minibatches',),
            diagnosis='dropped',
            patch=[
        Replace(' n, ',
                ' n - batch_size + 1, ')]),
    Mistake(cell='iterate_minibatches', name='indices drawn with replacement',
            fails=('correct_iterate_minibatches',),
            diagnosis='exactly once',
            patch=[
        Replace(''' rng.permutation(n)
''',
                ''' rng.integers(0, n, n)
''')]),
    Mistake(cell='iterate_minibatches', name='the same order every epoch',
            fails=('correct_iterate_minibatches',),
            diagnosis='same order',
            patch=[
        Replace('= rng.permutation',
                '= np.random.default_rng(0).permutation')]),
    Mistake(cell='train_epoch', name='the optimizer step forgotten',
            fails=('correct_train_epoch',),
            diagnosis='is the update applied?',
            patch=[
        Replace('sgd_step(params, grads, lr, weight_decay)',
                'pass')]),
    Mistake(cell='train_epoch', name='MSE through the softmax without the Jacobian',
            fails=('correct_train_epoch',),
            diagnosis="mlp_backward received mse_loss's dprobs",
            patch=[
        Replace('softmax_backward(dprobs, probs)',
                'dprobs')]),
    Mistake(cell='train_epoch', name="the last minibatch's loss returned instead of the mean",
            fails=('correct_train_epoch',),
            diagnosis="the last minibatch's loss was returned",
            patch=[
        Replace('np.mean(losses)',
                'losses[-1]')]),
    Mistake(cell='train_epoch', name='shuffled with the global numpy generator, ignoring rng',
            fails=('correct_train_epoch',),
            diagnosis='never called iterate_minibatches',
            patch=[
        Replace('iterate_minibatches(len(X), batch_size, rng',
                'np.array_split(np.random.permutation(len(X)), -(-len(X) // batch_size)')]),
    Mistake(cell='train_epoch', name='weight decay never passed on',
            fails=('correct_train_epoch',),
            diagnosis='weight decay never passed on',
            patch=[
        Replace('lr, weight_decay)',
                'lr)')]),
    Mistake(cell='train_epoch', name='weight decay applied twice (added to the gradients and passed to sgd_step)',
            fails=('correct_train_epoch',),
            diagnosis='weight decay applied twice',
            patch=[
        Replace('''caches)
   ''',
                '''caches)
        grads = {k: g + weight_decay * params[k] if k.startswith('W') else g for k, g in grads.items()}
   ''')]),
]
