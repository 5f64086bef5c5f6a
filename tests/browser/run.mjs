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
import { execFileSync } from "node:child_process";
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

  if (process.env.EMPOWER_DEMO) {
    await accounts(process.env.EMPOWER_DEMO);
    await partnersProgram(process.env.EMPOWER_DEMO);
    await improvementCycle(process.env.EMPOWER_DEMO);
    await helpLine(process.env.EMPOWER_DEMO);
    await partnerContribution(process.env.EMPOWER_DEMO);
    await teachingExcellence(process.env.EMPOWER_DEMO);
    await resourceAllocation(process.env.EMPOWER_DEMO);
  }
} finally {
  await browser.close();
}
function readDemo(demoFile) {
  return Object.fromEntries(
    readFileSync(demoFile, "utf8").trim().split("\n").map((line) => {
      const [role, email, password, scope] = line.split("\t");
      return [role, { email, password, scope }];
    }),
  );
}

// A new browser context signed in as `who`; returns its page.
async function signedIn(who) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/sign-in`);
  await page.getByLabel("E-mail address").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/account$/);
  return page;
}

async function accounts(demoFile) {
  const demo = readDemo(demoFile);
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

// Peer Learning Partners: a school leader of a Commendable school applies
// through the pages (district A-Z, school, prefilled form), attaches a
// file and submits; the state approves from its queue; the partner is in
// the directory and in the recommendations of the demo's Targeted school
// with its reasons; a school leader of that Targeted school cannot
// submit; the district records an engagement and the partner accepts it.
async function partnersProgram(demoFile) {
  const demo = readDemo(demoFile);
  const partnerSchool = demo["partner-contact"].scope;
  const targeted = demo["school-leader"].scope;
  const region = targeted.slice(0, 2);

  // The administrator invites a school leader of the Commendable school.
  const admin = await signedIn(demo["state-admin"]);
  const applicantEmail = `applicant-${Date.now()}@example.org`;
  await admin.goto(`${base}/admin/users`);
  await admin.getByLabel("E-mail address").fill(applicantEmail);
  await admin.getByLabel("Name", { exact: true }).fill("Ada Applicant");
  await admin.getByLabel("Role").selectOption("school-leader");
  await admin.getByLabel(/^Scope/).fill(partnerSchool);
  await admin.getByRole("button", { name: "Invite" }).click();
  const link = (await admin.locator("code.link-text").textContent()).trim();
  const applicantContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const applicant = await applicantContext.newPage();
  await applicant.goto(link.replace(/^https?:\/\/[^/]+/, base));
  await applicant.getByLabel(/^Password/).fill("ada's own long password");
  await applicant.getByRole("button", { name: "Accept and sign in" }).click();
  await applicant.waitForURL(/\/account$/);

  // District A-Z, then the school, then the prefilled form.
  await applicant.goto(`${base}/schools/${partnerSchool}`);
  const districtHref = await applicant.locator("dl.facts a[href^='/districts/']").getAttribute("href");
  const district = districtHref.split("/").pop();
  await applicant.goto(`${base}/account`);
  await applicant.getByRole("link", { name: "Partner applications" }).click();
  await applicant.getByRole("link", { name: "Apply for your school" }).click();
  check(await applicant.getByRole("heading", { name: "Districts A-Z" }).isVisible(), "the application starts with the districts A-Z");
  await axe(applicant, "application: districts");
  await applicant.locator(`a[href$="?district=${district}"]`).click();
  await applicant.locator(`a[href$="?school=${partnerSchool}"]`).click();
  check(await applicant.getByRole("heading", { name: "From the report card" }).isVisible(), "the form opens with the report card's facts");
  check((await applicant.locator("dl.facts").first().textContent()).includes(partnerSchool), "the facts show the school's RCDTS, not retyped");
  check((await applicant.locator(".badge.Commendable, .badge.Exemplary").count()) > 0, "the facts show the eligible designation");
  await applicant.getByLabel("Culture & Climate").check();
  await applicant.getByLabel("Job-embedded professional learning").check();
  await applicant.getByLabel(new RegExp(`^${region} · `)).check();
  await applicant.getByLabel(/^Capacity: how many/).fill("2");
  await applicant.getByLabel("Name 1").fill("Ada Applicant");
  await applicant.getByLabel("E-mail 1").fill(applicantEmail);
  await applicant.getByLabel("Success sustained over time").fill("Proficiency rose for four years running in every tested grade.");
  await applicant.getByLabel(/^A plan to replicate/).fill("Monthly peer visits and a shared data protocol, evaluated each semester.");
  await applicant.getByLabel("Capacity to support other schools").fill("Two coaches with a release period each week.");
  await applicant.getByRole("button", { name: "Save the draft" }).click();
  check(await applicant.getByText("The draft is saved.").isVisible(), "the draft is saved");
  const applicationUrl = applicant.url().split("?")[0];

  // Evidence: a PDF is attached; a page of HTML named .pdf is refused.
  await applicant.getByLabel(/^Attach a file/).setInputFiles({ name: "results.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n% results\n") });
  await applicant.getByRole("button", { name: "Attach the file", exact: true }).click();
  check(await applicant.getByRole("link", { name: "results.pdf" }).isVisible(), "an evidence file is attached");
  await applicant.getByLabel(/^Attach a file/).setInputFiles({ name: "fake.pdf", mimeType: "application/pdf", buffer: Buffer.from("<html><script>alert(1)</script></html>") });
  await applicant.getByRole("button", { name: "Attach the file", exact: true }).click();
  check(await applicant.getByText(/fake\.pdf is not a file the platform accepts/).isVisible(), "a file whose bytes are not what its name says is refused");
  await applicant.goto(applicationUrl);
  await axe(applicant, "application form");
  await shoot(applicant, "partner-application");
  await applicant.getByRole("button", { name: "Submit the application" }).click();
  check(await applicant.getByText("Submitted: waiting for the state's decision").isVisible(), "the application is submitted");

  // The state's queue: approve with a reason.
  await admin.goto(`${base}/partner-applications`);
  check(await admin.getByRole("heading", { name: /Waiting for a decision \(1\)/ }).isVisible(), "the state's queue holds the application");
  await axe(admin, "review queue");
  await shoot(admin, "partner-queue");
  await admin.locator("table").first().getByRole("link").first().click();
  await admin.getByLabel("Approve").check();
  await admin.getByLabel(/^Reason/).fill("Sustained growth and a clear replication plan.");
  await admin.getByRole("button", { name: "Record the decision" }).click();
  check(await admin.getByText("Approved: a Peer Learning Partner").isVisible(), "the state approves it");
  await applicant.goto(applicationUrl);
  check(await applicant.getByText("The state's reason: Sustained growth").isVisible(), "the applicant sees the decision and its reason");
  await applicantContext.close();

  // The public directory and the Targeted school's recommendations.
  const visitor = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await visitor.goto(`${base}/partners`);
  const schoolName = (await visitor.locator(`a[href="/partners/${partnerSchool}"]`).first().textContent()).trim();
  check(schoolName.length > 0, "the approved partner is in the public directory");
  check(await visitor.getByRole("heading", { name: "Culture & Climate" }).isVisible(), "the directory is organised by priority area");
  await axe(visitor, "partner directory");
  await shoot(visitor, "partner-directory");
  await visitor.goto(`${base}/schools/${targeted}/partners`);
  const rec = visitor.locator("section.recommendation", { hasText: schoolName });
  check((await rec.count()) === 1, "the Targeted school's recommendations list the partner");
  const reasons = await rec.textContent();
  check(/region · 30\.0 points/.test(reasons) && reasons.includes("capacity"), "the recommendation shows its reasons with their points");
  await axe(visitor, "recommendations");
  await shoot(visitor, "partner-recommendations");

  // A school leader of the Targeted school cannot submit.
  const leader = await signedIn(demo["school-leader"]);
  await leader.goto(`${base}/partner-applications/new?school=${targeted}`);
  check(await leader.getByText(/This school cannot submit an application: only Exemplary or Commendable/).isVisible(), "the form tells a Targeted school why it cannot apply");
  await leader.getByLabel("Culture & Climate").check();
  await leader.getByLabel(new RegExp(`^${region} · `)).check();
  await leader.getByRole("button", { name: "Save the draft" }).click();
  check((await leader.getByRole("button", { name: "Submit the application" }).count()) === 0, "a Targeted school's draft has no submit button");
  const csrf = await leader.locator("input[name=csrf]").first().inputValue();
  const forced = await leader.request.post(`${leader.url().split("?")[0]}/submit`, { form: { csrf }, maxRedirects: 0 });
  check(forced.status() === 422, `a Targeted school's submission is refused by the server (${forced.status()})`);
  await leader.context().close();

  // The district records an engagement; the partner's contact accepts it.
  const districtLeader = await signedIn(demo["district-leader"]);
  await districtLeader.goto(`${base}/schools/${targeted}/engagements/new`);
  await districtLeader.getByLabel("Partner").selectOption(partnerSchool);
  await districtLeader.getByLabel("Priority area").selectOption("culture-climate");
  await districtLeader.getByLabel("Starts on").fill("2027-03-01");
  await districtLeader.getByLabel("Ends on").fill("2027-06-30");
  await districtLeader.getByLabel(/^Agreement/).fill("Monthly visits; shared walkthrough tool.");
  await districtLeader.getByLabel("Budget in dollars").fill("12,500");
  await axe(districtLeader, "engagement form");
  await shoot(districtLeader, "engagement-form");
  await districtLeader.getByRole("button", { name: "Record the engagement" }).click();
  check((await districtLeader.locator("#engagements + .table-wrap").textContent()).includes("proposed"), "the school's page shows the proposed engagement");
  await districtLeader.context().close();
  const contact = await signedIn(demo["partner-contact"]);
  await contact.goto(`${base}/partners/${partnerSchool}`);
  check(await contact.getByText("2 of 2 places left").isVisible(), "the partner has both places before accepting");
  await contact.getByRole("button", { name: "Accept" }).click();
  check(await contact.getByText("1 of 2 places left").isVisible(), "accepting takes one place");
  check((await contact.locator("#engagements + .table-wrap").textContent()).includes("$12,500.00"), "the partner sees the agreement's budget");
  await axe(contact, "partner page");
  await shoot(contact, "partner-page");
  await contact.context().close();
  await visitor.goto(`${base}/schools/${targeted}`);
  const engagements = await visitor.locator("#engagements + .table-wrap").textContent();
  check(engagements.includes(schoolName) && engagements.includes("accepted"), "the Targeted school's page shows the accepted engagement");
  check(!engagements.includes("$12,500.00"), "the public does not see the budget");
  await visitor.close();
  await admin.context().close();
}

