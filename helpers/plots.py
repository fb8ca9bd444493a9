"""The course's plots, so that notebooks do not each write their own.

Every function returns the matplotlib ``Figure`` it drew on, never calls ``plt.show()``
and never changes ``rcParams``. Arrays are batch first: images are ``(N, 784)``,
``(N, 28, 28)``, ``(N, 64)`` or ``(N, 8, 8)``, labels ``(N,)``, probabilities ``(N, C)``.
Bad input raises a ``ValueError`` that says what was wrong and what was expected.
"""
from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, MaxNLocator

RIGHT, WRONG, NEUTRAL, OTHER = "tab:green", "tab:red", "tab:blue", "0.65"
_PATH_COLOURS = ("tab:red", "cyan", "tab:orange", "magenta", "white")
_SIDES = {784: 28, 64: 8}  # pixels per image -> side of the square image
_CURVE_KEYS = ("train_loss", "test_loss", "train_acc", "test_acc")
_HISTORY_KEYS = _CURVE_KEYS + ("train_x", "test_x")


# --------------------------------------------------------------------------- helpers
def _fig_ax(ax, figsize):
    """(figure, axes): the given axes and its figure, or a new single-axes figure."""
    return plt.subplots(figsize=figsize, layout="constrained") if ax is None else (ax.figure, ax)


def _fresh_figure(fig, figsize, layout="constrained"):
    """The given figure cleared for reuse, or a new one."""
    if fig is None:
        return plt.figure(figsize=figsize, layout=layout)
    for ax in fig.axes:  # Figure.clear() would first clear each axes: slow, and they go anyway
        fig.delaxes(ax)
    fig.clear()
    return fig


def _as_images(images):
    """images (N, 784), (N, 28, 28), (N, 64) or (N, 8, 8) -> array (N, side, side)."""
    images = np.asarray(images, dtype=float)
    n = images.shape[0] if images.ndim else 0
    side = _SIDES.get(int(np.prod(images.shape[1:])) if images.ndim > 1 else -1)
    if images.ndim not in (2, 3) or side is None or (images.ndim == 3 and images.shape[1] != images.shape[2]):
        raise ValueError(f"images has shape {images.shape}; expected (N, 784) or (N, 28, 28) for MNIST, "
                         "(N, 64) or (N, 8, 8) for sklearn digits")
    if n == 0:
        raise ValueError("images is empty; expected at least one image")
    return images.reshape(n, side, side)


def _as_classes(values, n, name):
    """values (N,) of integer class indices (or None) -> int array (N,) (or None)."""
    if values is None:
        return None
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise ValueError(f"{name} has shape {arr.shape}; expected ({n},), one class index per image")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} has dtype {arr.dtype}; expected integer class indices")
    if arr.size and not np.all(np.mod(arr, 1) == 0):
        raise ValueError(f"{name} must be integer class indices (threshold or argmax probabilities first); "
                         f"got e.g. {arr[np.mod(arr, 1) != 0][0]!r}")
    return arr.astype(int)


def _verdict_colour(label, prediction):
    """Green when the prediction is right, red when wrong, blue when there is no label."""
    return NEUTRAL if label is None else RIGHT if label == prediction else WRONG


def _namer(class_names):
    """A function mapping a class index to its display text via class_names (dict or sequence)."""
    def name(k):
        if class_names is None:
            return str(k)
        try:
            return str(class_names[k])
        except (KeyError, IndexError):
            raise ValueError(f"class_names has no entry for class {k}; expected a name for every "
                             "class that occurs in labels and predictions") from None
    return name


