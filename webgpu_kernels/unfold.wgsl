// im2col for channels-last images: out[n, oh, ow, (i * KW + j) * C + c] = x[n, oh * SH + i - PT, ow * SW + j - PL, c],
// or VALUE where that position falls in the padding. x is read through its strided view
// (element offset X0 + n * XN + h * XH + w * XW + c * XC), so slices and transposes need no copy.
${HEADER}
@group(0) @binding(0) var<storage, read> x: array<${T}>;
@group(0) @binding(1) var<storage, read_write> out: array<${T}>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = ${LINEAR_ID};
    if (t >= ${TOTAL}) { return; }
    let k = t % ${KC};
    let ow = (t / ${KC}) % ${OW};
    let oh = (t / (${KC} * ${OW})) % ${OH};
    let n = t / (${KC} * ${OW} * ${OH});
    let c = k % ${C};
    let j = (k / ${C}) % ${KW};
    let i = k / (${C} * ${KW});
    let h = oh * ${SH} + i - ${PT};
    let w = ow * ${SW} + j - ${PL};
    if (h < 0 || h >= ${H} || w < 0 || w >= ${W}) {
        out[t] = ${VALUE};
        return;
    }
    out[t] = x[${X0} + n * ${XN} + h * ${XH} + w * ${XW} + c * ${XC}];
}
