/**
 * One thread of the WebAssembly kernels' team (started by lib.ts): instantiates the module on the
 * shared memory with its own stack, then runs `rk_worker`, which sleeps until the main thread forks
 * a parallel region and never returns (lib.ts unrefs the worker, so it does not keep the process alive).
 *
 * @module
 */
import { parentPort } from "node:worker_threads";

interface Start {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  stackTop: number;
}

parentPort!.once("message", ({ module, memory, stackTop }: Start) => {
  const instance = new WebAssembly.Instance(module, { env: { memory, log: Math.log } });
  (instance.exports.__stack_pointer as WebAssembly.Global).value = stackTop;
  (instance.exports.rk_worker as () => void)();
});
