// SPDX-License-Identifier: MIT
// The scan in a real browser, with and without JavaScript: the home page's first action where
// no agent can look ("Open a scan file"), opening a scan saved on the affected PC, the findings
// with their evidence, article and repair, then "Continue in the wizard", which gives the
// diagnosis at once and offers the questions instead. Accessibility basics on every page.
'use strict';

const path = require('path');
const { a11yBasics, checks, outDir, root, withServer } = require('./lib');

const t = checks('browser-scan');
const removed = path.join(root, 'tests', 'fixtures', 'scans', 'connector-removed.json');

async function flow(browser, srv, base, js) {
  const name = js ? 'with JavaScript' : 'without JavaScript';
  const ctx = await browser.newContext({ javaScriptEnabled: js });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) errors.push(m.text()); });
  await page.goto(srv.url);
  const first = page.locator('main section').nth(1).locator('h2');
  t.check(`${name}: home offers "Open a scan file" before the wizard`,
    /open a scan file/i.test(await first.textContent()), await first.textContent());
  await page.getByRole('link', { name: /open a scan file/i }).first().click();
  await page.waitForURL(/\/scan$/);
  await a11yBasics(t, page, `${name}: scan page`);
  await page.getByLabel(/open a scan file/i).setInputFiles(removed);
  await page.getByRole('button', { name: /open the scan file/i }).click();
  await page.waitForURL(/\/scans\/[0-9a-f]{32}$/);
  await a11yBasics(t, page, `${name}: findings`);
  const problem = page.locator('#finding-koff_removed');
  t.check(`${name}: the problem is listed with its evidence`,
    /connector was removed/i.test(await problem.textContent())
    && /no longer there/i.test(await problem.textContent()));
  t.check(`${name}: the finding links its article and the repair's review`,
    (await problem.locator('a[href="/kb/connector-removed-profile-remains"]').count()) === 1
    && (await problem.locator('a[href^="/actions/rebuild-profile?"]').count()) === 1);
  const unavailable = await page.locator('tr.scan-unavailable').count();
  t.check(`${name}: unreadable sources are shown as not available`, unavailable >= 2, unavailable);
  await page.screenshot({ path: path.join(outDir, `scan-${js ? 'js' : 'nojs'}.png`), fullPage: true });
  await page.getByRole('button', { name: /continue in the wizard/i }).click();
  await page.waitForURL(/\/wizard\/[0-9a-f]{32}\?at=result$/);
  const h2 = await page.locator('#wizard-heading').textContent();
  t.check(`${name}: the wizard gives the diagnosis at once`, /connector was removed/i.test(h2), h2);
  t.check(`${name}: and says what it found`,
    (await page.getByRole('heading', { name: /what koffix found/i }).count()) === 1);
  await a11yBasics(t, page, `${name}: diagnosis from the scan`);
  await page.getByRole('button', { name: /answer the questions instead/i }).click();
  await page.getByRole('heading', { name: /what happens when you try/i }).waitFor({ timeout: 10000 });
  t.check(`${name}: "answer the questions instead" asks the first question`, true);
  t.check(`${name}: no script errors`, errors.length === 0, errors.join('\n'));
  await ctx.close();
}

withServer(t, async (browser, srv, base) => {
  await flow(browser, srv, base, true);
  await flow(browser, srv, base, false);
});
