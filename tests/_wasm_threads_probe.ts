/**
 * Starts tfjs's threaded wasm backend with 2 threads and runs one op, for
 * tests/launch_test.ts: its pthread workers must not read the environment
 * (reading it all would ask for permission on a terminal).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";

const result = await setupWasmBackend({ threads: 2 });
const sum = tf.sum(tf.ones([64, 64])).dataSync()[0];
console.log(`wasm threads ${result.threads}, sum ${sum}`);
