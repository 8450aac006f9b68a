/**
 * strategies/sleef_powf.ts: bit-exact emulation of PyTorch's CPU float32 `base ** tensor` (SLEEF powf
 * on full AVX2 vector blocks, glibc powf on the tail).
 *
 * - Always: measured (base, exponent, torch result) triples and whole HF exponent vectors, taken from
 *   tools/torch_powf_samples.py on torch 2.14.1+cu130, CPU capability AVX2 (glibc 2.36).
 * - Live (when ROPEKIT_TORCH_PYTHON names a python with torch): runs tools/torch_powf_samples.py with a
 *   random seed (printed; pin with ROPEKIT_TORCH_SEED) and compares every sample. The vector width is
 *   taken from the reported CPU capability (AVX2 → 8, AVX512 → 16, DEFAULT → scalar only).
 */
import assert from "node:assert/strict";
import {
  fma32,
  fma64,
  glibcPowf,
  scalarPowf,
  sleefPowf,
  torchPowVector,
} from "../../strategies/sleef_powf.ts";

type Triple = [base: number, exponent: number, torch: number];

/** Vector-path elements (index < n − n % 16) where torch AVX2 differs from the correctly rounded powf. */
const SLEEF_DIFFERS: Triple[] = [
  [10000, 0.10526315867900848, 2.636651039123535], // d=38 i=2, correctly rounded 2.636650800704956
  [10000, 0.03999999910593033, 1.4454396963119507], // d=50 i=1, correctly rounded 1.4454398155212402
  [10000, 0.19230769574642181, 5.878015995025635], // d=52 i=5, correctly rounded 5.878016471862793
  [10000, 0.3928571343421936, 37.27593231201172], // d=56 i=11, correctly rounded 37.275936126708984
  [10000, 0.24137930572032928, 9.23670768737793], // d=58 i=7, correctly rounded 9.236708641052246
  [10000, 0.24242424964904785, 9.326033592224121], // d=66 i=8, correctly rounded 9.326034545898438
  [10000, 0.7941176295280457, 1501.3104248046875], // d=68 i=27, correctly rounded 1501.310546875
  [10000, 0.2702702581882477, 12.052607536315918], // d=74 i=10, correctly rounded 12.052608489990234
  [10000, 0.7317073345184326, 844.94677734375], // d=82 i=30, correctly rounded 844.9467163085938
  [10000, 0.08510638028383255, 2.189906120300293], // d=94 i=4, correctly rounded 2.189906358718872
  [10000, 0.3137255012989044, 17.984649658203125], // d=102 i=16, correctly rounded 17.984651565551758
  [10000, 0.8653846383094788, 2894.2666015625], // d=104 i=45, correctly rounded 2894.266845703125
  [10000, 0.6338028311729431, 342.93463134765625], // d=142 i=45, correctly rounded 342.9346008300781
  [10000, 0.48051947355270386, 83.5752944946289], // d=154 i=37, correctly rounded 83.57528686523438
  [10000, 0.26356589794158936, 11.330878257751465], // d=258 i=34, correctly rounded 11.330879211425781
  [10000, 0.8758620619773865, 3187.485595703125], // d=290 i=127, correctly rounded 3187.48583984375
  [10000, 0.4968152940273285, 97.109375], // d=314 i=78, correctly rounded 97.10938262939453
  [10000, 0.8806818127632141, 3332.1708984375], // d=352 i=155, correctly rounded 3332.170654296875
  [10000, 0.6321243643760681, 337.67388916015625], // d=386 i=122, correctly rounded 337.6738586425781
  [10000, 0.6532663106918335, 410.2657470703125], // d=398 i=130, correctly rounded 410.2657165527344
  [10000, 0.41871920228004456, 47.30170440673828], // d=406 i=85, correctly rounded 47.30170822143555
  [10000, 0.40807175636291504, 42.88318634033203], // d=446 i=91, correctly rounded 42.883182525634766
  [10000, 0.2663755416870117, 11.627923011779785], // d=458 i=61, correctly rounded 11.627923965454102
  [10000, 0.553648054599762, 163.90501403808594], // d=466 i=129, correctly rounded 163.90499877929688
  [10000, 0.6897959113121033, 574.3592529296875], // d=490 i=169, correctly rounded 574.3593139648438
  [10000, 0.6305220723152161, 332.7272033691406], // d=498 i=157, correctly rounded 332.7271728515625
  [500000, 0.011627906933426857, 1.164842128753662], // d=172 i=1, correctly rounded 1.1648422479629517
  [500000, 0.2844827473163605, 41.80792999267578], // d=232 i=33, correctly rounded 41.807926177978516
  [500000, 0.8512396812438965, 70988.7265625], // d=242 i=103, correctly rounded 70988.734375
  [500000, 0.07751937955617905, 2.7655444145202637], // d=258 i=10, correctly rounded 2.7655441761016846
];

