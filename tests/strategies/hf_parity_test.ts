/**
 * Hugging Face transformers parity: `ropeFromHfConfig(config, { seqLen })` against HF's own
 * `inv_freq` / `attention_factor` for the same config.json (see docs/hf_parity.md).
 *
 * - Fixture mode (always): tests/fixtures/hf_rope_cases.json, made by tools/gen_rope_cases.py +
 *   tools/hf_rope_reference.py. Budget: ≤ 2 float32 ulps per inv_freq entry, ≤ 1e-12 relative on
 *   the attention factor; configs HF rejects must throw.
 * - Live mode (when ROPEKIT_HF_PYTHON names a python with torch + transformers): ~200 fresh random
 *   cases from a random seed (printed; pin with ROPEKIT_HF_SEED, size with ROPEKIT_HF_N).
 */
import assert from "node:assert/strict";
import { ropeFromHfConfig } from "../../strategies/hf_config.ts";
import { getTorchCpu, setTorchCpu, type TorchCpu } from "../../strategies/float32.ts";

const MAX_ULPS = 2;
const MAX_ATT_REL = 1e-12;

interface HfOk {
  ok: true;
  inv_freq: number[];
  attention_factor: number;
  rope_type: string;
  rotary_dim: number;
  resolved: Record<string, unknown>;
  warnings?: string[];
  /** The model's attention multiplies its softmax scale by this (DeepSeek `yarn_apply_mscale`). */
  softmax_scale?: number;
}
interface HfErr {
  ok: false;
  stage: string;
  error: string;
}
interface Case {
  id: string;
  group?: string;
  note?: string;
  config: Record<string, unknown>;
  seq_len: number | null;
  /** One layer type of a transformers 5 `rope_parameters` nested per layer type. */
  layer_type?: string;
  known_hf_bug?: string;
  hf: HfOk | HfErr;
}

// ---- float32 ulp distance via the int bit patterns ------------------------------------------------
const f32buf = new Float32Array(1);
const i32buf = new Int32Array(f32buf.buffer);

/** Maps a float32 to an integer that is monotone in the float's value (−0 and +0 both map to 0). */
function orderedBits(x: number): number {
  f32buf[0] = x;
  const i = i32buf[0];
  return i < 0 ? -2147483648 - i : i;
}

/** Distance in float32 ulps between two numbers (each rounded to float32 first). NaN → Infinity. */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Infinity;
  return Math.abs(orderedBits(a) - orderedBits(b));
}

// ---- comparison -----------------------------------------------------------------------------------
type FailKind =
  | "threw" // HF accepts, ropekit throws
  | "length" // different number of frequencies
  | "ulps" // an inv_freq entry more than MAX_ULPS away
  | "attention" // attention factor off by more than MAX_ATT_REL
  | "choice" // LongRoPE long/short pick differs from HF's seq_len rule
  | "accepted"; // HF rejects, ropekit returns a table

interface Failure {
  id: string;
  kind: FailKind;
  detail: string;
  note?: string;
  config: Record<string, unknown>;
  seqLen: number | null;
}

interface Stats {
  cases: number;
  compared: number;
  rejectedAgreed: number;
  maxUlps: number;
  maxUlpsId: string;
  ulpHistogram: Map<number, number>;
  maxAttRel: number;
  maxAttRelId: string;
  notFloat32: number;
  knownHfBugAccepted: string[];
  unknownTypeAccepted: string[];
  failures: Failure[];
}

function newStats(): Stats {
  return {
    cases: 0,
    compared: 0,
    rejectedAgreed: 0,
    maxUlps: 0,
    maxUlpsId: "",
    ulpHistogram: new Map(),
    maxAttRel: 0,
    maxAttRelId: "",
    notFloat32: 0,
    knownHfBugAccepted: [],
    unknownTypeAccepted: [],
    failures: [],
  };
}

