// Reduce: each thread folds one run of elements into one value, with no workgroup barriers
// (they cost milliseconds per dispatch on CPU adapters). A large reduction is split in chunks
// (THREADS = outputs x CHUNKS) and a second launch of this kernel folds the chunks. The result
// goes through store() (epilogue.py): plain, or with the elementwise ops graph mode fused after it.
${HEADER}
${INPUTS}
${STORE}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = ${LINEAR_ID};
    if (t >= ${THREADS}) { return; }
    let o = t / ${CHUNKS};
    let first = (t % ${CHUNKS}) * ${CHUNK};
    let last = min(first + ${CHUNK}, ${INNER});
    ${OUTER_COORDS}
    ${BASES}
    var acc: ${ACC_T} = ${INIT};
    var arg = 0;
    for (var j = first; j < last; j++) {
        ${INNER_COORDS}
        ${VALUE}
        ${UPDATE}
    }
    store(t, ${RESULT});
}
