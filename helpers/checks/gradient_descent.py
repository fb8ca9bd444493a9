"""Visible checks of 01_gradient_descent: what its test cells call.

Each public function is named after the test it runs (``grad_f`` for ``correct_grad_f``, ...), takes
your functions as arguments, raises :class:`helpers.check.CheckFailure` with a diagnosis when something
is wrong, and prints a one-line confirmation when everything is right. Nothing here solves a task for
you: the gradient test compares with central differences of ``f``, the descent tests check every step
of *your* path against the update rule, with the ``grad_f`` the test cell passes in.
"""
from __future__ import annotations

import numpy as np

from helpers import check

__all__ = ["grad_f", "descent", "optimize_f", "optimize_f_decay", "complex_step_gradient", "hyperparameters",
           "momentum_steps", "optimize_f_momentum"]


# --------------------------------------------------------------------------- correct_grad_f

def _grad_pair(out):
    """The two partials returned by grad_f, checked to be a pair."""
    check.assert_true(isinstance(out, (tuple, list)) and len(out) == 2,
                      f"grad_f must return a pair (df_dx, df_dy), got {type(out).__name__}")
    return out


def _grad_f_on_arrays(grad_f, f, xs, ys, where):
    r"""Compare grad_f on arrays xs, ys (same shape) with central differences of f.

    .. math:: \frac{\partial f}{\partial x} \approx \frac{f(x + h, y) - f(x - h, y)}{2h}
    """
    try:
        df_dx, df_dy = _grad_pair(check.call(grad_f, xs, ys))
    except (TypeError, ValueError) as exc:
        raise check.CheckFailure(
            f"grad_f raised {type(exc).__name__}: {exc}\n  on arrays of points of shape {xs.shape}. "
            f"Diagnosis: grad_f must work elementwise on arrays: use np.sin / np.cos (not math.sin) "
            f"and no `if` on x or y.") from exc
    ones = np.ones_like(xs)
    dx_num = check.numerical_gradient(lambda a: f(a, ys), xs, dout=ones)
    dy_num = check.numerical_gradient(lambda b: f(xs, b), ys, dout=ones)
    check.assert_gradient_matches(lambda a: f(a, ys), xs, df_dx, f"df/dx {where}", dout=ones, mistakes={
        "the chain-rule factor 3 of cos(3x) is missing: d/dx cos(3x) = -3 sin(3x)": dx_num + 2 * np.sin(3 * xs),
        "the sign of the cosine's derivative is flipped: d/du cos(u) = -sin(u)": dx_num + 6 * np.sin(3 * xs),
    })
    check.assert_gradient_matches(lambda b: f(xs, b), ys, df_dy, f"df/dy {where}", dout=ones, mistakes={
        "the term x * (y + 2) is missing from df/dy: its y-derivative is x": dy_num - xs,
        "the factor 2 of d(y**2)/dy = 2y is missing": dy_num - ys,
    })


def grad_f(grad_f, f):
    """Test ``correct_grad_f``: grad_f at the origin, then against central differences of f at 3 points.

    At the origin the gradient of f(x, y) = x**2 + y**2 + x (y + 2) + cos(3x) is (2, 0): the 2 comes
    from x (y + 2), whose x-derivative y + 2 is 2 at y = 0. Then grad_f is called once on arrays of
    shape (3,) (it must work elementwise), and each partial is compared with central differences of
    `f`; the usual slips (the chain-rule factor 3 of cos(3x), the cosine's sign, a missing term) are named.

    Parameters
    ----------
    grad_f : callable
        Your ``grad_f(x, y) -> (df_dx, df_dy)``.
    f : callable
        The notebook's ``f(x, y)``.
    """
    df_dx, df_dy = _grad_pair(check.call(grad_f, 0.0, 0.0))
    check.assert_close(np.array([df_dx, df_dy], dtype=float), np.array([2.0, 0.0]), "grad_f(0, 0) = (df/dx, df/dy)")
    _grad_f_on_arrays(grad_f, f, np.array([0.0, 1.0, -0.5]), np.array([0.0, -2.0, 0.25]),
                      "at the points (0, 0), (1, -2), (-0.5, 0.25)")
    print("grad_f(0, 0) = (2, 0) and grad_f matches central differences at 3 points: correct")


# --------------------------------------------------------------- correct_optimize_f(_decay)

