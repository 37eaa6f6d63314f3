// After a Telegram user redeemed the code: the listing shows the use; the
// admin finds the user by @username, grants credits (the chat's /quota is
// checked by the test), and visits every dashboard page, by keyboard too
// and on a phone-sized screen.
"use strict";
const { BASE, check, pathOf, run, shot } = require("./lib.cjs");

const USERNAME = process.env.USERNAME;
const USER = process.env.EXPECT_USER;

run(async (browser) => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 720 }, locale: "en-US" });
  const page = await context.newPage();
  await page.goto(`${BASE}/signin?next=/admin/codes`);
  await page.fill("#token", process.env.ADMIN_TOKEN);
  await page.click('form[action="/signin"] button[type="submit"]');
  check(pathOf(page) === "/admin/codes", "sign-in returns to the codes page");
  check((await page.textContent("tbody")).includes("1 / 1"), "the code shows its redemption");
  await shot(page, "dashboard-codes");

  await page.click('nav a[href="/admin/users"]');
  // Keyboard: the search field is labelled and takes typing; Enter submits.
  await page.focus("#q");
  await page.keyboard.type(`@${USERNAME}`);
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/admin\/users\?q=/);
  check((await page.textContent("#user-h")) === USER, `@${USERNAME} is ${USER}`);
  await page.fill("#amount", "7");
  await page.fill("#credits-reason", "browser grant");
  await page.click('button[name="action"][value="grant"]');
  check((await page.textContent('p[role="status"]')).includes("Credits changed."), "the grant is confirmed");
  check((await page.textContent("pre.status")).includes("10"), "the user now holds 3 + 7 credits");
  check((await page.textContent("#recent-h + div")).includes("delivered"), "the user's picture is a recent request");
  await shot(page, "dashboard-users");

  await page.click('nav a[href="/"]');
  const images = page.locator("figure.chart").first();
  check((await images.locator("figcaption").textContent()) === "Images delivered per day", "the first chart counts images");
  check((await images.locator("rect[height]:not([height='0'])").count()) === 1, "the images chart has today's bar");
  check((await images.locator("rect title").last().textContent()).endsWith(": 1"), "today's bar is the one delivered image");
  check((await page.locator("figure.chart rect[height]:not([height='0'])").count()) >= 2, "the credits chart has today's bar");
  await shot(page, "dashboard-overview");

  for (const [href, name, needle] of [
    ["/admin/plans", "dashboard-plans", "free"],
    ["/admin/audit", "dashboard-audit", "browser grant"],
    ["/admin/queue", "dashboard-queue", "Waiting"],
  ]) {
    await page.click(`nav a[href="${href}"]`);
    check((await page.textContent("main")).includes(needle), `${href} shows ${needle}`);
    await shot(page, name);
  }

  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "en-US" });
  await phone.addCookies(await context.cookies());
  const small = await phone.newPage();
  for (const href of ["/", "/admin/users", "/admin/codes", "/admin/queue"]) {
    await small.goto(`${BASE}${href}`);
    const width = await small.evaluate(() => document.documentElement.scrollWidth);
    const wide = await small.evaluate(() => [...document.querySelectorAll("body *")].filter((e) => !e.closest("table"))
      .filter((e) => e.getBoundingClientRect().right > 360).slice(0, 5)
      .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`).join(", "));
    check(width <= 360, `${href} fits 360 px (scroll width ${width}; ${wide})`);
  }
  await small.goto(`${BASE}/`);
  await shot(small, "dashboard-overview-phone");
});