/** Vector-path elements where torch AVX2 equals the correctly rounded powf. */
const SLEEF_SAME: Triple[] = [
  [10000, 0.44999998807907104, 63.095726013183594], // d=40 i=9
  [10000, 0.48275861144065857, 85.31678009033203], // d=58 i=14
  [10000, 0.37837839126586914, 32.622222900390625], // d=74 i=14
  [10000, 0.5641025900840759, 180.4722137451172], // d=78 i=22
  [10000, 0.6511628031730652, 402.39373779296875], // d=86 i=28
  [10000, 0.3404255211353302, 22.99863624572754], // d=94 i=16
];

/** Tail elements (scalar std::pow = glibc powf) where glibc is not correctly rounded. */
const GLIBC_DIFFERS: Triple[] = [
  [1000000, 0.2857142984867096, 51.79475784301758], // d=14 i=2, correctly rounded 51.79475402832031
  [150000, 0.948051929473877, 80761.3046875], // d=154 i=73, correctly rounded 80761.296875
  [100000, 0.9904761910438538, 89615.0546875], // d=210 i=104, correctly rounded 89615.046875
  [100000, 0.9758453965187073, 75722.859375], // d=414 i=202, correctly rounded 75722.8515625
  [8000000, 0.9841269850730896, 6216088], // d=126 i=62, correctly rounded 6216087.5
  [8000000, 0.9806763529777527, 5884331.5], // d=414 i=203, correctly rounded 5884331
  [1000, 0.5714285969734192, 51.79475784301758], // d=14 i=4, correctly rounded 51.79475402832031
  [1000, 0.9758453965187073, 846.3231201171875], // d=414 i=202, correctly rounded 846.3230590820312
  [1000, 0.9865471124649048, 911.2579956054688], // d=446 i=220, correctly rounded 911.2579345703125
  [40000, 0.7037037014961243, 1731.755859375], // d=54 i=19, correctly rounded 1731.7557373046875
  [525.7727661132812, 0.7200000286102295, 90.98603057861328], // d=50 i=18, correctly rounded 90.98602294921875
  [5536652, 0.9832402467727661, 4268075.5], // d=358 i=176, correctly rounded 4268075
];

/** Whole HF vectors `base ** (arange(0, d, 2).float() / d)` as torch AVX2 returned them. */
const HF_VECTORS: Array<{ base: number; d: number; torch: number[] }> = [
  {
    base: 10000,
    d: 38,
    torch: [
      1,
      1.6237767934799194,
      2.636651039123535,
      4.281332015991211,
      6.95192813873291,
      11.288379669189453,
      18.329805374145508,
      29.763513565063477,
      48.32930374145508,
      78.47600555419922,
      127.42752075195312,
      206.91380310058594,
      335.98175048828125,
      545.5595703125,
      885.86669921875,
      1438.4503173828125,
      2335.7216796875,
      3792.689697265625,
      6158.4833984375,
    ],
  },
  {
    base: 1000000,
    d: 14,
    torch: [
      1,
      7.196857452392578,
      51.79475784301758,
      372.7593994140625,
      2682.69677734375,
      19306.982421875,
      138949.5625,
    ],
  },
  {
    base: 150000,
    d: 154,
    torch: [
      1,
      1.1674060821533203,
      1.3628370761871338,
      1.5909842252731323,
      1.8573248386383057,
      2.168252468109131,
      2.531230926513672,
      2.95497465133667,
      3.449655294418335,
      4.027148723602295,
      4.701318264007568,
      5.488348007202148,
      6.407130241394043,
      7.4797234535217285,
      8.7318754196167,
      10.193643569946289,
      11.90012264251709,
      13.892276763916016,
      16.217926025390625,
      18.932907104492188,
      22.102394104003906,
      25.802471160888672,
      30.121963500976562,
      35.164554595947266,
      41.05131912231445,
      47.923561096191406,
      55.94626235961914,
      65.31201171875,
      76.24565124511719,
      89.00960540771484,
      103.91036987304688,
      121.30560302734375,
      141.6129150390625,
      165.31979370117188,
      192.99534606933594,
      225.303955078125,
      263.0211486816406,
      307.0525207519531,
      358.4549865722656,
      418.46258544921875,
      488.51580810546875,
      570.29638671875,
      665.7675170898438,
      777.2210693359375,
      907.3327026367188,
      1059.22509765625,
      1236.5458984375,
      1443.55126953125,
      1685.210693359375,
      1967.325439453125,
      2296.667724609375,
      2681.144287109375,
      3129.984375,
      3653.963134765625,
      4265.6591796875,
      4979.7568359375,
      5813.39892578125,
      6786.59765625,
      7922.71044921875,
      9249.021484375,
      10797.3642578125,
      12604.91015625,
      14715.0498046875,
      17178.439453125,
      20054.216796875,
      23411.41796875,
      27330.6328125,
      31905.951171875,
      37247.203125,
      43482.6171875,
      50761.875,
      59259.68359375,
      69180.1171875,
      80761.3046875,
      94281.2421875,
      110064.5078125,
      128489.984375,
    ],
  },
];

