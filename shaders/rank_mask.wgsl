// rank_mask: per sample, remove the `count[n]` patches with the highest score.
//
// Every masking strategy reduces to "score each patch, remove the top ones":
// random masking scores with noise, MPS with the probability of being lesion,
// hard patches mining with the predicted loss. One invocation per patch counts
// how many patches of its sample outrank it (ties broken by the lower index),
// which is its 0-based position in the descending order. O(L) per invocation,
// no shared memory or sort passes; L is at most a few thousand patches.
//
// Output convention (as MAE): mask 0 is keep, 1 is remove; rank 0 is the
// highest score. Patches with rank < count[n] are removed.
//
// Bindings:   0 params (uniform)   1 scores: array<f32> [N * L] (read)
//             2 counts: array<u32> [N] (read)   3 mask: array<f32> [N * L] (write)
//             4 ranks: array<u32> [N * L] (write)
// Dispatch:   ceil(N * L / 64) workgroups of 64

struct Params {
  batch : u32, // N
  patches : u32, // L
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> scores : array<f32>;
@group(0) @binding(2) var<storage, read> counts : array<u32>;
@group(0) @binding(3) var<storage, read_write> mask : array<f32>;
@group(0) @binding(4) var<storage, read_write> ranks : array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3u) {
  if (gid.x >= params.batch * params.patches) { return; }
  let n = gid.x / params.patches;
  let l = gid.x % params.patches;
  let base = n * params.patches;
  let own = scores[gid.x];
  var rank = 0u;
  for (var j = 0u; j < params.patches; j++) {
    let other = scores[base + j];
    if (other > own || (other == own && j < l)) { rank++; }
  }
  ranks[gid.x] = rank;
  mask[gid.x] = select(0.0, 1.0, rank < counts[n]);
}
