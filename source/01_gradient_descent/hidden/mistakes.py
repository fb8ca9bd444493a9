"""Realistic wrong answers for 01_gradient_descent: each must lose exactly the points of `fails`.

Isolation: the visible tests of optimize_f and optimize_f_momentum judge them relative to the student's
own grad_f, and their hidden tests rebind grad_f to a correct private version, so a wrong grad_f costs
only correct_grad_f, a wrong optimize_f only its two cells (path and decay). The choice of
hyper-parameters is judged with a correct gradient descent, visibly (written in the test) and hidden
(the reference optimize_f), so a wrong optimize_f does not cost it too.
"""
from helpers.grader.submissions import Mistake, Replace

MISTAKES = [
    Mistake(cell='grad_f', name="sign of the cosine's derivative flipped",
            fails=('correct_grad_f',),
            diagnosis="sign of the cosine's derivative is flipped",
            patch=[
        Replace(' - ',
                ' + ')]),
    Mistake(cell='grad_f', name='chain rule forgotten in cos(3x)',
            fails=('correct_grad_f',),
            diagnosis='chain-rule factor 3',
            patch=[
        Replace(' 3 * np',
                ' np')]),
    Mistake(cell='grad_f', name='x(y + 2) forgotten in df/dy',
            fails=('correct_grad_f',),
            diagnosis='missing from df/dy',
            patch=[
        Replace('''y + x
''',
                '''y
''')]),
    Mistake(cell='grad_f', name='math.sin: works for one point, fails on arrays',
            fails=('correct_grad_f',),
            diagnosis='np.sin',
            patch=[
        Replace('def',
                '''import math

def'''),
        Replace('np',
                'math')]),
    Mistake(cell='optimize_f', name='ascends: adds the gradient',
            fails=('correct_optimize_f', 'correct_optimize_f_decay'),
            diagnosis='sign flipped',
            patch=[
        Replace('point - step_size',
                'point + step_size')]),
    Mistake(cell='optimize_f', name='path without the start point',
            fails=('correct_optimize_f', 'correct_optimize_f_decay'),
            diagnosis='the start point is missing',
            patch=[
        Replace('[point.copy()]',
                '[]')]),
    Mistake(cell='optimize_f', name='decays the step before the first step',
            fails=('correct_optimize_f_decay',),
            diagnosis='decayed before the first step',
            patch=[
        Replace('''steps):
    ''',
                '''steps):
        step_size = step_size * decay
    '''),
        Replace(' decay**t * np',
                ' np')]),
    Mistake(cell='optimize_f', name='ignores decay',
            fails=('correct_optimize_f_decay',),
            diagnosis='the step size was not decayed',
            patch=[
        Replace(' decay**t * np',
                ' np')]),
    Mistake(cell='optimize_f', name='array aliasing: appends the point, then updates it in place',
            fails=('correct_optimize_f', 'correct_optimize_f_decay'),
            diagnosis='every point of the path is the same array object',
            patch=[
        Replace('point.copy()]',
                'point]'),
        Replace('''= point - step_size * decay**t * np.array([df_dx, df_dy])
        path.append(point.copy()''',
                '''-= step_size * decay**t * np.array([df_dx, df_dy])
        path.append(point''')]),
    Mistake(cell='choose_hyperparameters', name='small steps: stuck in the local minimum',
            fails=('correct_hyperparameters',),
            diagnosis='local minimum near (0.61, -0.30)',
            patch=[
        Replace('''4
my_steps = 100
my_decay = 0.95''',
                '''1
my_steps = 200
my_decay = 1.0''')]),
    Mistake(cell='choose_hyperparameters', name='large steps without decay: diverges',
            fails=('correct_hyperparameters',),
            diagnosis='diverged',
            patch=[
        Replace('''4
my_steps = 100
my_decay = 0.95''',
                '''8
my_steps = 200
my_decay = 1.0''')]),
    Mistake(cell='choose_hyperparameters', name='decay too fast: stops short of the minimum',
            fails=('correct_hyperparameters',),
            diagnosis='close, but not converged',
            patch=[
        Replace('95',
                '8')]),
    Mistake(cell='choose_hyperparameters', name='decay far too fast: the steps shrink before it settles',
            fails=('correct_hyperparameters',),
            diagnosis='its steps shrank before it settled',
            patch=[
        Replace('95',
                '5')]),
    Mistake(cell='choose_hyperparameters', name='my_steps given as a float (1e3)',
            fails=('correct_hyperparameters',),
            diagnosis='my_steps must be an int',
            patch=[
        Replace('100',
                '1e3')]),
    Mistake(cell='optimize_f_momentum', name='forgets the velocity (plain gradient descent)',
            fails=('correct_optimize_f_momentum',),
            diagnosis='the velocity is forgotten',
            patch=[
        Replace('''    velocity = np.zeros(2)
''',
                ''),
        Replace('momentum * velocity - ',
                '-')]),
    Mistake(cell='optimize_f_momentum', name='moves with the old velocity',
            fails=('correct_optimize_f_momentum',),
            diagnosis='moved with the old velocity',
            patch=[
        Replace('''1])
    ''',
                '''1])
        point = point + velocity
    '''),
        Replace('''df_dy])
        point = point + velocity
    ''',
                '''df_dy])
    ''')]),
    Mistake(cell='optimize_f_momentum', name='moving-average form v = beta v + (1 - beta) g',
            fails=('correct_optimize_f_momentum',),
            diagnosis='the gradient was scaled by (1 - momentum)',
            patch=[
        Replace('''- step_size * np.array([df_dx, df_dy])
        point = point +''',
                '''+ (1 - momentum) * np.array([df_dx, df_dy])
        point = point - step_size *''')]),
]
