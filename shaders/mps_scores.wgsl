// mps_scores: AMLP's masked patch selection score, from a 2-means clustering.
//
// The smaller cluster is the lesion (foreground, AMLP sec. 3.1; equal sizes:
// cluster 0). With Euclidean distances d_fg, d_bg of a patch's feature vector
// to the foreground and background centres, the probability of foreground is
// p = d_bg / (d_fg + d_bg) (0.5 when both are 0), which is > 0.5 exactly on the
// foreground side. `order` 0 (hard to easy, lesion first) writes p, order 1
// (easy to hard, background first) writes 1 - p; rank_mask then removes the
// highest scores. fg[n, l] is 1 where the k-means label is the foreground.
//
// Bindings:   0 params (uniform)   1 features: array<f32> [N * L * D] (read)
//             2 centres: array<f32> [N * 2 * D] (read)   3 labels: array<u32> [N * L] (read)
//             4 sizes: array<u32> [N * 2] (read)   5 scores: array<f32> [N * L] (write)
//             6 fg: array<u32> [N * L] (write)
// Dispatch:   ceil(N * L / 64) workgroups of 64

struct Params {
  batch : u32, // N
  patches : u32, // L
  dim : u32, // D
  order : u32, // 0 = hard to easy (p), 1 = easy to hard (1 - p)
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> features : array<f32>;
@group(0) @binding(2) var<storage, read> centres : array<f32>;
@group(0) @binding(3) var<storage, read> labels : array<u32>;
@group(0) @binding(4) var<storage, read> sizes : array<u32>;
@group(0) @binding(5) var<storage, read_write> scores : array<f32>;
@group(0) @binding(6) var<storage, read_write> fg : array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3u) {
  if (gid.x >= params.batch * params.patches) { return; }
  let n = gid.x / params.patches;
  let dim = params.dim;
  let fore = select(0u, 1u, sizes[2u * n + 1u] < sizes[2u * n]);
  let fbase = gid.x * dim;
  let cf = (2u * n + fore) * dim;
  let cb = (2u * n + 1u - fore) * dim;
  var sf = 0.0;
  var sb = 0.0;
  for (var d = 0u; d < dim; d++) {
    let x = features[fbase + d];
    let ef = x - centres[cf + d];
    let eb = x - centres[cb + d];
    sf += ef * ef;
    sb += eb * eb;
  }
  let df = sqrt(sf);
  let db = sqrt(sb);
  let total = df + db;
  let p = select(0.5, db / total, total > 0.0);
  scores[gid.x] = select(p, 1.0 - p, params.order == 1u);
  fg[gid.x] = select(0u, 1u, labels[gid.x] == fore);
}
