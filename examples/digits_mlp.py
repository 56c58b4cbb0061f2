"""An MLP on the 8x8 handwritten digits (1,797 images; 80% train, 20% test).

    python examples/digits_mlp.py [--logdir DIR]    # DIR: epoch metrics for `tensorboard --logdir DIR`

Runs unchanged when pasted into the browser console (no NumPy needed).
"""
import sys

import webgrad as wg

wg.manual_seed(0)
args = sys.argv[1:]
callbacks = [wg.callbacks.TensorBoard(args[args.index("--logdir") + 1])] if "--logdir" in args else []
(x, y), (x_test, y_test) = wg.datasets.load_digits(test_fraction=0.2, seed=0)

epochs, batch_size = 12, 32
model = wg.Sequential([
    wg.Input(shape=(64,)),
    wg.layers.Dense(128, activation="relu"),
    wg.layers.Dense(10),
], name="digits_mlp")
model.summary()
steps = epochs * -(-x.shape[0] // batch_size)
model.compile(optimizer=wg.optimizers.Adam(wg.optimizers.CosineDecay(0.005, decay_steps=steps)),
              loss=wg.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_data=(x_test, y_test), callbacks=callbacks)

results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print(f"digits MLP: test accuracy {results['accuracy']:.4f}, test loss {results['loss']:.4f}")
