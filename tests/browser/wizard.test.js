// SPDX-License-Identifier: MIT
// Headless Chromium walks the wizard by clicking: one path to an outcome, back, a changed
// answer, a different outcome; once with JavaScript (no full page loads) and once without.
'use strict';

const path = require('path');
const { answer, checks, outDir, withServer } = require('./lib');

const t = checks('browser-wizard');

async function walk(browser, base, js) {
  const name = js ? 'with JavaScript' : 'without JavaScript';
  const ctx = await browser.newContext({ javaScriptEnabled: js });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  let loads = 0;
  page.on('load', () => { loads++; });
  await page.goto(base.launch);
  await page.goto(`${base.url}/wizard`);
  await page.getByRole('button', { name: /start/i }).click();
  await page.waitForSelector('#wizard-heading');
  const loadsAtStart = loads;
  await answer(page, 'mapi_load_error');
  await answer(page, 'yes');
  await answer(page, 'new');
  const outcome1 = await page.locator('#wizard-heading').textContent();
  t.check(`${name}: new Outlook outcome`, /new outlook/i.test(outcome1), outcome1);
  await page.screenshot({ path: path.join(outDir, `wizard-outcome-${js ? 'js' : 'nojs'}.png`), fullPage: true });

  // Change the Outlook answer through the breadcrumb and reach another outcome.
  const change = page.locator('form:has(input[name="node"][value="outlook_kind"]) button');
  t.check(`${name}: the Change button names its question`,
    /change/i.test(await change.textContent()) && /outlook/i.test(await change.textContent()),
    await change.textContent());
  await change.click();
  await page.waitForSelector('input[name="answer"][value="classic"]');
  await answer(page, 'classic');
  await answer(page, '2016');
  await answer(page, 'x86');
  // Go back once with the Back button, then answer again.
  const before = await page.locator('#wizard-heading').textContent();
  await page.getByRole('button', { name: /^back$/i }).click();
  await page.waitForFunction((h) => document.querySelector('#wizard-heading').textContent !== h, before);
  await answer(page, 'x64');
  await answer(page, '10');
  await answer(page, 'none');
  await answer(page, '10.0.4');
  await answer(page, 'x86');
  await answer(page, '10.0.4');
  const outcome2 = await page.locator('#wizard-heading').textContent();
  t.check(`${name}: changed answers give the bitness outcome`, /bit/i.test(outcome2), outcome2);
  const crumbs = await page.locator('nav[aria-label] ol li').allTextContents();
  t.check(`${name}: breadcrumb lists the answers`, crumbs.some((c) => /64-bit/.test(c)), crumbs.join(' | '));
  if (js) {
    t.check('with JavaScript: no full page loads while answering', loads === loadsAtStart,
      `${loads - loadsAtStart} loads`);
  }
  // The browser's own Back button walks the wizard's steps (each has its own address), and
  // changing an earlier answer keeps the later ones that still fit.
  const waitHeading = async (h) => page.waitForFunction(
    (old) => document.querySelector('#wizard-heading') &&
      document.querySelector('#wizard-heading').textContent !== old, h);
  let h = await page.locator('#wizard-heading').textContent();
  await page.goBack();
  await waitHeading(h);
  t.check(`${name}: browser Back shows the last question, its answer kept`,
    /\?at=server_version$/.test(page.url())
      && (await page.locator('input[name="answer"]').inputValue()) === '10.0.4', page.url());
  h = await page.locator('#wizard-heading').textContent();
  await page.goBack();
  await waitHeading(h);
  t.check(`${name}: Back again: the connector's bitness, x86 still chosen`,
    /\?at=koff_bitness$/.test(page.url())
      && await page.locator('input[name="answer"][value="x86"]').isChecked(), page.url());
  await answer(page, 'x64');
  const outcome3 = await page.locator('#wizard-heading').textContent();
  t.check(`${name}: changing it keeps the server version and goes straight to a diagnosis`,
    /diagnosis/i.test(outcome3) && !/bit/i.test(outcome3), outcome3);
  t.check(`${name}: the diagnosis has its own address`, /\?at=result$/.test(page.url()), page.url());
  t.check(`${name}: no script errors`, errors.length === 0, errors.join('\n'));
  await ctx.close();
}

