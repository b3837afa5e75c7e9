// hpm_scores: HPM's easy-to-hard mask selection as scores for rank_mask.
//
// Of the count[n] patches removed from sample n, hard[n] = floor(alpha_t * count[n])
// (alpha_t = alpha_0 * t / T) are the ones a teacher predicts to be hardest and
// the rest are random (Wang et al., "Hard Patches Mining for Masked Image
// Modeling", CVPR 2023; SelfMedHPM). Given `ranks` of the teacher's predicted
// loss (0 = hardest, from rank_mask), the score is 1 + u for the hard[n]
// top-ranked patches and u otherwise, u in [0, 1) the same PCG noise as
// random_scores (seed, index n * L + l). rank_mask with count[n] then removes
// exactly the hard[n] hardest patches plus count[n] - hard[n] random others.
//
// Bindings:   0 params (uniform)   1 ranks: array<u32> [N * L] (read)
//             2 hard: array<u32> [N] (read)   3 scores: array<f32> [N * L] (write)
// Dispatch:   ceil(N * L / 64) workgroups of 64

struct Params {
  batch : u32, // N
  patches : u32, // L
  seed : u32,
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> ranks : array<u32>;
@group(0) @binding(2) var<storage, read> hard : array<u32>;
@group(0) @binding(3) var<storage, read_write> scores : array<f32>;

// PCG hash (Jarzynski and Olano, JCGT 2020), as in random_scores.wgsl.
fn pcg(v : u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3u) {
  if (gid.x >= params.batch * params.patches) { return; }
  let n = gid.x / params.patches;
  let u = f32(pcg(params.seed ^ pcg(gid.x)) >> 8u) / 16777216.0;
  scores[gid.x] = select(u, 1.0 + u, ranks[gid.x] < hard[n]);
}
