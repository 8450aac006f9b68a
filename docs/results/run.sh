#!/usr/bin/env bash
# Reproduces everything under docs/results/ (stories260K from ../shared, the default model from models/; CPU).
# Each step prints its table; the reports (JSON, HTML, SVG) land beside this script.
#
# Search documents and evaluation documents never meet:
#   stories260K  searches draw from the second half of the TinyStories text (0.5:1: its first 75% for the
#                search, its last 25% for re-scoring the finalists); every comparison uses the first half (0:0.5).
#   facts837K    searches draw from models/facts837K/search.txt (another seed of the same generator, no
#                paragraph in common); every comparison and the fine-tuning results use models/facts837K/eval.txt.
#
# Budgets that fit a 2-core machine (docs/search.md has the official budget's time): every search runs
# population 16, 4 generations of 4 mutations + 4 crossovers from 8 parents (48 evaluations), 16 needle
# documents at the start of the text, then re-scores its 5 best on fresh documents; 3 seeds each. Measured per
# evaluation here: ~3.3 s for stories260K at 2048, ~6.4 s for facts837K at 2048, so ~3 and ~6 minutes per seed;
# 4096 takes several times longer. A stopped search continues from its journal: rerun with `--resume`.
# Set FULL=1 to add one search with the official budget (hours; see docs/search.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
DENO=${DENO:-"npx --yes deno@2.9.6"}
MODEL=../shared/models/stories260K/stories260K.bin
TEXT=../shared/data/tinystories_valid_head.txt
FACTS=models/facts837K/model.bin
FACTS_SEARCH_TEXT=models/facts837K/search.txt
OUT=docs/results
SEEDS=3
BUDGET="--population 16 --generations 4 --parents 8 --mutations 4 --crossovers 4 --finalists 5 \
  --seeds $SEEDS --seed 0 --quiet"

# The result of seed s of a --seeds search, for compare entries: NAME@FILE for every seed.
seed_entries() { # strategy stem
  local s out=""
  for s in $(seq 0 $((SEEDS - 1))); do out+=",$1@$2_seed$s.json"; done
  echo "${out#,}"
}
# The seed whose finalist re-scored best (all seeds re-score on the same documents), copied to STEM.json.
keep_best() { # stem
  local best
  best=$($DENO eval 'console.log(JSON.parse(Deno.readTextFileSync(Deno.args[0])).best.file)' "$1_seeds.json")
  cp "$best" "$1.json"
}

# 1. Every built-in strategy with its default parameters, extended 4x and 8x (issue 4).
$DENO task compare --strategies default,pi,ntk,dynamic-ntk,yarn,llama3,longrope,longrope2 \
  --model $MODEL --text $TEXT --text-range 0:0.5 --lengths 2048,4096 --samples 16 \
  --metrics ppl,needle,passkey,short --seed 0 --out $OUT/stories260K_builtin

# 2. stories260K: LongRoPE and LongRoPE2 searched with equal budgets and 3 seeds (needle-driven perplexity,
#    story-pet needle), then every seed's result compared with PI, NTK, YaRN and Llama 3 on held-out text.
rm -rf $OUT/search && mkdir -p $OUT/search   # a search never overwrites its journal; start clean
for T in 2048 4096; do
  for S in longrope longrope2; do
    $DENO task search --strategy $S --model $MODEL --text $TEXT --target $T --template story-pet \
      --fitness needle --text-range 0.5:1 $BUDGET --out $OUT/search/${S}_$T.json
    keep_best $OUT/search/${S}_$T
  done
  $DENO task compare \
    --strategies "pi,ntk,yarn,llama3,$(seed_entries longrope $OUT/search/longrope_$T),$(seed_entries longrope2 $OUT/search/longrope2_$T)" \
    --model $MODEL --text $TEXT --text-range 0:0.5 --lengths $T --target $T --samples 16 \
    --metrics ppl,needle,passkey,short --seed 1 --out $OUT/stories260K_searched_$T
done

# 3. facts837K (ropekit's default model, 256 -> 2048): LongRoPE2 searched on its own search text, 3 seeds,
#    then compared on eval.txt (held out) with the unsearched defaults and the other strategies. The
#    template is chosen by the search (the paper's magic number only where the model can use it).
mkdir -p $OUT/search_facts837K
$DENO task search --strategy longrope2 --model $FACTS --text $FACTS_SEARCH_TEXT --text-range 0:1 \
  --target 2048 --fitness needle $BUDGET --out $OUT/search_facts837K/longrope2_2048.json
keep_best $OUT/search_facts837K/longrope2_2048
$DENO task compare \
  --strategies "pi,ntk,yarn,longrope2,$(seed_entries longrope2 $OUT/search_facts837K/longrope2_2048)" \
  --model $FACTS --text models/facts837K/eval.txt --lengths 2048 --target 2048 --samples 16 --seed 1 \
  --out $OUT/facts837K_searched_2048

# 4. Optional (FULL=1): one LongRoPE2 search with the official hyper-parameters (population 64, 40
#    generations, 32 parents, 16 + 16 children: 1,344 evaluations and 5 finalists), timed.
if [ "${FULL:-0}" = 1 ]; then
  rm -rf $OUT/search_full && mkdir -p $OUT/search_full
  $DENO task search --strategy longrope2 --model $MODEL --text $TEXT --target 2048 \
    --template story-pet --fitness needle --text-range 0.5:1 --seed 0 --quiet \
    --out $OUT/search_full/longrope2_2048_default_hparams.json
fi

# 5. Fine-tuning (issue 8), LongRoPE2's table in miniature: PI, NTK, YaRN and searched LongRoPE2, each
#    training-free, then fine-tuned with an equal budget without and with mixed context windows, on ropekit's
#    default model (256 -> 2048, 8x; its search runs on search.txt, evaluation on eval.txt) and on stories260K
#    (512 -> 2048, 4x; the best seed of step 2). Writes docs/results/finetune/*/table.md.
rm -rf $OUT/finetune .cache/finetune
$DENO run -A tools/finetune_results.ts default
$DENO run -A tools/finetune_results.ts stories260K