def _path_rows(path, steps, start, where):
    """The path's shape (steps + 1, 2), its first row the start, and no aliasing of one array."""
    check.assert_true(path.ndim == 2 and path.shape[1:] == (2,),
                      f"path must have shape (steps + 1, 2), one (x, y) row per point; got {path.shape} {where}")
    check.assert_true(path.shape[0] == steps + 1,
                      f"path has {path.shape[0]} rows for steps={steps} {where}; it must have steps + 1 = {steps + 1}. "
                      + ("Diagnosis: the start point is missing: path[0] must be the start (x, y)."
                         if path.shape[0] == steps else "Did you append once per step?"))
    check.assert_true(not (steps > 0 and np.all(path == path[-1]) and np.any(path[0] != np.array(start, dtype=float))),
                      f"every row of path {where} is the final point {path[-1]}, the start point included.\n"
                      f"  Diagnosis: every point of the path is the same array object: you appended `point` and then "
                      f"updated it in place (point -= ...), which changes every row appended so far. Append a copy, "
                      f"path.append(point.copy()), or make a new array each step: point = point - ...")
    check.assert_close(path[0], np.array(start, dtype=float), f"path[0] (the start point) {where}",
                       hint="path[0] is the start point, before any step")


def descent(out, start, step_size, steps, decay, grad, f, where):
    r"""Check an ``optimize_f`` result ``out = (point, value, path)`` against the update rule.

    Every step of the path must be

    .. math:: p_{t+1} - p_t = -\eta \gamma^t \nabla f(p_t), \qquad t = 0, \dots, T - 1,

    with :math:`\eta` = `step_size`, :math:`\gamma` = `decay`, :math:`T` = `steps` and the gradient
    given by `grad` (the ``grad_f`` of the test cell) at each point of the path itself; ``path[0]``
    must be `start`, ``point`` the last row and ``value`` = f(point). Returns (point, value, path).
    """
    check.assert_true(isinstance(out, (tuple, list)) and len(out) == 3,
                      f"optimize_f must return (point, value, path), got {type(out).__name__} {where}")
    point, value, path = out
    path = check.as_checked_array(path, "path")
    _path_rows(path, steps, start, where)
    grads = np.array([np.array(grad(px, py), dtype=float) for px, py in path[:-1]]).reshape(steps, 2)
    rates = (step_size * decay ** np.arange(steps))[:, None]
    check.assert_close(np.diff(path, axis=0), -rates * grads,
                       f"steps path[t+1] - path[t] {where}", mistakes={
        f"the step size was decayed before the first step: the first step must use step_size, step t uses "
        f"step_size * decay**t": -rates * decay * grads,
        "the step size was not decayed: step t must use step_size * decay**t": -step_size * grads,
    }, hint="p[t+1] = p[t] - step_size * decay**t * grad_f(p[t])")
    check.assert_close(point, path[-1], f"returned point {where}", hint="point must be the last row of path")
    check.assert_close(value, f(path[-1, 0], path[-1, 1]), f"returned value {where}", hint="value is f(point)")
    return point, value, path


def optimize_f(optimize_f, grad_f, f):
    """Test ``correct_optimize_f``: ``optimize_f(3, 2, step_size=0.1, steps=3)`` follows the rule (:func:`descent`).

    Parameters
    ----------
    optimize_f : callable
        Your ``optimize_f(x, y, step_size, steps, decay=1.0) -> (point, value, path)``.
    grad_f : callable
        The gradient each step is judged with (yours: a wrong grad_f costs only its own test).
    f : callable
        The notebook's ``f(x, y)``.
    """
    out = check.call(optimize_f, 3.0, 2.0, 0.1, 3)
    descent(out, (3.0, 2.0), 0.1, 3, 1.0, grad_f, f, "for optimize_f(3, 2, step_size=0.1, steps=3)")
    print("path[1] =", np.round(out[2][1], 4), " (expected about [2.1236 1.3   ])")
    print("optimize_f(3, 2, 0.1, 3): the path has 4 rows and every step is -0.1 * grad_f: correct")


def optimize_f_decay(optimize_f, grad_f, f):
    """Test ``correct_optimize_f_decay``: with decay=0.8, step t uses 0.1 * 0.8**t (:func:`descent`).

    Parameters are those of :func:`optimize_f`.
    """
    out = check.call(optimize_f, 3.0, 2.0, 0.1, 4, decay=0.8)
    descent(out, (3.0, 2.0), 0.1, 4, 0.8, grad_f, f, "for optimize_f(3, 2, step_size=0.1, steps=4, decay=0.8)")
    print("step sizes used: 0.1, 0.08, 0.064, 0.0512: correct")


