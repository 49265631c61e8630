#!/usr/bin/env node
/**
 * tslab's kernel, with its shell requests handled one at a time, in arrival order.
 *
 * tslab 1.0.22 starts handling every shell message as it arrives: with cells queued (Run All),
 * it publishes "busy" for all of them at once and "idle" as each one finishes, so the notebook's
 * kernel indicator reads idle for the whole run after the first cell. Jupyter's protocol (and
 * ipykernel) handles shell requests in order, bracketing each with busy … idle: this does the same.
 * Executions were already serial inside tslab, so this changes when statuses are sent, not what
 * runs; after a failing cell tslab still cancels the cells queued behind it.
 */
'use strict';
const path = require('path');
const root = path.resolve(__dirname, '..', '..', '..', '..');
const { ZmqServer } = require(path.join(root, 'node_modules', 'tslab', 'dist', 'jupyter.js'));

const handle = ZmqServer.prototype.handleShellMessage;
let previous = Promise.resolve();
ZmqServer.prototype.handleShellMessage = function handleInOrder(...args) {
  const next = previous.then(() => handle.apply(this, args));
  previous = next.catch(() => undefined);
  return next;
};

require(path.join(root, 'node_modules', 'tslab', 'dist', 'main.js')).main();
