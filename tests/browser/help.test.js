// SPDX-License-Identifier: MIT
// Headless Chromium (Debian's, driven by playwright-core) against the real koffix server:
// search from the home page, open an article, vote with and without JavaScript, basic
// accessibility checks, screenshots in tests/browser/out/.
'use strict';

const fs = require('fs');
const path = require('path');
const { a11yBasics, checks, outDir, withServer } = require('./lib');

const t = checks('browser-help');
const check = t.check;
const a11y = (page, name) => a11yBasics(t, page, name);

async function help(browser, srv, base) {
  const cspErrors = [];
  // With JavaScript: search from home, open an article, vote.
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });
  page.on('pageerror', (e) => cspErrors.push(String(e)));
  await page.goto(srv.url);
  check('launch link lands on the help page without the token', !page.url().includes('token='), page.url());
  check('home title', (await page.title()).includes('koffix'));
  await a11y(page, 'home');
  await page.getByRole('searchbox').first().fill('KofMsp32');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/search\?q=KofMsp32/);
  const marks = await page.locator('mark').count();
  check('search results highlight the word', marks > 0, marks);
  await a11y(page, 'search');
  await page.screenshot({ path: path.join(outDir, 'search.png'), fullPage: true });
  const first = page.locator('main a[href^="/kb/"]').first();
  const title = (await first.textContent()).trim();
  await first.click();
  await page.waitForURL(/\/kb\//);
  const h1 = (await page.locator('h1').textContent()).trim();
  check('result opens its article', h1 === title, `${h1} vs ${title}`);
  await a11y(page, 'article');
  await page.screenshot({ path: path.join(outDir, 'article.png'), fullPage: true });
  check('screenshot saved', fs.statSync(path.join(outDir, 'article.png')).size > 10000);
  const url = page.url();
  await page.getByRole('button', { name: /yes/i }).click();
  await page.getByRole('status').filter({ hasText: /thank/i }).waitFor({ timeout: 10000 });
  check('vote with JavaScript stays on the page', page.url() === url, page.url());
  check('no CSP violations or script errors', cspErrors.length === 0, cspErrors.join('\n'));
  await ctx.close();

  // Without JavaScript: the same vote works as a plain form, then a redirect.
  const nojs = await browser.newContext({ javaScriptEnabled: false });
  const p2 = await nojs.newPage();
  await p2.goto(`${base}/kb/reset-koff-cache`);
  await p2.getByRole('button', { name: /^no/i }).click();
  await p2.waitForURL(/voted=no/);
  check('vote without JavaScript', (await p2.getByRole('status').count()) > 0);
  await p2.goto(`${base}/search?q=appwiz`);
  check('search without JavaScript', (await p2.locator('mark').count()) > 0);
  await nojs.close();

  // Print stylesheet: the search form and the vote form are hidden on paper.
  const pctx = await browser.newContext();
  const p3 = await pctx.newPage();
  await p3.goto(`${base}/kb/reinstall-connector`);
  await p3.emulateMedia({ media: 'print' });
  const hidden = await p3.evaluate(() => [...document.querySelectorAll('form')]
    .every((f) => getComputedStyle(f).display === 'none'));
  check('print hides forms', hidden);
  await pctx.close();
}

withServer(t, help);