# ------------------------------------------------------------------ correct_hyperparameters

def complex_step_gradient(f, point, h=1e-30):
    r"""The gradient of f(x, y) at `point` by the complex step, exact to rounding (not grad_f).

    .. math:: f(x + ih, y) = f(x, y) + ih \frac{\partial f}{\partial x} + O(h^2)
              \quad\Rightarrow\quad \frac{\partial f}{\partial x} = \frac{\operatorname{Im} f(x + ih, y)}{h}

    for a tiny real h (no subtraction, so no cancellation). `f` must accept complex numbers.
    """
    return np.array([f(point[0] + 1j * h, point[1]).imag, f(point[0], point[1] + 1j * h).imag]) / h


def _choice(step_size, steps, decay):
    """Check the types and ranges of the hyper-parameters."""
    check.assert_true(isinstance(step_size, (int, float, np.integer, np.floating)) and step_size > 0,
                      f"my_step_size must be a positive number, got {step_size!r}")
    check.assert_true(isinstance(steps, (int, np.integer)) and 1 <= steps <= 1000,
                      f"my_steps must be an int between 1 and 1000, got {steps!r}")
    check.assert_true(isinstance(decay, (int, float, np.integer, np.floating)) and 0 < decay <= 1,
                      f"my_decay must be a number in (0, 1], got {decay!r}")


def _why_not(point, value, xy_min):
    """Where a run that missed the global minimum ended: diverged, in a local minimum, close, or bouncing."""
    if not np.isfinite(value) or value > 1e3:
        return "the run diverged (f exploded): the step size is too large for this many (undecayed) steps"
    if np.linalg.norm(point - np.array([0.6059, -0.3030])) < 0.05:
        return ("you converged to the local minimum near (0.61, -0.30): a small step follows the slope into "
                "the first valley; take a larger first step, one that jumps over that valley, and let decay shrink it")
    if np.linalg.norm(point - np.array([-2.8537, 1.4269])) < 0.05:
        return ("you converged to the local minimum near (-2.85, 1.43): the early steps jumped too far; "
                "use a smaller step or a faster decay")
    if np.linalg.norm(point - xy_min) < 0.2:
        return "close, but not converged: more steps, or a decay closer to 1 (the steps shrink too fast)"
    return ("the run is still bouncing, or its steps shrank before it settled: try another step size, "
            "more steps, or a decay below 1 to calm the bouncing")


def hyperparameters(step_size, steps, decay, descend, f, f_min, xy_min):
    """Test ``correct_hyperparameters``: gradient descent from (3, 2) with your choice ends within 1e-3 of f*.

    The choice is checked first (a positive step size, an int 1 <= steps <= 1000, 0 < decay <= 1); then
    ``descend(3.0, 2.0, step_size, steps, decay)`` runs (a correct gradient descent the test cell gives,
    so that this test judges your choice alone), and its end must satisfy f(end) - f* <= 1e-3. If it
    does not, the diagnosis says where the run went instead (diverged, a local minimum, close but not
    converged, still bouncing).

    Parameters
    ----------
    step_size, steps, decay : number, int, number
        Your ``my_step_size``, ``my_steps``, ``my_decay``.
    descend : callable
        ``descend(x, y, step_size, steps, decay) -> end point`` (an array of shape (2,)).
    f : callable
        The notebook's ``f(x, y)``.
    f_min, xy_min : float, ndarray of shape (2,)
        The global minimum f* and where it is.
    """
    _choice(step_size, steps, decay)
    where = f"gradient descent from (3, 2) with step size {step_size}, {steps} steps and decay {decay}"
    with np.errstate(all="ignore"):
        point = np.asarray(descend(3.0, 2.0, step_size, steps, decay), dtype=float).reshape(-1)[:2]
        value = float(f(point[0], point[1]))
        why = _why_not(point, value, xy_min)
        ok = bool(value - f_min <= 1e-3)
    check.assert_true(ok, f"{where} ends at ({point[0]:.4g}, {point[1]:.4g}) with f = {value:.6g}, but the global "
                          f"minimum is f* = {f_min:.5f} at ({xy_min[0]:.4f}, {xy_min[1]:.4f}).\n  Diagnosis: {why}.")
    print(f"gradient descent with your choice ends at f = {value:.6f}, within {value - f_min:.1e} of "
          f"f* = {f_min:.6f}: correct")


# ------------------------------------------------------------- correct_optimize_f_momentum

