"""A small scalar-expression IR for elementwise kernel bodies.

An elementwise op is an expression over its inputs' values at one output position; fusing a
chain of elementwise ops is substituting one expression into another. Nodes are hashable
tuples, so equal expressions render to equal WGSL and share a compiled pipeline.

    >>> x = load(0, "f32")
    >>> render_value(call("exp", x), ["v0"])
    'exp(v0)'
"""
from __future__ import annotations

from dataclasses import dataclass

from .kernel import literal

# WGSL value types: 'f32', 'f16', 'i32', 'bool'.


@dataclass(frozen=True)
class Expr:
    op: str            # 'load' | 'const' | 'index' | 'call' | 'infix' | 'neg' | 'select' | 'cast'
    type: str          # WGSL value type of the result
    args: tuple = ()
    value: object = None   # load: input number; const: Python value; call/infix: function or operator name

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


def substitute(e: Expr, inputs: list[Expr]) -> Expr:
    """Replace ``load(i)`` by ``inputs[i]``: how two elementwise ops fuse into one."""
    if e.op == "load":
        return inputs[e.value]
    if not e.args:
        return e
    return Expr(e.op, e.type, tuple(substitute(a, inputs) for a in e.args), e.value)


def loads(e: Expr) -> set[int]:
    if e.op == "load":
        return {e.value}
    return set().union(*(loads(a) for a in e.args)) if e.args else set()


# Builtins whose WGSL precision is too loose for the op tests, and the functions used instead
# (see sin_cos.wgsl; Kernel adds their definitions).
_PRECISE = {"sin": "webgrad_sin", "cos": "webgrad_cos"}


def lanes_type(type: str, lanes: int) -> str:
    """The WGSL type of ``lanes`` values of ``type`` evaluated together (a vector past one)."""
    return type if lanes == 1 else f"vec{lanes}<{type}>"


def render_value(e: Expr, load_names: list[str], names: dict | None = None, lanes: int = 1) -> str:
    """WGSL text of ``e``; ``names`` maps already-bound subexpressions to let-variables.

    With ``lanes`` > 1 the expression runs on that many neighbouring elements at once: loads are
    vectors, constants are splatted, the position is a vector of positions.
    """
    if names and e in names:
        return names[e]
    r = lambda a: render_value(a, load_names, names, lanes)
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
            return f"{_PRECISE[e.value]}{'4' if lanes == 4 else ''}({r(e.args[0])})"
        return f"{e.value}({', '.join(r(a) for a in e.args)})"
    if e.op == "infix":
        op = e.value if lanes == 1 else {"&&": "&", "||": "|"}.get(e.value, e.value)   # vector bools
        return f"({r(e.args[0])} {op} {r(e.args[1])})"
    if e.op == "neg":
        return f"(-{r(e.args[0])})"
    if e.op == "isnan":
        return (f"((bitcast<{vec('u32')}>({vec('f32')}({r(e.args[0])})) & {vec('u32')}(0x7fffffffu)) > "
                f"{vec('u32')}(0x7f800000u))")
    if e.op == "select":
        c, a, b = e.args
        return f"select({r(b)}, {r(a)}, {r(c)})"
    if e.op == "cast":
        (a,) = e.args
        if e.type == "bool":
            return f"({r(a)} != {vec(a.type)}({literal(0, a.type)}))"
        return f"{vec(e.type)}({r(a)})"
    raise ValueError(f"unknown expression node {e.op!r}")


def render_body(exprs: "Expr | list[Expr]", load_names: list[str], lanes: int = 1) -> tuple[list[str], list[str]]:
    """Let-bind every subexpression used more than once (within or across ``exprs``), so shared
    work is computed once; returns the let lines and the text of each expression."""
    single = isinstance(exprs, Expr)
    exprs = [exprs] if single else list(exprs)
    counts: dict[Expr, int] = {}

    def visit(x: Expr):
        counts[x] = counts.get(x, 0) + 1
        if counts[x] == 1:
            for a in x.args:
                visit(a)
    for e in exprs:
        visit(e)
    names: dict[Expr, str] = {}
    lines: list[str] = []

    def bind(x: Expr):
        if x in names:
            return
        for a in x.args:
            bind(a)
        if x.args and counts[x] > 1:
            name = f"t{len(names)}"
            lines.append(f"let {name} = {render_value(x, load_names, names, lanes)};")
            names[x] = name
    for e in exprs:
        bind(e)
    texts = [render_value(e, load_names, names, lanes) for e in exprs]
    return lines, texts[0] if single else texts
