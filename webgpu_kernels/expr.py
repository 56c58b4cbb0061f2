"""A small scalar-expression IR for elementwise kernel bodies.

An elementwise op is an expression over its inputs' values at one output position; fusing a
chain of elementwise ops is substituting one expression into another. Expressions are a DAG,
not a tree: nodes are interned (hash-consed), so building ``f(a, a)`` or a long chain that reads
a value many times costs one node per distinct subexpression, two equal expressions are the
same object (hashing and comparing is O(1)), and equal expressions render to equal WGSL and
share a compiled pipeline. ``render_body`` computes each shared subexpression once, as a ``let``.

    >>> x = load(0, "f32")
    >>> render_value(call("exp", x), ["v0"])
    'exp(v0)'
    >>> (x + 1.0) is (x + 1.0)
    True
"""
from __future__ import annotations

import weakref

from .kernel import literal

# WGSL value types: 'f32', 'f16', 'i32', 'bool'.


def _value_key(v):
    # 0.0 and -0.0 (and 1 and 1.0 and True) are equal in Python but not the same constant.
    return (v.__class__, repr(v)) if isinstance(v, float) else (v.__class__, v)


class Expr:
    """One node: ``op`` is 'load' | 'const' | 'index' | 'call' | 'infix' | 'neg' | 'select' | 'cast' | 'isnan';
    ``type`` the WGSL value type of the result; ``value`` the input number (load), the Python value
    (const) or the function or operator name (call, infix). Immutable and interned."""
    __slots__ = ("op", "type", "args", "value", "__weakref__")
    _interned: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()

    def __new__(cls, op: str, type: str, args: tuple = (), value=None):
        args = tuple(args)
        key = (op, type, args, _value_key(value))
        e = cls._interned.get(key)
        if e is None:
            e = object.__new__(cls)
            for name, v in (("op", op), ("type", type), ("args", args), ("value", value)):
                object.__setattr__(e, name, v)
            cls._interned[key] = e
        return e

    def __setattr__(self, name, value):
        raise AttributeError("Expr is immutable: build a new one")

    def __reduce__(self):
        return Expr, (self.op, self.type, self.args, self.value)

    def __repr__(self) -> str:     # not recursive: a DAG's tree can be exponentially large
        return f"<Expr {self.op} {self.value!r}: {self.type}, {len(self.args)} args>"

    # Python operators build expressions, so kernels read like math.
    def __add__(self, o): return infix("+", self, lift(o, self.type))
    def __radd__(self, o): return infix("+", lift(o, self.type), self)
    def __sub__(self, o): return infix("-", self, lift(o, self.type))
    def __rsub__(self, o): return infix("-", lift(o, self.type), self)
    def __mul__(self, o): return infix("*", self, lift(o, self.type))
    def __rmul__(self, o): return infix("*", lift(o, self.type), self)
    def __truediv__(self, o): return infix("/", self, lift(o, self.type))
    def __rtruediv__(self, o): return infix("/", lift(o, self.type), self)
    def __neg__(self): return Expr("neg", self.type, (self,))


def load(i: int, type: str) -> Expr:
    """The value of input ``i`` at this output position."""
    return Expr("load", type, (), i)


def const(v, type: str) -> Expr:
    return Expr("const", type, (), v)


def index() -> Expr:
    """The flat (row-major) position of the output element, as i32."""
    return Expr("index", "i32")


def lift(v, type: str) -> Expr:
    return v if isinstance(v, Expr) else const(v, type)


def call(fn: str, *args: Expr, type: str | None = None) -> Expr:
    return Expr("call", type or args[0].type, tuple(args), fn)


def infix(opname: str, a: Expr, b: Expr) -> Expr:
    compare = opname in ("<", "<=", ">", ">=", "==", "!=")
    return Expr("infix", "bool" if compare else a.type, (a, b), opname)


def select(cond: Expr, a: Expr, b: Expr) -> Expr:
    """``a`` where ``cond`` else ``b`` (note: WGSL's select takes the false value first)."""
    return Expr("select", a.type, (cond, a, b))


def cast(a: Expr, type: str) -> Expr:
    return a if a.type == type else Expr("cast", type, (a,))


def isnan(a: Expr) -> Expr:
    """NaN test by bit pattern: WGSL lets compilers assume NaN never occurs, so ``x != x`` may fold to false."""
    return Expr("isnan", "bool", (a,))


def topological(exprs: "list[Expr]") -> list[Expr]:
    """Every distinct node of ``exprs``, each after its arguments (iterative: chains can be deep)."""
    order, seen = [], set()
    for root in exprs:
        stack = [(root, False)]
        while stack:
            e, ready = stack.pop()
            if ready:
                order.append(e)
            elif e not in seen:
                seen.add(e)
                stack.append((e, True))
                stack.extend((a, False) for a in reversed(e.args) if a not in seen)
    return order


