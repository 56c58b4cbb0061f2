// col2im, the adjoint of unfold: out[n, h, w, c] sums the patch entries that unfold read from
// (h, w, c). Each output element gathers its own windows (at most KH * KW of them), so there are
// no atomics (WebGPU has no float atomics) and the sum is the same on every run. The patches p are
// read through their strided view (P0 + n * PN + oh * PH + ow * PW + k * PK).
${HEADER}
@group(0) @binding(0) var<storage, read> p: array<${T}>;
@group(0) @binding(1) var<storage, read_write> out: array<${T}>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = ${LINEAR_ID};
    if (t >= ${TOTAL}) { return; }
    let c = t % ${C};
    let w = (t / ${C}) % ${W};
    let h = (t / (${C} * ${W})) % ${H};
    let n = t / (${C} * ${W} * ${H});
    var acc = 0.0;
    for (var i = 0; i < ${KH}; i++) {
        let hs = h + ${PT} - i;          // oh * SH when window row oh covers h at kernel row i
        if (hs < 0 || hs % ${SH} != 0 || hs / ${SH} >= ${OH}) { continue; }
        let oh = hs / ${SH};
        for (var j = 0; j < ${KW}; j++) {
            let ws = w + ${PL} - j;
            if (ws < 0 || ws % ${SW} != 0 || ws / ${SW} >= ${OW}) { continue; }
            let ow = ws / ${SW};
            let k = (i * ${KW} + j) * ${C} + c;
            acc += f32(p[${P0} + n * ${PN} + oh * ${PH} + ow * ${PW} + k * ${PK}]);
        }
    }
    out[t] = ${T}(acc);
}
