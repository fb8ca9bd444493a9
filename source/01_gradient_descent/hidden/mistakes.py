"""Realistic wrong answers for 01_gradient_descent: each must lose exactly the points of `fails`.

Isolation: the visible tests of optimize_f and optimize_f_momentum judge them relative to the student's
own grad_f, and their hidden tests rebind grad_f to a correct private version, so a wrong grad_f costs
only correct_grad_f, a wrong optimize_f only its two cells (path and decay). The choice of
hyper-parameters is judged with a correct gradient descent, visibly (written in the test) and hidden
(the reference optimize_f), so a wrong optimize_f does not cost it too.
"""
MISTAKES = [
    # ---------------------------------------------------------------- grad_f
    dict(cell="grad_f", name="sign of the cosine's derivative flipped",
         code='''
def grad_f(x, y):
    df_dx = 2 * x + y + 2 + 3 * np.sin(3 * x)
    df_dy = 2 * y + x
    return df_dx, df_dy
''', fails=("correct_grad_f",), diagnosis="sign of the cosine's derivative is flipped"),
    dict(cell="grad_f", name="chain rule forgotten in cos(3x)",
         code='''
def grad_f(x, y):
    df_dx = 2 * x + y + 2 - np.sin(3 * x)
    df_dy = 2 * y + x
    return df_dx, df_dy
''', fails=("correct_grad_f",), diagnosis="chain-rule factor 3"),
    dict(cell="grad_f", name="x(y + 2) forgotten in df/dy",
         code='''
def grad_f(x, y):
    df_dx = 2 * x + y + 2 - 3 * np.sin(3 * x)
    df_dy = 2 * y
    return df_dx, df_dy
''', fails=("correct_grad_f",), diagnosis="missing from df/dy"),
    dict(cell="grad_f", name="math.sin: works for one point, fails on arrays",
         code='''
import math

def grad_f(x, y):
    df_dx = 2 * x + y + 2 - 3 * math.sin(3 * x)
    df_dy = 2 * y + x
    return df_dx, df_dy
''', fails=("correct_grad_f",), diagnosis="np.sin"),
    # ------------------------------------------------------------ optimize_f
    dict(cell="optimize_f", name="ascends: adds the gradient",
         code='''
def optimize_f(x, y, step_size, steps, decay=1.0):
    point = np.array([x, y], dtype=float)
    path = [point.copy()]
    for t in range(steps):
        df_dx, df_dy = grad_f(point[0], point[1])
        point = point + step_size * decay**t * np.array([df_dx, df_dy])
        path.append(point.copy())
    return point, float(f(point[0], point[1])), np.array(path)
''', fails=("correct_optimize_f", "correct_optimize_f_decay"), diagnosis="sign flipped"),
    dict(cell="optimize_f", name="path without the start point",
         code='''
def optimize_f(x, y, step_size, steps, decay=1.0):
    point = np.array([x, y], dtype=float)
    path = []
    for t in range(steps):
        df_dx, df_dy = grad_f(point[0], point[1])
        point = point - step_size * decay**t * np.array([df_dx, df_dy])
        path.append(point.copy())
    return point, float(f(point[0], point[1])), np.array(path)
''', fails=("correct_optimize_f", "correct_optimize_f_decay"), diagnosis="the start point is missing"),
    dict(cell="optimize_f", name="decays the step before the first step",
         code='''
def optimize_f(x, y, step_size, steps, decay=1.0):
    point = np.array([x, y], dtype=float)
    path = [point.copy()]
    for t in range(steps):
        step_size = step_size * decay
        df_dx, df_dy = grad_f(point[0], point[1])
        point = point - step_size * np.array([df_dx, df_dy])
        path.append(point.copy())
    return point, float(f(point[0], point[1])), np.array(path)
''', fails=("correct_optimize_f_decay",), diagnosis="decayed before the first step"),
    dict(cell="optimize_f", name="ignores decay",
         code='''
def optimize_f(x, y, step_size, steps, decay=1.0):
    point = np.array([x, y], dtype=float)
    path = [point.copy()]
    for t in range(steps):
        df_dx, df_dy = grad_f(point[0], point[1])
        point = point - step_size * np.array([df_dx, df_dy])
        path.append(point.copy())
    return point, float(f(point[0], point[1])), np.array(path)
''', fails=("correct_optimize_f_decay",), diagnosis="the step size was not decayed"),
    dict(cell="optimize_f", name="array aliasing: appends the point, then updates it in place",
         code='''
def optimize_f(x, y, step_size, steps, decay=1.0):
    point = np.array([x, y], dtype=float)
    path = [point]
    for t in range(steps):
        df_dx, df_dy = grad_f(point[0], point[1])
        point -= step_size * decay**t * np.array([df_dx, df_dy])
        path.append(point)
    return point, float(f(point[0], point[1])), np.array(path)
''', fails=("correct_optimize_f", "correct_optimize_f_decay"),
         diagnosis="every point of the path is the same array object"),
    # ------------------------------------------------ choose_hyperparameters
    dict(cell="choose_hyperparameters", name="small steps: stuck in the local minimum",
         code='''
my_step_size = 0.1
my_steps = 200
my_decay = 1.0
''', fails=("correct_hyperparameters",), diagnosis="local minimum near (0.61, -0.30)"),
    dict(cell="choose_hyperparameters", name="large steps without decay: diverges",
         code='''
my_step_size = 0.8
my_steps = 200
my_decay = 1.0
''', fails=("correct_hyperparameters",), diagnosis="diverged"),
    dict(cell="choose_hyperparameters", name="decay too fast: stops short of the minimum",
         code='''
my_step_size = 0.4
my_steps = 100
my_decay = 0.8
''', fails=("correct_hyperparameters",), diagnosis="close, but not converged"),
    dict(cell="choose_hyperparameters", name="decay far too fast: the steps shrink before it settles",
         code='''
my_step_size = 0.4
my_steps = 100
my_decay = 0.5
''', fails=("correct_hyperparameters",), diagnosis="its steps shrank before it settled"),
    dict(cell="choose_hyperparameters", name="my_steps given as a float (1e3)",
         code='''
my_step_size = 0.4
my_steps = 1e3
my_decay = 0.95
''', fails=("correct_hyperparameters",), diagnosis="my_steps must be an int"),
    # ------------------------------------------------- optimize_f_momentum
    dict(cell="optimize_f_momentum", name="forgets the velocity (plain gradient descent)",
         code='''
def optimize_f_momentum(x, y, step_size, steps, momentum=0.9):
    point = np.array([x, y], dtype=float)
    path = [point.copy()]
    for _ in range(steps):
        df_dx, df_dy = grad_f(point[0], point[1])
        velocity = -step_size * np.array([df_dx, df_dy])
        point = point + velocity
        path.append(point.copy())
    return point, float(f(point[0], point[1])), np.array(path)
''', fails=("correct_optimize_f_momentum",), diagnosis="the velocity is forgotten"),
    dict(cell="optimize_f_momentum", name="moves with the old velocity",
         code='''
def optimize_f_momentum(x, y, step_size, steps, momentum=0.9):
    point = np.array([x, y], dtype=float)
    velocity = np.zeros(2)
    path = [point.copy()]
    for _ in range(steps):
        df_dx, df_dy = grad_f(point[0], point[1])
        point = point + velocity
        velocity = momentum * velocity - step_size * np.array([df_dx, df_dy])
        path.append(point.copy())
    return point, float(f(point[0], point[1])), np.array(path)
''', fails=("correct_optimize_f_momentum",), diagnosis="moved with the old velocity"),
    dict(cell="optimize_f_momentum", name="moving-average form v = beta v + (1 - beta) g",
         code='''
def optimize_f_momentum(x, y, step_size, steps, momentum=0.9):
    point = np.array([x, y], dtype=float)
    velocity = np.zeros(2)
    path = [point.copy()]
    for _ in range(steps):
        df_dx, df_dy = grad_f(point[0], point[1])
        velocity = momentum * velocity + (1 - momentum) * np.array([df_dx, df_dy])
        point = point - step_size * velocity
        path.append(point.copy())
    return point, float(f(point[0], point[1])), np.array(path)
''', fails=("correct_optimize_f_momentum",), diagnosis="the gradient was scaled by (1 - momentum)"),
]
