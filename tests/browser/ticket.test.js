// SPDX-License-Identifier: MIT
// Headless Chromium on the "Contact support" page, with and without JavaScript: reached from a
// wizard outcome, the form updates the preview (name, e-mail, hiding personal details), the
// downloads appear once an e-mail address is given and download what they promise, and the
// page passes the accessibility basics. The printable ticket is checked in print media.
'use strict';

const fs = require('fs');
const path = require('path');
const { answer, checks, outDir, withServer } = require('./lib');

const t = checks('browser-ticket');

async function ticketPage(browser, base, js) {
  const name = js ? 'with JavaScript' : 'without JavaScript';
  const ctx = await browser.newContext({ javaScriptEnabled: js, acceptDownloads: true });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base.launch);
  await page.goto(`${base.url}/wizard`);
  await page.getByRole('button', { name: /start/i }).click();
  await page.waitForSelector('#wizard-heading');
  await answer(page, 'mapi_load_error');
  await answer(page, 'yes');
  await answer(page, 'new');

  await page.getByRole('link', { name: /contact support/i }).first().click();
  await page.waitForSelector('h1');
  t.check(`${name}: the outcome links to Contact support`,
    /\/wizard\/[0-9a-f]+\/ticket$/.test(new URL(page.url()).pathname), page.url());
  t.check(`${name}: one h1 (the preview's headings nest below the page's), the language set`,
    (await page.locator('h1').count()) === 1
      && (await page.locator('html').getAttribute('lang')) === 'en',
    `${await page.locator('h1').allTextContents()} lang=${await page.locator('html').getAttribute('lang')}`);
  const preview = page.locator('[data-ticket-preview]');
  t.check(`${name}: the preview shows the answers and the diagnosis`,
    /MAPI/.test(await preview.textContent()) && /new Outlook/i.test(await preview.textContent()),
    (await preview.textContent()).slice(0, 300));
  const unavailable = await page.locator('.ticket-unavailable').count();
  t.check(`${name}: without an e-mail address only the help-desk API formats wait`,
    unavailable === 2, unavailable);
  const primary = page.locator('.ticket-downloads a.button-primary');
  t.check(`${name}: one primary download, the e-mail for the helpdesk, ready at once`,
    (await primary.count()) === 1 && /format=eml/.test(await primary.getAttribute('href')),
    await primary.count());
  t.check(`${name}: the API formats are folded under For IT staff`,
    !(await page.locator('details.ticket-for-it').getAttribute('open')));

  // Every form control has a label that names it.
  for (const id of ['ticket-name', 'ticket-email', 'ticket-redact']) {
    t.check(`${name}: #${id} has a label`, (await page.locator(`label[for="${id}"]`).count()) === 1);
  }

  await page.getByLabel(/your name/i).fill('Pat Example');
  await page.getByLabel(/your e-mail address/i).fill('pat@example.com');
  await page.getByLabel(/hide personal details/i).check();
  await page.getByRole('button', { name: /update the preview/i }).click();
  await page.waitForURL(/email=pat%40example\.com/);
  t.check(`${name}: the form is a GET that keeps what was typed`,
    (await page.getByLabel(/your name/i).inputValue()) === 'Pat Example'
      && (await page.getByLabel(/hide personal details/i).isChecked()));
  t.check(`${name}: every format is offered once the address is there`,
    (await page.locator('.ticket-unavailable').count()) === 0
      && (await page.locator('.ticket-downloads a[download]').count()) === 5);
  t.check(`${name}: the preview carries the requester`,
    /pat@example\.com/.test(await preview.textContent()));

  // The JSON download: the ticket as data, redacted as asked.
  const link = page.locator('.ticket-downloads a[href*="format=json"]');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const file = path.join(outDir, `ticket-${js ? 'js' : 'nojs'}.json`);
  await download.saveAs(file);
  let ticket = {};
  try {
    ticket = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    t.check(`${name}: the JSON download parses`, false, e);
  }
  t.check(`${name}: the JSON download is this session's ticket, redacted`,
    ticket.redacted === true && JSON.stringify(ticket).includes('mapi_load_error')
      && (await download.suggestedFilename()).endsWith('.json'),
    JSON.stringify(ticket).slice(0, 300));

  // The printable page (a download too), opened and printed to PDF.
  const [dl] = await Promise.all([page.waitForEvent('download'),
    page.locator('.ticket-download a[href*="format=html"]').click()]);
  const htmlFile = path.join(outDir, `ticket-${js ? 'js' : 'nojs'}.html`);
  await dl.saveAs(htmlFile);
  const printable = await ctx.newPage();
  await printable.setContent(fs.readFileSync(htmlFile, 'utf8'));
  await printable.emulateMedia({ media: 'print' });
  t.check(`${name}: the printable ticket has a title and the diagnosis`,
    (await printable.locator('h1').count()) >= 1 && /new Outlook/i.test(await printable.textContent('body')));
  await printable.pdf({ path: path.join(outDir, `ticket-${js ? 'js' : 'nojs'}.pdf`) });
  t.check(`${name}: the printable ticket prints`,
    fs.statSync(path.join(outDir, `ticket-${js ? 'js' : 'nojs'}.pdf`)).size > 5000);
  await page.screenshot({ path: path.join(outDir, `ticket-${js ? 'js' : 'nojs'}.png`), fullPage: true });
  t.check(`${name}: no script errors`, errors.length === 0, errors.join('\n'));
  await ctx.close();
}

withServer(t, async (browser, srv, url) => {
  const base = { launch: srv.url, url };
  await ticketPage(browser, base, true);
  await ticketPage(browser, base, false);
});
