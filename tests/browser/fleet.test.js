// SPDX-License-Identifier: MIT
// The fleet report in a real browser, with and without JavaScript: a generated fleet imported
// with `koffix fleet import`, the counts and inline SVG charts, sorting by a column header,
// filtering by readiness (from the chart's table and from the form), the CSV download, the
// standalone HTML report of `koffix fleet report --html`, readiness of one PC from a kept scan,
// and no horizontal scrolling in a 390-px-wide window. Accessibility basics on every page.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { a11yBasics, checks, outDir, root, startServer, launch } = require('./lib');

const t = checks('browser-fleet');
const koffix = path.resolve(root, process.env.KOFFIX || 'koffix');
const intact = path.join(root, 'tests', 'fixtures', 'scans', 'intact.json');

async function noSideScroll(page, name) {
  const r = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  t.check(`${name}: no horizontal scrolling at 390 px`, r[0] <= r[1], r.join(' > '));
}

async function fleet(browser, srv, base, js) {
  const name = js ? 'with JavaScript' : 'without JavaScript';
  const ctx = await browser.newContext({ javaScriptEnabled: js });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) errors.push(m.text()); });
  await page.goto(srv.url);
  await page.goto(`${base}/fleet?office=365-x64&server=10.0.6`);
  await a11yBasics(t, page, `${name}: fleet`);
  const h2 = await page.locator('#fleet-summary-h').textContent();
  t.check(`${name}: 40 computers against the targets`, /^40 computers against Office 365 x64, Kerio Connect 10\.0\.6/.test(h2), h2);
  t.check(`${name}: five charts drawn as SVG`, (await page.locator('svg.chart').count()) === 5);
  const bars = await page.locator('svg.chart-connector rect').count();
  t.check(`${name}: one bar per connector version`, bars === 7, bars);
  const rows = await page.locator('.fleet-table tbody tr').count();
  t.check(`${name}: every computer in the table`, rows === 40, rows);
  await page.screenshot({ path: path.join(outDir, `fleet-${js ? 'js' : 'nojs'}.png`), fullPage: true });
  // Sort by connector, then the other way.
  await page.locator('.fleet-table thead a', { hasText: 'Connector' }).click();
  await page.waitForURL(/sort=connector/);
  const first = await page.locator('.fleet-table tbody tr').first().locator('td').nth(1).textContent();
  await page.locator('.fleet-table thead a', { hasText: 'Connector' }).click();
  await page.waitForURL(/sort=-connector/);
  const firstDesc = await page.locator('.fleet-table tbody tr').first().locator('td').nth(1).textContent();
  t.check(`${name}: a column header sorts, and again the other way`,
    /9\.4\.1/.test(first) && /10\.0\.6/.test(firstDesc), `${first} / ${firstDesc}`);
  t.check(`${name}: the sorted column says so`,
    (await page.locator('th[aria-sort="descending"]').textContent()).trim() === 'Connector');
  // Filter: the readiness chart's "Ready" row.
  await page.locator('#chart-ready-h').locator('..').getByRole('link', { name: 'Ready', exact: true }).click();
  await page.waitForURL(/ready=ready/);
  const ready = await page.locator('.fleet-table tbody tr').count();
  const badges = await page.locator('.fleet-table .badge-ready-ready').count();
  t.check(`${name}: filtered to the ready computers`, ready > 0 && ready === badges, `${ready} ${badges}`);
  // The form: a finding.
  await page.getByRole('combobox', { name: 'Readiness' }).selectOption('');
  await page.getByRole('combobox', { name: 'Finding' }).selectOption('koff_removed');
  await page.getByRole('button', { name: /show the report/i }).click();
  await page.waitForURL(/finding=koff_removed/);
  const removed = await page.locator('.fleet-table tbody tr').count();
  t.check(`${name}: filtered by a finding`, removed === 4, removed);
  const csvHref = await page.getByRole('link', { name: /download these computers as csv/i }).getAttribute('href');
  const csv = await (await ctx.request.get(base + csvHref)).text();
  t.check(`${name}: the CSV has the filtered computers`, csv.trim().split('\r\n').length === 5, csv.slice(0, 300));
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto(`${base}/fleet?office=365-x64&server=10.0.6`);
  await noSideScroll(page, `${name}: fleet`);
  t.check(`${name}: no script errors`, errors.length === 0, errors.join('\n'));
  await ctx.close();
}

async function readiness(browser, srv, base) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(srv.url);
  const r = await ctx.request.post(`${base}/api/scan`, { data: {}, headers: {} });
  // This machine has no agent: open the fixture as a technician would.
  await page.goto(`${base}/scan`);
  await page.getByLabel(/open a scan file/i).setInputFiles(intact);
  await page.getByRole('button', { name: /open the scan file/i }).click();
  await page.waitForURL(/\/scans\/[0-9a-f]{32}$/);
  await page.getByRole('link', { name: /ready for an upgrade/i }).click();
  await page.waitForURL(/\/readiness\?scan=/);
  await a11yBasics(t, page, 'readiness');
  await page.getByRole('combobox', { name: 'Office after the upgrade' }).selectOption('365-x64');
  await page.getByRole('combobox', { name: 'Windows after the upgrade' }).selectOption('11');
  await page.getByLabel('Kerio Connect server version').fill('10.0.6');
  await page.getByRole('button', { name: /check readiness/i }).click();
  await page.waitForURL(/server=10\.0\.6/);
  const h = await page.locator('#readiness-result-h').textContent();
  t.check('readiness: not ready, with the first thing to do', /not ready/i.test(h)
    && /Install connector 10\.0\.6/.test(await page.locator('.readiness-first').textContent()), h);
  await page.screenshot({ path: path.join(outDir, 'readiness.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 800 });
  await noSideScroll(page, 'readiness');
  void r;
  await ctx.close();
}

async function standalone(browser, dataDir) {
  const file = path.join(dataDir, 'report.html');
  try {
    execFileSync(koffix, ['--data', dataDir, 'fleet', 'report', '--target-office', '365-x64',
      '--server', '10.0.6', '--html', file], { stdio: 'ignore' });
  } catch (e) { /* exit 1: some PCs are not ready */ }
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  const requests = [];
  page.on('request', (q) => requests.push(q.url()));
  await page.goto('file://' + file);
  t.check('--html: one file, nothing else loaded', requests.length === 1, requests.join(' '));
  t.check('--html: the charts and all 40 computers', (await page.locator('svg.chart').count()) === 5
    && (await page.locator('.fleet-table tbody tr').count()) === 40);
  const bg = await page.evaluate(() => getComputedStyle(document.querySelector('.fleet-count')).borderLeftStyle);
  t.check('--html: styled from the inlined style sheet', bg === 'solid', bg);
  await ctx.close();
}

(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'koffix-fleet-'));
  const scans = path.join(dataDir, 'share');
  let srv = null;
  let browser = null;
  try {
    execFileSync('python3', [path.join(root, 'tests', 'fleet', 'gen_fleet.py'), scans, '40', '--extras']);
    execFileSync(koffix, ['--data', dataDir, 'fleet', 'import', scans], { stdio: 'ignore' });
    srv = await startServer(dataDir);
    browser = await launch();
    const base = srv.url.replace(/\/\?token=.*$/, '');
    await fleet(browser, srv, base, true);
    await fleet(browser, srv, base, false);
    await readiness(browser, srv, base);
    await standalone(browser, dataDir);
  } catch (e) {
    console.error(e);
    t.check('no exception', false, e);
  } finally {
    if (browser) await browser.close();
    if (srv) srv.proc.kill('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  t.done();
})();
