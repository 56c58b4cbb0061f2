"""A small CNN on the 8x8 handwritten digits, as channels-last images (N, 8, 8, 1).

    python examples/digits_cnn.py [--logdir DIR]    # DIR: epoch metrics for `tensorboard --logdir DIR`

Saves the trained weights (safetensors, in the temporary directory), loads them into a fresh
model and checks it predicts the same. Runs unchanged when pasted into the browser console (no NumPy needed).
"""
import os
import sys
import tempfile

import webgrad as wg

L = wg.layers
wg.manual_seed(0)
args = sys.argv[1:]
callbacks = [wg.callbacks.TensorBoard(args[args.index("--logdir") + 1])] if "--logdir" in args else []
(x, y), (x_test, y_test) = wg.datasets.load_digits(test_fraction=0.2, seed=0, images=True)


def make_model():
    return wg.Sequential([
        wg.Input(shape=(8, 8, 1)),
        L.Conv2D(16, 3, padding="same", activation="relu"),
        L.MaxPool2D(),
        L.Conv2D(32, 3, padding="same", activation="relu"),
        L.Flatten(),
        L.Dense(64, activation="relu"),
        L.Dense(10),
    ], name="digits_cnn")


epochs, batch_size = 10, 32
model = make_model()
model.summary()
steps = epochs * -(-x.shape[0] // batch_size)
model.compile(optimizer=wg.optimizers.Adam(wg.optimizers.CosineDecay(0.004, decay_steps=steps)),
              loss=wg.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_data=(x_test, y_test), callbacks=callbacks)

results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print(f"digits CNN: test accuracy {results['accuracy']:.4f}, test loss {results['loss']:.4f}")

path = os.path.join(tempfile.gettempdir(), "digits_cnn.safetensors")
model.save_weights(path)
fresh = make_model()
fresh.load_weights(path)
same = (fresh.predict(x_test) == model.predict(x_test)).all().item()
print(f"weights saved to {path}; a fresh model predicts the same: {same}")
