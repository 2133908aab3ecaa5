// SPDX-License-Identifier: MIT
// The lunr.js baseline for make bench: index the same articles in memory, time the same queries.
'use strict';
const fs = require('fs');
const path = require('path');
const lunr = require('lunr');

const dir = process.argv[2];
const rounds = Number(process.argv[3] || 1000);
// The same number of results koffix returns (the rest are ranked but not kept).
const limit = Number(process.argv[4] || 10);
const docs = fs.readdirSync(dir).filter((f) => f.endsWith('.md')).map((f) => {
  const text = fs.readFileSync(path.join(dir, f), 'utf8');
  const title = (text.match(/^title: "?(.*?)"?$/m) || [])[1] || f;
  return { id: f.slice(0, -3), title, body: text.split(/\n---\n/).slice(1).join('\n') };
});
const t0 = process.hrtime.bigint();
const idx = lunr(function build() {
  this.ref('id');
  this.field('title', { boost: 10 });
  this.field('body');
  docs.forEach((d) => this.add(d));
});
const built = Number(process.hrtime.bigint() - t0) / 1e6;
const queries = ['KofMsp32', 'appwiz', 'MAPISVC', 'profile rebuild', 'antivirus exclusions',
  'loading profile', 'outlook profile', 'sync calendar'];
const t1 = process.hrtime.bigint();
let hits = 0;
for (let r = 0; r < rounds; r++) for (const q of queries) hits += idx.search(q).slice(0, limit).length;
const per = Number(process.hrtime.bigint() - t1) / 1e3 / (rounds * queries.length);
console.log(`lunr.js ${per.toFixed(1)} us/query, no snippets (index built in ${built.toFixed(1)} ms, ${hits / rounds} results a round, at most ${limit} a query)`);
