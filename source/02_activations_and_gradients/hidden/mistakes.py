"""Realistic wrong answers for 02_activations_and_gradients: each must lose exactly the points of `fails`.

Isolation: sigmoid_grad's visible test compares with central differences of the sigmoid's definition
(not of the student's sigmoid), and its hidden test rebinds `sigmoid` to a correct private version;
its visible test also runs sigmoid_grad with scipy's expit in place of the student's sigmoid; neuron_forward
is judged relative to the student's sigmoid (hidden: rebound); neuron_backward's visible test runs it with
stand-ins built from scipy (expit, the Bernoulli log-likelihood and central differences) in place of the
student's sigmoid, sigmoid_grad, bce and bce_grad, and its hidden test rebinds all four to the reference.
So each mistake costs only its own function.
"""
from helpers.grader.submissions import Mistake, Replace

MISTAKES = [
    Mistake(cell='sigmoid_naive', name='minus sign of exp(-x) missing',
            fails=('correct_sigmoid_naive',),
            diagnosis='the minus sign of exp(-x) is missing',
            patch=[
        Replace('.exp(-x))',
                '.exp(x))')]),
    Mistake(cell='sigmoid_naive', name='math.exp on an array',
            fails=('correct_sigmoid_naive',),
            diagnosis='use np.exp',
            patch=[
        Replace('def',
                '''import math

def'''),
        Replace('np',
                'math')]),
    Mistake(cell='sigmoid', name='the naive formula: overflow warning at -1000',
            fails=('correct_sigmoid',),
            diagnosis='np.exp overflowed',
            patch=[
        Replace('''x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])               # x < 0 here: e lies in (0, 1)
    out[~pos] = e / (1.0 + e)
    return out''',
                'return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))')]),
    Mistake(cell='sigmoid', name='np.where evaluates both branches',
            fails=('correct_sigmoid',),
            diagnosis='np.where',
            patch=[
        Replace('''out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])               # x < 0 here: e lies in (0, 1)
    out[~pos] = e / (1.0 + e)
    return out''',
                'return np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)))')]),
    Mistake(cell='sigmoid', name='1 - sigmoid(-x) for negative x: cancellation',
            fails=('correct_sigmoid',),
            diagnosis='digits lost to cancellation',
            patch=[
        Replace('''e = np.exp(x[~pos])               # x < 0 here: e lies in (0, 1)
    out[~pos] = e / (1.0 + e''',
                'out[~pos] = 1.0 - 1.0 / (1.0 + np.exp(x[~pos])')]),
    Mistake(cell='sigmoid', name='exp(x) / (1 + exp(x)) everywhere: NaN for large x',
            fails=('correct_sigmoid',),
            diagnosis='contains NaN/inf',
            patch=[
        Replace('''x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])               # x < 0 here: e lies in (0, 1)
    out[~pos] = e / (1.0 + e)
    return out''',
                '''e = np.exp(np.asarray(x, dtype=np.float64))
    return e / (1.0 + e)''')]),
    Mistake(cell='sigmoid', name='np.empty_like keeps an integer dtype',
            fails=('correct_sigmoid',),
            diagnosis="keeps x's integer dtype",
            patch=[
        Replace('''    x = np.asarray(x, dtype=np.float64)
''',
                '')]),
    Mistake(cell='sigmoid_grad', name='x * (1 - x): the argument taken for the output',
            fails=('correct_sigmoid_grad',),
            diagnosis="treated as the sigmoid's output",
            patch=[
        Replace('''s = sigmoid(x)
    return s * (1.0 - s''',
                'return x * (1.0 - x')]),
    Mistake(cell='sigmoid_grad', name='exp(-x) / (1 + exp(-x))**2: NaN at -1e4',
            fails=('correct_sigmoid_grad',),
            diagnosis='contains NaN/inf',
            patch=[
        Replace('''s = sigmoid(x)
    return s * (1.0 - s)''',
                '''e = np.exp(-x)
    return e / (1.0 + e) ** 2''')]),
    Mistake(cell='relu', name='np.max(x, 0) instead of np.maximum',
            fails=('correct_relu',),
            diagnosis='np.max(x, 0) is the largest entry along axis 0',
            patch=[
        Replace('maximum(np.asarray(x, dtype=np.float64), 0.',
                'max(x, ')]),
    Mistake(cell='relu', name='writes into x in place',
            fails=('correct_relu',),
            diagnosis="writes into the caller's array",
            patch=[
        Replace('return np.maximum(np.asarray(x, dtype=np.float64), 0.0)',
                '''x[x < 0] = 0.0
    return x''')]),
    Mistake(cell='relu_grad', name='np.sign: -1 for negative x',
            fails=('correct_relu_grad',),
            diagnosis='-1 for negative x',
            patch=[
        Replace('(np.asarray(x) > 0).astype(np.float64',
                'np.sign(x')]),
    Mistake(cell='relu_grad', name='x >= 0: 1 at the kink',
            fails=('correct_relu_grad',),
            diagnosis='1 at the kink x = 0',
            patch=[
        Replace('np.asarray(x) >',
                'x >=')]),
    Mistake(cell='relu_grad', name='returns a boolean array',
            fails=('correct_relu_grad',),
            diagnosis='returned a boolean array',
            patch=[
        Replace('(np.asarray(x) > 0).astype(np.float64)',
                'x > 0')]),
    Mistake(cell='numerical_gradient', name='forward differences',
            fails=('correct_numerical_gradient',),
            diagnosis='forward differences',
            patch=[
        Replace('''old - h
''',
                '''old
'''),
        Replace('(2 * h)',
                'h')]),
    Mistake(cell='numerical_gradient', name='divides by h instead of 2h',
            fails=('correct_numerical_gradient',),
            diagnosis='divided by h instead of 2h',
            patch=[
        Replace('''                             # restore before the next coordinate
        grad[i] = (f_plus - f_minus) / (2 * h)''',
                '''
        grad[i] = (f_plus - f_minus) / h''')]),
    Mistake(cell='numerical_gradient', name="perturbs the caller's x and never restores it",
            fails=('correct_numerical_gradient',),
            diagnosis='an entry was not restored after its perturbation',
            patch=[
        Replace('''    x = np.array(x, dtype=np.float64)          # a private float copy
''',
                ''),
        Replace('''        x[i] = old                             # restore before the next coordinate
''',
                '')]),
    Mistake(cell='numerical_gradient', name='works in place on x without a float copy (integer x: zeros)',
            fails=('correct_numerical_gradient',),
            diagnosis='x may be an integer array',
            patch=[
        Replace('''x = np.array(x, dtype=np.float64)          # a private float copy
    grad = np.zeros_like(x''',
                'grad = np.zeros(x.shape')]),
    Mistake(cell='numerical_gradient', name='float32 arithmetic',
            fails=('correct_numerical_gradient',),
            diagnosis='float32',
            patch=[
        Replace('float64)          # a private float copy',
                'float32)')]),
    Mistake(cell='numerical_gradient', name='a large step h = 1e-1',
            fails=('correct_numerical_gradient',),
            diagnosis='step h that is too large',
            patch=[
        Replace('5',
                '1')]),
    Mistake(cell='numerical_gradient', name='a step h = 1e-3: close, but not to 1e-7',
            fails=('correct_numerical_gradient',),
            diagnosis='step h that is too large',
            patch=[
        Replace('5',
                '3')]),
    Mistake(cell='numerical_gradient', name='perturbs all coordinates at once',
            fails=('correct_numerical_gradient',),
            diagnosis='all coordinates were perturbed at once',
            patch=[
        Replace('''x = np.array(x, dtype=np.float64)          # a private float copy
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old                             # restore before the next coordinate
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad''',
                'return (f(x + h) - f(x - h)) / (2 * h)')]),
    Mistake(cell='bce', name='not clipped: inf/NaN at 0 and 1',
            fails=('correct_bce',),
            diagnosis='the prediction was not clipped',
            patch=[
        Replace('''p = np.clip(y_hat, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p''',
                'return float(-np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat')]),
    Mistake(cell='bce', name='sum over the batch instead of the mean',
            fails=('correct_bce',),
            diagnosis='summed over the batch instead of averaging',
            patch=[
        Replace('.mean(',
                '.sum(')]),
    Mistake(cell='bce', name='the leading minus sign forgotten',
            fails=('correct_bce',),
            diagnosis='with the sign flipped',
            patch=[
        Replace('(-np',
                '(np')]),
    Mistake(cell='bce_grad', name='not clipped: inf/NaN at 0 and 1',
            fails=('correct_bce_grad',),
            diagnosis='the prediction was not clipped',
            patch=[
        Replace('''p = np.clip(y_hat, EPS, 1 - EPS)
    return (p - y) / (p * (1 - p''',
                'return (y_hat - y) / (y_hat * (1 - y_hat')]),
    Mistake(cell='bce_grad', name='sign flipped',
            fails=('correct_bce_grad',),
            diagnosis='with the sign flipped',
            patch=[
        Replace('return (p - y) /',
                'return (y - p) /')]),
    Mistake(cell='bce_grad', name='the 1/N of the mean forgotten',
            fails=('correct_bce_grad',),
            diagnosis='summed over the batch instead of averaging',
            patch=[
        Replace(' / y_hat.shape[0]',
                '')]),
    Mistake(cell='bce_grad', name="d/dp log(1 - p) without the chain rule's minus",
            fails=('correct_bce_grad',),
            diagnosis='the second term has the wrong sign',
            patch=[
        Replace('return (p - y) / (p * (1',
                'return (-y / p - (1 - y) / (1')]),
    Mistake(cell='neuron_forward', name='bias forgotten',
            fails=('correct_neuron_forward',),
            diagnosis='the bias b is missing',
            patch=[
        Replace('''w + b
''',
                '''w
''')]),
    Mistake(cell='neuron_forward', name='w used as a column (D, 1): outputs of shape (N, 1)',
            fails=('correct_neuron_forward',),
            diagnosis='same values, but shape',
            patch=[
        Replace('''X @ w + b
''',
                '''X @ w.reshape(-1, 1) + b
''')]),
    Mistake(cell='neuron_forward', name='returns (z, y_hat)',
            fails=('correct_neuron_forward',),
            diagnosis='y_hat and z are swapped',
            patch=[
        Replace('sigmoid(z), z',
                'z, sigmoid(z)')]),
    Mistake(cell='neuron_backward', name='sigmoid derivative applied to the upstream gradient (the published bug)',
            fails=('correct_neuron_backward',),
            diagnosis='applied to the upstream gradient',
            patch=[
        Replace('sigmoid_grad(z) ',
                'sigmoid_grad(dy_hat) ')]),
    Mistake(cell='neuron_backward', name='sigmoid derivative applied to the output y_hat',
            fails=('correct_neuron_backward',),
            diagnosis='applied to the output y_hat',
            patch=[
        Replace('''dy_hat = bce_grad(y_hat, y)          # (N,) upstream gradient dL/dy_hat, includes the 1/N
    dz = dy_hat * sigmoid_grad(z)        # (N,) chain rule: sigma' at the pre-activation z
    dX = np.outer(dz, w)                 # (N, D): dz_n / dX_nd = w_d
    dw = X.T @ dz                        # (D,): summed over the batch
    db = float(np.sum(dz))               # summed over the batch
    return dX, dw, db''',
                '''dz = bce_grad(y_hat, y) * sigmoid_grad(y_hat)
    return np.outer(dz, w), X.T @ dz, float(np.sum(dz))''')]),
    Mistake(cell='neuron_backward', name='fused dz = y_hat - y without the 1/N (summed)',
            fails=('correct_neuron_backward',),
            diagnosis='the 1/N of the mean is missing',
            patch=[
        Replace('dy_hat * sigmoid_grad(z)',
                'y_hat - y')]),
    Mistake(cell='neuron_backward', name='db averaged instead of summed',
            fails=('correct_neuron_backward',),
            diagnosis='did you average twice?',
            patch=[
        Replace('.sum(',
                '.mean(')]),
    Mistake(cell='neuron_backward', name='dw as a column (D, 1)',
            fails=('correct_neuron_backward',),
            diagnosis='same values, but shape (3, 1)',
            patch=[
        Replace(' dz  ',
                ' dz[:, None]  ')]),
    Mistake(cell='neuron_backward', name='dX transposed: np.outer(w, dz)',
            fails=('correct_neuron_backward',),
            diagnosis='the transpose of the correct one',
            patch=[
        Replace('dz, w',
                'w, dz')]),
]
