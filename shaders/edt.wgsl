// edt: one axis pass of the exact separable squared Euclidean distance transform
// (Felzenszwalb & Huttenlocher 2012): every line along the axis is replaced by the
// lower envelope of the parabolas `((q - r) * step)^2 + d2[r]` over its sites r.
// Run once per axis (x, then y, then z) on the same buffer; after the last pass
// d2[i] is the squared distance in mm^2 from voxel i to the nearest zero voxel.
//
// One invocation per line, in place: a line is read while its envelope is built
// and only written in the second sweep, which reads the envelope (positions and
// values of the sites) from scratch, never d2. "No site" is -1 (WGSL gives no
// guarantees about infinities); a line without sites stays -1.
//
// Scratch is interleaved by line (`slot * lines + line`), so neighbouring
// invocations touch neighbouring words; d2 is too on the y and z passes (lines
// start at consecutive x), and strided by X on the x pass.
//
// Rounding (f32): the breakpoint of two parabolas is written around their
// midpoint, (pq + pr) / 2 + (fq - fr) / (2 (pq - pr)), which does not lose the
// large terms pq^2 - pr^2 to cancellation (tests/metrics/edt_gpu_test.ts fails
// without it); and each voxel takes the smallest of its envelope parabola and the
// two neighbouring ones, so a breakpoint rounded across a voxel centre cannot
// pick the wrong site (free: the three pieces are in registers anyway).
//
// Loops: up to about 6n iterations per invocation; the TS side limits n to 8192
// (EDT_MAX_LINE) because llvmpipe stops an invocation after 65535 in total.
//
// Bindings:   0 params (uniform)   1 d2: array<f32> [N] (read-write, in place)
//             2 sites: array<u32> [lines * n]   3 values: array<f32> [lines * n]
//             4 starts: array<f32> [lines * n]  (2-4 are scratch)
// Dispatch:   ceil(lines / 64) workgroups of 64, split as (x, y) with x <= 65535;
//             line = gid.x + gid.y * (num_workgroups.x * 64)

struct Params {
  n : u32, // voxels per line (size of the axis)
  stride : u32, // distance in d2 between neighbours on a line (product of the earlier axes)
  lines : u32, // N / n
  step : f32, // spacing of the axis in mm
}

@group(0) @binding(0) var<uniform> params : Params;
@group(0) @binding(1) var<storage, read_write> d2 : array<f32>;
@group(0) @binding(2) var<storage, read_write> sites : array<u32>;
@group(0) @binding(3) var<storage, read_write> values : array<f32>;
@group(0) @binding(4) var<storage, read_write> starts : array<f32>;

// Position (mm) where the parabola of site q starts to lie below that of site r < q.
fn breakpoint(q : u32, fq : f32, r : u32, fr : f32) -> f32 {
  let pq = f32(q) * params.step;
  let pr = f32(r) * params.step;
  let gap = f32(q - r) * params.step;
  return 0.5 * (pq + pr) + (fq - fr) / (2.0 * gap);
}

// One parabola of the envelope: its site, the site's value, where it starts to be lowest.
struct Piece {
  site : u32,
  value : f32,
  start : f32,
}

fn piece(k : u32, line : u32) -> Piece {
  let at = k * params.lines + line;
  return Piece(sites[at], values[at], starts[at]);
}

fn parabola(q : u32, p : Piece) -> f32 {
  let d = (f32(q) - f32(p.site)) * params.step;
  return d * d + p.value;
}

@compute @workgroup_size(64)
fn main(
  @builtin(global_invocation_id) gid : vec3u,
  @builtin(num_workgroups) groups : vec3u,
) {
  let line = gid.x + gid.y * groups.x * 64u;
  if (line >= params.lines) { return; }
  let lines = params.lines;
  let n = params.n;
  let stride = params.stride;
  // Line `line` starts where its coordinate on this axis is 0.
  let first = (line % stride) + (line / stride) * stride * n;

  // 1) lower envelope: sites[k], values[k] and starts[k] (k >= 1: where parabola k
  //    takes over from k - 1) for k < count
  var count = 0u;
  for (var q = 0u; q < n; q++) {
    let fq = d2[first + q * stride];
    if (fq < 0.0) { continue; }
    var s = 0.0;
    loop {
      if (count == 0u) { break; }
      let k = count - 1u;
      s = breakpoint(q, fq, sites[k * lines + line], values[k * lines + line]);
      if (k == 0u || s > starts[k * lines + line]) { break; }
      count = k; // parabola k is hidden everywhere by k - 1 and q
    }
    sites[count * lines + line] = q;
    values[count * lines + line] = fq;
    starts[count * lines + line] = s;
    count++;
  }
  if (count == 0u) { return; } // no site: the line stays -1

  // 2) read the envelope at every voxel; pieces j - 1, j, j + 1 stay in registers, so
  //    each piece is read from scratch once
  var j = 0u;
  var cur = piece(0u, line);
  var prev = cur;
  var next = piece(min(1u, count - 1u), line);
  for (var q = 0u; q < n; q++) {
    let p = f32(q) * params.step;
    while (j + 1u < count && next.start < p) {
      j++;
      prev = cur;
      cur = next;
      next = piece(min(j + 1u, count - 1u), line);
    }
    d2[first + q * stride] = min(min(parabola(q, prev), parabola(q, cur)), parabola(q, next));
  }
}