// The improvement cycle: the state's dashboard lists the demo's
// Comprehensive school with its support manager, and the school's page
// shows its status, manager and due dates.
async function improvementCycle(demoFile) {
  const demo = readDemo(demoFile);
  const coordinator = await signedIn(demo["state-coordinator"]);
  await coordinator.getByRole("link", { name: "Improvement cycle" }).click();
  check(await coordinator.getByRole("heading", { name: /^Improvement cycle \d{4}-\d{2}$/ }).isVisible(), "the state's improvement dashboard opens");
  const row = coordinator.locator("tbody tr", { hasText: "Demo state coordinator" });
  check((await row.count()) === 1, "the dashboard lists the demo's Comprehensive school with its support manager");
  const inCycle = Number((await coordinator.getByText(/schools in the cycle/).textContent()).match(/(\d+) schools in the cycle/)[1]);
  const rows = await coordinator.locator("tbody tr").count();
  check(inCycle > 100 && rows === 100, `the dashboard counts every school in the cycle (${inCycle}) and shows them 100 a page`);
  await axe(coordinator, "improvement dashboard");
  await shoot(coordinator, "improvement-dashboard");

  // What is due soon, and the reminder mail queued from it; caseloads.
  await coordinator.getByRole("link", { name: "What is due soon (reminders)" }).click();
  // A window of 400 days holds the school year's items on any date.
  await coordinator.getByLabel("Within (days)").fill("400");
  await coordinator.getByRole("button", { name: "Show" }).click();
  await coordinator.waitForURL(/days=400/);
  check(await coordinator.getByRole("cell", { name: "school-leader@demo.invalid" }).first().isVisible(), "the reminders list the demo Targeted school's leader");
  await coordinator.getByRole("button", { name: "Queue the reminder e-mails" }).click();
  await coordinator.waitForURL(/queued=/);
  check(await coordinator.getByText(/\d+ reminder e-mails written to the outbox/).isVisible(), "the state queues the reminder e-mails");
  await axe(coordinator, "reminders");
  await shoot(coordinator, "reminders");
  await coordinator.goto(`${base}/improvement/caseloads`);
  check(await coordinator.getByRole("heading", { name: "Demo state coordinator" }).isVisible(), "the caseloads page lists the demo coordinator's schools");
  check(await coordinator.getByRole("heading", { name: "Schools that need a support manager" }).isVisible(), "the caseloads page lists the schools without a support manager");
  await axe(coordinator, "caseloads");
  await shoot(coordinator, "caseloads");
  await coordinator.goto(`${base}/improvement`);
  await row.getByRole("link").first().click();
  check(await coordinator.getByText("Demo state coordinator ·").isVisible(), "the school's cycle page names its support manager");
  check(await coordinator.getByText("Work plan and 1003(a) budget").isVisible(), "the school's cycle page shows what is due");
  await axe(coordinator, "school improvement page");
  await shoot(coordinator, "school-improvement");
  const school = coordinator.url().match(/schools\/(\w+)\/improvement/)[1];
  // The state enters the school's 1003(a) allocation.
  await coordinator.getByLabel("1003(a) allocation in dollars").fill("50,000");
  await coordinator.getByRole("button", { name: "Enter the allocation" }).click();
  check(await coordinator.getByText("$50,000.00").isVisible(), "the state enters the allocation");

  // The administrator invites a school leader of the school and a leader
  // of its district.
  const admin = await signedIn(demo["state-admin"]);
  await admin.goto(`${base}/schools/${school}`);
  const district = (await admin.locator("dl.facts a[href^='/districts/']").getAttribute("href")).split("/").pop();
  const invite = async (email, name, role, scope) => {
    await admin.goto(`${base}/admin/users`);
    await admin.getByLabel("E-mail address").fill(email);
    await admin.getByLabel("Name", { exact: true }).fill(name);
    await admin.getByLabel("Role").selectOption(role);
    await admin.getByLabel(/^Scope/).fill(scope);
    await admin.getByRole("button", { name: "Invite" }).click();
    const link = (await admin.locator("code.link-text").textContent()).trim();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(link.replace(/^https?:\/\/[^/]+/, base));
    await page.getByLabel(/^Password/).fill(`${name}'s own long password`);
    await page.getByRole("button", { name: "Accept and sign in" }).click();
    await page.waitForURL(/\/account$/);
    return page;
  };
  const stamp = Date.now();
  const leader = await invite(`lead-${stamp}@example.org`, "Lena Lead", "school-leader", school);
  const dl = await invite(`district-${stamp}@example.org`, "Dan District", "district-leader", district);
  await admin.context().close();

  // The needs assessment: every indicator rated with evidence.
  await leader.getByRole("link", { name: "Improvement cycle" }).click();
  await leader.getByRole("button", { name: "Start the needs assessment" }).click();
  for (const radio of await leader.locator("input[type=radio][value=Emerging]").all()) await radio.check();
  for (const evidence of await leader.locator("textarea[name^=evidence_]").all()) await evidence.fill("Walkthrough notes and survey results");
  await leader.getByLabel("Curriculum & Instruction").check();
  // Evidence from the school's own data: a fact of its profile, chosen.
  await leader.locator("details summary", { hasText: "Data from the school's profile" }).first().click();
  const fact = leader.locator("input[name^=data_]").first();
  const factText = (await fact.locator("xpath=..").textContent()).trim();
  await fact.check();
  await leader.getByRole("button", { name: "Save the ratings" }).click();
  check(await leader.getByText("The ratings are saved.").isVisible(), "the needs assessment's ratings are saved");
  check(await leader.getByText("Data from the school's profile (1 chosen)").isVisible(), "a fact of the school's profile is kept as evidence");
  // A file as evidence for one indicator; a renamed page is refused.
  await leader.getByLabel("Indicator the file is evidence for").selectOption({ index: 0 });
  await leader.locator("input[type=file][name=file]").setInputFiles({ name: "walkthrough-notes.txt", mimeType: "text/plain", buffer: Buffer.from("Walkthrough, week 3: small groups in every room.\n") });
  await leader.getByRole("button", { name: "Attach the file" }).click();
  check(await leader.getByText("The file is attached.").isVisible(), "a file is attached to the needs assessment as evidence");
  check(await leader.getByRole("link", { name: "walkthrough-notes.txt" }).first().isVisible(), "the attached file is listed with its indicator");
  await leader.locator("input[type=file][name=file]").setInputFiles({ name: "notes.pdf", mimeType: "application/pdf", buffer: Buffer.from("<html>not a pdf</html>") });
  await leader.getByRole("button", { name: "Attach the file" }).click();
  check(await leader.getByText(/notes\.pdf is not a file the platform accepts/).isVisible(), "a file whose bytes are not what its name says is refused");
  await axe(leader, "needs assessment");
  await shoot(leader, "needs-assessment");
  await leader.getByRole("button", { name: "Submit the needs assessment" }).click();
  check(await leader.getByText("The needs assessment is submitted.").isVisible(), "the needs assessment is submitted");

  // The work plan with a partner and a budget.
  await leader.goto(`${base}/schools/${school}/improvement`);
  await leader.getByRole("button", { name: "Start the work plan" }).click();
  check((await leader.locator("p.prose").nth(1).textContent()).includes("Emerging"), "section 2 is drawn from the needs assessment");
  await leader.getByLabel(/^3\. Resource inequities/).fill("Too few interventionists for our English learners.");
  await leader.getByLabel(/^4\. Activities/).fill("Small-group tutoring three times a week.");
  await leader.getByLabel("Curriculum & Instruction").check();
  await leader.getByLabel(/^Partner/).selectOption("vendor");
  await leader.getByLabel("Vendor partner's id").fill("V-17");
  await leader.getByLabel("Vendor partner's name").fill("Learning Co");
  await leader.getByLabel("Indicator 1").selectOption({ index: 1 });
  await leader.getByLabel("Goal 1").fill("More students meet the standards");
  await leader.getByLabel("Baseline 1").fill("21.5");
  await leader.getByLabel("Target 1").fill("30");
  await leader.getByLabel("By 1").fill("2028-06-30");
  await leader.getByLabel("Short id 1").fill("tutoring");
  await leader.getByLabel("Need 1").fill("English learners' reading");
  await leader.getByLabel("Strategy 1").fill("Small-group tutoring");
  await leader.getByLabel("Owner 1").fill("Assistant principal");
  await leader.getByLabel("Strategy id 1").fill("tutoring");
  await leader.getByLabel("Category 1").selectOption("supplemental-staff");
  await leader.getByLabel("What it pays for 1").fill("Two tutors");
  await leader.getByLabel("Dollars 1").fill("40,000");
  await leader.getByLabel("Monitoring plan").fill("Monthly review of tutoring data.");
  await leader.getByRole("button", { name: "Save the plan" }).click();
  check(await leader.getByText("The plan is saved.").isVisible(), "the work plan is saved");
  await axe(leader, "work plan");
  await shoot(leader, "work-plan");
  await leader.getByRole("button", { name: "Submit the plan" }).click();
  check(await leader.getByText("The plan is submitted to the district.").isVisible(), "the work plan is submitted");
  const planUrl = leader.url().split("?")[0];

  // The district returns section 3 with a comment.
  await dl.goto(planUrl);
  await dl.getByLabel("Return for changes").check();
  await dl.getByLabel("Comment on section 3").fill("Name the grades short of staff.");
  await dl.getByRole("button", { name: "Record the review" }).click();
  check(await dl.getByText("Returned for changes").isVisible(), "the district returns the plan");

  // The school revises section 3 and resubmits.
  await leader.goto(planUrl);
  check(await leader.getByText("Section 3: Name the grades short of staff.").isVisible(), "the school sees the district's comment on section 3");
  await leader.getByLabel(/^3\. Resource inequities/).fill("Too few interventionists for our English learners in grades 1 and 2.");
  await leader.getByRole("button", { name: "Save the plan" }).click();
  await leader.getByRole("button", { name: "Submit the plan" }).click();
  check(await leader.getByText("Submitted: waiting for the district · version 2").isVisible(), "the resubmission is version 2");

  // The district sees what changed, and approves; then the state.
  await dl.goto(planUrl);
  check(await dl.locator("pre.diff ins", { hasText: "grades 1 and 2" }).isVisible(), "the reviewer sees what changed since version 1");
  await axe(dl, "plan review");
  await shoot(dl, "plan-review");
  await dl.getByLabel("Approve").check();
  await dl.getByRole("button", { name: "Record the review" }).click();
  check(await dl.getByText("Approved by the district").isVisible(), "the district approves");
  await coordinator.goto(planUrl);
  await coordinator.getByLabel("Approve").check();
  await coordinator.getByRole("button", { name: "Record the review" }).click();
  check(await coordinator.getByText("Approved", { exact: true }).first().isVisible(), "the state approves");
  await coordinator.goto(`${base}/improvement`);
  const schoolRow = coordinator.locator("tbody tr").filter({ has: coordinator.locator(`a[href="/schools/${school}/improvement"]`) });
  check((await schoolRow.textContent()).includes("approved"), "the state's dashboard shows the plan approved");
  check(/1 plans? approved/.test(await coordinator.getByText(/plans approved/).textContent()), "the dashboard counts the approved plan");

  // The approved plan prints as a clean page and downloads as a PDF,
  // which is read back (pdftotext) and rendered to an image to look at.
  await leader.goto(planUrl);
  await leader.getByRole("link", { name: "Printable plan" }).click();
  check(await leader.getByRole("heading", { name: /^Work plan \d{4}-\d{2}: / }).isVisible(), "the printable plan opens");
  check(!(await leader.getByText("Not approved:").isVisible()), "the printable plan is the approved one");
  check(await leader.getByRole("cell", { name: "$40,000.00" }).first().isVisible(), "the printable plan shows the budget in dollars");
  await axe(leader, "printable plan");
  await shoot(leader, "printable-plan");
  const [download] = await Promise.all([
    leader.waitForEvent("download"),
    leader.getByRole("link", { name: "Download as PDF" }).click(),
  ]);
  const pdfPath = join(shots, "work-plan.pdf");
  await download.saveAs(pdfPath);
  check(readFileSync(pdfPath).subarray(0, 5).toString() === "%PDF-", "the plan downloads as a PDF");
  const pdfText = execFileSync("pdftotext", ["-layout", pdfPath, "-"]).toString();
  for (const expected of ["grades 1 and 2", "Learning Co (vendor partner)", "$40,000.00", "$50,000.00", "Approved", "Section 3: Name the grades"]) {
    check(pdfText.includes(expected), `the PDF has "${expected}"`);
  }
  execFileSync("pdftoppm", ["-png", "-r", "70", "-f", "1", "-l", "2", pdfPath, join(shots, "work-plan-pdf")]);

  // The needs assessment prints too.
  await leader.goto(`${base}/schools/${school}/improvement`);
  await leader.getByRole("link", { name: "Open the needs assessment" }).click();
  await leader.getByRole("link", { name: "Printable assessment" }).click();
  check(await leader.getByText("Walkthrough notes and survey results").first().isVisible(), "the printable needs assessment shows the evidence");
  check(await leader.getByText(factText).first().isVisible(), "the printable needs assessment shows the profile data chosen");
  check(await leader.getByText("walkthrough-notes.txt").first().isVisible(), "the printable needs assessment names the files");
  await shoot(leader, "printable-assessment");

  // An approved plan is locked; an amendment opens the next version.
  await leader.goto(planUrl);
  await leader.getByRole("button", { name: "Start an amendment" }).click();
  check(await leader.getByText("The amendment is open as a draft").isVisible(), "the school starts an amendment of the approved plan");
  check(await leader.locator(".status-box").getByText("Draft · version 3").isVisible(), "the amendment is version 3");
  await leader.context().close();
  await dl.context().close();
  await coordinator.context().close();
}

