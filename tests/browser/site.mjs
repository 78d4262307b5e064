// Drives Debian's headless Chromium against published notices (tests/browser.rs prepares them):
//
//   node tests/browser/site.mjs PUB PUB_WITHOUT_DIRECTORIES ARTIFACTS
//
// PUB is `dualdraw publish --verifier …` of the demo under a plan with `[publish] directories =
// true`, PUB_WITHOUT_DIRECTORIES the demo drawn and published under the plan without it.
// Cases: honest → verified; one flipped byte in the log → the failing line shown; an edited
// result table → caught; an edited published results file → caught; lookup of a drawn and of
// a not-drawn enterprise; JavaScript off → results readable; without directories → says what
// it could and could not check; no request leaves file://.
// Screenshots go to ARTIFACTS. Prints one line per case, then `figure cold|first|warm …` lines
// (click to result, and its parts, as the page records them) and `N passed, N failed`; exits 1
// if any case failed.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [pub, pubNoDirs, artifacts] = process.argv.slice(2);
if (!artifacts) {
  console.error('usage: node tests/browser/site.mjs PUB PUB_WITHOUT_DIRECTORIES ARTIFACTS');
  process.exit(2);
}
fs.mkdirSync(artifacts, { recursive: true });
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage'],
});

let passed = 0;
let failed = 0;
const figures = {};
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAILED ${name}: ${e && e.stack || e}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// A copy of a published folder, changed by `edit(dir)`.
function variant(from, edit) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dualdraw-site-'));
  fs.cpSync(from, dir, { recursive: true });
  edit(dir);
  return dir;
}
function editData(dir, change) {
  const file = path.join(dir, 'site/data.js');
  const text = fs.readFileSync(file, 'utf8');
  const prefix = 'window.DUALDRAW_DATA = ';
  const data = JSON.parse(text.slice(prefix.length).trim().replace(/;$/, ''));
  change(data);
  fs.writeFileSync(file, prefix + JSON.stringify(data) + ';\n');
}

