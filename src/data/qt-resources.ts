/**
 * Reads Qt's binary resource files (`.rcc`, as `rcc --binary` writes them), in which some Debian
 * packages ship their pictures. No Debian tool unpacks them (Qt's `rcc` only writes and lists), so
 * the lab reads the format itself: Qt's own layout (qtbase, src/corelib/io/qresource.cpp),
 * versions 1 to 3. A header ("qres", version, then the offsets of the tree, the data and the
 * names); a tree of fixed-size nodes, each a name and either a directory's children or a file's
 * data; each name a UTF-16 string; each file's data its size and bytes, zlib-compressed (Qt's
 * qCompress: the inflated size, then a zlib stream) where the node says so.
 */
import { inflateSync } from 'node:zlib';
import { UsageError } from '../errors';

export interface QtResource {
  /** The file's path inside the resource tree, without a leading slash, e.g. `images/sea.webp`. */
  path: string;
  data: Buffer;
}

const COMPRESSED = 0x01;
const DIRECTORY = 0x02;
const COMPRESSED_ZSTD = 0x04;

/** Every file in a resource file's tree, in tree order. `name` labels errors. */
export function readQtResources(buf: Buffer, name = 'resource file'): QtResource[] {
  const bad = (why: string): UsageError => new UsageError(`${name}: not a readable Qt resource file (${why})`);
  if (buf.length < 20 || buf.toString('latin1', 0, 4) !== 'qres') throw bad('no "qres" header');
  const version = buf.readUInt32BE(4);
  if (version < 1 || version > 3) throw bad(`format version ${version}; versions 1 to 3 are read`);
  const tree = buf.readUInt32BE(8);
  const data = buf.readUInt32BE(12);
  const names = buf.readUInt32BE(16);
  const nodeSize = version >= 2 ? 22 : 14;
  const at = (offset: number, bytes: number, what: string): number => {
    if (offset + bytes > buf.length) throw bad(`${what} runs past the end of the file`);
    return offset;
  };
  const nameAt = (offset: number): string => {
    const o = at(names + offset, 6, 'a name');
    const length = buf.readUInt16BE(o);
    const start = at(o + 6, 2 * length, 'a name');
    // UTF-16 big-endian: swap to the little-endian that Node decodes.
    const chars = Buffer.from(buf.subarray(start, start + 2 * length));
    return chars.swap16().toString('utf16le');
  };
  const out: QtResource[] = [];
  const visit = (index: number, prefix: string, depth: number): void => {
    if (depth > 64) throw bad('its tree is nested more than 64 deep');
    const node = at(tree + index * nodeSize, nodeSize, 'a tree node');
    const flags = buf.readUInt16BE(node + 4);
    const own = index === 0 ? '' : nameAt(buf.readUInt32BE(node));
    const here = index === 0 ? '' : `${prefix}${own}`;
    if (flags & DIRECTORY) {
      const count = buf.readUInt32BE(node + 6);
      const first = buf.readUInt32BE(node + 10);
      for (let k = 0; k < count; k++) visit(first + k, index === 0 ? '' : `${here}/`, depth + 1);
      return;
    }
    const offset = at(data + buf.readUInt32BE(node + 10), 4, `the data of ${here}`);
    const size = buf.readUInt32BE(offset);
    const start = at(offset + 4, size, `the data of ${here}`);
    const stored = buf.subarray(start, start + size);
    if (flags & COMPRESSED_ZSTD) throw bad(`${here} is zstd-compressed, which this reader does not inflate`);
    let bytes: Buffer;
    if (flags & COMPRESSED) {
      if (size < 4) throw bad(`${here}: compressed data shorter than its header`);
      bytes = inflateSync(stored.subarray(4));
      if (bytes.length !== stored.readUInt32BE(0)) throw bad(`${here} inflates to ${bytes.length} bytes, not the ${stored.readUInt32BE(0)} it states`);
    } else {
      bytes = Buffer.from(stored);
    }
    out.push({ path: here, data: bytes });
  };
  visit(0, '', 0);
  return out;
}