// A partner with an accepted engagement with the school (the partners
// program above) contributes to its needs assessment.
async function partnerContribution(demoFile) {
  const demo = readDemo(demoFile);
  const targeted = demo["school-leader"].scope;
  const leader = await signedIn(demo["school-leader"]);
  await leader.goto(`${base}/schools/${targeted}/improvement`);
  await leader.getByRole("button", { name: "Start the needs assessment" }).click();
  const url = leader.url().split("?")[0];
  const contact = await signedIn(demo["partner-contact"]);
  await contact.goto(url);
  await contact.locator("textarea[name^=evidence_]").first().fill("The partner's classroom walkthroughs, March");
  await contact.getByRole("button", { name: "Save the ratings" }).click();
  check(await contact.getByText("The ratings are saved.").isVisible(), "the engaged partner's contact contributes to the needs assessment");
  check(!(await contact.getByRole("button", { name: "Submit the needs assessment" }).isVisible()), "the partner cannot submit the school's needs assessment");
  await leader.goto(url);
  check((await leader.locator("textarea[name^=evidence_]").first().inputValue()) === "The partner's classroom walkthroughs, March", "the school leader sees the partner's contribution");
  await leader.context().close();
  await contact.context().close();
}

// The help line: the demo's Targeted school asks in writing; a
// coordinator replies; the school sees the reply.
async function helpLine(demoFile) {
  const demo = readDemo(demoFile);
  const leader = await signedIn(demo["school-leader"]);
  await leader.goto(`${base}/help-requests`);
  await leader.getByLabel("Subject").fill("Help choosing a learning partner");
  await leader.getByLabel("What the school needs").fill("We would like advice on partners for culture and climate.");
  await leader.getByRole("button", { name: "Send the request" }).click();
  check(await leader.getByRole("heading", { name: "Help choosing a learning partner" }).isVisible(), "a Targeted school's help request is sent");
  const requestUrl = leader.url();
  const coordinator = await signedIn(demo["state-coordinator"]);
  await coordinator.goto(`${base}/help-requests`);
  await coordinator.getByRole("link", { name: "Help choosing a learning partner" }).click();
  await coordinator.getByLabel("Reply").fill("Two partners serve your region; I will call on Monday.");
  await coordinator.getByRole("button", { name: "Send the reply" }).click();
  check(await coordinator.getByText("answered").first().isVisible(), "the coordinator's reply answers the request");
  await axe(coordinator, "help request");
  await shoot(coordinator, "help-request");
  await leader.goto(requestUrl);
  check(await leader.getByText("I will call on Monday").isVisible(), "the school sees the reply");
  await leader.context().close();
  await coordinator.context().close();
}

