import assert from "node:assert/strict";
import { RopekitError } from "../../util/errors.ts";
import { ModelFormatError } from "../../model/config.ts";
import { ValidationError } from "../../server/schema.ts";
import { PluginError } from "../../plugins/errors.ts";
import { CliError } from "../../cli/args.ts";

Deno.test("RopekitError: code from the class name, optional field and cause, name of the subclass", () => {
  const e = new ModelFormatError("m.bin: missing tensor wq");
  assert.ok(e instanceof RopekitError && e instanceof Error);
  assert.equal(e.name, "ModelFormatError");
  assert.equal(e.code, "model_format");
  assert.equal(e.field, undefined);
  assert.equal(e.message, "m.bin: missing tensor wq");
  const cause = new Error("inner");
  const f = new RopekitError("bad", { field: "lengths[2]", code: "custom", cause });
  assert.deepEqual([f.code, f.field, f.cause], ["custom", "lengths[2]", cause]);
  assert.equal(new CliError("--x").code, "cli"); // a subclass that sets nothing
});

Deno.test("subclasses keep their own fields: ValidationError's field, PluginError's code", () => {
  const v = new ValidationError("lengths[0]", "must be finite");
  assert.ok(v instanceof RopekitError);
  assert.equal(v.field, "lengths[0]");
  assert.equal(v.code, "validation");
  const p = new PluginError("PLUGIN_UNREACHABLE", "https://x.example/p.ts", "took too long");
  assert.ok(p instanceof RopekitError);
  assert.equal(p.code, "PLUGIN_UNREACHABLE");
});
