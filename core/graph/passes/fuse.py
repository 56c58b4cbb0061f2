"""Elementwise fusion: connected elementwise ops of one shape become one generated kernel.

Groups grow by merging a producer into its consumer when both are elementwise with the same
output shape, unless the merge would make the graph of groups cyclic (a path from the producer
group to the consumer group through some third group). A group may have several outputs: every
member used outside it (or returned, or written back) is stored; the rest live in registers.
So ``tanh(x @ W + b)`` is a matmul and one kernel, and the update of a parameter with its
optimizer state is one kernel however many ops it takes.

Around a matmul or a reduction (a head), a group may also run in the head's kernel: after it, as
its epilogue (the bias add and activation after a matmul; an optimizer's update of a parameter
after the matmul or the sum that computes its gradient), and before a reduction, as its prologue
(``(pred - y).square().mean()`` reads pred and y, never the squared errors).
"""
from __future__ import annotations

from webgpu_kernels.expr import const, load
from webgpu_kernels.kernel import MAX_BINDINGS
from webgpu_kernels.view import View

from ...ops import OPS
from ..ir import Graph, Node, scalar_value

HEADS = ("sum", "max", "min", "matmul", "gather", "scatter_add")   # kernels that can run a group on their result
REDUCTIONS = ("sum", "max", "min")         # kernels that can take a group before them as their input expression


class FusedGroup:
    """One generated elementwise kernel: ``members`` (topological), computed from ``inputs``.

    With a ``head`` (a matmul or reduction whose only consumers are in the group), the group is the
    head's epilogue: ``inputs[0]`` is the head, computed by the same kernel; ``seen_as_head`` are
    the head and the reshapes of it the members read. A reduction head may have a ``prologue``: the
    group whose one result it reduces, evaluated as it reads (then ``members`` may be empty: the
    kernel stores the reduction itself). ``fits``: the head's kernel with the group as its epilogue
    binds at most MAX_BINDINGS buffers; where it does not, the plan (lower.py) runs the head on its own
    and the group after it, while a single-kernel step, which binds no buffer per op, still fuses them.
    """

    def __init__(self, gid: int, members: list[Node], graph_roots: set[int], users: dict,
                 head: Node | None = None, seen_as_head: tuple = ()):
        self.id = gid
        self.members = members
        self.head = head
        self.seen = tuple(seen_as_head)
        self.prologue: FusedGroup | None = None
        self.fits = True
        inside = {m.id for m in members}
        self.inputs: list[Node] = [head] if head is not None else []
        exprs = {n.id: load(0, head.dtype.value_type) for n in seen_as_head}

        def expr_of(i: Node):
            if i.id in exprs:
                return exprs[i.id]
            value = scalar_value(i)
            if value is not None:            # a literal in the kernel, not a binding
                return const(value, i.dtype.value_type)
            if i not in self.inputs:
                self.inputs.append(i)
            return load(self.inputs.index(i), i.dtype.value_type)
        for m in members:
            exprs[m.id] = OPS[m.op].expr(*(expr_of(i) for i in m.inputs), **m.attrs)
        if not members:                      # a head alone, for its prologue
            self.outputs, self.exprs, self.shape = [head], [exprs[head.id]], head.shape
            return
        self.outputs = [m for m in members
                        if m.id in graph_roots or any(u.id not in inside for u in users.get(m.id, []))]
        self.exprs = [exprs[m.id] for m in self.outputs]
        self.shape = members[-1].shape

    def node_ids(self) -> tuple[int, ...]:
        """The graph nodes this kernel computes: its head, its prologue's members and its own."""
        pro = self.prologue.members if self.prologue is not None else []
        return tuple(dict.fromkeys(([self.head.id] if self.head is not None else []) + [m.id for m in pro]
                                   + [m.id for m in self.members]))

    @property
    def deps(self) -> list[Node]:
        """What must be computed before this kernel runs."""
        if self.head is None:
            return self.inputs
        return list(self.prologue.inputs if self.prologue else self.head.inputs) + self.inputs[1:]

    def __repr__(self) -> str:
        return f"<fused kernel k{self.id}: {' '.join(m.op for m in self.members)}>"


def _head(members, users, roots, absorbed):
    """A matmul or reduction the group can compute in its own kernel: read by the group alone
    (maybe through reshapes), with as many elements as the group, not returned or written back."""
    inside = {m.id for m in members}
    size = _size(members[-1].shape)
    for m in members:
        for i in m.inputs:
            if i.id in inside or i.shape != m.shape:
                continue
            seen, r = [], i
            while r.op == "reshape" and r.id not in roots and all(u.id in inside or u in seen
                                                                  for u in users.get(r.id, [])):
                seen.append(r)
                r = r.inputs[0]
            if (r.op in HEADS and r.id not in roots and r.id not in absorbed and _size(r.shape) == size
                    and all(u.id in inside or u in seen for u in users.get(r.id, []))
                    and all(u.id in inside for u in users.get(i.id, []))):
                return r, tuple(seen) + (r,)
    return None, ()


def _own_storage(capture: Node) -> bool:
    """Is the captured tensor all of its buffer, in order, as lower.py requires to update it in place?"""
    view = capture.payload.data.view
    return view.offset == 0 and view.strides == View.contiguous(view.shape).strides


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _elementwise(n: Node) -> bool:
    op = OPS.get(n.op)
    return op is not None and op.expr is not None and bool(n.inputs)