function hfExponents(d: number): Float64Array {
  const n = Math.ceil(d / 2);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) e[i] = Math.fround((2 * i) / d);
  return e;
}

Deno.test("fma32 / fma64 round once", () => {
  // (1 + 2^-12)^2 − 2^-24 = 1 + 2^-11 exactly
  const a = Math.fround(1 + 2 ** -12);
  assert.equal(fma32(a, a, Math.fround(-(2 ** -24))), Math.fround(1 + 2 ** -11));
  // (1 + 2^-12)(1 − 2^-12) = 1 − 2^-24: representable, fused keeps it
  assert.equal(fma32(a, Math.fround(1 - 2 ** -12), 0), Math.fround(1 - 2 ** -24));
  // Products just off a float32 tie: float64 rounds the sum onto the tie (then ties-to-even, a double
  // rounding); the single rounding goes to the correct side.
  const lo = Math.fround(2 ** -24 * (1 + 2 ** -20)), hi = Math.fround(1 - 2 ** -20); // lo·hi = 2^-24 − 2^-64
  assert.equal(fma32(lo, hi, Math.fround(1 + 2 ** -23)), Math.fround(1 + 2 ** -23)); // 1 + 3·2^-24 − 2^-64
  assert.equal(fma32(-lo, hi, Math.fround(1 + 2 ** -23)), Math.fround(1 + 2 ** -23)); // 1 + 2^-24 + 2^-64
  assert.equal(fma32(1, 1, 2 ** -24), 1); // an exact tie → even
  const x = 1 + 2 ** -30;
  assert.equal(fma64(x, x, -1), 2 ** -29 + 2 ** -60); // the product's low bits survive
  assert.equal(fma64(0.1, 10, -1), 5.551115123125783e-17);
});

Deno.test("sleefPowf: measured vector-path values (torch AVX2), incl. 1-ulp departures", () => {
  for (const [b, e, t] of [...SLEEF_DIFFERS, ...SLEEF_SAME]) {
    assert.equal(sleefPowf(b, e), t, `sleef ${b} ** ${e}`);
  }
  for (const [b, e, t] of SLEEF_DIFFERS) {
    assert.notEqual(scalarPowf(b, e), t, "chosen to differ from correct rounding");
  }
});

Deno.test("glibcPowf: measured tail values (std::pow), incl. glibc misroundings", () => {
  for (const [b, e, t] of GLIBC_DIFFERS) {
    assert.equal(glibcPowf(b, e), t, `glibc ${b} ** ${e}`);
    assert.equal(glibcPowf(b, e, false), t, `glibc (no FMA) ${b} ** ${e}`);
    assert.notEqual(scalarPowf(b, e), t);
  }
  for (const [b, e, t] of SLEEF_SAME) assert.equal(glibcPowf(b, e), t);
});

