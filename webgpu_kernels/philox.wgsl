// Counter-based random numbers: Philox4x32-10 (Salmon et al., 2011). Block b of the stream
// (key, counter + b) gives four u32 words, so a seed gives the same numbers on every adapter
// and in NumPy (core/random.py holds the same function in Python).
@group(0) @binding(0) var<storage, read> params: array<u32>;   // key0, key1, counter0, counter1, count
@group(0) @binding(1) var<storage, read_write> out: array<${OUT_T}>;

fn mulhilo(a: u32, b: u32) -> vec2<u32> {
    // 32x32 -> 64-bit product from 16-bit halves (WGSL has no 64-bit integers).
    let a_lo = a & 0xffffu; let a_hi = a >> 16u;
    let b_lo = b & 0xffffu; let b_hi = b >> 16u;
    let lo_lo = a_lo * b_lo;
    let hi_lo = a_hi * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_hi = a_hi * b_hi;
    let cross = (lo_lo >> 16u) + (hi_lo & 0xffffu) + (lo_hi & 0xffffu);
    let hi = hi_hi + (hi_lo >> 16u) + (lo_hi >> 16u) + (cross >> 16u);
    return vec2<u32>(hi, a * b);
}

fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var r = 0; r < 10; r++) {
        let p0 = mulhilo(0xD2511F53u, c.x);
        let p1 = mulhilo(0xCD9E8D57u, c.z);
        c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
        k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
    }
    return c;
}

fn unit(x: u32) -> f32 { return f32(x >> 8u) * (1.0 / 16777216.0); }            // [0, 1)
fn unit_open(x: u32) -> f32 { return (f32(x >> 8u) + 1.0) * (1.0 / 16777216.0); }  // (0, 1]

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let block = u32(${LINEAR_ID});
    let n = params[4];   // the count is data, not source: one pipeline draws any number of values
    if (block * 4u >= n) { return; }
    let lo = params[2] + block;
    let hi = params[3] + select(0u, 1u, lo < block);
    let w = philox(vec4<u32>(lo, hi, 0u, 0u), vec2<u32>(params[0], params[1]));
    ${VALUES}
    for (var i = 0u; i < 4u; i++) {
        if (block * 4u + i < n) { out[block * 4u + i] = v[i]; }
    }
}
