#!/usr/bin/env node
// Runs the TypeScript CLI through ts-node (type-checking is done by `npm test`, not at each start).
process.env.TS_NODE_TRANSPILE_ONLY ??= 'true';
require('ts-node').register({ project: require('node:path').join(__dirname, '..', 'tsconfig.json') });
require('../src/cli/main').main(process.argv);
