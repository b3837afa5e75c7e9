// The layout rules of the README's "Layout" section, read from the import lines:
// rooms are levels, and an import may only point into its own room or a lower one;
// there is no import cycle; every shader has its wrapper; mask.method is read in one file.
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The rooms of lib/ and their levels (the files directly in lib/ are room "."). */
export const ROOM_LEVELS: Readonly<Record<string, number>> = {
  ".": 0,
  io: 1,
  config: 1,
  run: 1,
  gpu: 2,
  kernels: 3,
  backend: 4,
  data: 5,
  optim: 5,
  metrics: 5,
  masking: 6,
  model: 6,
  loss: 7,
  viz: 7,
  pretrain: 8,
  evaluate: 8,
  export: 8,
  finetune: 9,
  bench: 9,
  experiment: 10,
  pipeline: 10,
  tasks: 11,
};

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await tsFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Relative imports of a file's code (JSDoc examples and comments skipped), resolved from ROOT. */
export function importsOf(file: string, source: string): string[] {
  const out: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/g;
  for (const line of source.split("\n")) {
    const code = line.trimStart();
    if (code.startsWith("*") || code.startsWith("//") || code.startsWith("/*")) continue;
    for (const match of code.matchAll(pattern)) {
      out.push(normalize(join(dirname(file), match[1]!)));
    }
  }
  return out;
}

/** The room of a path under lib/ or tasks/. */
export function roomOf(path: string): string {
  const parts = relative(ROOT, join(ROOT, path)).split("/");
  if (parts[0] === "tasks") return "tasks";
  if (parts[0] !== "lib") throw new RangeError(`Not in lib/ or tasks/: ${path}`);
  return parts.length === 2 ? "." : parts[1]!;
}

const files = [...await tsFiles("lib"), ...await tsFiles("tasks")];
const sources = new Map(
  await Promise.all(
    files.map(async (f) => [f, await Deno.readTextFile(join(ROOT, f))] as const),
  ),
);
const graph = new Map(
  files.map((f) => [f, importsOf(f, sources.get(f)!).filter((t) => !t.startsWith("node_"))]),
);

Deno.test("layout: every lib/ room has a level", () => {
  for (const file of files) {
    assert.ok(roomOf(file) in ROOM_LEVELS, `${file}: room "${roomOf(file)}" has no level`);
  }
});

Deno.test("layout: imports point into their own room or a lower one", () => {
  const upward: string[] = [];
  for (const [file, targets] of graph) {
    const from = roomOf(file);
    for (const target of targets) {
      const to = roomOf(target);
      if (to !== from && ROOM_LEVELS[to]! >= ROOM_LEVELS[from]!) {
        upward.push(`${file} (${from}) imports ${target} (${to})`);
      }
    }
  }
  assert.deepEqual(upward, []);
});

Deno.test("layout: the import graph has no cycle", () => {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === "done") return null;
    if (state.get(file) === "open") return [...stack.slice(stack.indexOf(file)), file];
    state.set(file, "open");
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      const cycle = visit(target);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(file, "done");
    return null;
  };
  for (const file of files) assert.equal(visit(file)?.join(" -> ") ?? null, null);
});

Deno.test("layout: importsOf() and the rules catch an upward import and a cycle", () => {
  const fake = importsOf(
    "lib/kernels/x.ts",
    'import { a } from "../pretrain/y.ts";\n * import "./no.ts"',
  );
  assert.deepEqual(fake, ["lib/pretrain/y.ts"]);
  assert.ok(ROOM_LEVELS[roomOf(fake[0]!)]! > ROOM_LEVELS[roomOf("lib/kernels/x.ts")]!);
  assert.deepEqual(importsOf("lib/a.ts", 'export * from "./b.ts";\nawait import("./c.ts");'), [
    "lib/b.ts",
    "lib/c.ts",
  ]);
});

Deno.test("layout: every shader has its wrapper in lib/kernels/, named as the shader or its family", async () => {
  for await (const entry of Deno.readDir(join(ROOT, "shaders"))) {
    if (!entry.name.endsWith(".wgsl") || entry.name.startsWith("_")) continue;
    const name = entry.name.slice(0, -".wgsl".length);
    const owners = files.filter((f) =>
      f.startsWith("lib/kernels/") && sources.get(f)!.includes(`name: "${name}"`)
    );
    assert.equal(owners.length, 1, `shader ${name}: wrappers ${owners.join(", ") || "none"}`);
    const base = owners[0]!.slice("lib/kernels/".length, -".ts".length);
    assert.ok(name.startsWith(base), `shader ${name} is run by ${owners[0]}`);
  }
});

Deno.test("layout: mask.method is read in one file only (lib/masking/make_mask.ts)", () => {
  const readers = files.filter((f) =>
    !f.startsWith("lib/config/") &&
    sources.get(f)!.split("\n").some((line) => {
      const code = line.trimStart();
      // `mask.method=...` is an override string (tasks/protocol_check.ts), not a read
      return !code.startsWith("*") && !code.startsWith("//") && /\bmask\.method\b(?!=)/.test(code);
    })
  );
  assert.deepEqual(readers, ["lib/masking/make_mask.ts"]);
});
