import assert from "node:assert/strict";
import { DEFAULT_CONFIG, loadConfig, validateConfig } from "../lib/config/pretrain_config.ts";
import { applyOverride } from "../lib/config/load_config.ts";
import { ConfigError } from "../lib/errors.ts";

async function withYaml(text: string, fn: (path: string) => Promise<void>) {
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

function rejectsKey(key: string, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.key, key);
    assert.match(e.message, pattern);
    return true;
  };
}

Deno.test("validateConfig() accepts the defaults", () => {
  assert.deepEqual(validateConfig(structuredClone(DEFAULT_CONFIG)), DEFAULT_CONFIG);
});

Deno.test("loadConfig() merges a YAML file and overrides onto the defaults", async () => {
  await withYaml("train:\n  epochs: 3 # short\nmask:\n  maskRatio: 0.25\n", async (path) => {
    const config = await loadConfig(path, ["--optim.lr=0.01", "run.name=abc"]);
    assert.equal(config.train.epochs, 3);
    assert.equal(config.mask.maskRatio, 0.25);
    assert.equal(config.optim.lr, 0.01);
    assert.equal(config.run.name, "abc");
    assert.equal(config.train.batchSize, DEFAULT_CONFIG.train.batchSize);
  });
});

Deno.test("loadConfig() names the key of an unknown key, a wrong type and an out-of-range value", async () => {
  await withYaml("train:\n  epoch: 3\n", async (path) => {
    await assert.rejects(loadConfig(path), rejectsKey("train.epoch", /unknown key/));
  });
  await withYaml("train:\n  epochs: three\n", async (path) => {
    await assert.rejects(
      loadConfig(path),
      rejectsKey("train.epochs", /expected a number, got string/),
    );
  });
  await withYaml("mask:\n  maskRatio: 1.5\n", async (path) => {
    await assert.rejects(
      loadConfig(path),
      rejectsKey("mask.maskRatio", /not a number in \[0, 1\)/),
    );
  });
  await withYaml("bogus: 1\n", async (path) => {
    await assert.rejects(loadConfig(path), rejectsKey("bogus", /unknown key/));
  });
  await assert.rejects(
    loadConfig(undefined, ["train.epochs=2.5"]),
    rejectsKey("train.epochs", /integer/),
  );
  await assert.rejects(
    loadConfig(undefined, ["mask.method=magic"]),
    rejectsKey("mask.method", /not one of/),
  );
  await assert.rejects(
    loadConfig(undefined, ["train=5"]),
    rejectsKey("train", /expected a mapping/),
  );
  await assert.rejects(
    loadConfig(undefined, ["mask.patchSize=6"]),
    rejectsKey("mask.patchSize", /does not divide data.size 64/),
  );
});

Deno.test("loadConfig() reports YAML syntax errors with the file and line", async () => {
  await withYaml("train:\n  epochs: [1, 2\n", async (path) => {
    await assert.rejects(loadConfig(path), (e: unknown) => {
      assert.ok(e instanceof SyntaxError);
      assert.ok(e.message.includes(path));
      assert.match(e.message, /line \d+/);
      return true;
    });
  });
});

Deno.test("applyOverride() parses scalars as YAML", () => {
  const out = applyOverride({ a: { b: 1, c: "x", d: false } }, "a.d=true") as { a: { d: unknown } };
  assert.equal(out.a.d, true);
  assert.throws(() => applyOverride({}, "novalue"), ConfigError);
});

Deno.test("every configs/*.yaml for pretraining loads", async () => {
  for await (const entry of Deno.readDir(new URL("../configs/", import.meta.url))) {
    if (!entry.name.startsWith("pretrain_")) continue;
    const path = new URL(`../configs/${entry.name}`, import.meta.url).pathname;
    await loadConfig(path); // throws on a bad file
  }
});
