import assert from "node:assert/strict";
import { REPO } from "../tasks/launch.ts";

const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));

/** The README's demo script, importing this clone's mod.ts. */
function demoScript(): string {
  const start = README.indexOf("<!-- script:demo -->");
  const end = README.indexOf("<!-- /script:demo -->");
  const code = /```ts\n([\s\S]*?)```/.exec(README.slice(start, end))?.[1];
  assert.ok(start >= 0 && code, "README.md has the demo script between its markers");
  assert.ok(code.includes('"/path/to/medmim/mod.ts"'));
  return code.replace("/path/to/medmim/", REPO);
}

/** The README's command line, for this clone. */
const FLAGS = [
  "--no-prompt",
  "--config",
  "/path/to/medmim/deno.json",
  "--allow-read=/path/to/medmim,.",
  "--allow-write=.",
  "--allow-sys=cpus",
  "--allow-env=MEDMIM_WASM_THREADS,MEDMIM_DEBUG,MIM_PRINT_SHADER,LOG_TOKENS,LOG_STREAM",
];

Deno.test("README's single-file script runs from a folder outside the repository and prints the same table twice", async () => {
  assert.ok(README.includes(`deno run ${FLAGS.join(" ")} demo.ts`), "README shows these flags");
  const tables: string[] = [];
  for (let i = 0; i < 2; i++) {
    const dir = await Deno.makeTempDir({ prefix: "medmim_script_" });
    try {
      assert.ok(!dir.startsWith(REPO));
      await Deno.writeTextFile(`${dir}/demo.ts`, demoScript());
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...FLAGS.map((f) => f.replaceAll("/path/to/medmim", REPO.replace(/\/$/, ""))),
          "demo.ts",
        ],
        cwd: dir,
        stdin: "null",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      tables.push(new TextDecoder().decode(out.stdout));
      assert.ok((await Deno.stat(`${dir}/runs/finetune_encoder_decoder/eval/metrics.md`)).isFile);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  const [first, second] = tables;
  assert.match(first!, /^\| run \| n \| DSC/);
  assert.match(first!, /\| from scratch \| 3 \|/, "3 test phantoms of 30");
  assert.match(first!, /\| from encoder_decoder \| 3 \|/);
  assert.equal(second, first);
});