Deno.test("sleefPowf / glibcPowf special values", () => {
  for (const f of [sleefPowf, glibcPowf]) {
    assert.equal(f(2, 0), 1);
    assert.equal(f(1, NaN), 1);
    assert.ok(Number.isNaN(f(NaN, 2)));
    assert.equal(f(0, 2), 0);
    assert.equal(f(0, -2), Infinity);
    assert.equal(f(-0, -3), -Infinity);
    assert.equal(f(-2, 3), -8);
    assert.equal(f(-2, 2), 4);
    assert.ok(Number.isNaN(f(-2, 0.5)));
    assert.equal(f(2, Infinity), Infinity);
    assert.equal(f(0.5, Infinity), 0);
    assert.equal(f(-1, Infinity), 1);
    assert.equal(f(Infinity, -1), 0);
    assert.equal(f(1e30, 10), Infinity);
    assert.equal(f(1e-30, 10), 0);
    assert.equal(f(10000, 0.5), 100);
  }
});

Deno.test("torchPowVector: blocks of 16 through SLEEF, tail through glibc (AVX2)", () => {
  for (const { base, d, torch } of HF_VECTORS) {
    assert.deepEqual(Array.from(torchPowVector(base, hfExponents(d), 8)), torch, `base ${base} d ${d}`);
  }
  // one exponent repeated: positions < n − n % 16 take the vector value, the rest the scalar one
  const [b, e] = SLEEF_DIFFERS[0];
  const v = sleefPowf(b, e), s = glibcPowf(b, e);
  assert.notEqual(v, s);
  for (const n of [1, 15, 16, 17, 31, 32, 40]) {
    const got = torchPowVector(b, new Float64Array(n).fill(e), 8);
    const vecEnd = n - (n % 16);
    for (let i = 0; i < n; i++) assert.equal(got[i], i < vecEnd ? v : s, `n=${n} i=${i}`);
  }
  // width 0 = ATEN_CPU_CAPABILITY=default: all scalar
  assert.deepEqual(Array.from(torchPowVector(b, new Float64Array(40).fill(e), 0)), new Array(40).fill(s));
});

interface SampleCase {
  kind: string;
  base: number;
  base32: number;
  d?: number;
  n: number;
  exps: number[];
  torch: number[];
  default: number[];
}

const PY = Deno.env.get("ROPEKIT_TORCH_PYTHON");

Deno.test({
  name: "live: torch_powf_samples.py against torchPowVector",
  ignore: !PY,
  async fn() {
    const seed = Number(Deno.env.get("ROPEKIT_TORCH_SEED") ?? Math.floor(Math.random() * 1e9));
    console.log(`torch powf samples: seed ${seed} (pin with ROPEKIT_TORCH_SEED)`);
    const script = new URL("../../tools/torch_powf_samples.py", import.meta.url).pathname;
    const args = [script, "--seed", String(seed), "--random-bases", "3", "--d-max", "256", "--odd"];
    args.push("--random-exps", "1024", "--compact");
    const out = await new Deno.Command(PY!, { args, stdout: "piped", stderr: "piped" }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const doc = JSON.parse(new TextDecoder().decode(out.stdout));
    const widths: Record<string, number> = { AVX2: 8, AVX512: 16, DEFAULT: 0 };
    const width = widths[doc.cpu_capability];
    assert.ok(width !== undefined, `unknown cpu capability ${doc.cpu_capability}`);
    let total = 0, bad = 0, differsFromCR = 0;
    const report: string[] = [];
    for (const c of doc.cases as SampleCase[]) {
      const got = torchPowVector(c.base, c.exps, width);
      const dflt = torchPowVector(c.base, c.exps, 0);
      for (let i = 0; i < c.n; i++) {
        total++;
        if (c.torch[i] !== scalarPowf(c.base32, c.exps[i])) differsFromCR++;
        if (got[i] !== c.torch[i] || dflt[i] !== c.default[i]) {
          bad++;
          if (report.length < 20) {
            report.push(
              `base ${c.base32} x ${c.exps[i]} (n=${c.n} i=${i}): torch ${c.torch[i]} got ${got[i]}; ` +
                `default ${c.default[i]} got ${dflt[i]}`,
            );
          }
        }
      }
    }
    console.log(
      `${doc.cpu_capability}: ${
        total - bad
      }/${total} match; torch differs from correctly rounded on ${differsFromCR}`,
    );
    assert.equal(bad, 0, report.join("\n"));
  },
});