def fuse_elementwise(graph: Graph) -> Graph:
    nodes = graph.nodes
    users = graph.users()
    parent = {n.id: n.id for n in nodes if _elementwise(n)}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_id = {n.id: n for n in nodes}

    def group_of(node_id):
        return find(node_id) if node_id in parent else node_id

    def successors(gid):
        out = set()
        for nid in members_of[gid]:
            for u in users.get(nid, []):
                g = group_of(u.id)
                if g != gid:
                    out.add(g)
        return out

    members_of = {n.id: [n.id] for n in nodes}

    def reaches_indirectly(a, b) -> bool:
        """Is there a path a -> x -> ... -> b at group level with x != b?"""
        stack = [g for g in successors(a) if g != b]
        seen = set(stack)
        while stack:
            g = stack.pop()
            if g == b:
                return True
            for s in successors(g):
                if s not in seen:
                    seen.add(s)
                    stack.append(s)
        return False

    roots = {r.id for r in graph.roots()}

    written = {c.id: v.id for c, v in graph.writes}

    def bindings(ids, read_whole=()) -> int:
        """Buffers a kernel computing these nodes binds: inputs from outside, and outputs. A captured
        tensor the kernel alone reads, and writes back, is updated in place (lower.py): one binding
        (not where a matmul or a reduction reads it whole: members ``read_whole``, or the head)."""
        inside = set(ids)
        ins = {i.id for nid in ids for i in by_id[nid].inputs       # a head binds even one-element constants
               if i.id not in inside and (scalar_value(i) is None or nid not in parent)}
        outs = [nid for nid in ids if nid in roots or any(u.id not in inside for u in users.get(nid, []))]
        in_place = [c for c in ins if written.get(c) in inside and _own_storage(by_id[c])
                    and all(u.id in inside and u.id in parent and u.id not in read_whole for u in users.get(c, []))]
        return len(ins) + len(outs) - len(in_place)

    for n in nodes:
        if n.id not in parent:
            continue
        for i in n.inputs:
            if i.id not in parent or i.shape != n.shape:
                continue
            a, b = find(i.id), find(n.id)
            if a == b or reaches_indirectly(a, b) or bindings(members_of[a] + members_of[b]) > MAX_BINDINGS:
                continue
            parent[a] = b
            members_of[b] = members_of[b] + members_of.pop(a)

    position = {n.id: k for k, n in enumerate(nodes)}
    groups: dict[int, FusedGroup] = {}
    absorbed: dict[int, int] = {}          # head (and its reshapes) -> the group that computes it
    for gid, ids in members_of.items():
        if gid not in parent:
            continue
        members = sorted((by_id[i] for i in ids), key=lambda m: position[m.id])
        head, seen = _head(members, users, roots, absorbed)
        if len(members) > 1 or head is not None:
            groups[gid] = FusedGroup(gid, members, roots, users, head, seen)
            groups[gid].fits = head is None or bindings([m.id for m in members] + [x.id for x in seen]) <= MAX_BINDINGS
            for m in members + list(seen):
                m.group = gid
            for n in seen:
                absorbed[n.id] = gid

    # Prologues: an elementwise group (or a lone elementwise op) whose one result only a reduction
    # reads becomes that reduction's input expression.
    for r in nodes:
        i = r.inputs[0] if r.op in REDUCTIONS else None
        if i is None or i.id not in parent or i.id in roots or [u.id for u in users.get(i.id, [])] != [r.id]:
            continue
        gid = find(i.id)
        pro = groups.get(gid)
        if pro is not None and (pro.head is not None or pro.outputs != [i]):
            continue
        epi = groups.get(absorbed.get(r.id))
        if epi is not None and not epi.fits:
            continue
        ids = members_of[gid] + ([m.id for m in epi.members] + [x.id for x in epi.seen] if epi else [r.id])
        if bindings(ids, read_whole=set(members_of[gid])) > MAX_BINDINGS:
            continue
        if pro is None:
            pro = FusedGroup(gid, [by_id[i.id]], roots, users)
        groups.pop(gid, None)
        if epi is None:
            epi = groups[r.id] = FusedGroup(r.id, [], roots, users, r, (r,))
            r.group = absorbed[r.id] = r.id
        epi.prologue = pro
        for m in pro.members:
            m.group = absorbed[m.id] = epi.id

    # Schedule: topological order of units (a node, or a fused group as one unit).
    unit_of = {n.id: groups[group_of(n.id)] if group_of(n.id) in groups else n for n in nodes}
    unit_of.update({nid: groups[gid] for nid, gid in absorbed.items()})
    schedule, done = [], set()
    for n in nodes:                        # iterative post-order: graphs can be thousands deep
        stack = [(unit_of[n.id], False)]
        while stack:
            unit, expanded = stack.pop()
            if id(unit) in done:
                continue
            if expanded:
                done.add(id(unit))
                schedule.append(unit)
                continue
            stack.append((unit, True))
            deps = unit.deps if isinstance(unit, FusedGroup) else unit.inputs
            stack.extend((unit_of[i.id], False) for i in deps if id(unit_of[i.id]) not in done)

    return Graph(graph.name, graph.inputs, graph.captures, graph.outputs, graph.writes, graph.grads, nodes=nodes,
                 randoms=graph.randoms, schedule=schedule)
