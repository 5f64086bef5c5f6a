// Browser test of the public pages, as a visitor uses them: search, open a
// district, open a Targeted school's profile and its explanation. With
// EMPOWER_DEMO (the lines `empower serve --demo` printed), also accounts:
// the administrator signs in and invites a school leader, who sets a
// password from the link and signs in; the administrator sees both in
// the audit log; five wrong passwords make the sixth try wait. Debian's
// chromium is driven by playwright-core (no downloaded browser); axe-core
// checks accessibility on the search and profile pages and the test fails
// on any serious or critical violation. Screenshots at laptop and phone
// widths go to $SCREENSHOTS (default target/browser-screenshots).
//
//   EMPOWER_URL=http://127.0.0.1:8080 EMPOWER_DEMO=demo.tsv node tests/browser/run.mjs

import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const base = process.env.EMPOWER_URL ?? "http://127.0.0.1:8080";
const shots = process.env.SCREENSHOTS ?? "target/browser-screenshots";
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
mkdirSync(shots, { recursive: true });

const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
}

async function axe(page, name) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of serious) {
    console.log(`  ${v.impact}: ${v.id} (${v.help}) on ${v.nodes.length} element(s), e.g. ${v.nodes[0]?.target}`);
  }
  check(serious.length === 0, `${name}: no serious accessibility violation (axe-core)`);
}

