/**
 * A small WebAssembly binary writer: enough of the format (types, imported
 * or own memory, functions with locals, exports; integer, f32 and SIMD
 * instructions, structured control flow) to write medmim's own SIMD kernels
 * as TypeScript that emits their bytes at run time. No wasm binary is
 * committed and no compiler is needed: the TypeScript that calls these
 * functions is the source.
 *
 * Reference: the WebAssembly core specification, binary format
 * (https://webassembly.github.io/spec/core/binary/), its fixed-width SIMD
 * proposal and the relaxed SIMD proposal (opcodes of
 * https://github.com/WebAssembly/relaxed-simd/blob/main/proposals/relaxed-simd/Overview.md).
 *
 * @module
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
/** A value type byte. */
export type ValType = typeof I32 | typeof F32 | typeof V128;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (32-bit range). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const SIMD = 0xfd;

/**
 * A function body being written: each method appends one instruction and
 * returns `this`, so bodies read as instruction lists.
 */
export class Body {
  readonly bytes: number[] = [];

  /** Appends raw bytes. */
  raw(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  localGet(i: number): this {
    return this.raw(0x20, ...uleb(i));
  }
  localSet(i: number): this {
    return this.raw(0x21, ...uleb(i));
  }
  localTee(i: number): this {
    return this.raw(0x22, ...uleb(i));
  }
  i32Const(n: number): this {
    return this.raw(0x41, ...sleb(n));
  }
  i32Add(): this {
    return this.raw(0x6a);
  }
  i32Sub(): this {
    return this.raw(0x6b);
  }
  i32Mul(): this {
    return this.raw(0x6c);
  }
  i32Shl(): this {
    return this.raw(0x74);
  }
  i32LtU(): this {
    return this.raw(0x49);
  }
  i32GeU(): this {
    return this.raw(0x4f);
  }
  i32Eqz(): this {
    return this.raw(0x45);
  }
  i32Ne(): this {
    return this.raw(0x47);
  }
  /** `block` with no result. */
  block(): this {
    return this.raw(0x02, 0x40);
  }
  /** `loop` with no result. */
  loop(): this {
    return this.raw(0x03, 0x40);
  }
  /** `if` with no result. */
  if(): this {
    return this.raw(0x04, 0x40);
  }
  else(): this {
    return this.raw(0x05);
  }
  end(): this {
    return this.raw(0x0b);
  }
  /** `call` of function `index` (its arguments pushed). */
  call(index: number): this {
    return this.raw(0x10, ...uleb(index));
  }
  br(depth: number): this {
    return this.raw(0x0c, ...uleb(depth));
  }
  brIf(depth: number): this {
    return this.raw(0x0d, ...uleb(depth));
  }
  f32Load(offset = 0): this {
    return this.raw(0x2a, 2, ...uleb(offset));
  }
  f32Store(offset = 0): this {
    return this.raw(0x38, 2, ...uleb(offset));
  }
  f32Add(): this {
    return this.raw(0x92);
  }
  f32Mul(): this {
    return this.raw(0x94);
  }
  f32Const(v: number): this {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    return this.raw(0x43, ...b);
  }
  /** `v128.load` (byte offset, alignment hint 2^4 unless given). */
  v128Load(offset = 0, alignLog2 = 4): this {
    return this.raw(SIMD, 0x00, alignLog2, ...uleb(offset));
  }
  /** `v128.load32_splat`: one f32 from memory in all four lanes. */
  v128Load32Splat(offset = 0): this {
    return this.raw(SIMD, 0x09, 2, ...uleb(offset));
  }
  v128Store(offset = 0, alignLog2 = 4): this {
    return this.raw(SIMD, 0x0b, alignLog2, ...uleb(offset));
  }
  /** `v128.const` of four f32 lanes. */
  f32x4Const(a: number, b = a, c = a, d = a): this {
    const bytes = new Uint8Array(new Float32Array([a, b, c, d]).buffer);
    return this.raw(SIMD, 0x0c, ...bytes);
  }
  f32x4Splat(): this {
    return this.raw(SIMD, 0x13);
  }
  /** `f32x4.extract_lane`. */
  f32x4ExtractLane(lane: number): this {
    return this.raw(SIMD, 0x1f, lane);
  }
  f32x4Add(): this {
    return this.raw(SIMD, ...uleb(0xe4));
  }
  f32x4Sub(): this {
    return this.raw(SIMD, ...uleb(0xe5));
  }
  f32x4Mul(): this {
    return this.raw(SIMD, ...uleb(0xe6));
  }
  f32x4Div(): this {
    return this.raw(SIMD, ...uleb(0xe7));
  }
  f32x4Sqrt(): this {
    return this.raw(SIMD, ...uleb(0xe3));
  }
  /** `i8x16.shuffle` of the two vectors on the stack by 16 lane indices (0..31). */
  i8x16Shuffle(lanes: readonly number[]): this {
    return this.raw(SIMD, 0x0d, ...lanes);
  }
  /** `f64x2.promote_low_f32x4`: lanes 0 and 1 as f64. */
  f64x2PromoteLowF32x4(): this {
    return this.raw(SIMD, ...uleb(0x5f));
  }
  f64x2Add(): this {
    return this.raw(SIMD, ...uleb(0xf0));
  }
  /** `f32x4.relaxed_madd` (a * b + c, fused or not: the runtime's choice). */
  f32x4RelaxedMadd(): this {
    return this.raw(SIMD, ...uleb(0x105));
  }
  /**
   * Pushes `c + a * b`: `a b c relaxed_madd` when `fma`, else `c a b mul add`
   * (the pushes are the caller's, as functions of this body).
   */
  mulAdd(fma: boolean, a: (b: this) => void, b: (b: this) => void, c: (b: this) => void): this {
    if (fma) {
      a(this), b(this), c(this);
      return this.f32x4RelaxedMadd();
    }
    c(this), a(this), b(this);
    return this.f32x4Mul().f32x4Add();
  }
}

/** A function of a module. */
export interface FuncSpec {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  /** Extra locals after the parameters, in order. */
  readonly locals: readonly ValType[];
  readonly body: Body;
  /** Exported under this name. */
  readonly export?: string;
}

/** The module's memory: its own, or imported (`env.memory`), shared or not. */
export interface MemorySpec {
  readonly import: boolean;
  /** Initial and maximum size in 64 KiB pages. */
  readonly initial: number;
  readonly maximum?: number;
  readonly shared?: boolean;
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const b = [...new TextEncoder().encode(text)];
  return [...uleb(b.length), ...b];
}

function limits(m: MemorySpec): number[] {
  const flag = (m.maximum !== undefined ? 1 : 0) | (m.shared ? 2 : 0);
  return [flag, ...uleb(m.initial), ...(m.maximum !== undefined ? uleb(m.maximum) : [])];
}

/**
 * Writes a module: one memory (imported as `env.memory` or its own,
 * exported as `memory`) and the functions (one type each).
 *
 * @param memory The memory.
 * @param funcs The functions.
 * @returns The module's bytes.
 * @example
 * ```ts
 * import { Body, I32, writeModule } from "./wasm_emit.ts";
 * const add = new Body().localGet(0).localGet(1).i32Add();
 * const bytes = writeModule({ import: false, initial: 1 }, [
 *   { params: [I32, I32], results: [I32], locals: [], body: add, export: "add" },
 * ]);
 * const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
 * if ((exports.add as (a: number, b: number) => number)(2, 3) !== 5) throw new Error("add");
 * ```
 */
export function writeModule(
  memory: MemorySpec,
  funcs: readonly FuncSpec[],
): Uint8Array<ArrayBuffer> {
  const types = funcs.map((
    f,
  ) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  out.push(...section(1, vec(types)));
  if (memory.import) {
    out.push(...section(2, vec([[...name("env"), ...name("memory"), 0x02, ...limits(memory)]])));
  }
  out.push(...section(3, vec(funcs.map((_, i) => uleb(i)))));
  if (!memory.import) out.push(...section(5, vec([limits(memory)])));
  const exports = funcs.flatMap((
    f,
    i,
  ) => (f.export ? [[...name(f.export), 0x00, ...uleb(i)]] : []));
  exports.push([...name("memory"), 0x02, 0x00]);
  out.push(...section(7, vec(exports)));
  const bodies = funcs.map((f) => {
    // locals as runs of one type
    const runs: number[][] = [];
    for (const t of f.locals) {
      const last = runs.at(-1);
      if (last && last[1] === t) last[0]!++;
      else runs.push([1, t]);
    }
    const code = [...vec(runs.map(([n, t]) => [...uleb(n!), t!])), ...f.body.bytes, 0x0b];
    return [...uleb(code.length), ...code];
  });
  out.push(...section(10, vec(bodies)));
  return new Uint8Array(out);
}