def substitute(e: Expr, inputs: list[Expr]) -> Expr:
    """Replace ``load(i)`` by ``inputs[i]``: how two elementwise ops fuse into one. Shared nodes
    stay shared: the result has no more nodes than ``e`` and ``inputs`` together."""
    new: dict[Expr, Expr] = {}
    for x in topological([e]):
        new[x] = inputs[x.value] if x.op == "load" else \
            Expr(x.op, x.type, tuple(new[a] for a in x.args), x.value) if x.args else x
    return new[e]


def loads(e: Expr) -> set[int]:
    """The input numbers ``e`` reads."""
    return {x.value for x in topological([e]) if x.op == "load"}


# Builtins whose WGSL precision is too loose for the op tests, and the functions used instead
# (see sin_cos.wgsl; Kernel adds their definitions).
_PRECISE = {"sin": "webgrad_sin", "cos": "webgrad_cos"}


def lanes_type(type: str, lanes: int) -> str:
    """The WGSL type of ``lanes`` values of ``type`` evaluated together (a vector past one)."""
    return type if lanes == 1 else f"vec{lanes}<{type}>"


def is_nan(x: str, lanes: int = 1) -> str:
    """WGSL that tests f32 ``x`` (``lanes`` of them) for NaN by its bits: compilers may fold ``x != x`` to false.

    Example:
        >>> is_nan("v")
        '((bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u)'
    """
    if lanes == 1:
        return f"((bitcast<u32>({x}) & 0x7fffffffu) > 0x7f800000u)"
    u = lanes_type("u32", lanes)
    return f"((bitcast<{u}>({x}) & {u}(0x7fffffffu)) > {u}(0x7f800000u))"


def _node_text(e: Expr, args: list[str], load_names: list[str], lanes: int) -> str:
    """WGSL text of one node whose arguments render as ``args``."""
    vec = lambda type: lanes_type(type, lanes)
    if e.op == "load":
        return load_names[e.value]
    if e.op == "const":
        text = literal(e.value, e.type)
        return text if lanes == 1 else f"{vec(e.type)}({text})"
    if e.op == "index":
        return "idx" if lanes == 1 else f"(vec{lanes}<i32>(idx) + vec{lanes}<i32>({', '.join(map(str, range(lanes)))}))"
    if e.op == "call":
        if e.value in _PRECISE and e.type == "f32" and lanes in (1, 4):
            return f"{_PRECISE[e.value]}{'4' if lanes == 4 else ''}({args[0]})"
        return f"{e.value}({', '.join(args)})"
    if e.op == "infix":
        op = e.value if lanes == 1 else {"&&": "&", "||": "|"}.get(e.value, e.value)   # vector bools
        return f"({args[0]} {op} {args[1]})"
    if e.op == "neg":
        return f"(-{args[0]})"
    if e.op == "isnan":
        return is_nan(f"{vec('f32')}({args[0]})", lanes)
    if e.op == "select":
        c, a, b = args
        return f"select({b}, {a}, {c})"
    if e.op == "cast":
        if e.type == "bool":
            a = e.args[0]
            return f"({args[0]} != {vec(a.type)}({literal(0, a.type)}))"
        return f"{vec(e.type)}({args[0]})"
    raise ValueError(f"unknown expression node {e.op!r}")


def render_value(e: Expr, load_names: list[str], lanes: int = 1) -> str:
    """WGSL text of ``e`` as one expression (a shared subexpression is written out at each use:
    kernels use ``render_body``, which binds it once).

    With ``lanes`` > 1 the expression runs on that many neighbouring elements at once: loads are
    vectors, constants are splatted, the position is a vector of positions.
    """
    text: dict[Expr, str] = {}
    for x in topological([e]):
        text[x] = _node_text(x, [text[a] for a in x.args], load_names, lanes)
    return text[e]


MAX_NESTING = 24   # deeper single-use chains are cut into lets too: WGSL compilers limit expression depth


def render_body(exprs: "Expr | list[Expr]", load_names: list[str], lanes: int = 1) -> tuple[list[str], list[str]]:
    """Let-bind every subexpression used more than once (within or across ``exprs``), so shared
    work is computed once and the WGSL grows with the number of distinct nodes, not the size of
    the tree they unfold to; returns the let lines and the text of each expression."""
    single = isinstance(exprs, Expr)
    exprs = [exprs] if single else list(exprs)
    order = topological(exprs)
    uses: dict[Expr, int] = dict.fromkeys(order, 0)
    for x in order:
        for a in x.args:
            uses[a] += 1
    for e in exprs:
        uses[e] += 1
    text: dict[Expr, str] = {}
    depth: dict[Expr, int] = {}
    lines: list[str] = []
    for x in order:
        text[x] = _node_text(x, [text[a] for a in x.args], load_names, lanes)
        depth[x] = 1 + max((depth[a] for a in x.args), default=0)
        if x.args and (uses[x] > 1 or depth[x] >= MAX_NESTING):
            name = f"t{len(lines)}"
            lines.append(f"let {name} = {text[x]};")
            text[x], depth[x] = name, 0
    texts = [text[e] for e in exprs]
    return lines, texts[0] if single else texts
