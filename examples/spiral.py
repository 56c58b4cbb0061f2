"""The TensorFlow Playground's spiral, as the Playground sets it up: two hidden layers of 8 tanh
units on the features X1, X2, sin(X1), sin(X2); noise 0; half the 500 points for training.

    python examples/spiral.py [--logdir DIR]    # DIR: epoch metrics for `tensorboard --logdir DIR`

Runs unchanged when pasted into the browser console (no NumPy needed).
"""
import sys

import webgrad as wg

wg.manual_seed(0)
args = sys.argv[1:]
callbacks = [wg.callbacks.TensorBoard(args[args.index("--logdir") + 1])] if "--logdir" in args else []
features = ("x1", "x2", "sin_x1", "sin_x2")
(x, y), (x_test, y_test) = wg.datasets.load_playground("spiral", noise=0.0, seed=0, features=features)

model = wg.Sequential([
    wg.Input(shape=(len(features),)),
    wg.layers.Dense(8, activation="tanh"),
    wg.layers.Dense(8, activation="tanh"),
    wg.layers.Dense(1),                       # a logit: the loss applies the sigmoid, stably
], name="spiral")
model.summary()
model.compile(optimizer=wg.optimizers.Adam(0.03),
              loss=wg.losses.BinaryCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(x, y, batch_size=25, epochs=50, validation_data=(x_test, y_test), callbacks=callbacks)

results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print(f"spiral: test accuracy {results['accuracy']:.4f}, test loss {results['loss']:.4f}")