/** HF's LongRoPE init: long factors iff `seq_len and seq_len > original_max_position_embeddings`. */
function expectedChoice(c: Case, hf: HfOk): "long" | "short" | undefined {
  if (hf.rope_type !== "longrope") return undefined;
  const o = hf.resolved.original_max_position_embeddings as number;
  return c.seq_len && c.seq_len > o ? "long" : "short";
}

async function compareCase(c: Case, st: Stats): Promise<void> {
  st.cases++;
  const fail = (kind: FailKind, detail: string) =>
    st.failures.push({ id: c.id, kind, detail, note: c.note, config: c.config, seqLen: c.seq_len });
  const seqLen = c.seq_len ?? undefined;
  let ours: Awaited<ReturnType<typeof ropeFromHfConfig>> | undefined;
  let err: unknown;
  try {
    // A deep copy: ropekit must not depend on (or mutate) the fixture object.
    ours = await ropeFromHfConfig(structuredClone(c.config), { seqLen, layerType: c.layer_type });
  } catch (e) {
    err = e;
  }
  const hf = c.hf;
  if (!hf.ok) {
    if (ours === undefined) {
      st.rejectedAgreed++;
    } else if (c.known_hf_bug) {
      st.knownHfBugAccepted.push(c.id);
    } else if (hf.stage === "init" && /^KeyError: '[^']*'$/.test(hf.error)) {
      // HF has no init function for this rope_type on this model class (e.g. ropekit's own "ntk", or
      // "su" outside Phi3Config). Accepting it is a ropekit extension, reported but not a failure.
      st.unknownTypeAccepted.push(`${c.id} (${hf.error.slice(10)} -> ${ours.ropeType})`);
    } else {
      fail(
        "accepted",
        `HF rejects (${hf.stage}: ${hf.error.split("\n").join(" ").slice(0, 200)}); ropekit returned ` +
          `${ours.ropeType} with ${ours.chosen.invFreq.length} frequencies`,
      );
    }
    return;
  }
  if (ours === undefined && /rotary_dim must be even/.test(String((err as Error)?.message))) {
    // An odd rotary dim: HF's init returns ceil(d/2) frequencies, but no model can rotate an odd
    // number of channels in pairs, so ropekit refuses the config up front (documented deviation).
    st.unknownTypeAccepted.push(`${c.id} (odd rotary dim refused by design)`);
    return;
  }
  if (ours === undefined) {
    fail(
      "threw",
      `HF accepts (${hf.rope_type}, ${hf.inv_freq.length} freqs); ropekit threw: ${
        (err as Error)?.message ?? err
      }`,
    );
    return;
  }
  st.compared++;
  const mine = ours.chosen.invFreq;
  if (mine.length !== hf.inv_freq.length) {
    fail(
      "length",
      `HF ${hf.inv_freq.length} frequencies (rotary_dim ${hf.rotary_dim}), ropekit ${mine.length}`,
    );
    return;
  }
  let worst = 0, worstI = 0;
  for (let i = 0; i < mine.length; i++) {
    if (Math.fround(mine[i]) !== mine[i]) st.notFloat32++;
    const u = ulpDistance(mine[i], hf.inv_freq[i]);
    st.ulpHistogram.set(Math.min(u, 99), (st.ulpHistogram.get(Math.min(u, 99)) ?? 0) + 1);
    if (u > worst) {
      worst = u;
      worstI = i;
    }
  }
  if (worst > st.maxUlps) {
    st.maxUlps = worst;
    st.maxUlpsId = c.id;
  }
  if (worst > MAX_ULPS) {
    let bad = 0;
    for (let i = 0; i < mine.length; i++) if (ulpDistance(mine[i], hf.inv_freq[i]) > MAX_ULPS) bad++;
    fail(
      "ulps",
      `${bad}/${mine.length} entries > ${MAX_ULPS} ulps; worst i=${worstI}: HF ${
        hf.inv_freq[worstI]
      } vs ours ` +
        `${mine[worstI]} (${worst === Infinity ? "NaN" : worst} ulps)`,
    );
  }
  const a = ours.chosen.attentionScale, b = hf.attention_factor;
  const rel = Math.abs(a - b) / Math.abs(b);
  if (!(rel <= st.maxAttRel)) {
    if (Number.isFinite(rel)) {
      st.maxAttRel = rel;
      st.maxAttRelId = c.id;
    }
  }
  if (!(rel <= MAX_ATT_REL)) fail("attention", `HF ${b} vs ours ${a} (rel ${rel.toExponential(3)})`);
  // The softmax factor is the model's (DeepSeek's attention), checked where HF's model class has one.
  if (hf.softmax_scale !== undefined) {
    const mineSoftmax = ours.table.softmaxScale ?? 1;
    const srel = Math.abs(mineSoftmax - hf.softmax_scale) / hf.softmax_scale;
    if (!(srel <= MAX_ATT_REL)) {
      fail("attention", `softmax scale: HF ${hf.softmax_scale} vs ours ${mineSoftmax}`);
    }
  }
  const want = expectedChoice(c, hf);
  if (want !== undefined && ours.chosen.choice !== want) {
    fail(
      "choice",
      `seq_len ${c.seq_len}, O ${hf.resolved.original_max_position_embeddings}: HF ${want}, ours ${ours.chosen.choice}`,
    );
  }
}

