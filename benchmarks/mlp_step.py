"""The training step both train_step benchmarks measure, as a webgrad user writes it: MLP 2-H-H-1,
tanh, sigmoid cross-entropy, SGD or Adam. train_step_desktop.py imports it; train_step_browser.py
sends this file's text to the console page, where it runs under Pyodide unchanged."""
import webgrad as wg

OPTIMIZERS = {"sgd": 0.1, "adam": 0.01}      # learning rates
ADAM = (0.9, 0.999, 1e-7)                    # beta_1, beta_2, epsilon: Keras's and TF.js's defaults


def make_step(params, optimizer="sgd"):
    w1, b1, w2, b2, w3, b3 = params
    lr = OPTIMIZERS[optimizer]
    adam = wg.optimizers.Adam(lr, *ADAM) if optimizer == "adam" else None

    def step(x, y):
        logits = ((x @ w1 + b1).tanh() @ w2 + b2).tanh() @ w3 + b3
        loss = wg.binary_cross_entropy_with_logits(logits, y)
        loss.backward()
        if adam is not None:
            adam.apply([p.grad for p in params], params)
        with wg.no_grad():
            for p in params:
                if adam is None:
                    p -= lr * p.grad
                p.grad = None
        return loss
    return step
