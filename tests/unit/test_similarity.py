"""`python -m helpers similarity`: answers compared, not the code every student was given.

Four students answer 03's `linear` cell (its four stubs filled in). Three wrote their own correct
answers; the fourth copied the first, renamed every variable and reordered the statements. The copy
must rank first, above every pair of independent correct answers; the given code (signatures,
docstrings) must not count; the page must escape the answers and run no script."""
import re

import pytest

from helpers.grader import nb as nbs
from helpers.grader import similarity as sim

A = "03_layers"
STUB = "# YOUR CODE HERE\n        raise NotImplementedError()"

ADA = [  # __init__, forward, backward, step
    """limit = np.sqrt(6.0 / (n_in + n_out))
        self.W = rng.uniform(-limit, limit, size=(n_in, n_out))
        self.b = np.zeros(n_out)
        self.dW = np.zeros((n_in, n_out))
        self.db = np.zeros(n_out)""",
    "out = np.dot(x, self.W)\n        out = out + self.b\n        return out",
    """grad_w = np.dot(x.T, dy)
        grad_b = np.sum(dy, axis=0)
        self.dW, self.db = grad_w, grad_b
        grad_x = np.dot(dy, self.W.T)
        return grad_x""",
    """update_w = lr * self.dW
        update_b = lr * self.db
        self.W = self.W - update_w
        self.b = self.b - update_b""",
]
COPY = [  # ADA's, every name changed, independent statements swapped
    """a = np.sqrt(6.0 / (n_in + n_out))
        self.b = np.zeros(n_out)
        self.W = rng.uniform(-a, a, size=(n_in, n_out))
        self.db = np.zeros(n_out)
        self.dW = np.zeros((n_in, n_out))""",
    "result = np.dot(x, self.W)\n        result = result + self.b\n        return result",
    """gb = np.sum(dy, axis=0)
        gw = np.dot(x.T, dy)
        self.dW, self.db = gw, gb
        gx = np.dot(dy, self.W.T)
        return gx""",
    """ub = lr * self.db
        uw = lr * self.dW
        self.b = self.b - ub
        self.W = self.W - uw""",
]
BEN = [
    """bound = (6 / (n_in + n_out)) ** 0.5
        self.W = rng.uniform(low=-bound, high=bound, size=(n_in, n_out))
        self.b = np.zeros((n_out,))
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)""",
    "return x @ self.W + self.b",
    """self.dW = x.T @ dy
        self.db = dy.sum(0)
        return dy @ self.W.T""",
    "self.W -= lr * self.dW\n        self.b -= lr * self.db",
]
CY = [
    """r = np.sqrt(6 / float(n_in + n_out))
        W = rng.uniform(-r, r, (n_in, n_out))
        self.W, self.b = W, np.zeros(n_out)
        self.dW = 0 * W
        self.db = 0 * self.b""",
    "return np.matmul(x, self.W) + self.b[None, :]",
    """self.db = np.einsum('nj->j', dy)
        self.dW = np.einsum('ni,nj->ij', x, dy)
        return np.einsum('nj,ij->ni', dy, self.W)""",
    """for p, g in ((self.W, self.dW), (self.b, self.db)):
            p -= lr * g""",
]


def _hand_in(root, student, bodies):
    from helpers.paths import release_folder

    release = nbs.read(release_folder(A) / f"{A}.ipynb")
    for cell in release.cells:
        if nbs.meta(cell).get("grade_id") == "linear":
            text = cell.source
            assert text.count(STUB) == 4
            for body in bodies:
                text = text.replace(STUB, body, 1)
            cell.source = text
    folder = root / "submitted" / student / A
    folder.mkdir(parents=True)
    nbs.write(release, folder / f"{A}.ipynb")


@pytest.fixture
def classroom(tmp_path):
    for student, bodies in {"ada": ADA, "ben": BEN, "cy": CY, "zed": COPY}.items():
        _hand_in(tmp_path, student, bodies)
    _hand_in(tmp_path, "stu", [STUB] * 4)                   # untouched: not an answer
    evil = [ADA[0], "return '</pre><script>alert(1)</script>'", ADA[2], ADA[3]]
    _hand_in(tmp_path, "mal", evil)
    return tmp_path


def test_a_renamed_reordered_copy_ranks_above_independent_correct_answers(classroom):
    said = []
    path, pairs = sim.similarity(classroom, [A], out=said.append)
    linear = [p for p in pairs if p.cell == "linear"]
    best = linear[0]
    assert {best.a, best.b} == {"ada", "zed"}, [(p.a, p.b, round(p.score, 2)) for p in linear]
    independent = [p.score for p in linear if {p.a, p.b} <= {"ada", "ben", "cy"}]
    assert independent and best.score > max(independent) + 0.2, (best.score, independent)
    assert not any("stu" in (p.a, p.b) for p in pairs), "the untouched stub is no answer"
    assert re.search(r"ada\s+zed\s+03:linear", "\n".join(said)), said[:3]


def test_the_given_code_does_not_count(classroom):
    """Two answers that share only the release's text (signatures, docstrings) share nothing."""
    stubs = sim._stubs(A)
    given = stubs["linear"]
    by = {"ann": given.replace(STUB, "pass"), "bo": given.replace(STUB, "pass")}
    assert sim.compare_cell(A, "linear", by, given) == [], "four `pass` lines are no answer to compare"
    assert '"""' in given and '"""' not in sim.own_lines(given.replace(STUB, "return 1"), given)
    assert sim.own_lines(given.replace(STUB, "return 1"), given) == "\n".join(["return 1"] * 4)
    answers = sim.answers(classroom, A)["linear"]
    assert set(answers) == {"ada", "ben", "cy", "zed", "mal"}


def test_the_page_escapes_answers_and_runs_no_script(classroom):
    path, _ = sim.similarity(classroom, [A], out=lambda *_: None)
    page = path.read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)" in page
    assert "default-src 'none'" in page and "it does not judge" in page
    assert path == classroom / "autograded" / "similarity.html"


def test_nothing_to_compare_says_so(tmp_path):
    with pytest.raises(ValueError, match="no answers to compare under .*collect the submissions first"):
        sim.similarity(tmp_path, [A], out=lambda *_: None)
    with pytest.raises(ValueError, match="unknown assignment 'nope'"):
        sim.similarity(tmp_path, ["nope"], out=lambda *_: None)