function report(title: string, st: Stats): string {
  const hist = [...st.ulpHistogram.entries()].sort((x, y) => x[0] - y[0])
    .map(([u, n]) => `${u === 99 ? "≥99" : u}:${n}`).join(" ");
  const lines = [
    `${title}: ${st.cases} cases, ${st.compared} compared, ${st.rejectedAgreed} rejected by both, ` +
    `${st.failures.length} failures`,
    `  max ulps seen ${st.maxUlps}${st.maxUlpsId ? ` (${st.maxUlpsId})` : ""}; ulp histogram ${hist || "-"}`,
    `  max attention-factor rel error ${st.maxAttRel.toExponential(3)}${
      st.maxAttRelId ? ` (${st.maxAttRelId})` : ""
    }`,
  ];
  if (st.notFloat32) lines.push(`  note: ${st.notFloat32} ropekit inv_freq entries are not float32 values`);
  if (st.knownHfBugAccepted.length) {
    lines.push(
      `  accepted where HF rejects because of a known HF bug (allowed): ${st.knownHfBugAccepted.join(", ")}`,
    );
  }
  if (st.unknownTypeAccepted.length) {
    lines.push(
      `  accepted a rope_type HF does not know for that model (allowed): ${
        st.unknownTypeAccepted.join(", ")
      }`,
    );
  }
  const byKind = new Map<string, Failure[]>();
  for (const f of st.failures) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
  for (const [kind, fs] of byKind) {
    lines.push(`  -- ${kind}: ${fs.length}`);
    for (const f of fs) {
      lines.push(`     ${f.id} [seq_len ${f.seqLen}] ${f.detail}`);
      if (f.note) lines.push(`        note: ${f.note}`);
      lines.push(
        `        config: ${
          JSON.stringify(f.config, (_k, v) => Array.isArray(v) && v.length > 6 ? `[${v.length} numbers]` : v)
        }`,
      );
    }
  }
  return lines.join("\n");
}

async function runCases(title: string, cases: Case[]): Promise<Stats> {
  const st = newStats();
  for (const c of cases) await compareCase(c, st);
  console.log(report(title, st));
  return st;
}

// ---- fixture mode -----------------------------------------------------------------------------------
Deno.test("hf parity: ulp helper", () => {
  assert.equal(ulpDistance(1, 1), 0);
  assert.equal(ulpDistance(1, 1 + 2 ** -23), 1);
  assert.equal(ulpDistance(1, 1 - 2 ** -24), 1);
  assert.equal(ulpDistance(0, -0), 0);
  assert.equal(ulpDistance(2 ** -149, -(2 ** -149)), 2);
  assert.equal(ulpDistance(1, 1 + 3 * 2 ** -23), 3);
  assert.equal(ulpDistance(NaN, 1), Infinity);
});

