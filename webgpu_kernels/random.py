"""Random numbers: Philox4x32-10 (philox.wgsl) turns a key and a counter into four 32-bit words per
thread, the same words on every device (the NumPy reference in core/ops/random.py draws them
too), made uniform on [0, 1), standard normal (Box-Muller) or integers in [low, high)."""
from __future__ import annotations

from .kernel import Kernel, Launch, template
from .view import grid


def random_launches(kind: str, n: int, out_type: str, low: int = 0, high: int = 1) -> list[Launch]:
    values = {
        "uniform": "let v = vec4<f32>(unit(w.x), unit(w.y), unit(w.z), unit(w.w));",
        "normal": ("let r0 = sqrt(-2.0 * log(unit_open(w.x))); let r1 = sqrt(-2.0 * log(unit_open(w.z)));\n"
                   "    let a0 = 6.283185307179586 * unit(w.y); let a1 = 6.283185307179586 * unit(w.w);\n"
                   "    let v = vec4<f32>(r0 * cos(a0), r0 * sin(a0), r1 * cos(a1), r1 * sin(a1));"),
        "int": (f"let v = vec4<i32>({low}) + vec4<i32>(w % vec4<u32>({high - low}u));"),
    }[kind]
    src = template("philox.wgsl", OUT_T=out_type, VALUES=values)
    return [Launch(Kernel(f"random_{kind}", src, grid(-(-n // 4), 64), 1), ["in0", "out0"])]
