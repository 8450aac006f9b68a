/**
 * `deno task tokenize`: the token ids (and pieces) of a text under a model's tokenizer.
 *
 *   deno task tokenize --model M --text "..." [--no-bos] [--json]
 *
 * @module
 */
import { loadModelFromFlags, MODEL_OPTIONS, MODEL_USAGE, parseFlags, required, runCommand } from "./args.ts";

const USAGE = `Usage: deno task tokenize --model M --text TEXT [options]

  --text TEXT            the text (literal, not a file)
  --no-bos               do not prepend BOS
  --json                 print {"ids": [...], "pieces": [...]}
${MODEL_USAGE}`;

await runCommand(async () => {
  const values = parseFlags(Deno.args, {
    ...MODEL_OPTIONS,
    text: { type: "string" },
    "no-bos": { type: "boolean" },
    json: { type: "boolean" },
  });
  if (values.help) return console.log(USAGE);
  const text = required(values, "text");
  const model = await loadModelFromFlags(values);
  const ids = model.tokenizer.encode(text, { bos: !values["no-bos"] });
  const pieces = ids.map((id) => model.tokenizer.piece(id));
  if (values.json) return console.log(JSON.stringify({ ids, pieces }));
  console.log(ids.map((id, i) => `${id}\t${JSON.stringify(pieces[i])}`).join("\n"));
});
