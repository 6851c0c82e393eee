// The in-page benchmarks (`cargo xtask web --bench`, docs/web.md): window.selvm.bench()
// in headless chromium on the page SELVM_URL, one JSON object a line, as
// `cargo run --release -p selvm-web --example bench` prints the same code natively.

import { chromium } from 'playwright-core';

const browser = await chromium.launch({
  executablePath: process.env.SELVM_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  await page.goto(process.env.SELVM_URL);
  await page.waitForFunction(() => window.selvm && window.selvm.builtins.length > 0);
  const isolated = await page.evaluate(() => window.crossOriginIsolated);
  const rows = await page.evaluate(() => window.selvm.bench());
  if (!Array.isArray(rows)) throw new Error(`the page's benchmarks failed: ${JSON.stringify(rows)}`);
  for (const r of rows) console.log(JSON.stringify({ ...r, isolated }));
} finally {
  await browser.close();
}
