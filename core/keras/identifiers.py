"""What Keras's ``get`` functions take: ``compile("adam", "mse", metrics=["mae"])``,
``Dense(8, kernel_initializer="he_normal", kernel_regularizer="l2")``. One rule for each kind of
object (optimizer, loss, metric, initializer, regularizer), and one error that lists the names.

    >>> from webgrad.keras import optimizers
    >>> type(from_identifier("optimizer", "Adam", optimizers.Optimizer, optimizers.ALL)).__name__
    'Adam'
    >>> from_identifier("optimizer", "adamm", optimizers.Optimizer, optimizers.ALL)
    Traceback (most recent call last):
    ...
    ValueError: unknown optimizer 'adamm'; valid names: adadelta, adagrad, adam, adamax, adamw, lion, nadam, rmsprop, sgd
"""
from __future__ import annotations


def from_identifier(kind: str, identifier, base: type, table: dict, ignore_case: bool = True, otherwise=None):
    """An instance of ``base`` as it is, a subclass of ``base`` made with its defaults, or a name in
    ``table`` (its entry called with no arguments); else ``otherwise(identifier)`` if that is given
    and returns something; else a ValueError naming ``kind`` and listing the valid names.

    Example:
        >>> from webgrad.keras import optimizers
        >>> get = lambda x: from_identifier("optimizer", x, optimizers.Optimizer, optimizers.ALL,
        ...                                 otherwise=lambda v: optimizers.SGD(v) if isinstance(v, float) else None)
        >>> sgd = optimizers.SGD(0.5)
        >>> get(sgd) is sgd, get(optimizers.Adam).learning_rate, get("RMSprop"), get(0.2).learning_rate
        (True, 0.001, RMSprop(...), 0.2)
    """
    if isinstance(identifier, base):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower() if ignore_case else identifier
        if key in table:
            return table[key]()
    found = otherwise(identifier) if otherwise is not None else None
    if found is None:
        raise unknown(kind, identifier, table)
    return found


def unknown(kind: str, identifier, table: dict) -> ValueError:
    """The error for a name that is not in ``table``.

    Example:
        >>> unknown("loss", "msee", {"mse": None, "mae": None})
        ValueError("unknown loss 'msee'; valid names: mae, mse")
    """
    return ValueError(f"unknown {kind} {identifier!r}; valid names: {', '.join(sorted(table))}")