async function open(dir, options = {}) {
  const context = await browser.newContext({ javaScriptEnabled: options.js !== false, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(pathToFileURL(path.join(dir, 'index.html')).href, { waitUntil: options.until || 'load' });
  return { page, context, requests, errors };
}

async function verify(page) {
  await page.click('#verify-button');
  await page.waitForSelector('#verify-result.ok, #verify-result.bad', { timeout: 120000 });
  return {
    ok: await page.getAttribute('#verify-result', 'class'),
    text: await page.textContent('#verify-result'),
  };
}

const published = JSON.parse(fs.readFileSync(path.join(pub, 'results/targets.json'), 'utf8'));

// The time from click to result, as the page records it (body[data-*-ms]), after `clicks`
// verifications on this page.
async function timings(page, clicks) {
  await page.waitForSelector(`body[data-clicks="${clicks}"]`, { timeout: 120000 });
  const t = {};
  for (const k of ['verify', 'module', 'paint', 'run', 'check']) {
    t[k] = Number(await page.getAttribute('body', `data-${k}-ms`));
  }
  t.warmed = await page.getAttribute('body', 'data-warm-at-click');
  return t;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await check('honest folder verifies in the page', async () => {
  // Cold: a click as soon as the document is parsed, while the module is still being decoded
  // and compiled and nothing of it has run.
  const { page, context, requests, errors } = await open(pub, { until: 'domcontentloaded' });
  await page.evaluate(() => document.getElementById('verify-button').click());
  await page.waitForSelector('#verify-result.ok, #verify-result.bad', { timeout: 120000 });
  const r = { ok: await page.getAttribute('#verify-result', 'class'), text: await page.textContent('#verify-result') };
  assert(r.ok === 'ok', `expected verified, got: ${r.text}`);
  assert(r.text.includes('已验证') && r.text.includes('verified: hash chain'), r.text);
  figures.cold = await timings(page, 1);
  // Warm: the same page, clicked again.
  const warm = [];
  for (let i = 2; i <= 6; i++) {
    await page.click('#verify-button');
    warm.push(await timings(page, i));
    assert((await page.getAttribute('#verify-result', 'class')) === 'ok', 'a repeated verification failed');
  }
  figures.warm = Object.fromEntries(Object.keys(warm[0]).map((k) => [k, median(warm.map((w) => w[k]))]));
  figures.warm.warmed = 'yes';
  const outside = requests.filter((u) => !u.startsWith('file://'));
  assert(outside.length === 0, `requests outside file://: ${outside.join(' ')}`);
  assert(errors.length === 0, `console errors: ${errors.join('\n')}`);
  await page.screenshot({ path: path.join(artifacts, 'honest.png'), fullPage: true });
  // English toggle without JavaScript's help: the label flips the CSS.
  await page.click('label[for=lang-en]');
  assert(await page.isVisible('#verify h2 .en'), 'English heading hidden after the toggle');
  await context.close();
  // First: the first click after the page was read for a moment (its warm-up run done).
  const second = await open(pub);
  await second.page.waitForSelector('body[data-warm=done]', { timeout: 120000 });
  const r2 = await verify(second.page);
  assert(r2.ok === 'ok', r2.text);
  figures.first = await timings(second.page, 1);
  figures.ready = Number(await second.page.getAttribute('body', 'data-ready-ms'));
  await second.context.close();
});

await check('one flipped byte in the log: the failing line is shown', async () => {
  const dir = variant(pub, (d) => editData(d, (data) => {
    const log = data.files['/pub/draw.log'].t;
    const lines = log.split('\n');
    const at = lines.slice(0, 4).join('\n').length + 1; // start of line 5
    const digit = at + lines[4].search(/[0-9]/);
    data.files['/pub/draw.log'].t = log.slice(0, digit) + (log[digit] === '0' ? '1' : '0') + log.slice(digit + 1);
  }));
  const { page, context } = await open(dir);
  const r = await verify(page);
  assert(r.ok === 'bad', `expected a failure, got: ${r.text}`);
  assert(r.text.includes('未通过验证') && /line [0-9]+/.test(r.text), r.text);
  await page.screenshot({ path: path.join(artifacts, 'tampered-log.png'), fullPage: true });
  await context.close();
});

await check('an edited result table on the page is caught', async () => {
  const victim = published[0];
  const dir = variant(pub, (d) => {
    const file = path.join(d, 'index.html');
    const html = fs.readFileSync(file, 'utf8');
    const cell = `<td data-k="name">${victim.name}</td>`;
    assert(html.includes(cell), 'the first drawn enterprise is not in the table');
    fs.writeFileSync(file, html.replace(cell, '<td data-k="name">天津市某某无关企业有限公司</td>'));
  });
  const { page, context } = await open(dir);
  const r = await verify(page);
  assert(r.ok === 'bad', `expected a failure, got: ${r.text}`);
  assert(r.text.includes(victim.id) && r.text.includes('name'), r.text);
  await page.screenshot({ path: path.join(artifacts, 'tampered-table.png'), fullPage: true });
  await context.close();
});

await check('an edited published results file is caught', async () => {
  const dir = variant(pub, (d) => editData(d, (data) => {
    const f = data.files['/pub/results/targets.csv'];
    f.t = f.t.replace(published[1].id, published[2].id);
  }));
  const { page, context } = await open(dir);
  const r = await verify(page);
  assert(r.ok === 'bad' && r.text.includes('results/targets.csv'), r.text);
  await context.close();
});

await check('lookup: a drawn and a not-drawn enterprise', async () => {
  const { page, context } = await open(pub);
  const drawn = published[0];
  await page.fill('#lookup-code', drawn.id);
  await page.click('#lookup-button');
  await page.waitForSelector('#lookup-result.ok, #lookup-result.bad', { timeout: 120000 });
  let text = await page.textContent('#lookup-result');
  assert((await page.getAttribute('#lookup-result', 'data-drawn')) === 'true', text);
  assert(text.includes(`${drawn.task}: 抽中`) && text.includes('≤ cutoff'), text);
  // An enterprise in the radio pool that was not drawn: ticket above the cutoff.
  const csv = fs.readFileSync(path.join(pub, 'targets.csv'), 'utf8').split('\n');
  const ids = new Set(published.map((t) => t.id));
  const other = csv.map((l) => l.split(',')).find((c) => c[3] === '无线电' && !ids.has(c[0]) && c[6] === '');
  assert(other, 'no undrawn radio enterprise in the fixture');
  await page.evaluate(() => { document.getElementById('lookup-result').className = ''; });
  await page.fill('#lookup-code', other[0]);
  await page.click('#lookup-button');
  await page.waitForSelector('#lookup-result.ok, #lookup-result.bad', { timeout: 120000 });
  text = await page.textContent('#lookup-result');
  assert((await page.getAttribute('#lookup-result', 'data-drawn')) === 'false', text);
  assert(text.includes('radio: 未抽中') && text.includes('> cutoff'), text);
  await page.screenshot({ path: path.join(artifacts, 'lookup.png'), fullPage: false });
  await context.close();
});

await check('JavaScript off: the results are readable', async () => {
  const { page, context } = await open(pub, { js: false });
  const body = await page.textContent('main');
  for (const t of published) {
    assert(body.includes(t.id) && body.includes(t.name), `${t.id} ${t.name} not on the page`);
  }
  assert(await page.isVisible('table.results'), 'result tables hidden');
  assert(await page.isVisible('#verify noscript, #verify .warn'), 'no notice that verifying needs JavaScript');
  await page.screenshot({ path: path.join(artifacts, 'no-javascript.png'), fullPage: true });
  await context.close();
});

await check('without the directories: what could and could not be checked', async () => {
  const { page, context } = await open(pubNoDirs);
  const r = await verify(page);
  assert(r.ok === 'ok' && r.text.includes('not checked: the directory digests'), r.text);
  await context.close();
  const dir = variant(pubNoDirs, (d) => editData(d, (data) => {
    data.files['/pub/draw.log'].t = data.files['/pub/draw.log'].t.replace('"seq":3', '"seq":4');
  }));
  const t = await open(dir);
  const bad = await verify(t.page);
  assert(bad.ok === 'bad' && /line [0-9]+/.test(bad.text), bad.text);
  await t.context.close();
});

await browser.close();
for (const when of ['cold', 'first', 'warm']) {
  const t = figures[when] || {};
  const parts = ['verify', 'module', 'paint', 'run', 'check'].map((k) => `${k}_ms=${t[k]}`);
  console.log(`figure ${when} ${parts.join(' ')} warm_up_before_click=${t.warmed}`);
}
console.log(`figure ready_ms ${figures.ready}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
