// similarity: MPS-AMS's softmax-normalised patch similarity (covariance) matrix.
//
// For patch vectors x_i (D values) of one sample, S[i, j] = softmax_j(C[i, j] / T)
// with C[i, j] = (1/D) sum_d (x_id - m_i)(x_jd - m_j), m_i the mean of x_i
// (covariance of the two patches over their pixels; with `centre` 0 the raw
// second moment (1/D) sum_d x_id x_jd). Row i of S is patch i's feature
// vector for k-means (MPS-AMS sec. 2.1: "a covariance matrix after a softmax
// layer ... then k-means"). One invocation per row: O(L * D) work.
//
// Bindings:   0 params (uniform)   1 features: array<f32> [N * L * D] (read)
//             2 similarity: array<f32> [N * L * L] (write)
// Dispatch:   ceil(N * L / 64) workgroups of 64

struct Params {
  batch : u32, // N
  patches : u32, // L
  dim : u32, // D
  centre : u32, // 1 = covariance, 0 = second moment
  inv_temperature : f32, // 1 / T
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read> features : array<f32>;
@group(0) @binding(2) var<storage, read_write> similarity : array<f32>;

// exp(x) for x <= 0 from arithmetic alone (the TS twin repeats it step for step):
// x = n ln2 + r, |r| <= ln2 / 2 (Cody-Waite, ln2 = LN2_HI + LN2_LO), e^r by its
// degree-7 Taylor polynomial (Horner), times 2^n. The builtin exp differs between
// GPUs and from JS's Math.exp in the last bits, which flips k-means labels.
const LOG2E : f32 = 1.44269502;
const LN2_HI : f32 = 0.693145751953125;
const LN2_LO : f32 = 1.42860677e-6;
fn exp_nonpositive(x : f32) -> f32 {
  if (x < -86.0) { return 0.0; }
  let n = floor(x * LOG2E + 0.5);
  let r = (x - n * LN2_HI) - n * LN2_LO;
  var p = 1.98412701e-4; // 1/7!
  p = p * r + 1.38888892e-3; // 1/6!
  p = p * r + 8.33333377e-3; // 1/5!
  p = p * r + 4.16666679e-2; // 1/4!
  p = p * r + 0.166666672; // 1/3!
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  return ldexp(p, i32(n));
}

fn mean_of(row : u32) -> f32 {
  if (params.centre == 0u) { return 0.0; }
  var s = 0.0;
  for (var d = 0u; d < params.dim; d++) { s += features[row * params.dim + d]; }
  return s / f32(params.dim);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3u) {
  if (gid.x >= params.batch * params.patches) { return; }
  let big_l = params.patches;
  let dim = params.dim;
  let first = (gid.x / big_l) * big_l; // row index of patch 0 of this sample
  let out = gid.x * big_l;
  let mi = mean_of(gid.x);
  var top = -3.402823e38;
  for (var j = 0u; j < big_l; j++) {
    let mj = mean_of(first + j);
    var s = 0.0;
    for (var d = 0u; d < dim; d++) {
      s += (features[gid.x * dim + d] - mi) * (features[(first + j) * dim + d] - mj);
    }
    let v = s / f32(dim) * params.inv_temperature;
    similarity[out + j] = v;
    top = max(top, v);
  }
  var total = 0.0;
  for (var j = 0u; j < big_l; j++) {
    let e = exp_nonpositive(similarity[out + j] - top);
    similarity[out + j] = e;
    total += e;
  }
  for (var j = 0u; j < big_l; j++) { similarity[out + j] = similarity[out + j] / total; }
}
