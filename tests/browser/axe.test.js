// SPDX-License-Identifier: MIT
// axe-core (pinned in package.json) on every page type, in light and dark mode, with and
// without JavaScript; the suite fails on any violation of any impact. Without JavaScript the
// page is loaded with scripts off and its DOM (scripts removed) is checked in a second page,
// since axe itself is a script. Every page is also checked for horizontal scrolling in a
// 390-px-wide window. Screenshots of the main pages go to tests/browser/out/ (the README's).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { checks, outDir, root, startServer, launch } = require('./lib');

const t = checks('browser-axe');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const koffix = path.resolve(root, process.env.KOFFIX || 'koffix');
const fixtures = path.join(root, 'tests', 'fixtures', 'scans');
const dll = path.join(root, process.env.KOFFIX_PE_FIXTURES || 'build/pe-fixtures', 'unsigned.dll');

function summary(violations) {
  return violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}: ` +
    `${v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(' | ')})`).join('\n');
}

async function axeOn(page) {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}

// Every page in light and dark, with and without JavaScript.
async function checkPage(browser, base, pathname, label, opts = {}) {
  for (const scheme of ['light', 'dark']) {
    for (const js of [true, false]) {
      const name = `${label} (${scheme}, ${js ? 'JS' : 'no JS'})`;
      const ctx = await browser.newContext({ colorScheme: scheme, javaScriptEnabled: js,
        bypassCSP: true });
      await ctx.addCookies(base.cookies);
      const page = await ctx.newPage();
      const resp = await page.goto(base.url + pathname);
      t.check(`${name}: status ${opts.status || 200}`, resp.status() === (opts.status || 200),
        `${resp.status()} ${pathname}`);
      let violations;
      if (js) {
        violations = await axeOn(page);
      } else {
        // The DOM as a browser without scripts shows it, checked by axe in a scripted page.
        const html = (await page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
        const ctx2 = await browser.newContext({ colorScheme: scheme, bypassCSP: true });
        const page2 = await ctx2.newPage();
        await page2.route('**/*', (route) => route.continue());
        await page2.goto(base.url + '/static/style.css');
        await page2.setContent(html.replace('<head>', `<head><base href="${base.url}/">`),
          { waitUntil: 'load' });
        violations = await axeOn(page2);
        await ctx2.close();
      }
      t.check(`${name}: no axe violation`, violations.length === 0, summary(violations));
      if (scheme === 'light' && js) {
        await page.setViewportSize({ width: 390, height: 844 });
        const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth,
          [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right >
            window.innerWidth + 1 && !e.closest('.table-scroll, pre')).slice(0, 4)
            .map((e) => `${e.tagName}.${e.className}`).join(' ')]);
        t.check(`${label}: no horizontal scrolling at 390 px`, w[0] <= w[1], w.join(' > '));
        if (opts.shot) {
          await page.setViewportSize({ width: 1280, height: 900 });
          await page.screenshot({ path: path.join(outDir, `${opts.shot}.png`), fullPage: true });
          // The README's pictures (KOFFIX_SCREENSHOTS: a folder), the first screenful.
          if (process.env.KOFFIX_SCREENSHOTS) {
            fs.mkdirSync(path.resolve(root, process.env.KOFFIX_SCREENSHOTS), { recursive: true });
            await page.screenshot({ path: path.resolve(root, process.env.KOFFIX_SCREENSHOTS,
              `${opts.shot}.png`) });
          }
        }
      }
      await ctx.close();
    }
  }
}

async function api(request, base, method, pathname, body) {
  const csrf = (await (await request.get(base.url + '/api/csrf')).json()).token;
  const r = await request.fetch(base.url + pathname, { method, data: body,
    headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' } });
  return r;
}

(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'koffix-axe-'));
  let srv = null;
  let browser = null;
  try {
    // A small fleet, so that /fleet has its charts and table.
    const share = path.join(dataDir, 'share');
    execFileSync('python3', [path.join(root, 'tests', 'fleet', 'gen_fleet.py'), share, '12']);
    execFileSync(koffix, ['--data', dataDir, 'fleet', 'import', share], { stdio: 'ignore' });
    srv = await startServer(dataDir);
    browser = await launch();
    const url = srv.url.replace(/\/\?token=.*$/, '');
    const ctx = await browser.newContext({ bypassCSP: true });
    const page = await ctx.newPage();
    await page.goto(srv.url);
    const base = { url, cookies: await ctx.cookies() };
    const req = ctx.request;

    // The objects the pages show: a session at a question and one at an outcome, a dry run,
    // a kept scan, a DLL check.
    const q = await (await api(req, base, 'POST', '/api/wizard', { scan: false })).json();
    const done = await (await api(req, base, 'POST', '/api/wizard', { scan: false, answers: {
      symptom: 'mapi_load_error', dll_present: 'yes', outlook_kind: 'new' } })).json();
    const run = await (await api(req, base, 'POST', '/api/actions/reset-koff-cache/run',
      { params: { profile: 'Outlook' }, confirm: true })).json();
    await page.goto(`${url}/scan`);
    await page.getByLabel(/open a scan file/i).setInputFiles(path.join(fixtures, 'connector-removed.json'));
    await page.getByRole('button', { name: /open the scan file/i }).click();
    await page.waitForURL(/\/scans\/[0-9a-f]{32}$/);
    const scanPath = new URL(page.url()).pathname;
    await page.goto(`${url}/dll-check`);
    await page.locator('input[type=file]').setInputFiles(dll);
    await page.locator('form.dll-check-form button[type=submit]').click();
    await page.waitForLoadState('load');
    const dllHtml = await page.content();
    // The result page is the answer to a POST: checked here, in both schemes.
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      const v = await axeOn(page);
      t.check(`DLL check result (${scheme}): no axe violation`, v.length === 0, summary(v));
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: path.join(outDir, 'dll-result.png'), fullPage: true });
    await ctx.close();

    const pages = [
      ['/', 'home', { shot: 'home' }],
      ['/kb', 'all articles'],
      ['/kb/is-kofmsp-dll-a-virus', 'article', { shot: 'article' }],
      ['/search?q=profile+outlook', 'search results', { shot: 'search' }],
      ['/search?q=zzzqqq', 'search without results'],
      ['/wizard', 'wizard start'],
      [`/wizard/${q.id || q.session}`, 'wizard question', { shot: 'wizard' }],
      [`/wizard/${done.id || done.session}`, 'wizard outcome', { shot: 'outcome' }],
      [`/wizard/${done.id || done.session}/ticket`, 'contact support', { shot: 'ticket' }],
      ['/actions', 'repairs'],
      ['/actions/reset-koff-cache?profile=Outlook', 'repair review', { shot: 'review' }],
      [`/runs/${run.run}`, 'repair run'],
      ['/dll-check', 'DLL check'],
      ['/scan', 'scan'],
      [scanPath, 'scan findings', { shot: 'scan' }],
      [`/readiness?scan=${scanPath.split('/').pop()}&office=365-x64&server=10.0.6`, 'readiness'],
      ['/fleet?office=365-x64&server=10.0.6', 'fleet', { shot: 'fleet' }],
      ['/about', 'about'],
      ['/support', 'contact support without a session'],
      ['/kb/no-such-article', 'not found', { status: 404 }],
    ];
    for (const [p, label, opts] of pages) await checkPage(browser, base, p, label, opts);
    t.check('the DLL check gave a result page', /verdict|suspicious/i.test(dllHtml));

    // Pages without the launch token (a bookmark after koffix restarted).
    const anon = { url, cookies: [] };
    await checkPage(browser, anon, '/wizard', 'without the token', { status: 401 });
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