# --------------------------------------------------------------------------- 2-D functions
def plot_contours(f, xlim=(-4, 4), ylim=(-4, 4), path=None, ax=None, levels=30, n=200, title=None,
                  minimum=None):
    """Contours of a 2-D function, optionally with optimisation paths and the known minimum.

    Parameters
    ----------
    f : callable
        ``f(X, Y)`` with ``X, Y`` of shape (n, n) (a meshgrid) returning shape (n, n).
    xlim, ylim : (float, float)
        Plotted range, lower < upper.
    path : array (T, 2), list of (x, y), or dict {label: array (T, 2)}, optional
        Optimisation path(s), drawn as lines with markers; the start is a square and
        the end a cross. A dict compares several optimisers in one plot.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is made when omitted.
    levels : int or sequence of float
        Number of contour levels, or the levels themselves.
    n : int
        Grid points per axis.
    title : str, optional
    minimum : (float, float), optional
        Known minimiser, marked with a star.

    Returns
    -------
    matplotlib.figure.Figure
    """
    for lim, name in ((xlim, "xlim"), (ylim, "ylim")):
        if np.shape(lim) != (2,) or not lim[0] < lim[1]:
            raise ValueError(f"{name} is {lim!r}; expected (lower, upper) with lower < upper")
    if not callable(f):
        raise ValueError(f"f must be a callable f(x, y); got {type(f).__name__}")
    X, Y = np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))
    Z = np.asarray(f(X, Y), dtype=float)
    if Z.shape != X.shape:
        raise ValueError(f"f(X, Y) returned shape {Z.shape} for grids of shape {X.shape}; f must work "
                         "element-wise on arrays (use np.exp, ** etc., not math.* or if-statements)")
    paths = dict(path) if isinstance(path, Mapping) else ({} if path is None else {"path": path})
    for label, p in paths.items():
        paths[label] = p = np.asarray(p, dtype=float)
        if p.ndim != 2 or p.shape[1] != 2 or len(p) == 0:
            raise ValueError(f"path {label!r} has shape {p.shape}; expected (T, 2): one (x, y) row per step")

    fig, ax = _fig_ax(ax, (6, 5))
    ax.contourf(X, Y, Z, levels=levels, cmap="viridis", alpha=0.85)
    ax.contour(X, Y, Z, levels=levels, colors="k", linewidths=0.4, alpha=0.5)
    handles = []
    for i, (label, p) in enumerate(paths.items()):
        colour = _PATH_COLOURS[i % len(_PATH_COLOURS)]
        handles += ax.plot(p[:, 0], p[:, 1], "o-", color=colour, ms=3, lw=1.5,
                           label=f"{label} ({len(p) - 1} steps)")
        ax.plot(*p[0], "s", color=colour, mec="k", ms=9)
        ax.plot(*p[-1], "X", color=colour, mec="k", ms=11, zorder=2.1)
    if paths:
        handles += [Line2D([], [], ls="", marker=m, color="w", mec="k", ms=s, label=t)
                    for m, s, t in (("s", 9, "start"), ("X", 11, "end"))]
    if minimum is not None:
        if np.shape(minimum) != (2,):
            raise ValueError(f"minimum has shape {np.shape(minimum)}; expected (x, y)")
        handles += ax.plot(*minimum, "*", color="gold", mec="k", ms=18, label="minimum", zorder=1.9)
    ax.set(xlim=xlim, ylim=ylim, xlabel="x", ylabel="y", aspect="equal")
    if title:
        ax.set_title(title)
    if handles:
        ax.legend(handles=handles, loc="best", fontsize="small", framealpha=0.9)
    return fig


# --------------------------------------------------------------------------- training
def _check_history(history, run):
    """Validate one run's history dict; return {curve_key: (x (T,), y (T,))}."""
    where = f"history[{run!r}]" if run is not None else "history"
    if not isinstance(history, Mapping):
        raise ValueError(f"{where} is a {type(history).__name__}; expected a dict with keys among {_CURVE_KEYS}")
    unknown = set(history) - set(_HISTORY_KEYS)
    if unknown:
        raise ValueError(f"{where} has unknown keys {sorted(unknown)}; expected keys among {_HISTORY_KEYS}")
    curves = {}
    for key in _CURVE_KEYS:
        if key not in history:
            continue
        y = np.asarray(history[key], dtype=float)
        if y.ndim != 1 or len(y) == 0:
            raise ValueError(f"{where}[{key!r}] has shape {y.shape}; expected a non-empty 1-D sequence")
        xkey = key.split("_")[0] + "_x"
        x = np.asarray(history.get(xkey, np.arange(len(y))), dtype=float)
        if x.shape != y.shape:
            raise ValueError(f"{where}[{xkey!r}] has {x.size} entries but {key!r} has {y.size}; "
                             f"expected one x position per value")
        curves[key] = (x, y)
    if not curves:
        raise ValueError(f"{where} has none of the keys {_CURVE_KEYS}; expected at least one curve")
    return curves


