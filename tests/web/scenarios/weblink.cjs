// A /web link from the bot: opening it only shows a button; the button
// signs the chat user in as their own account; the same link in another
// browser is refused with how to get a new one.
"use strict";
const { check, context: newContext, pathOf, run, shot } = require("./lib.cjs");

const LINK = process.env.LINK;
const USER = process.env.EXPECT_USER;

run(async (browser) => {
  const first = await (await newContext(browser, { viewport: { width: 1024, height: 640 }, locale: "en-US" })).newPage();
  await first.goto(LINK);
  check((await first.textContent("h1")).includes("Sign in to Easel"), "the link opens a confirmation page");
  await shot(first, "weblink-confirm");
  await first.click('form[action="/web/link"] button');
  check(pathOf(first) === "/play", "the button signs in and opens the playground");
  check((await first.textContent("#signed-in-as")).includes(USER), `signed in as ${USER}`);
  check(!(await first.textContent("nav")).includes("Users"), "a chat user sees no admin pages");
  await shot(first, "weblink-signed-in");

  const second = await (await newContext(browser, { viewport: { width: 1024, height: 640 }, locale: "en-US" })).newPage();
  await second.goto(LINK);
  const answer = second.waitForResponse((r) => r.url().endsWith("/web/link") && r.request().method() === "POST");
  await second.click('form[action="/web/link"] button');
  check((await answer).status() === 410, "a used link is refused (410)");
  check((await second.textContent("main")).includes("Send /web to the bot"), "the refusal says how to get a new link");
  check((await second.context().cookies()).every((c) => c.name !== "easel_session"), "a used link signs no one in");
  await shot(second, "weblink-used");
});
