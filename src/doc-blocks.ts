import * as fs from 'node:fs';
import { UsageError } from './errors';

/**
 * A generated block of a doc, between `<!-- KIND:NAME:start SOURCE… -->` and
 * `<!-- KIND:NAME:end -->`: tables that a command writes from runs or weights, never typed by hand.
 * The start marker lists the generator's sources (the runs or weights folders it read), so that
 * the same tables can be generated again and compared (tests/doc-blocks.test.ts). A block marked
 * `record` instead keeps tables whose sources are no longer in the repository.
 */
export interface DocBlock {
  kind: string;
  name: string;
  /** The runs or weights the block was generated from; empty for a record. */
  sources: string[];
  /** True for a frozen record (its sources are gone). */
  record: boolean;
  /** The text between the markers, without the newlines next to them. */
  body: string;
}

const START = /<!-- ([a-z]+):([a-z0-9-]+):start((?: (?!-->)[^ \n]+)*) -->\n/g;

/** Every KIND:NAME block of a doc's text, in order. */
export function readBlocks(text: string): DocBlock[] {
  const out: DocBlock[] = [];
  for (const m of text.matchAll(START)) {
    const [marker, kind, name, tail] = m as unknown as [string, string, string, string];
    const end = `<!-- ${kind}:${name}:end -->`;
    const from = m.index! + marker.length;
    const to = text.indexOf(end, from);
    if (to < 0) throw new UsageError(`the ${kind}:${name} block has no end marker`);
    const words = tail.trim() ? tail.trim().split(' ') : [];
    out.push({ kind, name, sources: words.filter((w) => w !== 'record'), record: words.includes('record'), body: text.slice(from, to).replace(/\n$/, '') });
  }
  return out;
}

/** Replaces the body of block KIND:NAME in `file` and records its sources in the start marker. */
export function writeBlock(file: string, kind: string, name: string, body: string, sources: readonly string[]): void {
  const text = fs.readFileSync(file, 'utf8');
  const start = new RegExp(`<!-- ${kind}:${name}:start(?: (?!-->)[^ \\n]+)* -->\\n`).exec(text);
  const end = `<!-- ${kind}:${name}:end -->`;
  const b = start ? text.indexOf(end, start.index) : -1;
  if (!start || b < 0) throw new UsageError(`${file} has no <!-- ${kind}:${name}:start --> … ${end} block`);
  const marker = `<!-- ${kind}:${name}:start${sources.map((s) => ` ${s}`).join('')} -->\n`;
  fs.writeFileSync(file, `${text.slice(0, start.index)}${marker}${body}\n${text.slice(b)}`);
}
