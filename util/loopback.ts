/**
 * The one test of "this host is the machine itself": used for plugin URLs (http:// only to
 * loopback), the server's Host check against DNS rebinding, and the warning of `serve --host`.
 * Only names that need no DNS lookup count: `localhost` and literal loopback addresses. A name
 * such as `127.0.0.1.nip.io` resolves to loopback only if its DNS says so today, and `0.0.0.0` is
 * every interface, not loopback: both are refused.
 *
 * @module
 */

/** 127.0.0.0/8 as a dotted quad (what `new URL` turns every IPv4 spelling into). */
const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Whether `host` (a URL's hostname, or a bare address: `localhost`, `127.0.0.1`, `[::1]`, `::1`)
 * is this machine, without asking DNS.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "[::1]" || h === "::1") return true;
  const m = IPV4_LOOPBACK.exec(h);
  return m !== null && m.slice(1).every((part) => Number(part) <= 255);
}
