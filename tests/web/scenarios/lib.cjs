// Shared by the scenarios: launch Debian's chromium headless through
// playwright-core (never a downloaded browser), take screenshots, check.
"use strict";
const { chromium } = require("playwright-core");
const path = require("path");

const BASE = process.env.BASE_URL;

/** Debian's chromium, headless, with the flags the harness promises. */
async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // playwright-core adds --headless and an empty temporary --user-data-dir.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A browser context whose steps wait up to a minute (a loaded CI machine). */
async function context(browser, options) {
  const ctx = await browser.newContext(options);
  ctx.setDefaultTimeout(60_000);
  ctx.setDefaultNavigationTimeout(60_000);
  return ctx;
}

/** A screenshot in docs/screenshots/<name>.png. */
async function shot(page, name) {
  await page.screenshot({ path: path.join(process.env.SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Fails the scenario with `what` unless `ok`. */
function check(ok, what) {
  if (!ok) {
    throw new Error(`check failed: ${what}`);
  }
  console.log(`ok: ${what}`);
}

/** The path of the page's URL. */
function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** Runs a scenario; any failure exits 1 with the error. */
function run(scenario) {
  launch()
    .then(async (browser) => {
      try {
        await scenario(browser);
      } finally {
        await browser.close();
      }
    })
    .catch((e) => {
      console.error(e && e.stack ? e.stack : e);
      process.exit(1);
    });
}

module.exports = { BASE, check, context, pathOf, run, shot };
