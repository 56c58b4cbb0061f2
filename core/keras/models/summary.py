"""``model.summary()``: a table of layers, output shapes and parameter counts, as Keras prints it.

    Model: "sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ┃ Layer (type)                 ┃ Output Shape           ┃       Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
    │ dense (Dense)                │ (None, 8)              │            24 │
    ...
"""
from __future__ import annotations

from ..layers.base import fmt_shape


def _size(n_params: int) -> str:
    nbytes = n_params * 4
    for unit in ("B", "KB", "MB", "GB"):
        if nbytes < 1024 or unit == "GB":
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return ""


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def summary_lines(model, line_length: int | None = None) -> list[str]:
    rows = model._summary_rows()        # (name (type), output shape, params, connected-to or None)
    connected = any(r[3] is not None for r in rows)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connected else [])
    widths = [max(29, *(len(r[0]) + 2 for r in rows)) if rows else 29, 24, 15] + ([28] if connected else [])
    if line_length:
        widths[0] = max(12, line_length - sum(widths[1:]) - len(widths) - 1)
    aligns = ["<", "<", ">", "<"]

    def row(cells, left="│", mid="│", right="│"):
        body = mid.join(f" {_fit(c, w - 2):{a}{w - 2}} " for c, w, a in zip(cells, widths, aligns))
        return left + body + right

    def rule(left, mid, right, fill):
        return left + mid.join(fill * w for w in widths) + right

    lines = [f'Model: "{model.name}"', rule("┏", "┳", "┓", "━"), row(headers, "┃", "┃", "┃"), rule("┡", "╇", "┩", "━")]
    for i, r in enumerate(rows):
        cells = [r[0], r[1], r[2] if isinstance(r[2], str) else f"{r[2]:,}"] + ([r[3] or "-"] if connected else [])
        lines.append(row(cells))
        lines.append(rule("├", "┼", "┤", "─") if i < len(rows) - 1 else rule("└", "┴", "┘", "─"))
    if not rows:
        lines.append(rule("└", "┴", "┘", "─"))
    total = model.count_params()
    trainable = sum(t.numel() for t in model.trainable_weights)
    lines += [f" Total params: {total:,} ({_size(total)})",
              f" Trainable params: {trainable:,} ({_size(trainable)})",
              f" Non-trainable params: {total - trainable:,} ({_size(total - trainable)})"]
    return lines


def describe_params(layer):
    """The parameter count, or '0 (unbuilt)' before the layer has seen an input (as Keras)."""
    return layer.count_params() if layer.built else "0 (unbuilt)"


def describe_shape(layer) -> str:
    shape = getattr(layer, "_output_shape", None)
    return fmt_shape(shape) if shape is not None else "?"