// The Teaching Excellence Program: two teachers register themselves; the
// mentor gives their facts and requests the mentoring incentive (first
// in line, reserved), records an agreement with the other and logs a
// session; the employer confirms the mentor's position (funded); the
// administrator cannot release the payment until the recipient signs the
// log line as themselves; then releases it and downloads the ledger and
// the Comptroller's export.
async function teachingExcellence(demoFile) {
  const demo = readDemo(demoFile);
  const district = demo["employer"].scope;
  const stamp = Date.now();
  async function register(name, email) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/register`);
    await page.getByLabel("Your name").fill(name);
    await page.getByLabel("E-mail address").fill(email);
    await page.getByLabel(/^Password/).fill("a good long password");
    await page.getByRole("button", { name: "Create the account" }).click();
    await page.waitForURL(/\/account$/);
    await page.getByRole("link", { name: "Teaching Excellence Program" }).click();
    return page;
  }
  async function facts(page, nbpts) {
    await page.locator("select[name=license]").selectOption("PEL");
    await page.locator("select[name=role]").selectOption("teacher");
    await page.locator("select[name=nbpts]").selectOption(nbpts);
    await page.getByLabel("Employing district (RCDTS)").fill(district);
    await page.getByLabel("Full-time position").check();
    await page.getByLabel("I am the person originally assigned to the position").check();
    await page.getByRole("button", { name: "Save" }).click();
  }
  const mentorEmail = `mentor-${stamp}@example.org`;
  const recipientEmail = `recipient-${stamp}@example.org`;
  const mentor = await register("Maria Mentor", mentorEmail);
  check(await mentor.getByRole("heading", { name: "Teaching Excellence Program" }).isVisible(), "a self-registered educator opens the program's page");
  await facts(mentor, "certified");
  check(await mentor.getByRole("heading", { name: "Your eligibility this year" }).isVisible(), "the educator's eligibility is shown once the facts are given");
  check(await mentor.getByText("not given yet").isVisible(), "the employer's verification is not given yet");
  await mentor.getByRole("button", { name: /^Request: Incentive for up to 45 hours/ }).click();
  const mentorRow = mentor.locator("#requests ~ .table-wrap tbody tr").first();
  check((await mentorRow.innerText()).includes("reserved"), "the mentoring request is reserved while the employer verifies");
  check(/you are \d+(st|nd|rd|th) in line/.test(await mentorRow.innerText()), "the request says its place in line");
  await axe(mentor, "educator page");
  await shoot(mentor, "tep-educator");

  const recipient = await register("Rita Recipient", recipientEmail);
  await facts(recipient, "none");

  // The agreement and a session in the log.
  await mentor.goto(`${base}/tep`);
  await mentor.getByText("Record a new agreement as the mentor").click();
  await mentor.getByLabel(/^Building administrator/).fill("Pat Lee, principal");
  await mentor.getByLabel("Goals").fill("Plan units for the new science standards together.");
  await mentor.getByLabel("Your duration of involvement").fill("November to May");
  await mentor.getByLabel("Time expected per recipient").fill("About 20 hours");
  await mentor.getByLabel(/^Recipients' e-mail addresses/).fill(recipientEmail);
  await mentor.getByRole("button", { name: "Record the agreement" }).click();
  check(await mentor.getByRole("heading", { name: /^Mentoring agreement \d+/ }).isVisible(), "the mentor records a written agreement");
  const agreementUrl = mentor.url();
  const today = new Date().toLocaleDateString("en-CA", { timeZone: "America/Chicago" });
  await mentor.getByLabel("Date").fill(today);
  await mentor.getByLabel("Hours").fill("3");
  await mentor.locator("input[name=addressed]").first().check();
  await mentor.getByLabel(/^How the work related/).fill("Grade 7 students reading below grade level in science texts.");
  await mentor.getByRole("button", { name: "Add to the log" }).click();
  check(await mentor.getByText("3 of 45 hours count").isVisible(), "the session's hours count toward the 45");
  check(await mentor.getByText("not signed by the recipient yet").isVisible(), "the log waits for the recipient's signature");
  await axe(mentor, "agreement page");
  await shoot(mentor, "tep-agreement");

  // The employer confirms the mentor's position.
  const employer = await signedIn(demo["employer"]);
  await employer.goto(`${base}/tep/verifications`);
  await employer.getByRole("button", { name: "Confirm Maria Mentor" }).click();
  check((await employer.locator("tr", { hasText: mentorEmail }).innerText()).includes("confirmed"), "the employer confirms the mentor's position");
  await axe(employer, "verifications page");
  await shoot(employer, "tep-verifications");
  await mentor.goto(`${base}/tep`);
  check((await mentor.locator("#requests ~ .table-wrap tbody tr").first().innerText()).includes("funded"), "the verified request is funded");

  // The administrator: no release before the log is signed.
  const admin = await signedIn(demo["program-admin"]);
  await admin.goto(`${base}/tep/admin`);
  const line = admin.locator("tr", { hasText: "Maria Mentor" });
  check((await line.innerText()).includes("funded"), "the administrator's line shows the funded request and its payee");
  await line.getByRole("button", { name: /^Release payment/ }).click();
  check(await admin.getByText("the mentoring log is not complete and signed yet").isVisible(), "an unsigned log blocks the payment");

  // The recipient signs, as themselves.
  await recipient.goto(`${base}/tep`);
  check(await recipient.getByRole("heading", { name: "Log lines for you to sign" }).isVisible(), "the recipient sees the line to sign");
  await recipient.goto(agreementUrl);
  await recipient.getByRole("button", { name: /^Sign the line of/ }).click();
  check(await recipient.getByText("The log is complete and every line is signed").isVisible(), "the recipient signs and the log is complete");

  await admin.goto(`${base}/tep/admin`);
  await admin.locator("tr", { hasText: "Maria Mentor" }).getByRole("button", { name: /^Release payment/ }).click();
  check((await admin.locator("tr", { hasText: "Maria Mentor" }).innerText()).includes("paid"), "the administrator releases the payment");
  check(await admin.getByText("$1,000.00").first().isVisible(), "the totals show the money paid");
  await axe(admin, "administrator's ledger");
  await shoot(admin, "tep-admin");
  const fy = new URL(admin.url()).searchParams.get("fiscal_year");
  const ledgerCsv = await (await admin.request.get(`${base}/tep/ledger.csv?fiscal_year=${fy}`)).text();
  check(ledgerCsv.startsWith("sequence,request_id,payee,payee_email,payment_type,amount_cents,status,reason") && ledgerCsv.includes(mentorEmail), "the ledger downloads as CSV");
  const paymentsCsv = await (await admin.request.get(`${base}/tep/payments.csv?fiscal_year=${fy}`)).text();
  check(paymentsCsv.includes(`Maria Mentor,${mentorEmail},1000.00,mentoring,21B-70(c)(5)`), "the Comptroller's export lists the payee, amount and type");
  for (const p of [mentor, recipient, employer, admin]) await p.context().close();
}

// Resource Allocation Reviews: the state opens fiscal year 2019's
// selection (the 2018 report card), removes a selected district with a
// reason, adds the demo district with a reason and issues its notice
// (late: December 15, 2018 is past), which the district's leader reads
// and acknowledges.
async function resourceAllocation(demoFile) {
  const demo = readDemo(demoFile);
  const district = demo["district-leader"].scope;
  const coordinator = await signedIn(demo["state-coordinator"]);
  await coordinator.goto(`${base}/rar?fiscal_year=2019`);
  check(await coordinator.getByRole("heading", { name: "Resource Allocation Reviews, fiscal year 2019" }).isVisible(), "the state opens the fiscal year's selection");
  check(await coordinator.getByText(/\d+ of \d+ districts selected/).isVisible(), "the selection says how many districts are selected");
  await axe(coordinator, "RAR selection");
  await shoot(coordinator, "rar-selection");
  // Remove the first selected district, with a reason.
  const first = coordinator.locator("tbody tr", { has: coordinator.getByRole("button", { name: /^Remove / }) }).first();
  const firstName = (await first.locator("td").nth(1).locator("a").innerText()).trim();
  await first.getByLabel("Reason").fill("reviewed in the pilot last year");
  await first.getByRole("button", { name: /^Remove / }).click();
  const removed = coordinator.locator("tbody tr", { hasText: firstName }).first();
  check((await removed.innerText()).includes("removed by the state: reviewed in the pilot last year"), "a removal keeps its reason");
  // Add the demo district and notify it.
  await coordinator.getByText("Add a district not listed").click();
  await coordinator.locator("form[action='/rar/selection/add']").getByLabel("District (RCDTS)").fill(district);
  await coordinator.locator("form[action='/rar/selection/add']").getByLabel("Reason").fill("the district asked for a review");
  await coordinator.getByRole("button", { name: "Add the district" }).click();
  const row = coordinator.locator("tbody tr", { has: coordinator.locator(`a[href='/districts/${district}']`) });
  check((await row.innerText()).includes("added by the state: the district asked for a review"), "an addition keeps its reason");
  await row.getByRole("button", { name: /^Issue the notice/ }).click();
  const issued = coordinator.locator("tbody tr", { has: coordinator.locator(`a[href='/districts/${district}']`) });
  check((await issued.innerText()).includes("late"), "a notice after December 15 is flagged late");
  const csv = await (await coordinator.request.get(`${base}/rar/selection.csv?fiscal_year=2019`)).text();
  check(csv.startsWith("district_rcdts,name,schools,identified,identified_by_designation,share,weighted_share,years_in_status,rank,selected_by_rule,selected,reason") && csv.includes(district), "the selection downloads as CSV, every district");

  // The district's leader reads and acknowledges the notice.
  const leader = await signedIn(demo["district-leader"]);
  await leader.goto(`${base}/rar`);
  await leader.getByRole("link", { name: /^Fiscal year 2019:/ }).click();
  check(await leader.getByRole("heading", { name: /^Resource Allocation Review, fiscal year 2019: / }).isVisible(), "the district's leader opens the notice");
  check(await leader.getByText(/Your district is selected for a Resource Allocation Review/).isVisible(), "the letter is filled with the district's figures");
  await axe(leader, "RAR notice");
  await leader.getByRole("button", { name: "Acknowledge the notice" }).click();
  check(await leader.getByText("acknowledged", { exact: false }).first().isVisible(), "the district acknowledges its notice");
  await shoot(leader, "rar-notice");
  const pdf = await leader.request.get(leader.url() + "/pdf");
  check(pdf.status() === 200 && (await pdf.body()).subarray(0, 4).toString() === "%PDF", "the notice downloads as PDF");

  // The review: the state opens it; a second district leader is invited;
  // each member rates on their own, they disagree, the team settles with
  // evidence; the facilitator comments; the team sets a goal.
  await coordinator.goto(`${base}/rar?fiscal_year=2019`);
  await coordinator.locator("tbody tr", { has: coordinator.locator(`a[href='/districts/${district}']`) }).getByRole("button", { name: /^Open the review/ }).click();
  check(await coordinator.getByRole("heading", { name: /^Resource Allocation Review: .*fiscal year 2019/ }).isVisible(), "the state opens the district's review");
  const reviewUrl = coordinator.url();
  const admin = await signedIn(demo["state-admin"]);
  const second = `second-leader-${Date.now()}@example.org`;
  await admin.goto(`${base}/admin/users`);
  await admin.getByLabel("E-mail address").fill(second);
  await admin.getByLabel("Name", { exact: true }).fill("Sam Second");
  await admin.getByLabel("Role").selectOption("district-leader");
  await admin.getByLabel(/^Scope/).fill(district);
  await admin.getByRole("button", { name: "Invite" }).click();
  const link = (await admin.locator("code.link-text").textContent()).trim();
  const samContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const sam = await samContext.newPage();
  await sam.goto(link.replace(/^https?:\/\/[^/]+/, base));
  await sam.getByLabel(/^Password/).fill("sam's own long password");
  await sam.getByRole("button", { name: "Accept and sign in" }).click();
  await sam.waitForURL(/\/account$/);

  await leader.goto(reviewUrl);
  await leader.locator("select[name=level_equitable]").first().selectOption("emerging");
  await leader.locator("textarea[name=evidence_equitable]").first().fill("Only Title I money follows need.");
  await leader.locator("select[name=level_transparent]").first().selectOption("accomplished");
  await leader.getByRole("button", { name: "Save my ratings" }).click();
  await sam.goto(reviewUrl);
  check(!(await sam.locator("tbody").first().innerText()).includes("Emerging"), "a member does not see another's rating before rating");
  await sam.locator("select[name=level_equitable]").first().selectOption("exemplary");
  await sam.getByRole("button", { name: "Save my ratings" }).click();
  check(await sam.getByText("differ by 2 levels").isVisible(), "the team sees where its members disagree");
  await leader.goto(reviewUrl);
  await leader.locator("summary", { hasText: "Settle the team's ratings" }).click();
  const teamForm = leader.locator("form", { has: leader.locator("input[name=scope][value=team]") });
  await teamForm.locator("select[name=level_equitable]").selectOption("emerging");
  await teamForm.locator("textarea[name=evidence_equitable]").fill("The budget book: only Title I funds are weighted for need.");
  await teamForm.getByRole("button", { name: "Settle the team's ratings" }).click();
  check((await leader.locator("table", { hasText: "Settled by" }).innerText()).includes("Emerging"), "the team settles its rating with evidence");
  await coordinator.goto(reviewUrl);
  await coordinator.getByLabel("Comment").fill("Look at the staffing formula next.");
  await coordinator.getByRole("button", { name: "Add the comment" }).click();
  check(await coordinator.getByText("Look at the staffing formula next.").isVisible(), "the facilitator comments");
  await leader.goto(reviewUrl);
  await leader.getByLabel("Goal", { exact: true }).fill("Weight the staffing formula for low-income students");
  await leader.getByLabel("Owner").fill("Chief financial officer");
  await leader.getByLabel("Due").fill("2019-06-30");
  await leader.getByRole("button", { name: "Add the goal" }).click();
  const goal = leader.locator("tr", { hasText: "Weight the staffing formula" });
  await goal.locator("select[name=status]").selectOption("in-progress");
  await goal.getByLabel("What happened").fill("The board approved the new formula");
  await goal.getByRole("button", { name: /^Record progress/ }).click();
  check((await leader.locator("tr", { hasText: "Weight the staffing formula" }).innerText()).includes("in-progress"), "the team sets a goal and records its progress");
  await axe(leader, "RAR review");
  await shoot(leader, "rar-review");
  await leader.getByRole("link", { name: "The district's schools and resources side by side" }).click();
  check(await leader.getByRole("heading", { name: /schools and resources$/ }).isVisible(), "the district's data opens beside its review");
  check((await leader.locator("svg[role=img]").count()) > 0, "the data page draws its chart");
  await axe(leader, "RAR district data");
  await shoot(leader, "rar-district-data");
  await samContext.close();
  await admin.context().close();
  await coordinator.context().close();
  await leader.context().close();
}

if (failures.length) {
  console.error(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log(`browser test passed; screenshots in ${shots}`);
