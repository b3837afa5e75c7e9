// token_ids: the token order of a masked batch (MAE's ids_keep / ids_restore).
//
// MAE sorts per-sample noise ascending (ids_shuffle), keeps the first K tokens
// (ids_keep = ids_shuffle[:, :K]) and undoes the shuffle with its inverse
// (ids_restore = argsort(ids_shuffle)). Here the mask already says which tokens
// go (rank_mask ran on the scores of any strategy), so the order is: the K kept
// tokens first, then the removed ones, each group in patch order. Token l's
// position is the number of tokens of its group before it, plus K if removed.
// The encoder sees tokens in ids_keep order; the transformer is permutation
// equivariant and the position embedding travels with each token, so the order
// within the kept group does not change the result.
// One invocation per token counts its predecessors: O(L) each, as rank_mask.
//
// Every sample must keep exactly K tokens (the caller knows K: every strategy
// removes the same count per sample). Positions of a sample that keeps another
// count are not a permutation; the TS twin refuses such a mask.
//
// Bindings:   0 params (uniform)   1 mask: array<f32> [N * L] (read; 1 = remove)
//             2 ids_keep: array<u32> [N * K] (write: the kept tokens, in encoder order)
//             3 ids_restore: array<u32> [N * L] (write: position of token l in that order)
// Dispatch:   ceil(N * L / 64) workgroups of 64

struct Params {
  batch : u32, // N
  patches : u32, // L
  keep : u32, // K
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> mask : array<f32>;
@group(0) @binding(2) var<storage, read_write> ids_keep : array<u32>;
@group(0) @binding(3) var<storage, read_write> ids_restore : array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3u) {
  if (gid.x >= params.batch * params.patches) { return; }
  let n = gid.x / params.patches;
  let l = gid.x % params.patches;
  let base = n * params.patches;
  var kept_before = 0u;
  for (var j = 0u; j < l; j++) {
    if (mask[base + j] < 0.5) { kept_before++; }
  }
  let removed = mask[gid.x] >= 0.5;
  let position = select(kept_before, params.keep + (l - kept_before), removed);
  ids_restore[gid.x] = position;
  if (!removed && position < params.keep) { ids_keep[n * params.keep + position] = l; }
}
