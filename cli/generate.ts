/**
 * `deno task generate`: greedy decoding, streamed to stdout.
 *
 *   deno task generate --model M --prompt "..." [--tokens N] [--strategy S --param k=v]...
 *
 * @module
 */
import {
  loadModelFromFlags,
  MODEL_OPTIONS,
  MODEL_USAGE,
  parseFlags,
  positiveInt,
  required,
  runCommand,
  STRATEGY_OPTIONS,
  STRATEGY_USAGE,
  tableFromFlags,
} from "./args.ts";

const USAGE = `Usage: deno task generate --model M --prompt TEXT [options]

  --prompt TEXT          text to continue (BOS is prepended)
  --tokens N             new tokens at most (default 256); stops early at EOS
${STRATEGY_USAGE}
${MODEL_USAGE}`;

await runCommand(async () => {
  const values = parseFlags(Deno.args, {
    ...MODEL_OPTIONS,
    ...STRATEGY_OPTIONS,
    prompt: { type: "string" },
    tokens: { type: "string" },
  });
  if (values.help) return console.log(USAGE);
  const prompt = required(values, "prompt");
  const maxTokens = positiveInt("--tokens", values.tokens) ?? 256;
  const model = await loadModelFromFlags(values);
  const ids = model.tokenizer.encode(prompt);
  // Length-dependent strategies see the longest sequence this run can reach.
  const table = await tableFromFlags(values, model.spec, ids.length + maxTokens, model.configRope);
  const out = new TextEncoder();
  const write = (s: string) => Deno.stdout.writeSync(out.encode(s));
  const decode = model.tokenizer.streamDecoder();
  for (const id of ids) write(decode(id));
  await model.generate(ids, table, maxTokens, (id) => write(decode(id)));
  write(decode(-1) + "\n");
});
