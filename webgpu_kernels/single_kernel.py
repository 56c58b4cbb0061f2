"""One WGSL kernel that runs a whole traced step, K steps per dispatch (see core/graph/single_kernel.py).

The program is data: bindings, and units grouped in phases. A unit is a ``Loop`` over its output
elements (loop.py: a fused elementwise ``Map``; an op's own loop beside its kernels, such as
matmul.py's ``MatmulLoop``), read and written through ``Loc``s: a binding, a strided view and, for
stacked arguments and outputs, the distance between one step's copy and the next. Units of one phase do not depend on each other; phases are
separated by a barrier. Two shapes of kernel come from one program:

* ``workgroup``: one workgroup of 64 invocations; each unit's elements are striped over the
  invocations, and a ``storageBarrier()`` separates phases (and steps);
* ``small_workgroup``: the same with 4 invocations, one SIMD group of a CPU adapter;
* ``invocation``: one invocation runs every unit in order, with no barrier at all.

    for (var k = 0; k < 100; k++) {                      // the steps of this dispatch
        for (var b = 0; b < 80; b += 64) {               // a unit of 80 elements
            let e = b + (lid + 0) % 64;
            if (e < 80) { ... arena[208 + e] = tanh(...); }
        }
        storageBarrier();                                // the next phase reads what this one wrote
        ...
    }

Every tensor of the step but the arguments and the outputs lives in one ``arena`` binding of
vec4<f32>: int32 and bool values are stored there by bit pattern (``bitcast``), so a step binds
few buffers whatever its size (browsers allow 8 storage buffers per shader stage).

What sets the speed on lavapipe, measured: every storage load or store is a loop over the SIMD
lanes, 5-10 ns each whatever its width, while arithmetic is nearly free. So elementwise work goes
four elements at a time where the layout allows (vec4 loads, ``render_value`` with lanes=4), a matmul
invocation computes an 8x8 block of outputs from vec4 loads (8 multiply-adds per value loaded),
and the elementwise ops after a matmul or a reduction run on its result in registers (an
``Epilogue``) instead of through memory.

lavapipe also stops every loop of a shader, silently, after 65535 iterations counted over all of
its loops together (Mesa's LP_MAX_TGSI_LOOP_ITERATIONS): ``trips_per_step`` counts them, and a
call whose steps would pass that budget runs as several dispatches of the same kernel, each
advancing a step counter kept in the arena.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .kernel import Kernel
from .loop import Emit, Loc

# Invocations per workgroup of each variant. CPU adapters run a workgroup's invocations a SIMD
# group at a time (SwiftShader: 4 lanes), one group after another, and every group walks the whole
# program, its idle lanes masked: on SwiftShader a 2-8-8-1 step took 447 us at 64 invocations and
# 40 us at 4; lavapipe's loop limit and barriers favour one invocation for steps that small.
VARIANTS = {"workgroup": 64, "small_workgroup": 4, "invocation": 1}


@dataclass(frozen=True)
class Binding:
    name: str
    stored: str                # WGSL element type: 'f32', 'i32' or 'u32' (bool)
    write: bool = False


@dataclass
class Program:
    bindings: list
    phases: list               # list of lists of units
    steps: int
    name: str = "single_kernel"
    notes: dict = field(default_factory=dict)


def units_of(program: Program):
    return [u for phase in program.phases for u in phase]


# Back edges one invocation may take per dispatch, by adapter: Mesa's gallivm (lavapipe) counts the
# iterations of all loops of a shader together and leaves every loop after 65535 of them, silently
# (LP_MAX_TGSI_LOOP_ITERATIONS in lp_bld_limits.h); results are then wrong with no error raised.
LOOP_BUDGETS = {"llvmpipe": 65535 - 512}


def loop_budget(adapter_name: str) -> int | None:
    return next((v for k, v in LOOP_BUDGETS.items() if k in adapter_name.lower()), None)


def trips_per_step(program: Program, variant: str) -> int:
    """Loop iterations one invocation runs per step of ``program`` rendered as ``variant``."""
    em = _emit(program, VARIANTS[variant])
    return 1 + sum(u.trips(em) for u in units_of(program))     # 1: the step loop itself


def _emit(program: Program, workgroup: int) -> Emit:
    return Emit({b.name: b.stored for b in program.bindings}, workgroup)


def steps_per_dispatch(program: Program, variant: str, adapter_name: str) -> int:
    """How many steps one dispatch may run on this adapter (0: not even one)."""
    budget = loop_budget(adapter_name)
    if budget is None:
        return program.steps
    return min(program.steps, budget // trips_per_step(program, variant))


COUNTER = 0     # arena element holding the first step of the next dispatch, when a call takes several


def render(program: Program, variant: str = "workgroup", per_dispatch: int | None = None) -> tuple[Kernel, list[str]]:
    """The WGSL of ``program`` as one kernel of the given shape (see the module docstring). With
    ``per_dispatch`` below ``program.steps``, a dispatch runs that many steps from the one the
    counter in arena element COUNTER names, and advances it: a call dispatches it several times.
    Returns the kernel and the names of the bindings it takes, in order."""
    if variant not in VARIANTS:
        raise ValueError(f"single kernel: unknown variant {variant!r}; there are {', '.join(VARIANTS)}")
    wg = VARIANTS[variant]
    steps = program.steps
    chunked = per_dispatch is not None and per_dispatch < steps
    em = _emit(program, wg)
    lines = [f"// {program.name}: {steps} step(s) a call, {per_dispatch if chunked else steps} a dispatch, "
             f"{len(program.phases)} phases a step, variant {variant}"]
    for i, b in enumerate(program.bindings):
        access = "read_write" if b.write else "read"
        lines.append(f"@group(0) @binding({i}) var<storage, {access}> {b.name}: array<{b.stored}>;")
    body = []
    for p, phase in enumerate(program.phases):
        rotate = 0
        for u in phase:
            body.append(f"// phase {p}: {u.name}")
            body += u.render(em, rotate % wg)
            rotate += u.elements()
        last = p == len(program.phases) - 1
        if wg > 1 and (not last or steps > 1):
            body.append("storageBarrier();")
    counter = em.element(Loc("arena", None, "i32"), str(COUNTER))
    if chunked and wg > 1:
        lines.append("var<workgroup> first_step: i32;")
    lines.append(f"@compute @workgroup_size({wg})")
    lines.append("fn main(@builtin(local_invocation_index) local: u32) {")
    lines.append("    let lid = i32(local);")
    if chunked:
        if wg > 1:   # a value every invocation provably shares, so the barriers below stay in uniform control flow
            lines += [f"    if (lid == 0) {{ first_step = bitcast<i32>({counter}); }}",
                      "    let k0 = workgroupUniformLoad(&first_step);"]
        else:
            lines.append(f"    let k0 = bitcast<i32>({counter});")
        lines.append(f"    for (var k = k0; k < min(k0 + {per_dispatch}, {steps}); k++) {{")
    else:
        lines.append(f"    for (var k = 0; k < {steps}; k++) {{")
    lines += ["        " + b for b in body]
    lines.append("    }")
    if chunked:   # every invocation read k0 before the last barrier of its steps
        lines.append(f"    if (lid == 0) {{ {counter} = bitcast<f32>(k0 + {per_dispatch}); }}")
    lines.append("}")
    # Bind only what the code uses: a pipeline's automatic layout leaves unused bindings out.
    text = "\n".join(lines)
    used = [b for b in program.bindings if f"{b.name}[" in text]
    head = [lines[0]] + [f"@group(0) @binding({i}) var<storage, {'read_write' if b.write else 'read'}> "
                         f"{b.name}: array<{b.stored}>;" for i, b in enumerate(used)]
    source = "\n".join(head + lines[1 + len(program.bindings):])
    n_in = sum(1 for b in used if not b.write)
    return Kernel(f"{program.name}_{variant}", source, (1, 1, 1), n_in, len(used) - n_in), [b.name for b in used]
