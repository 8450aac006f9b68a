/**
 * `rediss://`: a real redis-server serving TLS only (a certificate made by openssl for this test),
 * a real worker process and the queue scorer: jobs run over TLS when the certificate's CA is given
 * in $ROPEKIT_QUEUE_CA, and without it the certificate is refused (it is verified, not ignored).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadModel } from "../../model/load_model.ts";
import { CA_ENV, probe } from "../../queue/connection.ts";
import { modelHash } from "../../queue/model_hash.ts";
import { QueueScorer } from "../../queue/queue_scorer.ts";
import { localScorer } from "../../search/evaluator.ts";
import { buildTable, builtinRegistry } from "../../strategies/registry.ts";
import { freePort, MODEL, REDIS_SERVER, startWorker } from "./_redis.ts";

const OPENSSL = (() => {
  try {
    new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    console.log("SKIP rediss test: openssl is not installed");
    return false;
  }
})();

Deno.test({
  name:
    "rediss://: jobs run over TLS with $ROPEKIT_QUEUE_CA; without it the self-signed certificate is refused",
  ignore: !REDIS_SERVER || !OPENSSL,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ropekit_rediss_" });
    const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
    const made = await new Deno.Command("openssl", {
      args: [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1"],
        ...["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    assert.equal(made.code, 0, "openssl could not make a certificate");
    const port = freePort();
    const redis = new Deno.Command(REDIS_SERVER!, {
      args: [
        ...[
          "--port",
          "0",
          "--tls-port",
          `${port}`,
          "--bind",
          "127.0.0.1",
          "--save",
          "",
          "--appendonly",
          "no",
        ],
        ...[
          "--tls-cert-file",
          cert,
          "--tls-key-file",
          key,
          "--tls-ca-cert-file",
          cert,
          "--tls-auth-clients",
          "no",
        ],
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const url = `rediss://127.0.0.1:${port}`;
    const before = Deno.env.get(CA_ENV);
    try {
      // Without the CA the certificate is not trusted: one line, naming why.
      Deno.env.delete(CA_ENV);
      let refused: Error | undefined;
      for (let i = 0; i < 50; i++) { // until redis-server listens
        refused = await probe(url, 2000).then(() => undefined, (e) => e);
        if (refused && /certificate/i.test(refused.message)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(
        refused?.message ?? "no error",
        /^queue rediss:\/\/127\.0\.0\.1:\d+: cannot connect \(.*certificate/,
      );

      Deno.env.set(CA_ENV, cert); // the worker process inherits it
      const model = await loadModel(MODEL);
      const worker = await startWorker(url);
      const scorer = await QueueScorer.open(url, modelHash(model));
      try {
        const table = await buildTable(builtinRegistry().get("yarn"), model.spec, { targetLength: 1024 }, {});
        const docs = [{ ids: model.tokenizer.encode("Mira keeps the blue key in the garden shed.") }];
        // deno-lint-ignore require-await
        const tableFor = async () => table;
        assert.deepEqual(await scorer.score(tableFor, docs), await localScorer(model)(tableFor, docs));
        assert.equal(worker.jobs(), 1);
      } finally {
        await scorer.close();
        worker.proc.kill("SIGTERM");
        await worker.proc.status;
      }
    } finally {
      if (before === undefined) Deno.env.delete(CA_ENV);
      else Deno.env.set(CA_ENV, before);
      redis.kill("SIGKILL");
      await redis.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
