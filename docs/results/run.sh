#!/usr/bin/env bash
# Reproduces everything under docs/results/ (stories260K from ../shared, the default model from models/; CPU). Each step prints its
# table; the reports (JSON, HTML, SVG) land beside this script. Search documents come from the second
# half of the text (0.5:1), every comparison uses the first half (0:0.5): held out.
set -euo pipefail
cd "$(dirname "$0")/../.."
DENO=${DENO:-"npx --yes deno@2.9.6"}
MODEL=../shared/models/stories260K/stories260K.bin
TEXT=../shared/data/tinystories_valid_head.txt
OUT=docs/results

# 1. Every built-in strategy with its default parameters, extended 4x and 8x (issue 4).
$DENO task compare --strategies default,pi,ntk,dynamic-ntk,yarn,llama3,longrope,longrope2 \
  --model $MODEL --text $TEXT --text-range 0:0.5 --lengths 2048,4096 --samples 16 \
  --metrics ppl,needle,passkey,short --seed 0 --out $OUT/stories260K_builtin

# 2. LongRoPE and LongRoPE2 searched with equal budgets (needle-driven perplexity, story-pet needle),
#    then compared with PI, NTK, YaRN and Llama 3 on held-out documents (issue 5).
rm -rf $OUT/search && mkdir -p $OUT/search   # a search never overwrites its journal; start clean
SEARCH="--population 16 --generations 8 --parents 8 --mutations 4 --crossovers 4 --budget 80 \
  --samples 4 --template story-pet --fitness needle --text-range 0.5:1 --seed 0 --quiet"
for T in 2048 4096; do
  for S in longrope longrope2; do
    $DENO task search --strategy $S --model $MODEL --text $TEXT --target $T $SEARCH \
      --out $OUT/search/${S}_$T.json
  done
  $DENO task compare --strategies pi,ntk,yarn,llama3,longrope@$OUT/search/longrope_$T.json,longrope2@$OUT/search/longrope2_$T.json \
    --model $MODEL --text $TEXT --text-range 0:0.5 --lengths $T --target $T --samples 16 \
    --metrics ppl,needle,passkey,short --seed 1 --out $OUT/stories260K_searched_$T
done

# 3. One LongRoPE2 search with the official hyper-parameters (population 64, 40 generations, 32 parents,
#    16 + 16 children; 1,344 evaluations at most), timed (issue 5: under 30 minutes at 2048).
rm -rf $OUT/search_full && mkdir -p $OUT/search_full
$DENO task search --strategy longrope2 --model $MODEL --text $TEXT --target 2048 --samples 4 \
  --template story-pet --fitness needle --text-range 0.5:1 --seed 0 --quiet \
  --out $OUT/search_full/longrope2_2048_default_hparams.json

# 4. Fine-tuning (issue 8), LongRoPE2's table in miniature: PI, NTK, YaRN and searched LongRoPE2, each
#    training-free, then fine-tuned with an equal budget without and with mixed context windows, on ropekit's
#    default model (256 -> 2048, 8x) and on stories260K (512 -> 2048, 4x). Writes docs/results/finetune/*/table.md.
rm -rf $OUT/finetune .cache/finetune
$DENO run -A tools/finetune_results.ts default
$DENO run -A tools/finetune_results.ts stories260K
