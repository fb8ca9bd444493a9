"""Realistic wrong answers for 03_layers: each must lose exactly the points of `fails`.

Linear is one solution cell with four test cells (init, forward, backward, step); each test sets the
attributes it needs (W, b, dW, db) itself, so a mistake in one method costs only that method's test.
The Net and fit tests use stand-in layers / a stand-in net of their own, so no mistake cascades.
"""
from helpers.grader.submissions import Mistake, Replace

MISTAKES = [
    Mistake(cell='linear', name='Glorot bound sqrt(1 / n_in)',
            fails=('correct_linear_init',),
            diagnosis='sqrt(1 / n_in)',
            patch=[
        Replace('6.0 / (n_in + n_out)',
                '1.0 / n_in')]),
    Mistake(cell='linear', name='Glorot bound sqrt(6 / n_in)',
            fails=('correct_linear_init',),
            diagnosis='sqrt(6 / n_in) (fan-in only)',
            patch=[
        Replace('''/ (n_in + n_out))
''',
                '''/ n_in)
''')]),
    Mistake(cell='linear', name='Glorot bound sqrt(6 / n_out) (fan-out instead of fan-in + fan-out)',
            fails=('correct_linear_init',),
            diagnosis='sqrt(6 / n_out) (fan-out only)',
            patch=[
        Replace('''/ (n_in + n_out))
''',
                '''/ n_out)
''')]),
    Mistake(cell='linear', name='He standard deviation sqrt(2 / n_in) used as the Glorot bound',
            fails=('correct_linear_init',),
            diagnosis="He's standard deviation (fan-in only",
            patch=[
        Replace('6.0 / (n_in + n_out)',
                '2.0 / n_in')]),
    Mistake(cell='linear', name='bound sqrt(2) / n_in (square root of the numerator only, fan-in only)',
            fails=('correct_linear_init',),
            diagnosis='the square root covers only the numerator',
            patch=[
        Replace('6.0 / (n_in + n_out))',
                '2.0) / n_in')]),
    Mistake(cell='linear', name='bound sqrt(6 / (n_in * n_out)) (fans multiplied instead of added)',
            fails=('correct_linear_init',),
            diagnosis='added, not multiplied',
            patch=[
        Replace('''/ (n_in + n_out))
''',
                '''/ (n_in * n_out))
''')]),
    Mistake(cell='linear', name='Glorot standard deviation used as the uniform bound',
            fails=('correct_linear_init',),
            diagnosis='Glorot *standard deviation*',
            patch=[
        Replace('(6.',
                '(2.')]),
    Mistake(cell='linear', name='Glorot normal instead of uniform',
            fails=('correct_linear_init',),
            diagnosis='does not look uniform',
            patch=[
        Replace('uniform(-bound, bound',
                'normal(0.0, np.sqrt(2.0 / (n_in + n_out))')]),
    Mistake(cell='linear', name='uniform on [0, a) instead of [-a, a)',
            fails=('correct_linear_init',),
            diagnosis='not centred on 0',
            patch=[
        Replace('rng.uniform(-bound, bound, size=',
                'bound * rng.random(')]),
    Mistake(cell='linear', name='global np.random instead of the rng given',
            fails=('correct_linear_init',),
            diagnosis='drawn from the rng you are given',
            patch=[
        Replace(' rng.',
                ' np.random.')]),
    Mistake(cell='linear', name='bias forgotten in forward',
            fails=('correct_linear_forward',),
            diagnosis='the bias b was not added',
            patch=[
        Replace(' + self.b',
                '')]),
    Mistake(cell='linear', name='dW = dy.T @ x (transposed)',
            fails=('correct_linear_backward',),
            diagnosis='transpose of the correct one',
            patch=[
        Replace('x.T @ dy',
                'dy.T @ x')]),
    Mistake(cell='linear', name='dW averaged over the batch (1/N twice)',
            fails=('correct_linear_backward',),
            diagnosis='did you average twice?',
            patch=[
        Replace('''dy
''',
                '''dy / len(x)
''')]),
    Mistake(cell='linear', name='db averaged instead of summed',
            fails=('correct_linear_backward',),
            diagnosis='the mean over axis 0 where the sum is expected',
            patch=[
        Replace('''sum(axis=0)
        return dy @ self.W.T''',
                '''mean(axis=0)
        dx = dy @ self.W.T
        return dx''')]),
    Mistake(cell='linear', name='db summed over the wrong axis',
            fails=('correct_linear_backward',),
            diagnosis='the sum over axis 1 instead of over axis 0',
            patch=[
        Replace('''0)
        return dy @ self.W.T''',
                '''1)
        dx = dy @ self.W.T
        return dx''')]),
    Mistake(cell='linear', name='dx = W @ dy.T (transposed)',
            fails=('correct_linear_backward',),
            diagnosis='transpose of the correct one',
            patch=[
        Replace('return dy @ self.W.T',
                '''dx = self.W @ dy.T
        return dx''')]),
    Mistake(cell='linear', name='gradient step taken inside backward',
            fails=('correct_linear_backward',),
            diagnosis='the gradient descent step belongs in step(lr)',
            patch=[
        Replace('dy)',
                'dy, lr=0.01)'),
        Replace('return dy @ self.W.T',
                '''dx = dy @ self.W.T
        self.W -= lr * self.dW
        self.b -= lr * self.db
        return dx''')]),
    Mistake(cell='linear', name='gradient ascent in step (+=)',
            fails=('correct_linear_step',),
            diagnosis='moved up the gradient',
            patch=[
        Replace('''-= lr * self.dW
        self.b -''',
                '''+= lr * self.dW
        self.b +''')]),
    Mistake(cell='sigmoid', name="Sigmoid backward uses sigma'(output)",
            fails=('correct_sigmoid',),
            diagnosis="sigma' was applied to the output",
            patch=[
        Replace('''forward(x)
''',
                '''forward(self.forward(x))
''')]),
    Mistake(cell='sigmoid', name='Sigmoid backward treats its input as the output',
            fails=('correct_sigmoid',),
            diagnosis='the input x was used as if it were the output',
            patch=[
        Replace('''s = self.forward(x)
        return dy * s * (1.0 - s''',
                'return dy * x * (1.0 - x')]),
    Mistake(cell='sigmoid', name='naive sigmoid 1 / (1 + exp(-x)) overflows',
            fails=('correct_sigmoid',),
            diagnosis='overflowed',
            patch=[
        Replace('''e = np.exp(-np.abs(x))                      # in (0, 1]: never overflows
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e''',
                'return 1.0 / (1.0 + np.exp(-x')]),
    Mistake(cell='sigmoid', name='np.where with exp(-x) in both branches (still overflows)',
            fails=('correct_sigmoid',),
            diagnosis='np.where evaluates BOTH branches',
            patch=[
        Replace('''e = np.exp(-np.abs(x))                      # in (0, 1]: never overflows
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e''',
                'return np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)')]),
    Mistake(cell='relu', name='ReLU backward with derivative 1 at x = 0 (x >= 0)',
            fails=('correct_relu',),
            diagnosis='at exactly x = 0 was taken as 1',
            patch=[
        Replace('x > 0)',
                'x >= 0)')]),
    Mistake(cell='relu', name='ReLU backward multiplies by sign(x)',
            fails=('correct_relu',),
            diagnosis='sign(x)',
            patch=[
        Replace('(x > 0',
                'np.sign(x')]),
    Mistake(cell='relu', name='ReLU backward applies ReLU to dy',
            fails=('correct_relu',),
            diagnosis='ReLU was applied to dy',
            patch=[
        Replace('dy * (x > ',
                'np.maximum(dy, 0.')]),
    Mistake(cell='net', name="Net.forward stores each layer's output in the trace",
            fails=('correct_net_forward',),
            diagnosis='is the OUTPUT of layers',
            patch=[
        Replace('''  for layer in self.layers:
            trace''',
                '''  for layer in self.layers:
            x = layer.forward(x)
            trace'''),
        Replace(''')
            x = layer.forward(x)
  ''',
                ''')
  ''')]),
    Mistake(cell='net', name='Net.backward iterates forwards',
            fails=('correct_net_backward',),
            diagnosis='from last to first',
            patch=[
        Replace('reversed(self.layers), reversed(trace)',
                'self.layers, trace')]),
    Mistake(cell='net', name='Net.backward takes the gradient step too',
            fails=('correct_net_backward',),
            diagnosis='Net.backward called step()',
            patch=[
        Replace(' dy):',
                ' dy, lr=0.1):'),
        Replace('''dy)
   ''',
                '''dy)
            layer.step(lr)
   ''')]),
    Mistake(cell='net', name='Net.step skips the first layer',
            fails=('correct_net_step',),
            diagnosis='must call step(0.25) of each of the 3 layers once',
            patch=[
        Replace('''      for layer in self.layers:
            layer''',
                '''      for layer in self.layers[1:]:
            layer''')]),
    Mistake(cell='fit', name='fit never shuffles',
            fails=('correct_fit',),
            diagnosis='fit never shuffles',
            patch=[
        Replace('''order = rng.permutation(N)
        for start''',
                '''order = np.arange(N)
        for start''')]),
    Mistake(cell='fit', name='fit shuffles once, before the first epoch',
            fails=('correct_fit',),
            diagnosis='every epoch used the same order',
            patch=[
        Replace('''    bar = helpers.progress(range(epochs), desc="epochs")
''',
                '''    shuffled = rng.permutation(N)
    bar = helpers.progress(range(epochs), desc="epochs")
'''),
        Replace('''order = rng.permutation(N)
        for start''',
                '''order = shuffled
        for start''')]),
    Mistake(cell='fit', name='fit forgets the last partial minibatch',
            fails=('correct_fit',),
            diagnosis='The last partial minibatch is missing',
            patch=[
        Replace(' N, ',
                ' N - mb_size + 1, ')]),
    Mistake(cell='fit', name='fit steps before backward',
            fails=('correct_fit',),
            diagnosis='then net.step(learning_rate) once per minibatch',
            patch=[
        Replace('''y[batch])
      ''',
                '''y[batch])
            net.step(learning_rate)
      '''),
        Replace('''dz)
            net.step(learning_rate)
   ''',
                '''dz)
   ''')]),
]