_EMA = ("the gradient was scaled by (1 - momentum): v = momentum * v + (1 - momentum) * grad is the moving-average "
        "form of momentum (used by Adam), not this notebook's heavy ball: v = momentum * v - step_size * grad, "
        "p = p + v, with no (1 - momentum)")


def _first_move(moves, grads, step_size, beta, where):
    """The first step is a plain gradient step (v[0] = 0), and it is not zero."""
    check.assert_true(bool(np.any(moves[0] != 0) or np.all(grads[0] == 0)),
                      f"the first step {where} is zero, but the gradient at the start is {grads[0]}.\n"
                      f"  Diagnosis: the point moved with the old velocity (zero at first): update the velocity "
                      f"first, v = momentum * v - step_size * grad, then move with it, p = p + v.")
    check.assert_close(moves[0], -step_size * grads[0], f"first step {where}",
                       mistakes={_EMA: -(1 - beta) * step_size * grads[0]},
                       hint="v[0] = 0, so the first step is a plain gradient step")


def momentum_steps(out, start, step_size, steps, beta, grad, f, where):
    r"""Check an ``optimize_f_momentum`` result ``out = (point, value, path)`` against the heavy-ball rule.

    .. math:: v_0 = 0, \qquad v_{t+1} = \beta v_t - \eta \nabla f(p_t), \qquad p_{t+1} = p_t + v_{t+1}

    The velocities are read off the path itself (:math:`v_{t+1} = p_{t+1} - p_t`), the gradient is
    `grad` (the ``grad_f`` of the test cell) at each point of the path; ``path[0]`` must be `start`,
    ``point`` the last row and ``value`` = f(point).
    """
    check.assert_true(isinstance(out, (tuple, list)) and len(out) == 3,
                      f"optimize_f_momentum must return (point, value, path), got {type(out).__name__} {where}")
    point, value, path = out
    path = check.as_checked_array(path, "path")
    check.assert_true(path.shape == (steps + 1, 2),
                      f"path must have shape (steps + 1, 2) = {(steps + 1, 2)} {where}, got {path.shape}"
                      + (": the start point is missing" if path.shape == (steps, 2) else ""))
    check.assert_close(path[0], np.array(start, dtype=float), f"path[0] (the start point) {where}")
    grads = np.array([np.array(grad(px, py), dtype=float) for px, py in path[:-1]]).reshape(steps, 2)
    moves = np.diff(path, axis=0)                                    # the velocities v[1], ..., v[T]
    previous = np.vstack([np.zeros((1, 2)), moves[:-1]])[:steps]     # v[0] = 0, v[1], ..., v[T-1]
    if steps:
        _first_move(moves, grads, step_size, beta, where)
    check.assert_close(moves, beta * previous - step_size * grads, f"steps path[t+1] - path[t] {where}",
                       mistakes={"the velocity is forgotten: these are plain gradient steps; keep "
                                 "v = momentum * v - step_size * grad across iterations": -step_size * grads,
                                 _EMA: beta * previous - (1 - beta) * step_size * grads},
                       hint="v[t+1] = momentum * v[t] - step_size * grad_f(p[t]);  p[t+1] = p[t] + v[t+1]")
    check.assert_close(point, path[-1], f"returned point {where}")
    check.assert_close(value, f(path[-1, 0], path[-1, 1]), f"returned value {where}", hint="value is f(point)")


def optimize_f_momentum(optimize_f_momentum, grad_f, f):
    """Test ``correct_optimize_f_momentum``: ``optimize_f_momentum(3, 2, 0.05, 4, momentum=0.5)`` follows
    the heavy-ball rule (:func:`momentum_steps`).

    Parameters
    ----------
    optimize_f_momentum : callable
        Your ``optimize_f_momentum(x, y, step_size, steps, momentum=0.9) -> (point, value, path)``.
    grad_f : callable
        The gradient each step is judged with (yours: a wrong grad_f costs only its own test).
    f : callable
        The notebook's ``f(x, y)``.
    """
    out = check.call(optimize_f_momentum, 3.0, 2.0, 0.05, 4, momentum=0.5)
    momentum_steps(out, (3.0, 2.0), 0.05, 4, 0.5, grad_f, f, "for optimize_f_momentum(3, 2, 0.05, 4, momentum=0.5)")
    print("path[1] =", np.round(out[2][1], 4), " (expected about [2.5618 1.65  ])")
    print("optimize_f_momentum follows v = 0.5 v - 0.05 grad_f, p = p + v: correct")