// The whole journey with the keyboard only, in a phone-sized window: Tab, Space, arrow keys,
// Enter; then the recommended action is the first button the keyboard reaches on the outcome,
// and the diagnosis sits above the answers.
async function keyboardOnly(browser, base) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  await page.goto(base.launch);
  await page.goto(`${base.url}/wizard`);
  const tabTo = async (test, what) => {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(test)) return true;
    }
    t.check(`keyboard: Tab reaches ${what}`, false);
    return false;
  };
  const isButton = (re) => new Function(`const e = document.activeElement;
    return !!e && /^(BUTTON|A)$/.test(e.tagName) && ${re}.test(e.textContent.trim());`);
  await tabTo(isButton(/^start/i), 'the Start button');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#wizard-heading');
  // Each question: Tab to the first choice, arrow keys to the one wanted, Space, then Next.
  for (const downs of [0, 0, 1]) {
    const h = await page.locator('#wizard-heading').textContent();
    await tabTo(() => document.activeElement && document.activeElement.name === 'answer', 'a choice');
    for (let i = 0; i < downs; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    await tabTo(isButton(/^next/i), 'Next');
    await page.keyboard.press('Enter');
    await page.waitForFunction((old) => document.querySelector('#wizard-heading')
      && document.querySelector('#wizard-heading').textContent !== old, h);
  }
  const heading = await page.locator('#wizard-heading').textContent();
  t.check('keyboard: the journey reaches the new-Outlook diagnosis', /new outlook/i.test(heading), heading);
  const diag = await page.locator('#wizard-heading').boundingBox();
  const answers = await page.locator('.wizard-path').boundingBox();
  t.check('390 px: the diagnosis comes before the answers', diag && answers && diag.y < answers.y,
    JSON.stringify([diag, answers]));
  await page.evaluate(() => document.querySelector('#wizard-heading').focus());
  await tabTo(() => document.activeElement && /\bbutton\b/.test(document.activeElement.className),
    'a button of the outcome');
  const cls = await page.evaluate(() => document.activeElement.className);
  t.check('keyboard: the first button of the outcome is the recommended one', /button-primary/.test(cls), cls);
  await ctx.close();
}

// An antivirus report with nothing known about the file reaches the DLL check: the outcome's
// first button opens it, with the session, so the result goes into the ticket.
async function antivirusPath(browser, base) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(base.launch);
  await page.goto(`${base.url}/wizard`);
  await page.getByRole('button', { name: /start/i }).click();
  await page.waitForSelector('#wizard-heading');
  await answer(page, 'av_flagged');
  await answer(page, 'unknown');
  await answer(page, 'unknown');
  await answer(page, 'yes');
  const h = await page.locator('#wizard-heading').textContent();
  t.check('antivirus, nothing known: the check-the-file diagnosis', /check the reported file/i.test(h), h);
  const first = page.locator('.wizard-outcome a.button').first();
  t.check('antivirus: the first button is the recommended one',
    /button-primary/.test(await first.getAttribute('class')), await first.getAttribute('class'));
  await first.click();
  await page.waitForURL(/\/dll-check\?session=[0-9a-f]{32}$/);
  t.check('antivirus: it opens the DLL check for this session',
    (await page.locator('input[name="session"]').count()) === 1, page.url());
  await ctx.close();
}

withServer(t, async (browser, srv, url) => {
  const base = { launch: srv.url, url };
  await walk(browser, base, true);
  await walk(browser, base, false);
  await keyboardOnly(browser, base);
  await antivirusPath(browser, base);
});
