"""Realistic wrong answers for 03_layers: each must lose exactly the points of `fails`.

Linear is one solution cell with four test cells (init, forward, backward, step); each test sets the
attributes it needs (W, b, dW, db) itself, so a mistake in one method costs only that method's test.
The Net and fit tests use stand-in layers / a stand-in net of their own, so no mistake cascades.
"""

LINEAR = '''
class Linear(Layer):
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng(0) if rng is None else rng
        bound = {bound}
        self.W = {draw}
        self.b = np.zeros(n_out)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    def forward(self, x):
        return {forward}

    def backward(self, x, dy{extra_arg}):
        self.dW = {dW}
        self.db = {db}
        dx = {dx}{after}
        return dx

    def step(self, lr):
        self.W {op}= lr * self.dW
        self.b {op}= lr * self.db

    def __repr__(self):
        return f"Linear({{self.W.shape[0]}}, {{self.W.shape[1]}})"
'''

LINEAR_OK = dict(bound="np.sqrt(6.0 / (n_in + n_out))", draw="rng.uniform(-bound, bound, size=(n_in, n_out))",
                 forward="x @ self.W + self.b", extra_arg="", dW="x.T @ dy", db="dy.sum(axis=0)",
                 dx="dy @ self.W.T", after="", op="-")


def linear(**changes):
    return LINEAR.format(**{**LINEAR_OK, **changes})


SIGMOID = '''
class Sigmoid(Layer):
    def forward(self, x):
        {forward}

    def backward(self, x, dy):
        {backward}
'''
SIGMOID_FORWARD_OK = "e = np.exp(-np.abs(x))\n        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))"
SIGMOID_BACKWARD_OK = "s = self.forward(x)\n        return dy * s * (1.0 - s)"

RELU = '''
class ReLU(Layer):
    def forward(self, x):
        return {forward}

    def backward(self, x, dy):
        return {backward}
'''

NET = '''
class Net:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        trace = []
        for layer in self.layers:
            {forward_body}
        return x, trace

    def backward(self, trace, dy{extra_arg}):
        for layer, x in {pairs}:
            dy = layer.backward(x, dy){after}
        return dy

    def step(self, lr):
        for layer in {step_layers}:
            layer.step(lr)

    def __repr__(self):
        inner = "".join(f"\\n    {{layer!r}}," for layer in self.layers)
        return f"Net([{{inner}}\\n])"
'''
NET_OK = dict(forward_body="trace.append(x)\n            x = layer.forward(x)", extra_arg="",
              pairs="zip(reversed(self.layers), reversed(trace))", after="", step_layers="self.layers")


def net(**changes):
    return NET.format(**{**NET_OK, **changes})


FIT = '''
def fit(net, x, y, epochs, learning_rate, mb_size, x_test=None, y_test=None, rng=None):
    rng = np.random.default_rng(0) if rng is None else rng
    N = len(x)
    history = {{"train_loss": [], "train_acc": []}}
    if x_test is not None:
        history.update(test_loss=[], test_acc=[])

    def record():
        for split, (xs, ys) in (("train", (x, y)), ("test", (x_test, y_test))):
            if xs is not None:
                loss, acc = evaluate(net, xs, ys)
                history[f"{{split}}_loss"].append(loss)
                history[f"{{split}}_acc"].append(acc)

    record()
    for _ in helpers.progress(range(epochs), desc="epochs"):
        order = {order}
        for start in range({stop}):
            batch = order[start:start + mb_size]
            z, trace = net.forward(x[batch])
            _, dz = bce_with_logits(z, y[batch])
            {update}
        record()
    return history
'''
FIT_OK = dict(order="rng.permutation(N)", stop="0, N, mb_size",
              update="net.backward(trace, dz)\n            net.step(learning_rate)")


def fit(**changes):
    return FIT.format(**{**FIT_OK, **changes})


INIT, FWD, BWD, STEP = "correct_linear_init", "correct_linear_forward", "correct_linear_backward", "correct_linear_step"

