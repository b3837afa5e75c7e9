import assert from "node:assert/strict";
import { sleb, uleb, writeModule } from "../lib/backend/wasm_emit.ts";
import { gemmKernel } from "../lib/backend/wasm_gemm_kernel.ts";
import { makeRng } from "../lib/random.ts";

Deno.test("LEB128: the spec's examples", () => {
  assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(uleb(0), [0]);
  assert.deepEqual(uleb(0x105), [0x85, 0x02]);
  assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78]);
  assert.deepEqual(sleb(64), [0xc0, 0x00]);
  assert.deepEqual(sleb(-1), [0x7f]);
});

Deno.test("gemmKernel() adds A^T B over a strided rows x cols grid to C, with and without FMA", () => {
  const rng = makeRng(5);
  for (const fma of [false, true]) {
    for (const [mr, nr, rows, cols] of [[1, 4, 1, 1], [3, 8, 2, 5], [4, 8, 3, 7], [2, 4, 4, 2]]) {
      const module = writeModule({ import: false, initial: 1 }, [
        { ...gemmKernel({ mr: mr!, nr: nr!, fma }), export: "k" },
      ]);
      const { exports } = new WebAssembly.Instance(new WebAssembly.Module(module));
      const f32 = new Float32Array((exports.memory as WebAssembly.Memory).buffer);
      // A: each step's mr values 2 mr floats apart along a row, rows 100 floats apart;
      // B: steps nr + 4 floats apart, rows 300 floats apart; C rows nr + 8 apart
      const aAt = (r: number, k: number) => 1000 + r * 100 + k * 2 * mr!;
      const bAt = (r: number, k: number) => 3000 + r * 300 + k * (nr! + 4);
      const ldc = nr! + 8, c0 = 8000;
      for (let i = 0; i < 16000; i++) f32[i] = 2 * rng.next() - 1;
      const expected = Array.from({ length: mr! * ldc }, (_, i) => f32[c0 + i]!);
      for (let r = 0; r < rows!; r++) {
        for (let k = 0; k < cols!; k++) {
          for (let i = 0; i < mr!; i++) {
            for (let j = 0; j < nr!; j++) {
              expected[i * ldc + j]! += f32[aAt(r, k) + i]! * f32[bAt(r, k) + j]!;
            }
          }
        }
      }
      (exports.k as (...args: number[]) => void)(
        4 * aAt(0, 0),
        4 * bAt(0, 0),
        4 * c0,
        rows!,
        cols!,
        4 * 2 * mr!,
        4 * (nr! + 4),
        4 * 100,
        4 * 300,
        ldc,
        4,
      );
      for (let i = 0; i < mr! * ldc; i++) {
        const what = `fma ${fma} mr ${mr} nr ${nr} rows ${rows} cols ${cols}: C[${i}]`;
        assert.ok(Math.abs(f32[c0 + i]! - expected[i]!) < 1e-5, what);
      }
    }
  }
});
