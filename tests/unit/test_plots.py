"""The course's plots: what a person would see on each figure, and the input checks."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from helpers import plots  # noqa: E402

GREEN, RED = to_rgba("tab:green"), to_rgba("tab:red")


@pytest.fixture(autouse=True)
def _clean_figures_no_show_no_rcparams(monkeypatch):
    """Every test: plt.show() must not be called, rcParams must not change, figures are closed."""
    def no_show(*args, **kwargs):
        raise AssertionError("plots must return figures, not call plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    before = dict(plt.rcParams)
    yield
    after = dict(plt.rcParams)
    plt.close("all")
    assert after == before, "a plot function changed the global rcParams"


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def line_labelled(ax, label):
    lines = [line for line in ax.get_lines() if line.get_label() == label]
    assert len(lines) == 1, f"expected one line labelled {label!r}, got {[x.get_label() for x in ax.get_lines()]}"
    return lines[0]


def bowl(x, y):
    return x ** 2 + 3 * y ** 2


# --------------------------------------------------------------------------- plot_contours
def test_contours_single_path_start_end_minimum_and_legend():
    path = np.random.default_rng(0).uniform(-3, 3, size=(12, 2))
    fig = plots.plot_contours(bowl, path=path, minimum=(0, 0), title="bowl")
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    np.testing.assert_allclose(line_labelled(ax, "path (11 steps)").get_xydata(), path)
    markers = {line.get_marker(): line.get_xydata() for line in ax.get_lines() if line.get_label().startswith("_")}
    np.testing.assert_allclose(markers["s"], path[:1])   # start
    np.testing.assert_allclose(markers["X"], path[-1:])  # end
    np.testing.assert_allclose(line_labelled(ax, "minimum").get_xydata(), [[0, 0]])
    assert line_labelled(ax, "minimum").get_marker() == "*"
    assert legend_texts(ax) == ["path (11 steps)", "start", "end", "minimum"]
    assert ax.get_title() == "bowl"
    assert ax.get_xlim() == (-4, 4) and ax.get_ylim() == (-4, 4)


def test_contours_show_the_function_values_on_the_grid():
    fig = plots.plot_contours(bowl, xlim=(-1, 2), ylim=(0, 1), n=50)
    filled = [c for c in fig.axes[0].collections if getattr(c, "filled", False)]
    assert len(filled) == 1
    X, Y = np.meshgrid(np.linspace(-1, 2, 50), np.linspace(0, 1, 50))
    assert filled[0].zmin == pytest.approx(bowl(X, Y).min()) and filled[0].zmax == pytest.approx(4 + 3)
    assert fig.axes[0].get_legend() is None  # nothing to explain without paths or minimum


def test_contours_accept_list_of_tuples_and_dict_of_paths_with_distinct_colours():
    plain = [(3.0, 3.0), (2.0, 1.0), (1.0, 0.2)]
    momentum = np.array([[3.0, 3.0], [1.5, 0.5], [0.2, -0.1], [0.0, 0.0]])
    fig = plots.plot_contours(bowl, path={"plain GD": plain, "momentum": momentum})
    ax = fig.axes[0]
    a, b = line_labelled(ax, "plain GD (2 steps)"), line_labelled(ax, "momentum (3 steps)")
    np.testing.assert_allclose(a.get_xydata(), plain)
    np.testing.assert_allclose(b.get_xydata(), momentum)
    assert to_rgba(a.get_color()) != to_rgba(b.get_color())
    assert legend_texts(ax) == ["plain GD (2 steps)", "momentum (3 steps)", "start", "end"]


def test_contours_draw_on_a_given_axes():
    fig, axes = plt.subplots(1, 2)
    out = plots.plot_contours(bowl, ax=axes[1], title="right")
    assert out is fig and len(fig.axes) == 2
    assert axes[1].get_title() == "right" and axes[1].collections and not axes[0].collections


@pytest.mark.parametrize("kwargs, message", [
    ({"path": np.zeros((5, 3))}, r"path 'path' has shape \(5, 3\); expected \(T, 2\)"),
    ({"path": {"gd": np.zeros(4)}}, r"path 'gd' has shape \(4,\); expected \(T, 2\)"),
    ({"xlim": (2, -2)}, r"xlim is \(2, -2\); expected \(lower, upper\)"),
    ({"minimum": (1, 2, 3)}, r"minimum has shape \(3,\); expected \(x, y\)"),
])
def test_contours_reject_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.plot_contours(bowl, **kwargs)


def test_contours_reject_a_function_that_does_not_work_on_arrays():
    with pytest.raises(ValueError, match=r"returned shape \(\) for grids of shape \(20, 20\); f must work"):
        plots.plot_contours(lambda x, y: 1.0, n=20)


# --------------------------------------------------------------------------- plot_learning_curves
def step_and_epoch_history():
    rng = np.random.default_rng(1)
    steps, epochs = np.arange(100), np.arange(0, 100, 25)
    return {"train_loss": np.exp(-steps / 30) + 0.1 * rng.random(100) + 0.01, "train_x": steps,
            "test_loss": np.exp(-epochs / 30) + 0.05, "test_x": epochs,
            "train_acc": np.linspace(0.1, 0.95, 100), "test_acc": np.linspace(0.1, 0.9, 4)}


def test_learning_curves_loss_and_accuracy_panels_line_up_with_x():
    h = step_and_epoch_history()
    fig = plots.plot_learning_curves(h, title="run 1")
    assert len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_yscale() == "linear"
    train, test = line_labelled(loss_ax, "train"), line_labelled(loss_ax, "test")
    np.testing.assert_allclose(test.get_xdata(), h["test_x"])
    np.testing.assert_allclose(test.get_ydata(), h["test_loss"])
    np.testing.assert_allclose(train.get_xdata(), h["train_x"])
    assert train.get_linestyle() == "-" and test.get_linestyle() == "--"
    np.testing.assert_allclose(line_labelled(acc_ax, "test").get_ydata(), h["test_acc"])
    assert legend_texts(loss_ax) == ["train", "test"] == legend_texts(acc_ax)
    assert "%" not in acc_ax.get_ylabel() and "accuracy" in acc_ax.get_ylabel()
    assert fig.get_suptitle() == "run 1"


def test_learning_curves_log_scale_when_asked():
    fig = plots.plot_learning_curves(step_and_epoch_history(), log_loss=True)
    assert fig.axes[0].get_yscale() == "log" and "log" in fig.axes[0].get_ylabel()
    assert fig.axes[1].get_yscale() == "linear"


def test_learning_curves_loss_only_gives_one_panel_with_default_x():
    fig = plots.plot_learning_curves({"train_loss": [3.0, 2.0, 1.5, 1.2]})
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "loss"
    np.testing.assert_allclose(line_labelled(fig.axes[0], "train").get_xdata(), [0, 1, 2, 3])


def test_learning_curves_percent_accuracy_is_labelled_as_percent():
    fig = plots.plot_learning_curves({"train_acc": [10, 50, 92.5]})
    assert len(fig.axes) == 1 and "%" in fig.axes[0].get_ylabel()


def test_learning_curves_overlay_runs_by_colour_and_split_by_style():
    h = step_and_epoch_history()
    fig = plots.plot_learning_curves({"CE": h, "MSE": {k: v for k, v in h.items() if "acc" not in k}})
    assert len(fig.axes) == 2
    loss_ax = fig.axes[0]
    assert legend_texts(loss_ax) == ["CE (train)", "CE (test)", "MSE (train)", "MSE (test)"]
    colour = {lab: to_rgba(line_labelled(loss_ax, lab).get_color()) for lab in legend_texts(loss_ax)}
    assert colour["CE (train)"] == colour["CE (test)"] != colour["MSE (train)"] == colour["MSE (test)"]
    assert line_labelled(loss_ax, "MSE (test)").get_linestyle() == "--"
    assert legend_texts(fig.axes[1]) == ["CE (train)", "CE (test)"]


def test_learning_curves_reuse_a_given_figure():
    fig = plt.figure()
    for n in (3, 6):
        out = plots.plot_learning_curves({"train_loss": np.linspace(2, 1, n), "test_acc": [0.5, 0.7]}, fig=fig)
        assert out is fig and len(fig.axes) == 2
    assert len(line_labelled(fig.axes[0], "train").get_xdata()) == 6


@pytest.mark.parametrize("history, kwargs, message", [
    ({"train_loss": [1, 2, 3], "train_x": [0, 1]}, {}, r"'train_x'\] has 2 entries but 'train_loss' has 3"),
    ({"train_losses": [1, 2]}, {}, r"unknown keys \['train_losses'\]; expected keys among"),
    ({"train_loss": [1.0, 0.0]}, {"log_loss": True}, "log_loss=True needs positive losses"),
    ({"a": {"train_loss": [1]}, "train_loss": [1]}, {}, "mixes curves and runs"),
    ({"train_x": [0, 1]}, {}, "has none of the keys"),
    ({"train_acc": [-0.1, 0.5]}, {}, r"accuracies must lie in \[0, 1\] or in \[0, 100\]"),
    ({"test_loss": [[1, 2]]}, {}, r"has shape \(1, 2\); expected a non-empty 1-D sequence"),
])
def test_learning_curves_reject_bad_history(history, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.plot_learning_curves(history, **kwargs)


# --------------------------------------------------------------------------- show_digits
def test_digits_titles_label_slash_prediction_wrong_ones_red_with_red_frame():
    images = np.random.default_rng(2).random((10, 784))
    labels = np.arange(10)
    predictions = labels.copy()
    predictions[[3, 7]] = [5, 1]
    fig = plots.show_digits(images, labels, predictions, n_cols=5)
    assert len(fig.axes) == 10
    for i, ax in enumerate(fig.axes):
        assert ax.get_title() == f"{labels[i]} / {predictions[i]}"
        wrong = i in (3, 7)
        assert to_rgba(ax.title.get_color()) == (RED if wrong else GREEN)
        assert (to_rgba(ax.spines["left"].get_edgecolor()) == RED) == wrong
        np.testing.assert_allclose(ax.get_images()[0].get_array(), images[i].reshape(28, 28))
    assert fig.axes[9].get_subplotspec().get_geometry()[:2] == (2, 5)
    assert "2 of 10 wrong" in fig.get_suptitle()


def test_digits_label_only_titles_are_black_and_max_images_limits_grid():
    images = np.random.default_rng(3).random((40, 28, 28))
    fig = plots.show_digits(images, labels=np.arange(40) % 10, title="train")
    assert len(fig.axes) == 32 and fig.get_suptitle() == "train"
    assert [ax.get_title() for ax in fig.axes[:3]] == ["0", "1", "2"]
    assert to_rgba(fig.axes[0].title.get_color()) == to_rgba("black")
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (4, 8)


@pytest.mark.parametrize("shape", [(6, 64), (6, 8, 8)])
def test_digits_accept_sklearn_8x8(shape):
    fig = plots.show_digits(np.random.default_rng(4).random(shape))
    assert len(fig.axes) == 6 and fig.axes[0].get_images()[0].get_array().shape == (8, 8)
    assert fig.axes[0].get_title() == ""


def test_digits_class_names_map_binary_labels():
    fig = plots.show_digits(np.zeros((3, 784)), [0, 1, 1], [0, 0, 1], class_names={0: "3", 1: "9"})
    assert [ax.get_title() for ax in fig.axes] == ["3 / 3", "9 / 3", "9 / 9"]
    assert [to_rgba(ax.title.get_color()) for ax in fig.axes] == [GREEN, RED, GREEN]


@pytest.mark.parametrize("shape", [(5, 100), (5, 28, 27), (784,), (5, 28, 28, 1), (0, 784)])
def test_digits_reject_unknown_image_shapes(shape):
    with pytest.raises(ValueError, match=r"images (has shape|is empty).*expected"):
        plots.show_digits(np.zeros(shape))


@pytest.mark.parametrize("kwargs, message", [
    ({"predictions": [1, 2, 3]}, "predictions were given without labels"),
    ({"labels": [1, 2]}, r"labels has shape \(2,\); expected \(3,\)"),
    ({"labels": [0.0, 1.0, 0.7]}, "labels must be integer class indices"),
    ({"labels": [0, 1, 2], "class_names": {0: "3", 1: "9"}}, "class_names has no entry for class 2"),
])
def test_digits_reject_bad_labels(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.show_digits(np.zeros((3, 64)), **kwargs)


# --------------------------------------------------------------------------- show_probabilities
def predicted_artists(ax):
    return [a for a in ax.get_children() if a.get_gid() == "predicted"]


def test_probabilities_predicted_stem_green_when_right_red_when_wrong():
    rng = np.random.default_rng(5)
    images, probs = rng.random((6, 784)), softmax(3 * rng.normal(size=(6, 10)))
    labels = probs.argmax(axis=1)
    labels[2] = (labels[2] + 1) % 10
    fig = plots.show_probabilities(images, probs, labels, n=4, title="iteration 10")
    assert len(fig.axes) == 8 and fig.get_suptitle() == "iteration 10"
    for i in range(4):
        ax_img, ax_p = fig.axes[2 * i], fig.axes[2 * i + 1]
        np.testing.assert_allclose(ax_img.get_images()[0].get_array(), images[i].reshape(28, 28))
        pred = probs[i].argmax()
        assert ax_p.get_title() == f"label {labels[i]}, predicted {pred} (p={probs[i, pred]:.2f})"
        colour = RED if i == 2 else GREEN
        stem, marker = predicted_artists(ax_p)
        assert to_rgba(stem.get_color()[0]) == colour and to_rgba(marker.get_color()) == colour
        np.testing.assert_allclose(marker.get_xydata(), [[pred, probs[i, pred]]])
        assert to_rgba(ax_p.title.get_color()) == colour


def test_probabilities_without_labels_and_n_beyond_n_images():
    probs = np.array([[0.1, 0.9], [0.8, 0.2]])
    fig = plots.show_probabilities(np.zeros((2, 8, 8)), probs, n=10)
    assert len(fig.axes) == 4
    assert fig.axes[1].get_title() == "predicted 1 (p=0.90)"
    assert to_rgba(predicted_artists(fig.axes[1])[1].get_color()) not in (GREEN, RED)


def test_probabilities_reuse_the_given_figure():
    rng = np.random.default_rng(6)
    images = rng.random((4, 64))
    fig = plots.show_probabilities(images, softmax(rng.normal(size=(4, 3))), [0, 1, 2, 0])
    for _ in range(3):
        probs = softmax(rng.normal(size=(4, 3)))
        assert plots.show_probabilities(images, probs, [0, 1, 2, 0], fig=fig) is fig
    assert len(fig.axes) == 8
    assert f"(p={probs[3].max():.2f})" in fig.axes[7].get_title()


@pytest.mark.parametrize("probs, message", [
    (np.array([[0.5, 0.4], [0.3, 0.7]]), r"probs row 0 sums to 0.9 .*expected non-negative rows summing to 1"),
    (np.array([[0.5, 0.5], [0.5, 0.5 + 1e-5]]), "probs row 1 sums to 1.00001"),
    (np.array([[1.5, -0.5], [0.3, 0.7]]), r"probs row 0 sums to 1 \(min -0.5\)"),
    (np.array([[0.5, 0.5], [np.nan, 1.0]]), "probs row 1 sums to nan"),
    (np.array([0.3, 0.9]), r"probs has shape \(2,\); expected \(2, C\).*column_stack"),
    (np.full((3, 2), 0.5), r"probs has shape \(3, 2\); expected \(2, C\)"),
])
def test_probabilities_reject_bad_probabilities(probs, message):
    with pytest.raises(ValueError, match=message):
        plots.show_probabilities(np.zeros((2, 784)), probs)


def test_probabilities_accept_rows_within_tolerance_and_reject_bad_images():
    plots.show_probabilities(np.zeros((1, 784)), [[0.5, 0.5 + 5e-7]])
    with pytest.raises(ValueError, match=r"images has shape \(1, 10\); expected"):
        plots.show_probabilities(np.zeros((1, 10)), [[0.5, 0.5]])


# --------------------------------------------------------------------------- plot_function_and_gradient
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_function_and_gradient_lines_legend_and_dashed_numerical():
    fns = {"sigmoid": sigmoid, "gradient": lambda x: sigmoid(x) * (1 - sigmoid(x)),
           "numerical gradient": lambda x: (sigmoid(x + 1e-5) - sigmoid(x - 1e-5)) / 2e-5}
    fig = plots.plot_function_and_gradient(fns, title="sigmoid")
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert legend_texts(ax) == list(fns)
    x = np.linspace(-6, 6, 401)
    for label, fn in fns.items():
        np.testing.assert_allclose(line_labelled(ax, label).get_xdata(), x)
        np.testing.assert_allclose(line_labelled(ax, label).get_ydata(), fn(x))
    assert line_labelled(ax, "numerical gradient").get_linestyle() == "--"
    assert line_labelled(ax, "sigmoid").get_linestyle() == "-"
    assert ax.get_title() == "sigmoid"


def test_function_and_gradient_custom_x_style_and_axes():
    fig, axes = plt.subplots(1, 2)
    x = np.linspace(-1, 1, 11)
    out = plots.plot_function_and_gradient({"relu": (lambda v: np.maximum(v, 0), {"ls": ":", "color": "k"})},
                                           x=x, ax=axes[0])
    assert out is fig
    line = line_labelled(axes[0], "relu")
    assert line.get_linestyle() == ":" and to_rgba(line.get_color()) == to_rgba("k")
    np.testing.assert_allclose(line.get_ydata(), np.maximum(x, 0))
    assert not axes[1].get_lines()


@pytest.mark.parametrize("fns, kwargs, message", [
    ({"sum": np.sum}, {}, r"fns\['sum'\] returned shape \(\) for x of shape \(401,\)"),
    ({"oops": 3}, {}, r"fns\['oops'\] is a int; expected a callable"),
    ({}, {}, "fns must be a non-empty dict"),
    ({"id": lambda v: v}, {"x": np.zeros((3, 3))}, r"x has shape \(3, 3\); expected \(M,\)"),
])
def test_function_and_gradient_reject_bad_input(fns, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.plot_function_and_gradient(fns, **kwargs)
