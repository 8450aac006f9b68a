/** Messages between the server and its compare worker. @module */
import type { CompareReport } from "../compare/compare.ts";
import type { Params, RopeContext, RopeSpec, RopeTable } from "../strategies/types.ts";
import type { ProgressEvent } from "../util/progress.ts";
import type { CompareJobSpec } from "./compare_job.ts";

/** Host → worker. */
export type HostMessage =
  /** `cancelFlag`: an Int32Array's SharedArrayBuffer; non-zero asks the running job to stop. */
  | { type: "run"; spec: CompareJobSpec; cancelFlag: SharedArrayBuffer; queueUrl?: string }
  | { type: "table-reply"; id: number; table?: RopeTable; error?: string };

/** Worker → host. */
export type WorkerMessage =
  | { type: "progress"; event: ProgressEvent }
  | { type: "done"; report: CompareReport }
  | { type: "failed"; error: string; cancelled: boolean }
  | {
    type: "table";
    id: number;
    name: string;
    plugin?: string;
    spec: RopeSpec;
    ctx: RopeContext;
    params: Params;
  };