/** The PyTorch CPU kernel a fixture was made with (its `cpu_capability`), for ropekit's pow emulation. */
function torchCpuOf(capability: string | undefined): TorchCpu {
  const c = (capability ?? "").toUpperCase();
  return c.startsWith("AVX512") ? "avx512" : c.startsWith("AVX2") ? "avx2" : "scalar";
}

// Two fixtures of the same cases: PyTorch's AVX2 kernels (SLEEF powf, what x86 users get) and its
// scalar path (ATEN_CPU_CAPABILITY=default, glibc powf). ropekit emulates either bit for bit.
for (const file of ["hf_rope_cases.json", "hf_rope_cases_scalar.json"]) {
  Deno.test(`hf parity: fixture (tests/fixtures/${file})`, async () => {
    // ROPEKIT_HF_FIXTURE: compare against another fixture file (e.g. one generated on another CPU).
    const path = (file === "hf_rope_cases.json" ? envGet("ROPEKIT_HF_FIXTURE") : undefined) ??
      new URL(`../fixtures/${file}`, import.meta.url);
    const fixture = JSON.parse(await Deno.readTextFile(path)) as {
      generated_by: string;
      transformers: string;
      torch: string;
      cpu_capability?: string;
      cases: Case[];
    };
    assert.ok(fixture.cases.length >= 250, "fixture has too few cases");
    const before = getTorchCpu();
    setTorchCpu(torchCpuOf(fixture.cpu_capability));
    try {
      const st = await runCases(
        `HF parity vs transformers ${fixture.transformers} (torch ${fixture.torch}, CPU ${fixture.cpu_capability})`,
        fixture.cases,
      );
      assert.equal(st.failures.length, 0, `${st.failures.length} HF parity failures (listed above)`);
    } finally {
      setTorchCpu(before);
    }
  });
}

// ---- live mode --------------------------------------------------------------------------------------
function envGet(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: live mode off
  }
}

const LIVE_PYTHON = envGet("ROPEKIT_HF_PYTHON");

async function runPython(python: string, args: string[], stdin?: string): Promise<string> {
  const cmd = new Deno.Command(python, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `${python} ${args.join(" ")} failed (${out.code}):\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return text;
}

Deno.test({
  name: "hf parity: live (ROPEKIT_HF_PYTHON)",
  ignore: LIVE_PYTHON === undefined,
  async fn() {
    const python = LIVE_PYTHON!;
    const seedEnv = envGet("ROPEKIT_HF_SEED");
    const seed = seedEnv !== undefined ? Number(seedEnv) : Math.floor(Math.random() * 2 ** 31);
    const n = Number(envGet("ROPEKIT_HF_N") ?? 200);
    const tool = (f: string) => new URL(`../../tools/${f}`, import.meta.url).pathname;
    console.log(`live HF parity: seed ${seed}, ${n} cases (rerun with ROPEKIT_HF_SEED=${seed})`);
    const casesText = await runPython(python, [
      tool("gen_rope_cases.py"),
      "--seed",
      String(seed),
      "--n",
      String(n),
      "--no-fixed",
    ]);
    const ref = JSON.parse(
      await runPython(python, [tool("hf_rope_reference.py"), "--compact"], casesText),
    ) as {
      transformers: string;
      torch: string;
      results: ({ id: string } & (HfOk | HfErr))[];
    };
    const byId = new Map(ref.results.map((r) => [r.id, r]));
    const cases: Case[] = (JSON.parse(casesText) as Omit<Case, "hf">[]).map((c) => ({
      ...c,
      hf: byId.get(c.id)! as HfOk | HfErr,
    }));
    const st = await runCases(`live HF parity (seed ${seed}) vs transformers ${ref.transformers}`, cases);
    assert.equal(
      st.failures.length,
      0,
      `${st.failures.length} live HF parity failures (seed ${seed}, listed above)`,
    );
  },
});