def plot_learning_curves(history, fig=None, title=None, log_loss=False):
    """Loss (and accuracy) against training progress, for one run or several overlaid.

    Parameters
    ----------
    history : dict or dict of dicts
        Keys among 'train_loss', 'test_loss', 'train_acc', 'test_acc', each a sequence of
        shape (T,) (lengths may differ between keys), and optional 'train_x' / 'test_x' of
        the same length as the train / test curves giving their x positions (default
        ``range(T)``). A dict ``{run_label: history}`` overlays several runs: colour tells
        runs apart, solid lines are train and dashed lines test.
    fig : matplotlib Figure, optional
        Figure to clear and reuse (e.g. for a live plot); a new one is made when omitted.
    title : str, optional
    log_loss : bool
        Logarithmic loss axis (all losses must then be positive).

    Returns
    -------
    matplotlib.figure.Figure
        One axes for loss and one for accuracy, each present only when such keys exist.
    """
    if not isinstance(history, Mapping) or not history:
        raise ValueError(f"history must be a non-empty dict; got {history!r:.60}")
    nested = [isinstance(v, Mapping) for v in history.values()]
    if any(nested) and not all(nested):
        raise ValueError("history mixes curves and runs; expected either {'train_loss': [...], ...} "
                         "or {run_label: {'train_loss': [...], ...}, ...}")
    runs = {run: _check_history(h, run) for run, h in history.items()} if all(nested) \
        else {None: _check_history(history, None)}
    kinds = [k for k in ("loss", "acc") if any(key.endswith(k) for c in runs.values() for key in c)]
    acc = [c[key][1] for c in runs.values() for key in c if key.endswith("acc")]
    percent = bool(acc) and max(np.nanmax(a) for a in acc) > 1
    if acc and (min(np.nanmin(a) for a in acc) < 0 or max(np.nanmax(a) for a in acc) > 100):
        raise ValueError("accuracies must lie in [0, 1] or in [0, 100] (percent)")
    if log_loss and any(np.nanmin(c[k][1]) <= 0 for c in runs.values() for k in c if k.endswith("loss")):
        raise ValueError("log_loss=True needs positive losses; got a loss <= 0")

    fig = _fresh_figure(fig, (5.5 * len(kinds), 4))
    axes = dict(zip(kinds, np.atleast_1d(fig.subplots(1, len(kinds)))))
    for i, (run, curves) in enumerate(runs.items()):
        for key, (x, y) in curves.items():
            split, kind = key.split("_")
            label = split if run is None else f"{run} ({split})"
            axes[kind].plot(x, y, "-" if split == "train" else "--", color=f"C{i % 10}", label=label,
                            marker="o" if len(y) <= 30 else None, ms=3)
    for kind, ax in axes.items():
        ax.set(xlabel="iteration", ylabel=("loss (log scale)" if log_loss else "loss") if kind == "loss" else
               ("accuracy (%)" if percent else "accuracy (fraction correct)"))
        ax.set_title(kind.replace("acc", "accuracy"))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if log_loss:
        axes["loss"].set_yscale("log")
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------- images
def show_digits(images, labels=None, predictions=None, n_cols=8, max_images=32, title=None, class_names=None):
    """A grid of digit images titled with their labels, and predictions when given.

    Parameters
    ----------
    images : array (N, 784), (N, 28, 28), (N, 64) or (N, 8, 8)
    labels : array (N,) of int, optional
    predictions : array (N,) of int, optional
        Needs ``labels``; cells are then titled 'label / pred', green when right, red
        (with a red frame) when wrong.
    n_cols : int
        Images per row.
    max_images : int
        Only the first ``max_images`` images are shown.
    title : str, optional
    class_names : dict or sequence, optional
        Display text per class index, e.g. ``{0: '3', 1: '9'}``.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per image shown.
    """
    images = _as_images(images)
    if n_cols < 1 or max_images < 1:
        raise ValueError(f"n_cols={n_cols} and max_images={max_images}; expected both >= 1")
    if predictions is not None and labels is None:
        raise ValueError("predictions were given without labels; expected labels to judge them against")
    labels, predictions = (_as_classes(v, len(images), k) for k, v in
                           (("labels", labels), ("predictions", predictions)))
    name = _namer(class_names)
    count = min(len(images), max_images)
    rows, cols = -(-count // n_cols), min(count, n_cols)
    top = 0.6 if title or predictions is not None else 0.2  # room for the suptitle
    fig = plt.figure(figsize=(1.15 * cols + 0.3, 1.35 * rows + top), layout="constrained")
    for i in range(count):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(images[i], cmap="gray_r", interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        colour, text = "black", "" if labels is None else name(labels[i])
        if predictions is not None:
            colour, text = _verdict_colour(labels[i], predictions[i]), f"{text} / {name(predictions[i])}"
        ax.set_title(text, color=colour, fontsize=10, pad=3)
        wrong = colour == WRONG
        for spine in ax.spines.values():
            spine.set(color=WRONG if wrong else "0.8", linewidth=2.5 if wrong else 0.8)
    if predictions is not None:
        n_wrong = int(np.sum(labels[:count] != predictions[:count]))
        note = f"label / prediction: {n_wrong} of {count} wrong"
        title = f"{title}\n{note}" if title else note
    if title:
        fig.suptitle(title)
    return fig


def show_probabilities(images, probs, labels=None, n=8, title=None, fig=None):
    """Images beside stem plots of their predicted class probabilities (fast enough to redraw live).

    Parameters
    ----------
    images : array (N, 784), (N, 28, 28), (N, 64) or (N, 8, 8)
    probs : array (N, C)
        Predicted probabilities; every row must sum to 1 within 1e-6.
    labels : array (N,) of int, optional
        True classes; the predicted class's stem is then green when right, red when wrong
        (blue without labels). Other classes' stems are grey.
    n : int
        How many of the first images to show.
    title : str, optional
    fig : matplotlib Figure, optional
        Figure to clear and reuse, e.g. to redraw during training; new when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes per image shown: the image, then its probabilities.
    """
    images = _as_images(images)
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2 or len(probs) != len(images):
        raise ValueError(f"probs has shape {probs.shape}; expected ({len(images)}, C), one row of class "
                         "probabilities per image (for a sigmoid output p use np.column_stack([1 - p, p]))")
    sums = probs.sum(axis=1)
    bad = np.flatnonzero(~(np.abs(sums - 1) <= 1e-6) | np.any(probs < 0, axis=1))
    if bad.size:
        raise ValueError(f"probs row {bad[0]} sums to {sums[bad[0]]:.6g} (min {probs[bad[0]].min():.3g}); "
                         "expected non-negative rows summing to 1 within 1e-6 (apply softmax to logits)")
    labels = _as_classes(labels, len(images), "labels")
    if n < 1:
        raise ValueError(f"n={n}; expected at least 1 image")
    count, classes = min(n, len(images)), np.arange(probs.shape[1])
    per_row = 2 if count > 1 else 1
    rows = -(-count // per_row)
    fig = _fresh_figure(fig, (4.6 * per_row, 1.45 * rows + 0.5), layout=None)
    grid = fig.add_gridspec(rows, 2 * per_row, width_ratios=[1, 2.2] * per_row, left=0.03, right=0.98,
                            bottom=0.06, top=1 - (0.55 if title else 0.3) / (1.45 * rows + 0.5),
                            wspace=0.25, hspace=0.75)
    for i in range(count):
        row, col = divmod(i, per_row)
        ax_img, ax_p = fig.add_subplot(grid[row, 2 * col]), fig.add_subplot(grid[row, 2 * col + 1])
        ax_img.imshow(images[i], cmap="gray_r", interpolation="nearest")
        ax_img.set_axis_off()
        pred = int(np.argmax(probs[i]))
        label = None if labels is None else labels[i]
        colour = _verdict_colour(label, pred)
        ax_p.vlines(classes, 0, probs[i], color=OTHER, lw=2)
        ax_p.plot(classes, probs[i], "o", color=OTHER, ms=3)
        ax_p.vlines(pred, 0, probs[i, pred], color=colour, lw=3, gid="predicted")
        ax_p.plot(pred, probs[i, pred], "o", color=colour, ms=6, gid="predicted")
        ax_p.set(ylim=(0, 1.08), xlim=(-0.6, len(classes) - 0.4))
        ax_p.yaxis.set_major_locator(FixedLocator([0, 0.5, 1]))  # locators: much faster than set_ticks
        ax_p.xaxis.set_major_locator(MaxNLocator(nbins=20, integer=True))
        ax_p.tick_params(labelsize=8)
        text = f"predicted {pred} (p={probs[i, pred]:.2f})"
        ax_p.set_title(text if label is None else f"label {label}, {text}", color=colour, fontsize=9, pad=3)
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------- activations
def plot_function_and_gradient(fns, x=None, ax=None, title=None):
    """Several functions of one variable on one axes, e.g. an activation and its gradients.

    Parameters
    ----------
    fns : dict {label: callable or (callable, dict)}
        Each callable maps x (shape (M,)) to an array of shape (M,). An optional dict of
        ``ax.plot`` keywords sets the style; labels containing 'numerical' are dashed
        by default.
    x : array (M,), optional
        Points to evaluate at; default ``np.linspace(-6, 6, 401)``.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(fns, Mapping) or not fns:
        raise ValueError("fns must be a non-empty dict {label: callable}")
    x = np.linspace(-6, 6, 401) if x is None else np.asarray(x, dtype=float)
    if x.ndim != 1 or len(x) < 2:
        raise ValueError(f"x has shape {x.shape}; expected (M,) with M >= 2 points")
    fig, ax = _fig_ax(ax, (6, 4))
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.8)
    for label, fn in fns.items():
        fn, style = fn if isinstance(fn, tuple) else (fn, {})
        if not callable(fn):
            raise ValueError(f"fns[{label!r}] is a {type(fn).__name__}; expected a callable")
        y = np.asarray(fn(x), dtype=float)
        if y.shape != x.shape:
            raise ValueError(f"fns[{label!r}] returned shape {y.shape} for x of shape {x.shape}; "
                             "expected an element-wise function returning the same shape")
        style = {"ls": "--" if "numerical" in str(label).lower() else "-", "lw": 2, **style}
        ax.plot(x, y, label=label, **style)
    ax.set(xlabel="x", xlim=(x[0], x[-1]))
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return fig
