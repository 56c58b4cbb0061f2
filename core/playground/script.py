"""The playground's setup as a webgrad script: what "Download script" saves and the code panel shows.

    >>> script({"seed": "0.5"}).splitlines()[0][3:]
    'webgrad playground: circle, network 4,2, tanh,tanh, learning rate 0.03, batch size 10.'
"""
from __future__ import annotations

from .losses import CLASS_LOSS_SCRIPTS, LOSS_SCRIPTS
from .network import BN_MOMENTUM
from .state import DATASETS, FEATURES, OPTIMIZERS, REG_DATASETS, layer_activations, normalize

SCRIPT_NAME, WEIGHTS_NAME = "webgrad_playground.py", "webgrad_playground.safetensors"   # the downloads' names
SCRIPT_EPOCHS = 100         # the code panel's script trains this long


def script(state: dict, epochs: int = 100) -> str:
    """The playground's setup as a webgrad script that runs anywhere: the same points (the same seed
    string, the same shuffle and split), the same network, loss and optimizer, ``epochs`` epochs of
    ``fit``; given a weights file it evaluates those weights instead of training.

    Example:
        >>> text = script({"networkShape": [3], "sinX": True, "seed": "0.5"}, epochs=2)
        >>> print(text[text.index("model = "):text.index("model.compile")].strip())
        model = wg.Sequential([
            wg.Input(shape=(3,)),
            L.Dense(3, activation="tanh", kernel_initializer=init, bias_initializer=bias),
            L.Dense(1, activation="tanh", kernel_initializer=init, bias_initializer=bias),
        ])
        >>> namespace = {}; exec(text.replace("sys.argv[1:]", "[]"), namespace)     # trains, prints the test loss
        test loss ...
    """
    s = normalize(state)
    classify = s["problem"] == "classification"
    name = DATASETS[s["dataset"]] if classify else REG_DATASETS[s["regDataset"]]
    columns = ", ".join(FEATURES[k][2] for k in FEATURES if s[k])
    n_features = sum(1 for k in FEATURES if s[k])
    reg = {"none": "", "L1": f", kernel_regularizer=wg.regularizers.L1({s['regularizationRate']!r})",
           "L2": f", kernel_regularizer=wg.regularizers.L2({s['regularizationRate'] / 2!r})"}[s["regularization"]]
    classes = s["classes"] if s["classes"] > 2 else 1
    output = ("softmax" if classes > 1 else "tanh") if classify else "linear"
    dense = []
    for n, act in zip(s["networkShape"], layer_activations(s)):
        if s["batchNorm"]:          # as network.build_model: linear Dense, batch norm, then the activation
            dense += [f'    L.Dense({n}, activation="linear", kernel_initializer=init, bias_initializer=bias{reg}),',
                      f'    L.BatchNormalization(momentum={BN_MOMENTUM}), L.Activation("{act}"),']
        else:
            dense.append(f'    L.Dense({n}, activation="{act}", kernel_initializer=init, bias_initializer=bias{reg}),')
        if s["dropout"]:
            dense.append(f'    L.Dropout({s["dropout"]!r}),')
    dense.append(f'    L.Dense({classes}, activation="{output}", kernel_initializer=init, bias_initializer=bias{reg}),')
    bias = "wg.initializers.Zeros()" if s["initZero"] else "wg.initializers.Constant(0.1)"
    shape = ",".join(map(str, s["networkShape"]))
    return "\n".join([
        f'"""webgrad playground: {name}, network {shape or "(no hidden layer)"}, {",".join(layer_activations(s))}, '
        + ("batch norm, " if s["batchNorm"] else "") + (f'dropout {s["dropout"]}, ' if s["dropout"] else "")
        + f'learning rate {s["learningRate"]}, batch size {s["batchSize"]}.',
        "",
        f"    python {SCRIPT_NAME}                                      # train it: {epochs} epochs, as the page did",
        f"    python {SCRIPT_NAME} {WEIGHTS_NAME}      # the weights the page trained, evaluated",
        '"""',
        "import random",
        "import sys",
        "import zlib",
        "",
        "import webgrad as wg",
        "",
        "L = wg.layers",
        f"seed = zlib.crc32({s['seed']!r}.encode())          # the page's seed string",
        f"points = wg.datasets.playground.generate({name!r}, noise={s['noise'] / 100!r}, seed=seed"
        + (f", classes={classes})" if classes > 1 else ")"),
        "random.Random(seed + 1).shuffle(points)",
        f"train, test = points[:len(points) * {s['percTrainData']} // 100], points[len(points) * {s['percTrainData']} // 100:]",
        "",
        "",
        "def features(points):",
        "    xy = wg.tensor([p[:2] for p in points])",
        "    x1, x2 = xy[:, :1], xy[:, 1:]",
        f"    return wg.cat([{columns}], axis=1)",
        "",
        "",
        *(CLASS_LOSS_SCRIPTS if classes > 1 else LOSS_SCRIPTS)[s["loss"]],
        "",
        "",
        "x, y = features(train), wg.tensor([[p[2]] for p in train])",
        "x_test, y_test = features(test), wg.tensor([[p[2]] for p in test])",
        "init, bias = wg.initializers.RandomUniform(-0.5, 0.5), " + bias,
        "model = wg.Sequential([",
        f"    wg.Input(shape=({n_features},)),",
        *dense,
        "])",
        f"model.compile({OPTIMIZERS[s['optimizer']][1].format(lr=s['learningRate'])}, loss,",
        f"              steps_per_execution=max(1, len(train) // {s['batchSize']}))     # an epoch's batches a call",
        "if sys.argv[1:]:",
        "    model.load_weights(sys.argv[1])",
        "else:",
        f"    model.fit(x, y, batch_size={s['batchSize']}, epochs={int(epochs)}, shuffle=False, verbose=0)",
        'print(f"test loss {loss(y_test, model.predict(x_test, verbose=0)).mean().item():.3f}")',
        "",
    ])

