// kmeans: 2-means clustering of the L feature vectors of every sample, one
// workgroup per sample, the whole Lloyd loop in one dispatch.
//
// 1) Seeding (deterministic, no randomness): a0 = the vector with the lowest
//    mean (the darkest patch for raw patch vectors), b = the vector farthest
//    from a0, a = the vector farthest from b (two maximin steps, so it also
//    works for features whose mean is constant, e.g. softmax rows). Centre 0
//    starts at a, centre 1 at b. Ties go to the lowest patch index.
// 2) Lloyd loop: assign every vector to the nearer centre (squared Euclidean,
//    ties to centre 0); stop when no label changed or after `max_iter` centre
//    updates; otherwise move each centre to the mean of its vectors (an empty
//    cluster keeps its centre). The loop always ends with an assignment, so the
//    labels are the nearest-centre labels of the final centres. Convergence is
//    detected on the GPU (a workgroup flag), no CPU readback per iteration.
//    The centre sums run over l in increasing order, as in the TS twin.
//
// Bindings:   0 params (uniform)   1 features: array<f32> [N * L * D] (read)
//             2 centres: array<f32> [N * 2 * D] (write)   3 labels: array<u32> [N * L] (write)
//             4 sizes: array<u32> [N * 2] (write)   5 iterations: array<u32> [N] (write)
// Dispatch:   N workgroups of 64 (one per sample)

struct Params {
  batch : u32, // N
  patches : u32, // L
  dim : u32, // D
  max_iter : u32, // cap on centre updates
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> features : array<f32>;
@group(0) @binding(2) var<storage, read_write> centres : array<f32>;
@group(0) @binding(3) var<storage, read_write> labels : array<u32>;
@group(0) @binding(4) var<storage, read_write> sizes : array<u32>;
@group(0) @binding(5) var<storage, read_write> iterations : array<u32>;

const WG : u32 = 64u;
const NONE : u32 = 0xffffffffu;

var<workgroup> red_val : array<f32, WG>;
var<workgroup> red_idx : array<u32, WG>;
var<workgroup> changed : atomic<u32>;
var<workgroup> ones : atomic<u32>;
var<workgroup> broadcast : u32;

// (v, i) beats (w, j): larger value, then lower index.
fn beats(v : f32, i : u32, w : f32, j : u32) -> bool {
  return (i != NONE && (j == NONE || v > w || (v == w && i < j)));
}

// Workgroup-wide argmax of (value, index); every invocation must call it.
fn arg_max(t : u32, v : f32, i : u32) -> u32 {
  red_val[t] = v;
  red_idx[t] = i;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (t < s && beats(red_val[t + s], red_idx[t + s], red_val[t], red_idx[t])) {
      red_val[t] = red_val[t + s];
      red_idx[t] = red_idx[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) { broadcast = red_idx[0]; }
  return workgroupUniformLoad(&broadcast);
}

// Squared distance between feature vectors l and m of the same sample.
fn dist2_ff(base : u32, l : u32, m : u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < params.dim; d++) {
    let e = features[base + l * params.dim + d] - features[base + m * params.dim + d];
    s += e * e;
  }
  return s;
}

// Squared distance between feature vector l and centre k.
fn dist2_fc(base : u32, cbase : u32, l : u32, k : u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < params.dim; d++) {
    let e = features[base + l * params.dim + d] - centres[cbase + k * params.dim + d];
    s += e * e;
  }
  return s;
}

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wid : vec3u,
  @builtin(local_invocation_index) t : u32,
) {
  if (wid.x >= params.batch) { return; }
  let n = wid.x;
  let big_l = params.patches;
  let dim = params.dim;
  let base = n * big_l * dim;
  let cbase = n * 2u * dim;
  let lbase = n * big_l;

  // 1) seeding
  var bv = 0.0;
  var bi = NONE;
  for (var l = t; l < big_l; l += WG) {
    var s = 0.0;
    for (var d = 0u; d < dim; d++) { s += features[base + l * dim + d]; }
    let v = -(s / f32(dim));
    if (beats(v, l, bv, bi)) { bv = v; bi = l; }
  }
  let a0 = arg_max(t, bv, bi);
  bi = NONE;
  for (var l = t; l < big_l; l += WG) {
    let v = dist2_ff(base, l, a0);
    if (beats(v, l, bv, bi)) { bv = v; bi = l; }
  }
  let b = arg_max(t, bv, bi);
  bi = NONE;
  for (var l = t; l < big_l; l += WG) {
    let v = dist2_ff(base, l, b);
    if (beats(v, l, bv, bi)) { bv = v; bi = l; }
  }
  let a = arg_max(t, bv, bi);
  for (var d = t; d < dim; d += WG) {
    centres[cbase + d] = features[base + a * dim + d];
    centres[cbase + dim + d] = features[base + b * dim + d];
  }
  for (var l = t; l < big_l; l += WG) { labels[lbase + l] = 2u; } // "no label yet"
  storageBarrier();

  // 2) Lloyd loop
  var iters = 0u;
  loop {
    if (t == 0u) {
      atomicStore(&changed, 0u);
      atomicStore(&ones, 0u);
    }
    workgroupBarrier();
    for (var l = t; l < big_l; l += WG) {
      let lab = select(0u, 1u, dist2_fc(base, cbase, l, 1u) < dist2_fc(base, cbase, l, 0u));
      if (labels[lbase + l] != lab) { atomicStore(&changed, 1u); }
      labels[lbase + l] = lab;
      atomicAdd(&ones, lab);
    }
    storageBarrier();
    workgroupBarrier();
    if (t == 0u) { broadcast = atomicLoad(&changed); }
    let any_changed = workgroupUniformLoad(&broadcast);
    if (any_changed == 0u || iters >= params.max_iter) { break; }
    for (var d = t; d < dim; d += WG) {
      var s0 = 0.0;
      var s1 = 0.0;
      var c0 = 0u;
      var c1 = 0u;
      for (var l = 0u; l < big_l; l++) {
        let x = features[base + l * dim + d];
        if (labels[lbase + l] == 1u) {
          s1 += x;
          c1++;
        } else {
          s0 += x;
          c0++;
        }
      }
      if (c0 > 0u) { centres[cbase + d] = s0 / f32(c0); }
      if (c1 > 0u) { centres[cbase + dim + d] = s1 / f32(c1); }
    }
    storageBarrier();
    iters++;
  }

  if (t == 0u) {
    let k1 = atomicLoad(&ones);
    sizes[2u * n] = big_l - k1;
    sizes[2u * n + 1u] = k1;
    iterations[n] = iters;
  }
}
