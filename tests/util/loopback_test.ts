/** The one loopback test: names that are this machine without DNS, and look-alikes that are not. */
import assert from "node:assert/strict";
import { isLoopbackHost } from "../../util/loopback.ts";

Deno.test("isLoopbackHost: localhost and literal loopback addresses only", () => {
  for (
    const host of ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "127.255.255.255", "[::1]", "::1"]
  ) {
    assert.ok(isLoopbackHost(host), host);
  }
  // Every spelling `new URL` accepts for 127.0.0.1 becomes the dotted quad.
  for (const url of ["http://0x7f.1/", "http://2130706433/", "http://127.1/"]) {
    assert.ok(isLoopbackHost(new URL(url).hostname), url);
  }
  for (
    const host of [
      "0.0.0.0",
      "127.0.0.1.nip.io",
      "localhost.",
      "foo.localhost",
      "127.0.0.256",
      "128.0.0.1",
      "[::]",
      "[::ffff:127.0.0.1]",
      "",
    ]
  ) {
    assert.ok(!isLoopbackHost(host), host);
  }
  assert.ok(!isLoopbackHost(new URL("http://0.0.0.0:8080/x.js").hostname));
});
