// Browser test of the public pages, as a visitor uses them: search, open a
// district, open a Targeted school's profile and its explanation. Debian's
// chromium is driven by playwright-core (no downloaded browser); axe-core
// checks accessibility on the search and profile pages and the test fails
// on any serious or critical violation. Screenshots at laptop and phone
// widths go to $SCREENSHOTS (default target/browser-screenshots).
//
//   EMPOWER_URL=http://127.0.0.1:8080 node tests/browser/run.mjs

import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
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
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log(`browser test passed; screenshots in ${shots}`);
