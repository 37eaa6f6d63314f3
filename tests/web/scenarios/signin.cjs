// An admin signs in (a wrong token is refused first), the session cookie is
// HttpOnly and SameSite=Strict, sign-out ends the session, repeated wrong
// tokens meet the limiter; the sign-in page on a phone in Chinese.
"use strict";
const { BASE, check, context: newContext, pathOf, run, shot } = require("./lib.cjs");

const signIn = 'form[action="/signin"] button[type="submit"]';

run(async (browser) => {
  const context = await newContext(browser, { viewport: { width: 1024, height: 640 }, locale: "en-US" });
  const page = await context.newPage();

  await page.goto(`${BASE}/`);
  check(pathOf(page) === "/signin", "a signed-out visit to / lands on /signin");
  // Keyboard first: the first Tab reaches the skip link.
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement.className === "skip"), "the first Tab focuses the skip link");
  await shot(page, "signin");

  await page.fill("#token", "not-the-token");
  await page.click(signIn);
  const error = await page.textContent("#signin-error");
  check(error.includes("not the admin token"), "a wrong token is refused with a reason");
  check((await context.cookies()).every((c) => c.name !== "easel_session"), "a refused sign-in sets no session");
  await shot(page, "signin-wrong-token");

  await page.fill("#token", process.env.ADMIN_TOKEN);
  await page.click(signIn);
  check(pathOf(page) === "/", "the right token signs in and returns to /");
  check((await page.textContent("nav")).includes("Users"), "an admin sees the admin navigation");
  const session = (await context.cookies()).find((c) => c.name === "easel_session");
  check(session && session.httpOnly && session.sameSite === "Strict" && session.path === "/",
    "the session cookie is HttpOnly, SameSite=Strict, Path=/");
  await shot(page, "overview-signed-in");

  await page.click('nav form[action="/signout"] button');
  check(pathOf(page) === "/signin", "sign-out returns to the sign-in page");
  await page.goto(`${BASE}/play`);
  check(pathOf(page) === "/signin", "after sign-out the pages ask to sign in again");

  // Attempts 3 and 4 of the window (an hour) are wrong; the 5th is limited.
  for (let i = 0; i < 2; i++) {
    await page.fill("#token", `wrong-${i}`);
    await page.click(signIn);
  }
  await page.fill("#token", process.env.ADMIN_TOKEN);
  const answer = page.waitForResponse((r) => r.url().endsWith("/signin") && r.request().method() === "POST");
  await page.click(signIn);
  const limited = await answer;
  check(limited.status() === 429, "the attempt over the limit is refused with 429");
  check((await page.textContent("#signin-error")).includes("Too many sign-in attempts"),
    "the limit says when to retry");
  await shot(page, "signin-limited");

  const phone = await newContext(browser, { viewport: { width: 360, height: 740 }, locale: "zh-CN" });
  const small = await phone.newPage();
  await small.goto(`${BASE}/signin`);
  check((await small.getAttribute("html", "lang")) === "zh-CN", "a Chinese browser gets the Chinese page");
  check((await small.textContent("h1")).includes("登录"), "the Chinese sign-in title");
  const width = await small.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 360, `nothing overflows a 360 px screen (${width})`);
  await shot(small, "signin-phone-zh");
});