MISTAKES = [
    # ------------------------------------------------------------------ Linear.__init__
    dict(cell="linear", name="Glorot bound sqrt(1 / n_in)", code=linear(bound="np.sqrt(1.0 / n_in)"),
         fails=(INIT,), diagnosis="sqrt(1 / n_in)"),
    dict(cell="linear", name="Glorot bound sqrt(6 / n_in)", code=linear(bound="np.sqrt(6.0 / n_in)"),
         fails=(INIT,), diagnosis="sqrt(6 / n_in) (fan-in only)"),
    dict(cell="linear", name="Glorot bound sqrt(6 / n_out) (fan-out instead of fan-in + fan-out)",
         code=linear(bound="np.sqrt(6.0 / n_out)"), fails=(INIT,), diagnosis="sqrt(6 / n_out) (fan-out only)"),
    dict(cell="linear", name="He standard deviation sqrt(2 / n_in) used as the Glorot bound",
         code=linear(bound="np.sqrt(2.0 / n_in)"), fails=(INIT,), diagnosis="He's standard deviation (fan-in only"),
    dict(cell="linear", name="bound sqrt(2) / n_in (square root of the numerator only, fan-in only)",
         code=linear(bound="np.sqrt(2.0) / n_in"), fails=(INIT,), diagnosis="the square root covers only the numerator"),
    dict(cell="linear", name="bound sqrt(6 / (n_in * n_out)) (fans multiplied instead of added)",
         code=linear(bound="np.sqrt(6.0 / (n_in * n_out))"), fails=(INIT,), diagnosis="added, not multiplied"),
    dict(cell="linear", name="Glorot standard deviation used as the uniform bound",
         code=linear(bound="np.sqrt(2.0 / (n_in + n_out))"), fails=(INIT,), diagnosis="Glorot *standard deviation*"),
    dict(cell="linear", name="Glorot normal instead of uniform",
         code=linear(draw="rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))"),
         fails=(INIT,), diagnosis="does not look uniform"),
    dict(cell="linear", name="uniform on [0, a) instead of [-a, a)",
         code=linear(draw="bound * rng.random((n_in, n_out))"), fails=(INIT,), diagnosis="not centred on 0"),
    dict(cell="linear", name="global np.random instead of the rng given",
         code=linear(draw="np.random.uniform(-bound, bound, size=(n_in, n_out))"), fails=(INIT,),
         diagnosis="drawn from the rng you are given"),
    # ------------------------------------------------------------------ Linear.forward
    dict(cell="linear", name="bias forgotten in forward", code=linear(forward="x @ self.W"),
         fails=(FWD,), diagnosis="the bias b was not added"),
    # ------------------------------------------------------------------ Linear.backward
    dict(cell="linear", name="dW = dy.T @ x (transposed)", code=linear(dW="dy.T @ x"),
         fails=(BWD,), diagnosis="transpose of the correct one"),
    dict(cell="linear", name="dW averaged over the batch (1/N twice)", code=linear(dW="x.T @ dy / len(x)"),
         fails=(BWD,), diagnosis="did you average twice?"),
    dict(cell="linear", name="db averaged instead of summed", code=linear(db="dy.mean(axis=0)"),
         fails=(BWD,), diagnosis="the mean over axis 0 where the sum is expected"),
    dict(cell="linear", name="db summed over the wrong axis", code=linear(db="dy.sum(axis=1)"),
         fails=(BWD,), diagnosis="the sum over axis 1 instead of over axis 0"),
    dict(cell="linear", name="dx = W @ dy.T (transposed)", code=linear(dx="self.W @ dy.T"),
         fails=(BWD,), diagnosis="transpose of the correct one"),
    dict(cell="linear", name="gradient step taken inside backward",
         code=linear(extra_arg=", lr=0.01", after="\n        self.W -= lr * self.dW\n        self.b -= lr * self.db"),
         fails=(BWD,), diagnosis="the gradient descent step belongs in step(lr)"),
    # ------------------------------------------------------------------ Linear.step
    dict(cell="linear", name="gradient ascent in step (+=)", code=linear(op="+"),
         fails=(STEP,), diagnosis="moved up the gradient"),
    # ------------------------------------------------------------------ Sigmoid
    dict(cell="sigmoid", name="Sigmoid backward uses sigma'(output)",
         code=SIGMOID.format(forward=SIGMOID_FORWARD_OK,
                             backward="s = self.forward(self.forward(x))\n        return dy * s * (1.0 - s)"),
         fails=("correct_sigmoid",), diagnosis="sigma' was applied to the output"),
    dict(cell="sigmoid", name="Sigmoid backward treats its input as the output",
         code=SIGMOID.format(forward=SIGMOID_FORWARD_OK, backward="return dy * x * (1.0 - x)"),
         fails=("correct_sigmoid",), diagnosis="the input x was used as if it were the output"),
    dict(cell="sigmoid", name="naive sigmoid 1 / (1 + exp(-x)) overflows",
         code=SIGMOID.format(forward="return 1.0 / (1.0 + np.exp(-x))", backward=SIGMOID_BACKWARD_OK),
         fails=("correct_sigmoid",), diagnosis="overflowed"),
    dict(cell="sigmoid", name="np.where with exp(-x) in both branches (still overflows)",
         code=SIGMOID.format(forward="return np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)))",
                             backward=SIGMOID_BACKWARD_OK),
         fails=("correct_sigmoid",), diagnosis="np.where evaluates BOTH branches"),
    # ------------------------------------------------------------------ ReLU
    dict(cell="relu", name="ReLU backward with derivative 1 at x = 0 (x >= 0)",
         code=RELU.format(forward="np.maximum(x, 0.0)", backward="dy * (x >= 0)"),
         fails=("correct_relu",), diagnosis="at exactly x = 0 was taken as 1"),
    dict(cell="relu", name="ReLU backward multiplies by sign(x)",
         code=RELU.format(forward="np.maximum(x, 0.0)", backward="dy * np.sign(x)"),
         fails=("correct_relu",), diagnosis="sign(x)"),
    dict(cell="relu", name="ReLU backward applies ReLU to dy",
         code=RELU.format(forward="np.maximum(x, 0.0)", backward="np.maximum(dy, 0.0)"),
         fails=("correct_relu",), diagnosis="ReLU was applied to dy"),
    # ------------------------------------------------------------------ Net
    dict(cell="net", name="Net.forward stores each layer's output in the trace",
         code=net(forward_body="x = layer.forward(x)\n            trace.append(x)"),
         fails=("correct_net_forward",), diagnosis="is the OUTPUT of layers"),
    dict(cell="net", name="Net.backward iterates forwards", code=net(pairs="zip(self.layers, trace)"),
         fails=("correct_net_backward",), diagnosis="from last to first"),
    dict(cell="net", name="Net.backward takes the gradient step too",
         code=net(extra_arg=", lr=0.1", after="\n            layer.step(lr)"),
         fails=("correct_net_backward",), diagnosis="Net.backward called step()"),
    dict(cell="net", name="Net.step skips the first layer", code=net(step_layers="self.layers[1:]"),
         fails=("correct_net_step",), diagnosis="must call step(0.25) of each of the 3 layers once"),
    # ------------------------------------------------------------------ fit
    dict(cell="fit", name="fit never shuffles", code=fit(order="np.arange(N)"),
         fails=("correct_fit",), diagnosis="fit never shuffles"),
    dict(cell="fit", name="fit shuffles once, before the first epoch",
         code=fit(order="shuffled").replace("    for _ in helpers", "    shuffled = rng.permutation(N)\n    for _ in helpers"),
         fails=("correct_fit",), diagnosis="every epoch used the same order"),
    dict(cell="fit", name="fit forgets the last partial minibatch", code=fit(stop="0, N - mb_size + 1, mb_size"),
         fails=("correct_fit",), diagnosis="The last partial minibatch is missing"),
    dict(cell="fit", name="fit steps before backward",
         code=fit(update="net.step(learning_rate)\n            net.backward(trace, dz)"),
         fails=("correct_fit",), diagnosis="then net.step(learning_rate) once per minibatch"),
]
