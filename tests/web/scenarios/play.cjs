// The playground against the running binary and the fake OpenAI (with
// partial images on): an admin signs in, draws from a prompt (progress and
// a partial preview are seen), refines the result by a follow-up, presses
// Again and Vary, downloads the Original, edits a photo, and the page works
// on a phone. Environment as for every scenario (lib.cjs): BASE_URL,
// ADMIN_TOKEN, SCREENSHOTS. The binary's plan needs room for seven
// requests in a row (its `burst` must allow them: the default anti-flood
// limiter, 2 per 15 s, refuses the third, correctly).
"use strict";
const { BASE, check, pathOf, run, shot } = require("./lib.cjs");

const cards = "[data-play-results] article.result";

/** Records what the page showed while a job ran: every progress text and
 *  every partial preview, even those replaced a moment later. */
function watch() {
  window.__play = { status: [], partials: 0 };
  document.addEventListener("DOMContentLoaded", function () {
    const status = document.querySelector("[data-play-status]");
    const preview = document.querySelector("[data-play-preview]");
    if (!status || !preview) {
      return;
    }
    new MutationObserver(function () {
      const text = status.textContent.trim();
      if (text) {
        window.__play.status.push(text);
      }
    }).observe(status, { childList: true, subtree: true, characterData: true });
    new MutationObserver(function () {
      window.__play.partials += preview.querySelectorAll("img[data-play-partial]").length;
    }).observe(preview, { childList: true });
  });
}

/** Waits until one more result card than `before` is shown. */
async function oneMore(page, before) {
  await page.waitForFunction((n) => document.querySelectorAll("[data-play-results] article.result").length > n, before);
}

/** Submits the form and waits for its result card. */
async function draw(page, prompt) {
  const before = await page.locator(cards).count();
  await page.fill("#play-prompt", prompt);
  await page.click('form[data-play-form] button[type="submit"]');
  await oneMore(page, before);
}

/** Presses `what` (again, vary) on the newest card and waits for its result. */
async function press(page, what) {
  const before = await page.locator(cards).count();
  await page.click(`${cards} >> nth=0 >> button[data-play-do="${what}"]`);
  await oneMore(page, before);
}

run(async (browser) => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 720 }, locale: "en-US", acceptDownloads: true });
  await context.addInitScript(watch);
  const page = await context.newPage();

  await page.goto(`${BASE}/signin?next=/play`);
  await page.fill("#token", process.env.ADMIN_TOKEN);
  await page.click('form[action="/signin"] button[type="submit"]');
  await page.goto(`${BASE}/play`);
  check(pathOf(page) === "/play", "a signed-in admin opens the playground");
  check((await page.textContent("[data-play-quota]")).trim().length > 0, "the quota line is shown");
  await shot(page, "play-empty");

  await draw(page, "a lighthouse at dusk --ar 3:2");
  const seen = await page.evaluate(() => window.__play);
  check(seen.status.some((s) => s.startsWith("Queued") || s.startsWith("Drawing")), `progress was shown (${seen.status.join(" | ")})`);
  check(seen.partials > 0, "a partial preview was shown before the result");
  const first = page.locator(cards).first();
  check((await first.textContent()).includes("a lighthouse at dusk"), "the result shows its prompt");
  const src = await first.locator("img").first().getAttribute("src");
  check(/^\/play\/results\/[0-9A-Z]{12}\/0$/.test(src), `the image is served from /play/results (${src})`);
  const loaded = await first.locator("img").first().evaluate((img) => img.complete && img.naturalWidth > 0);
  check(loaded, "the result image loads");
  await shot(page, "play-result");

  // Refine by follow-up: the next prompt changes the chosen result.
  await first.locator('button[data-play-do="refine"]').click();
  check(!(await page.locator("[data-play-refining]").isHidden()), "refining says which result it changes");
  await draw(page, "make it night");
  check((await page.locator(cards).first().textContent()).includes("make it night"), "the refinement is the newest result");
  check(await page.locator("[data-play-refining]").isHidden(), "after a refinement the form starts fresh");

  await press(page, "again");
  check((await page.locator(cards).first().textContent()).includes("make it night"), "Again repeats the prompt");
  await press(page, "vary");

  const download = page.waitForEvent("download");
  await page.locator(cards).first().locator("a[data-play-original]").first().click();
  const file = await download;
  check(/^easel-[0-9A-Z]{12}-1\.png$/.test(file.suggestedFilename()), `Original downloads the provider's file (${file.suggestedFilename()})`);

  // A photo to edit (the file picker; dropping it on the zone does the same).
  const png = await page.evaluate(async (url) => Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer())), src);
  await page.setInputFiles("#play-photos", { name: "photo.png", mimeType: "image/png", buffer: Buffer.from(png) });
  await draw(page, "add a red hat");
  const drawn = await page.locator(cards).count();
  await shot(page, "play-history");

  // A refusal is the core's text, and nothing is drawn.
  await page.setInputFiles("#play-photos", { name: "notes.png", mimeType: "image/png", buffer: Buffer.from("not an image") });
  await page.fill("#play-prompt", "add a hat");
  await page.click('form[data-play-form] button[type="submit"]');
  await page.waitForSelector("[data-play-status] p.error");
  check((await page.textContent("[data-play-status]")).includes("cannot be used"), "a bad photo is refused in words");
  check((await page.locator(cards).count()) === drawn, "a refusal draws nothing");
  await shot(page, "play-refused");

  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "zh-CN" });
  const small = await phone.newPage();
  await small.goto(`${BASE}/signin?next=/play`);
  await small.fill("#token", process.env.ADMIN_TOKEN);
  await small.click('form[action="/signin"] button[type="submit"]');
  await small.goto(`${BASE}/play`);
  check((await small.getAttribute("html", "lang")) === "zh-CN", "a Chinese browser gets the Chinese playground");
  check((await small.textContent('form[data-play-form] button[type="submit"]')).includes("开始绘制"), "the form speaks Chinese");
  const width = await small.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 360, `nothing overflows a 360 px screen (${width})`);
  await shot(small, "play-phone-zh");
});