async function shoot(page, name) {
  for (const [label, width] of [["laptop", 1280], ["phone", 390]]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(shots, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const browser = await chromium.launch({
  executablePath: browserPath,
  args: ["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });

  // Search by name.
  await page.goto(`${base}/`);
  check((await page.title()).includes("Find a school"), "the search page opens");
  await page.getByLabel("Name, place or RCDTS").fill("Payson");
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/q=Payson/);
  const rows = await page.locator("tbody tr").count();
  check(rows > 0, `searching "Payson" lists schools (${rows})`);
  await axe(page, "search page");
  await shoot(page, "search");

  // Districts A-Z, then one district and its schools.
  await page.getByRole("navigation", { name: "Site" }).getByRole("link", { name: "Districts" }).click();
  check(await page.getByRole("heading", { name: "Districts A-Z" }).isVisible(), "the districts page opens");
  await page.locator("main ul li a").first().click();
  check((await page.locator("tbody tr").count()) > 0, "a district page lists its schools");
  check((await page.locator("svg[role=img]").count()) > 0, "a district page draws its designations");
  await shoot(page, "district");

  // A Targeted school's profile, then its explanation.
  await page.goto(`${base}/?designation=Targeted&band=ES`);
  await page.locator("tbody tr td a").first().click();
  check(await page.getByRole("heading", { name: "Designations" }).isVisible(), "a Targeted school's profile opens");
  check((await page.locator(".badge.Targeted").count()) > 0, "the profile shows the Targeted designation");
  await axe(page, "profile page");
  await shoot(page, "profile");
  await page.getByRole("link", { name: /Full explanation/ }).click();
  check(await page.getByRole("heading", { name: /has its designation/ }).isVisible(), "the explanation opens");
  check(await page.getByText("Deciding rule").first().isVisible(), "the explanation gives the deciding rule");
  await shoot(page, "explanation");

  if (process.env.EMPOWER_DEMO) await accounts(process.env.EMPOWER_DEMO);
} finally {
  await browser.close();
}
async function accounts(demoFile) {
  const demo = Object.fromEntries(
    readFileSync(demoFile, "utf8").trim().split("\n").map((line) => {
      const [role, email, password, scope] = line.split("\t");
      return [role, { email, password, scope }];
    }),
  );
  const admin = demo["state-admin"];
  check(admin !== undefined, "the demo printed a state administrator");

  // The administrator signs in.
  const adminContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await adminContext.newPage();
  await page.goto(`${base}/account`);
  check(page.url().includes("/sign-in"), "a signed-out visit to the account page goes to sign-in");
  await axe(page, "sign-in page");
  await shoot(page, "sign-in");
  await page.getByLabel("E-mail address").fill(admin.email);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/account$/);
  check(await page.getByText("State administrator").first().isVisible(), "the administrator is signed in with the role");
  await axe(page, "account page");
  await shoot(page, "account");

  // ... and invites a school leader for the demo's school.
  const invited = `invited-${Date.now()}@example.org`;
  await page.goto(`${base}/admin/users`);
  await axe(page, "users page");
  await page.getByLabel("E-mail address").fill(invited);
  await page.getByLabel("Name", { exact: true }).fill("Ivy Invitee");
  await page.getByLabel("Role").selectOption("school-leader");
  await page.getByLabel(/^Scope/).fill(demo["school-leader"].scope);
  await page.getByRole("button", { name: "Invite" }).click();
  check(await page.getByRole("heading", { name: "Invitation sent" }).isVisible(), "the invitation is created");
  const link = (await page.locator("code.link-text").textContent()).trim();
  check(link.includes("/invitations/"), "the administrator sees the invitation link");
  await shoot(page, "invitation-sent");

  // The invited person sets a password and is signed in.
  const inviteeContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const invitee = await inviteeContext.newPage();
  await invitee.goto(link.replace(/^https?:\/\/[^/]+/, base));
  check(await invitee.getByRole("heading", { name: "Accept your invitation" }).isVisible(), "the invitation opens");
  await axe(invitee, "invitation page");
  await shoot(invitee, "invitation");
  await invitee.getByLabel(/^Password/).fill("ivy's own long password");
  await invitee.getByRole("button", { name: "Accept and sign in" }).click();
  await invitee.waitForURL(/\/account$/);
  check(await invitee.getByText("School leader").first().isVisible(), "the invited person is signed in as a school leader");
  await invitee.getByRole("link", { name: "people with access" }).click();
  check((await invitee.locator("tbody").textContent()).includes(invited), "the school leader sees who has access to the school");
  await axe(invitee, "people page");
  await shoot(invitee, "people");
  await invitee.goto(`${base}/admin/users`);
  check((await invitee.title()).includes("Forbidden"), "a school leader cannot open the users page");
  await inviteeContext.close();

  // The administrator sees both actions in the audit log.
  await page.goto(`${base}/admin/audit`);
  const log = await page.locator("tbody").textContent();
  check(log.includes("invitation.create") && log.includes(admin.email), "the audit log shows the invitation by the administrator");
  check(log.includes("invitation.accept") && log.includes(invited), "the audit log shows the invited person accepting");
  await axe(page, "audit page");
  await shoot(page, "audit");
  // The invited person's own page shows their roles and history.
  await page.locator("tbody tr", { hasText: "invitation.accept" }).getByRole("link").first().click();
  check(await page.getByRole("heading", { name: "Ivy Invitee" }).isVisible(), "the invited person's page opens");
  check((await page.locator("tbody").textContent()).includes("invitation.accept"), "a person's page shows their history");
  await axe(page, "user page");
  await shoot(page, "user");
  await adminContext.close();

  // Five wrong passwords, then the sixth try waits.
  const otherContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const other = await otherContext.newPage();
  const educator = demo["educator"];
  let lastStatus = 0;
  for (let i = 1; i <= 6; i++) {
    await other.goto(`${base}/sign-in`);
    await other.getByLabel("E-mail address").fill(educator.email);
    await other.getByLabel("Password").fill(i === 6 ? educator.password : `wrong password ${i}`);
    const [response] = await Promise.all([
      other.waitForResponse((r) => r.url().endsWith("/sign-in") && r.request().method() === "POST"),
      other.getByRole("button", { name: "Sign in" }).click(),
    ]);
    lastStatus = response.status();
    if (i < 6) check(lastStatus === 401, `wrong password ${i} is refused (401)`);
  }
  check(lastStatus === 429, "the sixth try, even with the right password, waits (429)");
  check(await other.getByRole("heading", { name: "Too many attempts" }).isVisible(), "the page says to wait");
  await shoot(other, "rate-limited");
  await otherContext.close();
}

if (failures.length) {
  console.error(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log(`browser test passed; screenshots in ${shots}`);
