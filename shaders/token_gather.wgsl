// token_gather: rows of a token tensor picked by index, [N, R, D] -> [N, J, D].
//
// out[n, j, :] = src[n, ids[n, j], :] when ids[n, j] < R, else 0.
// With MAE's indices this one kernel does all four token moves of a ViT
// masked autoencoder, since ids_keep and ids_restore are inverse permutations:
//   encoder input    x[:, ids_keep]          (R = L, J = K)  visible tokens only
//   its gradient     dy[:, ids_restore]      (R = K, J = L)  zeros at removed tokens
//   decoder unshuffle y[:, ids_restore]      (R = K, J = L)  zeros where mask tokens go
//   its gradient     dy[:, ids_keep]         (R = L, J = K)
// so the scatter back to the patch grid is this gather by the inverse order.
// One invocation per output value; no two write the same place.
//
// Bindings:   0 params (uniform)   1 src: array<f32> [N * R * D] (read)
//             2 ids: array<u32> [N * J] (read)   3 out: array<f32> [N * J * D] (write)
// Dispatch:   ceil(N * J * D / 64) workgroups of 64, as (x, y) with x <= 65535;
//             the flat index is gid.x + gid.y * 64 * num_workgroups.x

struct Params {
  batch : u32, // N
  rows : u32, // R, source rows per sample
  count : u32, // J, output rows per sample
  dim : u32, // D
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> src : array<f32>;
@group(0) @binding(2) var<storage, read> ids : array<u32>;
@group(0) @binding(3) var<storage, read_write> out : array<f32>;

@compute @workgroup_size(64)
fn main(
  @builtin(global_invocation_id) gid : vec3u,
  @builtin(num_workgroups) groups : vec3u,
) {
  let i = gid.x + gid.y * 64u * groups.x;
  if (i >= params.batch * params.count * params.dim) { return; }
  let d = i % params.dim;
  let row = i / params.dim; // n * J + j
  let n = row / params.count;
  let id = ids[row];
  out[i] = select(0.0, src[(n * params.rows + id) * params.dim + d], id < params.rows);
}
