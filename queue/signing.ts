/**
 * The queue's shared secret: anyone who can write to Redis can add jobs and answer them, so with a
 * secret set, clients sign every job and workers every result with HMAC-SHA256, and each side refuses
 * what the other did not sign. Signatures are over a canonical JSON text (keys sorted), so they do
 * not depend on how a JSON library orders keys; a result's signature covers its job's id, so a
 * result signed for one job cannot be replayed as another's.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

/** Environment variable that holds the secret when `--secret` is not given. */
export const SECRET_ENV = "ROPEKIT_QUEUE_SECRET";

/** `value` as JSON with every object's keys sorted (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${
      keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(
        ",",
      )
    }}`;
  }
  return JSON.stringify(value);
}

/** HMAC-SHA256 (hex) of `what` (a domain: "job" or "result:<id>") and `value`'s canonical JSON. */
export function sign(secret: string, what: string, value: unknown): string {
  return createHmac("sha256", secret).update(`ropekit-queue\n${what}\n`).update(canonicalJson(value)).digest(
    "hex",
  );
}

/** Whether `sig` is `value`'s signature under `secret` (compared in constant time). */
export function verify(secret: string, what: string, value: unknown, sig: unknown): boolean {
  if (typeof sig !== "string" || !/^[0-9a-f]{64}$/.test(sig)) return false;
  return timingSafeEqual(Buffer.from(sign(secret, what, value), "hex"), Buffer.from(sig, "hex"));
}

/** The secret from `--secret` or the environment; undefined when neither is set (an open queue). */
export function queueSecret(flag?: string): string | undefined {
  const s = flag ??
    (Deno.permissions.querySync({ name: "env", variable: SECRET_ENV }).state === "granted"
      ? Deno.env.get(SECRET_ENV)
      : undefined);
  return s === "" ? undefined : s;
}
