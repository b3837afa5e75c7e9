// random_scores: one uniform score in [0, 1) per patch, from a counter-based hash.
//
// MAE's random masking sorts per-sample noise and removes the highest-ranked
// patches; this kernel makes that noise on the GPU without a CPU upload. The
// value depends only on (seed, index), so the TS twin reproduces it bit for bit.
//
// Bindings:   0 params (uniform)   1 scores: array<f32>, [N * L] (write)
// Dispatch:   ceil(count / 64) workgroups of 64

struct Params {
  count : u32, // N * L
  seed : u32,
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read_write> scores : array<f32>;

// PCG hash (Jarzynski and Olano, JCGT 2020): a good 32-bit mix in 5 integer ops.
fn pcg(v : u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3u) {
  if (gid.x >= params.count) { return; }
  let h = pcg(params.seed ^ pcg(gid.x));
  scores[gid.x] = f32(h >> 8u) / 16777216.0; // 24 bits: exact in f32
}
