/**
 * The bench pack's manifest: what a pack folder holds (every file, its size
 * and SHA-256), checked against what a pack must hold and the 64 MiB a GPU
 * machine can be brought.
 *
 * @module
 */

import { hashFile } from "../io/hash_file.ts";

/** What a GPU machine can be brought, in all. */
export const PACK_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Files every pack holds, as path patterns relative to the pack folder:
 * the run script, the compressed Deno, the bundled bench and its workers,
 * the shaders, the PyTorch reference, the tfjs-backend-wasm binaries and the
 * Vulkan loader.
 */
export const PACK_REQUIRED: readonly RegExp[] = [
  /^run\.sh$/,
  /^deno\.xz$/,
  /^js\/(?:[^/]+\/)*bench_gpu\.js$/,
  /^js\/(?:[^/]+\/)*_wasm_pthread_worker\.ts$/,
  /^js\/(?:[^/]+\/)*_wasm_kernel_worker\.ts$/,
  /^js\/(?:[^/]+\/)*_wasm_ceiling_worker\.ts$/,
  /^shaders\/[a-z0-9_]+\.wgsl$/,
  /^bench_torch_unet\.py$/,
  /^wasm\/tfjs-backend-wasm-simd\.wasm$/,
  /^debs\/libvulkan1_[^/]+\.deb$/,
  /^debs\/libglvnd0_[^/]+\.deb$/,
];

/** One file of a pack. */
export interface PackFile {
  /** Relative to the pack folder, `/`-separated. */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** The manifest. */
export interface PackManifest {
  readonly files: readonly PackFile[];
  readonly totalBytes: number;
}

/**
 * Lists a pack folder (every file below it, sorted by path).
 *
 * @param dir The pack folder.
 * @param skip Paths (relative) to leave out, e.g. the manifest itself.
 * @returns The manifest.
 */
export async function readPackManifest(
  dir: string,
  skip: ReadonlySet<string> = new Set(),
): Promise<PackManifest> {
  const files: PackFile[] = [];
  const walk = async (rel: string) => {
    for await (const entry of Deno.readDir(rel ? `${dir}/${rel}` : dir)) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(path);
      else if (!skip.has(path)) {
        files.push({ path, ...(await hashFile(`${dir}/${path}`)) });
      }
    }
  };
  await walk("");
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, totalBytes: files.reduce((s, f) => s + f.bytes, 0) };
}

/**
 * What is wrong with a pack: a required file missing, or too many bytes.
 *
 * @param manifest The pack's manifest.
 * @param limit The size limit (default {@linkcode PACK_LIMIT_BYTES}).
 * @returns One line per problem; empty when the pack is complete.
 * @example
 * ```ts
 * import { packProblems } from "./pack_manifest.ts";
 * const problems = packProblems({ files: [{ path: "run.sh", bytes: 10, sha256: "" }], totalBytes: 10 });
 * if (!problems.some((p) => p.includes("deno"))) throw new Error("deno.xz should be missing");
 * ```
 */
export function packProblems(manifest: PackManifest, limit = PACK_LIMIT_BYTES): string[] {
  const problems = PACK_REQUIRED
    .filter((pattern) => !manifest.files.some((f) => pattern.test(f.path)))
    .map((pattern) => `no file matches ${pattern.source}`);
  if (manifest.totalBytes > limit) {
    problems.push(
      `${(manifest.totalBytes / 2 ** 20).toFixed(1)} MiB is over the ${
        (limit / 2 ** 20).toFixed(0)
      } MiB limit`,
    );
  }
  return problems;
}
