// SPDX-License-Identifier: MIT
// Shared by the browser tests: the checks counter, the koffix server, Chromium.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

const root = path.resolve(__dirname, '..', '..');
const koffix = path.resolve(root, process.env.KOFFIX || 'koffix');
// The Windows build runs under Wine: KOFFIX_LAUNCHER=wine, KOFFIX=.../koffix.exe; KOFFIX_ARGS
// adds global options (space-separated), KOFFIX_OUT names the screenshots' folder.
const launcher = (process.env.KOFFIX_LAUNCHER || '').split(' ').filter(Boolean);
const globalArgs = (process.env.KOFFIX_ARGS || '').split(' ').filter(Boolean);
const outDir = path.resolve(root, process.env.KOFFIX_OUT || 'tests/browser/out');

function checks(suite) {
  const c = { passed: 0, failed: 0 };
  c.check = (name, cond, detail) => {
    if (cond) {
      c.passed++;
    } else {
      c.failed++;
      console.error(`FAIL ${name}${detail === undefined ? '' : ': ' + String(detail).slice(0, 500)}`);
    }
  };
  c.done = () => {
    console.log(`RESULT ${suite} passed=${c.passed} failed=${c.failed}`);
    process.exitCode = c.failed ? 1 : 0;
  };
  return c;
}

// koffix serve on a free port; resolves with the process and the printed URL.
function startServer(dataDir, extra = []) {
  return new Promise((resolve, reject) => {
    const cmd = [...launcher, koffix, ...globalArgs, '--data', dataDir, 'serve', '--port', '0',
      ...extra];
    const proc = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => { stderr += d; });
    const rl = readline.createInterface({ input: proc.stdout });
    rl.once('line', (line) => resolve({ proc, url: line.trim(), stderr: () => stderr }));
    proc.once('exit', (code) => reject(new Error(`koffix exited ${code}: ${stderr}`)));
  });
}

// playwright's launch() always gives Chromium a new, empty profile folder of its own (it
// refuses an explicit --user-data-dir), as the browser tests need.
//
// Every context prefers reduced motion: style.css scrolls smoothly otherwise, and Playwright's
// scroll-into-view before a click restarts that animation on every retry, so an element below
// the fold never counts as "stable" (a click that waits 30 s and fails). People who ask for
// reduced motion get instant scrolling too, so this is a path real users take.
async function launch() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = (options = {}) => newContext({ reducedMotion: 'reduce', ...options });
  return browser;
}

// Runs body(browser, srv, base) against a koffix server with a data folder of its own and
// Chromium (screenshots go to outDir); cleans both up and prints the suite's result whatever
// happens.
async function withServer(t, body) {
  fs.mkdirSync(outDir, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'koffix-browser-'));
  let srv = null;
  let browser = null;
  try {
    srv = await startServer(dataDir);
    browser = await launch();
    await body(browser, srv, srv.url.replace(/\/\?token=.*$/, ''));
  } catch (e) {
    console.error(e);
    t.check('no exception', false, e);
  } finally {
    if (browser) await browser.close();
    if (srv) srv.proc.kill('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  t.done();
}

// Answers the wizard's current question (a radio choice or a text) with Next, and waits for
// the next question or the outcome to replace it.
async function answer(page, value) {
  const heading = await page.locator('#wizard-heading').textContent();
  const input = page.locator('input[name="answer"]');
  if ((await input.first().getAttribute('type')) === 'radio') {
    await page.locator(`input[name="answer"][value="${value}"]`).check();
  } else {
    await input.fill(value);
  }
  await page.getByRole('button', { name: /^next/i }).click();
  // The next question (or the outcome) replaces this one.
  await page.waitForFunction((h) => {
    const el = document.querySelector('#wizard-heading');
    return el && el.textContent !== h;
  }, heading);
}

// Accessibility basics a screen-reader user depends on.
async function a11yBasics(t, page, name) {
  const check = t.check;
  const r = await page.evaluate(() => {
    const unlabeled = [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML);
    const buttons = [...document.querySelectorAll('button')].filter((b) => !b.textContent.trim());
    return {
      lang: document.documentElement.lang,
      h1: document.querySelectorAll('h1').length,
      main: document.querySelectorAll('main').length,
      skip: !!document.querySelector('a[href="#main"]'),
      unlabeled,
      emptyButtons: buttons.length,
      imgNoAlt: document.querySelectorAll('img:not([alt])').length,
    };
  });
  check(`${name}: lang`, r.lang === 'en', r.lang);
  check(`${name}: one h1`, r.h1 === 1, r.h1);
  check(`${name}: one main landmark and a skip link`, r.main === 1 && r.skip);
  check(`${name}: every control labelled`, r.unlabeled.length === 0, r.unlabeled.join(' '));
  check(`${name}: buttons have names, images have alt`, r.emptyButtons === 0 && r.imgNoAlt === 0);
}

module.exports = { root, outDir, a11yBasics, answer, checks, startServer, launch, withServer };
