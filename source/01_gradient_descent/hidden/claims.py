"""Numbers the prose of 01_gradient_descent promises, checked after the source notebook ran top to bottom
(tests/harness.py::test_source_notebook_executes_and_keeps_its_promises)."""

# The two local minima, refined from the points the prose names.
_LOCAL_RIGHT = "minimize(lambda p: f(p[0], p[1]), [0.6, -0.3], method='BFGS', tol=1e-12)"
_LOCAL_LEFT = "minimize(lambda p: f(p[0], p[1]), [-2.85, 1.43], method='BFGS', tol=1e-12)"

CLAIMS = [
    # cell "Look at the plot": the three valleys along y = -x/2
    dict(text=r"valleys near $x \approx 0.6$", expr=f"{_LOCAL_RIGHT}.x[0]", value=0.6, tol=0.05),
    dict(text=r"$x \approx -1.1$", expr="xy_star[0]", value=-1.1, tol=0.05),
    dict(text=r"$x \approx -2.9$", expr=f"{_LOCAL_LEFT}.x[0]", value=-2.9, tol=0.06),
    dict(text=r"$y \approx -x/2$", expr=f"{_LOCAL_LEFT}.x[1] / -{_LOCAL_LEFT}.x[0]", value=0.5, tol=0.01),
    # after 50 steps of size 0.1
    dict(text=r"$f \approx 1.243$, far above $f^\star \approx -2.281$", expr="optimize_f(*START, 0.1, 50)[1]",
         value=1.243, tol=5e-4),
    dict(text=r"$f \approx 1.243$, far above $f^\star \approx -2.281$", expr="f_star", value=-2.281, tol=5e-4),
    # curvature and the stability limit
    dict(text=r"2 - 9\cos(3x) \approx 11$", expr="2 - 9 * np.cos(3 * xy_star[0])", value=11, tol=0.1),
    dict(text=r"$\eta < 2/L \approx 0.18$", expr="2 / (2 - 9 * np.cos(3 * xy_star[0]))", value=0.18, tol=0.005),
    dict(text=r"($L = 3$, stable for $\eta < 2/3$)", expr="np.linalg.eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]])).max()",
         value=3, tol=1e-9),
    # What you should see
    dict(text=r"the global minimum is $f^\star \approx -2.2807$", expr="f_star", value=-2.2807, tol=5e-5),
    dict(text=r"at $(-1.088, 0.544)$", expr="xy_star[0]", value=-1.088, tol=5e-4),
    dict(text=r"at $(-1.088, 0.544)$", expr="xy_star[1]", value=0.544, tol=5e-4),
    dict(text=r"near $(0.61, -0.30)$ ($f \approx 1.243$)", expr=f"{_LOCAL_RIGHT}.fun", value=1.243, tol=5e-4),
    dict(text=r"near $(0.61, -0.30)$ ($f \approx 1.243$)", expr=f"{_LOCAL_RIGHT}.x[0]", value=0.61, tol=5e-3),
    dict(text=r"near $(0.61, -0.30)$ ($f \approx 1.243$)", expr=f"{_LOCAL_RIGHT}.x[1]", value=-0.30, tol=5e-3),
    dict(text=r"$(-2.85, 1.43)$ ($f \approx -0.249$)", expr=f"{_LOCAL_LEFT}.fun", value=-0.249, tol=5e-4),
    dict(text=r"$(-2.85, 1.43)$ ($f \approx -0.249$)", expr=f"{_LOCAL_LEFT}.x[0]", value=-2.85, tol=5e-3),
    dict(text=r"$(-2.85, 1.43)$ ($f \approx -0.249$)", expr=f"{_LOCAL_LEFT}.x[1]", value=1.43, tol=5e-3),
    dict(text="reaches that local minimum within about 10", expr=f"f(*runs['step 0.1'][10]) - {_LOCAL_RIGHT}.fun",
         value=0, tol=0.1),
    dict(text="goes flat at a gap of about 3.5", expr="f(*runs['step 0.1'][-1]) - f_star", value=3.5, tol=0.1),
    dict(text="flattens at a gap of about 0.4",
         expr="np.mean([f(*p) for p in runs['step 0.2'][-4:]]) - f_star", value=0.4, tol=0.05),
    dict(text="($f$ grows to hundreds)", expr="f(*runs['step 0.7'][-1])", value=550, tol=450),
    dict(text=r"first valley ($f \approx 1.246$, still", expr="value_gd", value=1.246, tol=5e-4),
    dict(text="creeping towards its bottom at $1.243$", expr=f"{_LOCAL_RIGHT}.fun", value=1.243, tol=5e-4),
    dict(text=r"momentum $0.8$ rolls over the bump and reaches $f^\star$", expr="value_mom - f_star", value=0, tol=1e-4),
    # Question 4
    dict(text="within 0.2 of that valley's bottom",
         expr=f"np.linalg.norm(optimize_f_momentum(*START, 0.01, 50, momentum=0.95)[0] - {_LOCAL_LEFT}.x)",
         value=0.1, tol=0.1),
    dict(text=r"($f \approx -2.2805$ against $f^\star \approx -2.2807$)",
         expr="optimize_f_momentum(*START, 0.01, 200, momentum=0.95)[1]", value=-2.2805, tol=5e-5),
    dict(text=r"is still far off after 200 steps ($f \approx 0.21$)",
         expr="optimize_f_momentum(*START, 0.01, 200, momentum=0.99)[1]", value=0.21, tol=0.005),
]
