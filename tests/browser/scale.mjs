// One published folder verified in headless Chromium, with the time and the JS heap it took:
//
//   node tests/browser/scale.mjs PUB
//
// tests/browser.rs runs it (#[ignore]d) on a 10^5-row directory. Prints `figure …` lines and
// `1 passed, 0 failed`, or fails.
import { chromium } from 'playwright-core';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const pub = process.argv[2];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage', '--enable-precise-memory-info'],
});
const page = await browser.newPage();
let crashed = false;
page.on('crash', () => { crashed = true; });
await page.goto(pathToFileURL(path.join(pub, 'index.html')).href);
await page.waitForSelector('body[data-warm=done]', { timeout: 600000 });
await page.click('#verify-button');
await page.waitForSelector('#verify-result.ok, #verify-result.bad', { timeout: 600000 });
const cls = await page.getAttribute('#verify-result', 'class');
const text = await page.textContent('#verify-result');
const cdp = await page.context().newCDPSession(page);
const { usedSize, totalSize } = await cdp.send('Runtime.getHeapUsage');
console.log(`figure verify_ms ${await page.getAttribute('body', 'data-verify-ms')}`);
console.log(`figure run_ms ${await page.getAttribute('body', 'data-run-ms')}`);
console.log(`figure wasm_memory_bytes ${await page.getAttribute('body', 'data-wasm-memory')}`);
console.log(`figure js_heap_used_bytes ${usedSize} of ${totalSize}`);
await browser.close();
if (crashed || cls !== 'ok') {
  console.log(`FAILED: ${crashed ? 'the tab crashed' : text}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log('1 passed, 0 failed');
