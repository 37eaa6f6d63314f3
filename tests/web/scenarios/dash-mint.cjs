// The admin signs in, looks at the overview, and mints one access code:
// it is shown once with a copy button (written to OUT for the test, which
// has a Telegram user redeem it), and the listing never shows it again.
"use strict";
const fs = require("fs");
const { BASE, check, pathOf, run, shot } = require("./lib.cjs");

run(async (browser) => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 720 }, locale: "en-US" });
  const page = await context.newPage();
  await page.goto(`${BASE}/signin`);
  await page.fill("#token", process.env.ADMIN_TOKEN);
  await page.click('form[action="/signin"] button[type="submit"]');
  check(pathOf(page) === "/", "signed in, on the overview");
  check((await page.locator("figure.chart svg").count()) === 3, "the overview draws three charts (images, cost, credits)");
  check((await page.textContent("main")).includes("waiting"), "the overview shows the queue's depth");

  await page.click('nav a[href="/admin/codes"]');
  await page.fill("#credits", "3");
  await page.fill("#max_uses", "1");
  await page.fill("#note", "browser test");
  await page.click('form[action="/admin/codes"] button[type="submit"]');
  const copy = page.locator(".minted button[data-copy]").first();
  const code = await copy.getAttribute("data-copy");
  check(code && code.length > 20, "the new code is shown with a copy button");
  await shot(page, "dashboard-codes-minted");
  fs.writeFileSync(process.env.OUT, code);

  await page.goto(`${BASE}/admin/codes`);
  check(!(await page.content()).includes(code), "the listing never shows the code again");
  check((await page.textContent("tbody")).includes("0 / 1"), "the new code is listed unused");
});
