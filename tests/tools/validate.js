#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Validates JSON files against a JSON Schema (draft 2020-12) with ajv in strict mode.
// Usage: node tests/tools/validate.js SCHEMA FILE...   ("-" reads one document from stdin)
// Prints "ok FILE" or every error with its JSON pointer; exit 1 when any file fails.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv2020 = require(path.join(__dirname, 'node_modules', 'ajv', 'dist', '2020'));
const addFormats = require(path.join(__dirname, 'node_modules', 'ajv-formats'));

const [schemaPath, ...files] = process.argv.slice(2);
if (!schemaPath || files.length === 0) {
	console.error('usage: validate.js SCHEMA FILE...');
	process.exit(64);
}
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));
let failed = 0;
for (const file of files) {
	const text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
	let doc;
	try {
		doc = JSON.parse(text);
	} catch (e) {
		console.log(`FAIL ${file}: not JSON: ${e.message}`);
		failed++;
		continue;
	}
	if (validate(doc)) {
		console.log(`ok ${file}`);
		continue;
	}
	failed++;
	for (const e of validate.errors)
		console.log(`FAIL ${file}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}
process.exit(failed ? 1 : 0);
