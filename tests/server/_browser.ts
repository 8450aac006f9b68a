/** Headless Chromium for the web page tests (Debian `chromium`), and whether it can run here. */
import type { Browser } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

/** True when chromium is installed and playwright-core may read what it needs; else says why. */
export function canRunChromium(): boolean {
  try {
    Deno.statSync(CHROMIUM);
  } catch {
    console.log(`SKIP: ${CHROMIUM} is absent (apt-get install -y chromium); the browser test needs it`);
    return false;
  }
  // playwright-core reads these when it is imported.
  for (const kind of ["osRelease", "homedir"] as const) {
    if (Deno.permissions.querySync({ name: "sys", kind }).state !== "granted") {
      console.log(`SKIP: the browser test needs --allow-sys=osRelease,homedir (playwright-core)`);
      return false;
    }
  }
  return true;
}

/** Launches headless Chromium without network side traffic. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    timeout: 30_000,
  });
}
