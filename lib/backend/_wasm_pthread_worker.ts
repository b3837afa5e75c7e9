/**
 * Pthread worker for the threaded SIMD build of tfjs-backend-wasm under Deno.
 *
 * The Emscripten build shipped in tfjs-backend-wasm 4.22.0 expects, in Node, a
 * worker script at a file path and an `importScripts` global; in Deno it passes
 * a `blob:` URL, which `node:worker_threads` rejects. `wasm_setup.ts` therefore
 * starts this module as the worker instead. It speaks the same message protocol
 * as Emscripten's own pthread worker (`load`, `run`, `cancel`,
 * `processProxyingQueue` in; `loaded`, `callHandler` and the runtime's own
 * messages out), and evaluates the module factory that the main thread sends as
 * a Blob with `process` hidden, so the factory takes its plain-worker paths.
 *
 * This file is loaded only as a worker; it exports nothing.
 *
 * References:
 * - Emscripten pthreads: https://emscripten.org/docs/porting/pthreads.html
 */
import { parentPort } from "node:worker_threads";

// deno-lint-ignore no-explicit-any
type EmModule = Record<string, any>;

if (parentPort === null) {
  throw new TypeError("Cannot start wasm pthread worker: not running inside node:worker_threads");
}
const port = parentPort;

let module: EmModule = {};
let initializedJs = false;
const pendingQueues: number[] = [];

function post(message: unknown, transfer?: readonly Transferable[]): void {
  // deno-lint-ignore no-explicit-any
  port.postMessage(message, transfer as any);
}

/** Emscripten calls this global once the pthread's runtime is ready. */
function startWorker(instance: EmModule): void {
  module = instance;
  post({ cmd: "loaded" });
}

// Minimal equivalents of the tslib helpers the bundled factory source refers to.
function values<T>(o: Iterable<T>): Iterator<T> {
  return o[Symbol.iterator]();
}
function read<T>(o: Iterable<T>, n?: number): T[] {
  const all = Array.from(o);
  return n === undefined ? all : all.slice(0, n);
}
function spreadArray<T>(to: T[], from: Iterable<T>): T[] {
  return to.concat(Array.from(from));
}

const FACTORY_PARAMS = [
  "process", // hidden: makes ENVIRONMENT_IS_NODE false inside the factory
  "require",
  "__dirname",
  "__filename",
  "_scriptDir",
  "require$$0",
  "require$$1",
  "require$$3",
  "require$$4",
  "commonjsGlobal",
  "__values",
  "__read",
  "__spreadArray",
  "postMessage",
  "startWorker",
];

async function load(data: EmModule): Promise<void> {
  module["wasmModule"] = data["wasmModule"];
  for (const handler of data["handlers"] as string[]) {
    module[handler] = (...args: unknown[]) => post({ cmd: "callHandler", handler, args });
  }
  module["wasmMemory"] = data["wasmMemory"];
  module["buffer"] = module["wasmMemory"].buffer;
  module["ENVIRONMENT_IS_PTHREAD"] = true;
  module["instantiateWasm"] = (
    info: WebAssembly.Imports,
    receive: (i: WebAssembly.Instance) => void,
  ) => {
    const instance = new WebAssembly.Instance(module["wasmModule"], info);
    receive(instance);
    module["wasmModule"] = null;
    return instance.exports;
  };
  const src = data["urlOrBlob"];
  const text = typeof src === "string" ? await Deno.readTextFile(src) : await (src as Blob).text();
  const make = new Function(...FACTORY_PARAMS, `${text}\nreturn WasmBackendModuleThreadedSimd;`);
  const factory = make(
    undefined,
    undefined,
    "",
    "",
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    globalThis,
    values,
    read,
    spreadArray,
    post,
    startWorker,
  ) as (m: EmModule) => Promise<EmModule>;
  await factory(module);
}

function run(data: EmModule): void {
  module["__emscripten_thread_init"](data["pthread_ptr"], 0, 0, 1);
  module["establishStackSpace"]();
  module["PThread"].receiveObjectTransfer(data);
  module["PThread"].threadInitTLS();
  if (!initializedJs) {
    for (const q of pendingQueues) module["executeNotifiedProxyingQueue"](q);
    pendingQueues.length = 0;
    initializedJs = true;
  }
  try {
    module["invokeEntryPoint"](data["start_routine"], data["arg"]);
  } catch (ex) {
    if (ex === "unwind") return;
    if (ex instanceof module["ExitStatus"]) {
      if (!module["keepRuntimeAlive"]()) {
        module["__emscripten_thread_exit"]((ex as { status: number }).status);
      }
      return;
    }
    throw ex;
  }
}

port.on("message", (data: EmModule) => {
  const cmd = data["cmd"];
  if (cmd === "load") {
    load(data).catch((e) => {
      console.error("wasm pthread worker failed to load:", e);
      throw e;
    });
  } else if (cmd === "run") {
    run(data);
  } else if (cmd === "cancel") {
    if (module["_pthread_self"]()) module["__emscripten_thread_exit"](-1);
  } else if (cmd === "processProxyingQueue") {
    if (initializedJs) module["executeNotifiedProxyingQueue"](data["queue"]);
    else pendingQueues.push(data["queue"]);
  } else if (data["target"] === "setimmediate") {
    // nothing to do: Emscripten's setImmediate polyfill echo
  } else if (cmd) {
    console.error(`wasm pthread worker received unknown command "${cmd}"`);
  }
});
