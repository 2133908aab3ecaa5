// SPDX-License-Identifier: MIT
// Headless Chromium walks the wizard by clicking: one path to an outcome, back, a changed
// answer, a different outcome; once with JavaScript (no full page loads) and once without.
'use strict';

const fs = require('fs');
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

// After the diagnosis, the keyboard alone carries on: the recommended repair's review (a
// missing parameter typed in, the plan shown, consent ticked with Space, the repair started),
// its result page, Contact support and the e-mail for the helpdesk, downloaded with Enter.
async function keyboardRepairAndTicket(browser, base) {
  const ctx = await browser.newContext({ acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(base.launch);
  const csrf = (await (await page.request.get(`${base.url}/api/csrf`)).json()).token;
  const created = await page.request.post(`${base.url}/api/wizard`, {
    headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
    data: { scan: false, answers: { symptom: 'stuck_loading_profile', dll_present: 'yes',
      outlook_kind: 'classic', office_version: '365', office_bitness: 'x64', windows_version: '10',
      recent_update: 'none', koff_version: '10.0.6', koff_bitness: 'x64', server_version: '10.0.6' } },
  });
  const st = await created.json();
  const sid = st.id || st.session;
  t.check('keyboard repair: the session is at the damaged-profile diagnosis',
    created.status() === 201 && (st.outcome || {}).id === 'profile_corrupt', JSON.stringify(st).slice(0, 200));
  await page.goto(`${base.url}/wizard/${sid}`);
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    return e ? { tag: e.tagName, cls: e.className, text: (e.textContent || '').trim(), name: e.name || '',
      type: e.type || '', href: e.getAttribute('href') || '', id: e.id } : {};
  });
  const tabTo = async (test, what) => {
    for (let i = 0; i < 120; i++) {
      await page.keyboard.press('Tab');
      if (test(await focused())) return true;
    }
    t.check(`keyboard repair: Tab reaches ${what}`, false, JSON.stringify(await focused()));
    return false;
  };
  await page.evaluate(() => document.querySelector('#wizard-heading').focus());
  if (!await tabTo((f) => /button-primary/.test(f.cls), 'the recommended repair')) return ctx.close();
  const first = await focused();
  t.check('keyboard repair: the first button is the cache reset\'s review',
    /\/actions\/reset-koff-cache\?session=/.test(first.href), first.href);
  await Promise.all([page.waitForURL(/\/actions\/reset-koff-cache/), page.keyboard.press('Enter')]);

  // The profile is not something the wizard asked: typed in, then the plan.
  if (await page.locator('#param-profile').count()) {
    if (!await tabTo((f) => f.id === 'param-profile', 'the profile field')) return ctx.close();
    await page.keyboard.type('Outlook');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#action-confirm');
  }
  t.check('keyboard repair: the plan and its consent are on the page',
    (await page.locator('#action-confirm').count()) === 1);
  if (!await tabTo((f) => f.id === 'action-confirm', 'the consent checkbox')) return ctx.close();
  await page.keyboard.press('Space');
  t.check('keyboard repair: Space ticks the consent', await page.locator('#action-confirm').isChecked());
  if (!await tabTo((f) => /action-run-button/.test(f.cls), 'the run button')) return ctx.close();
  await Promise.all([page.waitForURL(/\/runs\/[0-9a-f]{32}$/), page.keyboard.press('Enter')]);
  // The page's state class shows one wording (style.css, .run-state-STATE [data-when]).
  // (No eval in the page: its Content-Security-Policy forbids it.)
  const shown = () => [...document.querySelectorAll('.run-banner-title [data-when]')]
    .filter((e) => getComputedStyle(e).display !== 'none').map((e) => e.dataset.when + ':' + e.textContent);
  await page.waitForFunction(() => [...document.querySelectorAll('.run-banner-title [data-when]')]
    .some((e) => getComputedStyle(e).display !== 'none' && !/^(queued|running)$/.test(e.dataset.when)),
  null, { timeout: 30000 });
  const said = (await page.evaluate(shown)).join(' ');
  t.check('keyboard repair: the run finishes and says so', /ready|succeeded/i.test(said), said);

  if (!await tabTo((f) => /\/ticket$/.test(f.href), 'Contact support')) return ctx.close();
  await Promise.all([page.waitForURL(/\/wizard\/[0-9a-f]{32}\/ticket$/), page.keyboard.press('Enter')]);
  if (!await tabTo((f) => /button-primary/.test(f.cls) && /format=eml/.test(f.href), 'the e-mail download')) {
    return ctx.close();
  }
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  const file = path.join(outDir, 'ticket-keyboard.eml');
  await download.saveAs(file);
  // The message's plain-text part (base64): the diagnosis, and the repair that was run.
  const raw = fs.readFileSync(file, 'utf8');
  const m = /Content-Type: text\/plain[^]*?\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)/.exec(raw);
  const text = m ? Buffer.from(m[1].replace(/\s+/g, ''), 'base64').toString('utf8') : '';
  t.check('keyboard repair: Enter downloads the e-mail, with the diagnosis and the repair run',
    (await download.suggestedFilename()).endsWith('.eml') && /profile_corrupt/.test(text)
      && /reset-koff-cache/.test(text), `${await download.suggestedFilename()} ${text.slice(-600)}`);
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
  await keyboardRepairAndTicket(browser, base);
  await antivirusPath(browser, base);
});
