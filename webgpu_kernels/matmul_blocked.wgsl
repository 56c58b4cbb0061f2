// Each thread computes a 4x4 block of outputs from registers, with no workgroup memory and no
// barriers: each value of a and b it loads feeds four multiply-adds. The variant for CPU adapters.
${HEADER}
@group(0) @binding(0) var<storage, read> a: array<${T}>;
@group(0) @binding(1) var<storage, read> b: array<${T}>;
@group(0) @binding(2) var<storage, read_write> out: array<${T}>;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row0 = i32(gid.y) * 4;
    let col0 = i32(gid.x) * 4;
    if (row0 >= ${M} || col0 >= ${N}) { return; }
    let z = i32(gid.z);
    ${BATCH}
    // Edge threads clamp their reads in bounds; results past the edge are not written.
    let ra = a_base + min(vec4<i32>(row0) + vec4<i32>(0, 1, 2, 3), vec4<i32>(${M} - 1)) * ${SAM};
    let cb = b_base + min(vec4<i32>(col0) + vec4<i32>(0, 1, 2, 3), vec4<i32>(${N} - 1)) * ${SBN};
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k = 0; k < ${K}; k++) {
        let kb = k * ${SBK};
        let bv = vec4<f32>(f32(b[cb.x + kb]), f32(b[cb.y + kb]), f32(b[cb.z + kb]), f32(b[cb.w + kb]));
        let ka = k * ${SAK};
        acc0 += f32(a[ra.x + ka]) * bv;
        acc1 += f32(a[ra.y + ka]) * bv;
        acc2 += f32(a[ra.z + ka]) * bv;
        acc3 += f32(a[ra.w + ka]) * bv;
    }
    let o = z * ${M} * ${N};
    let rows = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
    for (var i = 0; i < 4; i++) {
        let r = row0 + i;
        if (r >= ${M}) { break; }
        for (var j = 0; j < 4; j++) {
            if (col0 + j < ${N}) { out[o + r * ${N} + col0 + j] = ${T}(rows[i][j]); }
        }
    }
}
