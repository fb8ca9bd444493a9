"""Reference stand-ins and named wrong answers for the hidden tests of 01_gradient_descent.

Never released and never in a sandbox: helpers.isolate and helpers.reference.variants call it
while recording, in the instructor's kernel, and in the class grader (outside the sandbox).
"""
import numpy as np


def f(x, y):
    '''The function to minimise; x and y are floats or arrays of the same shape (elementwise).'''
    return x**2 + y**2 + x * (y + 2) + np.cos(3 * x)


def grad_f(x, y):
    '''Partial derivatives (df_dx, df_dy) of f.'''
    df_dx = 2 * x + y + 2 - 3 * np.sin(3 * x)
    df_dy = 2 * y + x
    return df_dx, df_dy


def optimize_f(x, y, step_size, steps, decay=1.0):
    '''Gradient descent from (x, y) with step size step_size * decay**t: (point, value, path).'''
    point = np.array([x, y], dtype=float)
    path = [point.copy()]
    for t in range(steps):
        df_dx, df_dy = grad_f(point[0], point[1])
        point = point - step_size * decay**t * np.array([df_dx, df_dy])
        path.append(point.copy())
    return point, float(f(point[0], point[1])), np.array(path)


# ------------------------------------------------------------ named wrong answers (variants)

def wrong_df_dx(x, y):
    dx, _ = grad_f(x, y)
    return {"the chain-rule factor 3 of cos(3x) is missing: d/dx cos(3x) = -3 sin(3x)": dx + 2 * np.sin(3 * x),
            "the sign of the cosine's derivative is flipped: d/du cos(u) = -sin(u)": dx + 6 * np.sin(3 * x)}


def wrong_df_dy(x, y):
    _, dy = grad_f(x, y)
    return {"the term x * (y + 2) is missing from df/dy: its y-derivative is x": dy - x}


def _aliased(path):
    '''The path a loop that appends one array and updates it in place returns: every row the final point.'''
    return np.tile(path[-1], (len(path), 1))


ALIASED = ("every point of the path is the same array object (all rows equal the final point): append a copy, "
           "path.append(point.copy()), or make a new array each step, point = point - ...")


def wrong_descent(x, y, step_size, steps):
    return {"the path ascends: step against the gradient, p - step_size * grad":
            optimize_f(x, y, -step_size, steps)[2],
            ALIASED: _aliased(optimize_f(x, y, step_size, steps)[2])}


def wrong_decay(x, y, step_size, steps, decay):
    return {"the step size was decayed before the first step: step t uses step_size * decay**t":
            optimize_f(x, y, step_size * decay, steps, decay)[2],
            "the step size was not decayed: step t must use step_size * decay**t": optimize_f(x, y, step_size, steps)[2],
            "the path ascends: step against the gradient, p - step_size * grad":
            optimize_f(x, y, -step_size, steps, decay)[2],
            ALIASED: _aliased(optimize_f(x, y, step_size, steps, decay)[2])}


def _momentum_ema(x, y, step_size, steps, momentum):
    '''The moving-average form v = momentum * v + (1 - momentum) * grad, p = p - step_size * v: a wrong answer.'''
    point, velocity, path = np.array([x, y], dtype=float), np.zeros(2), [np.array([x, y], dtype=float)]
    for _ in range(steps):
        velocity = momentum * velocity + (1 - momentum) * np.array(grad_f(point[0], point[1]))
        point = point - step_size * velocity
        path.append(point.copy())
    return np.array(path)


def wrong_momentum(x, y, step_size, steps, momentum):
    out = {"the velocity is forgotten (plain gradient descent)": optimize_f(x, y, step_size, steps)[2]}
    if momentum > 0:     # with momentum 0 the moving-average form is the right answer
        out["the gradient was scaled by (1 - momentum): v = momentum * v + (1 - momentum) * grad is the "
            "moving-average form of momentum (used by Adam), not this notebook's heavy ball: "
            "v = momentum * v - step_size * grad, p = p + v"] = _momentum_ema(x, y, step_size, steps, momentum)
    return out


def wrong_choice_ends():
    '''Where a choice that misses the global minimum typically ends: the value of f there (capped at 1000).'''
    return {"gradient descent converged to the local minimum near (0.61, -0.30): a small step follows the "
            "slope into the first valley; take a larger first step, one that jumps over that valley, and let decay shrink it":
            optimize_f(0.6, -0.3, 0.05, 500)[1],
            "gradient descent converged to the local minimum near (-2.85, 1.43): the early steps jumped too far; "
            "use a smaller step or a faster decay": optimize_f(-2.85, 1.43, 0.05, 500)[1],
            "no step was taken: check the rules, my_step_size > 0, my_steps an int in 1..1000, "
            "0 < my_decay <= 1": float(f(3.0, 2.0)),
            "the run diverged (f exploded): the step size is too large for this many (undecayed) steps": 1e3}
