// The Content-Type of an upload, picked as s3cmd picks it (S3/S3.py content_type()):
//   --mime-type (or .s3cfg mime_type) wins as given;
//   else, with guess_mime_type (default on):
//     use_mime_magic (default on): what libmagic says about the file's content (python-magic,
//       MIME type only, no charset), e.g. text/plain for a README, image/png for a PNG without an
//       extension, inode/x-empty for an empty file, application/octet-stream for other bytes;
//     --no-mime-magic: Python's mimetypes.guess_type() on the name (types_map, .gz/.bz2/.xz as
//       encodings, so x.gz has no type and x.tar.gz is application/x-tar);
//   and default_mime_type (binary/octet-stream) when that gives nothing.
//   stdin: (--mime-type or default_mime_type) + "; charset=" + the encoding, upper-cased.
//
// The content sniffer below covers the common kinds (text, HTML, XML, SVG, JSON, CSV, JavaScript,
// shell and a few other scripts, images, archives, PDF, fonts, audio/video containers, executables)
// following libmagic 5.44 (its tar, JSON and CSV checks, its text/binary test and the magic rules
// for these kinds, in their order of strength). It reads the first HEAD_BYTES of a file only;
// libmagic looks further (64 KiB for the text test, up to 7 MiB for JSON), so a file whose
// type shows only past the head can differ. Text kinds it does not model (C, Python or Perl source
// without a #! line, mail, troff, TeX, ...) come out as text/plain where libmagic names them.
import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';

/** Bytes read from the start of a file to sniff its type. */
export const HEAD_BYTES = 4096;

export interface ContentTypeSettings {
  /** --mime-type / mime_type: forced, used as given. */
  mimeType?: string;
  /** guess_mime_type / -M / --no-guess-mime-type */
  guessMimeType: boolean;
  /** use_mime_magic / --no-mime-magic */
  useMimeMagic: boolean;
  /** default_mime_type / --default-mime-type */
  defaultMimeType: string;
  /** --follow-symlinks: the extension is taken from the link's target (s3cmd uses realpath). */
  followSymlinks: boolean;
  /** --encoding / encoding: the charset named for stdin uploads. */
  encoding: string;
}

/** The Content-Type header for uploading localPath (undefined: standard input). */
export function uploadContentType(s: ContentTypeSettings, localPath: string | undefined): string {
  if (localPath === undefined) return `${s.mimeType || s.defaultMimeType}; charset=${s.encoding.toUpperCase()}`;
  if (s.mimeType) return s.mimeType;
  if (!s.guessMimeType) return s.defaultMimeType;
  if (s.useMimeMagic) return sniffFile(localPath) || s.defaultMimeType;
  let p = localPath;
  if (s.followSymlinks) {
    try {
      p = realpathSync(localPath);
    } catch {
      // the upload reports an unreadable path
    }
  }
  return extensionContentType(p) || s.defaultMimeType;
}

/** libmagic's MIME type for a file, from its first HEAD_BYTES; undefined when it cannot be read. */
export function sniffFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.allocUnsafe(HEAD_BYTES);
    let n = 0;
    while (n < HEAD_BYTES) {
      const r = readSync(fd, head, n, HEAD_BYTES - n, n);
      if (r === 0) break;
      n += r;
    }
    const size = n < HEAD_BYTES ? n : fstatSync(fd).size;
    return sniffContentType(head.subarray(0, n), size);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

// ------------------------------------------------------------------------------------------------
// Content: libmagic
// ------------------------------------------------------------------------------------------------

/** libmagic reads this much of a file; a JSON file longer than this is not JSON to it. */
const MAGIC_BYTES_MAX = 7 * 1024 * 1024;

/**
 * What libmagic (`file --mime-type`, python-magic's from_file) says about a file whose first
 * bytes are `head` and whose size is `size` (head is the whole file when size <= head.length).
 */
export function sniffContentType(head: Uint8Array, size: number): string {
  if (size === 0) return 'inode/x-empty';
  if (size === 1) return 'application/octet-stream'; // "very short file (no magic)"
  const whole = size <= head.length;
  const text = textEncoding(head);
  if (isTar(head)) return 'application/x-tar';
  const json = jsonKind(head, whole, size);
  if (json) return json;
  if (text && isCsv(head)) return 'text/csv';
  const bin = binaryMagic(head);
  if (bin) return bin;
  if (!text) return 'application/octet-stream';
  return textMagic(decodeText(head, text)) ?? 'text/plain';
}

// --- text or binary (libmagic encoding.c) -------------------------------------------------------

// Per byte below 0x80: 1 when it appears in plain text (BEL..CR except SO/SI, ESC, printable).
const TEXT_CHAR = new Uint8Array(128);
for (let c = 0x20; c < 0x7f; c++) TEXT_CHAR[c] = 1;
for (const c of [0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b]) TEXT_CHAR[c] = 1;

type TextEncoding = 'ascii' | 'utf8-bom' | 'utf16le' | 'utf16be' | 'utf32le' | 'utf32be';

/**
 * The encoding when the bytes look like text to libmagic, else undefined. Bytes 0x80-0xFF are
 * always allowed (UTF-8, ISO-8859 or "non-ISO extended ASCII" all count as text); a control byte
 * outside BEL..CR and ESC makes it binary unless the data is UTF-16/32 with a byte order mark.
 */
function textEncoding(b: Uint8Array): TextEncoding | undefined {
  let plain = true;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c < 0x80 && !TEXT_CHAR[c]) {
      plain = false;
      break;
    }
  }
  if (plain) return b.length > 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 'utf8-bom' : 'ascii';
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return ucs32(b, false) ? 'utf32le' : undefined;
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return ucs32(b, true) ? 'utf32be' : undefined;
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return ucs16(b, false) ? 'utf16le' : undefined;
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return ucs16(b, true) ? 'utf16be' : undefined;
  return undefined;
}

function ucs16(b: Uint8Array, be: boolean): boolean {
  let hi = false;
  for (let i = 2; i + 1 < b.length; i += 2) {
    const u = be ? (b[i] << 8) | b[i + 1] : b[i] | (b[i + 1] << 8);
    if (u === 0xfffe || u === 0xffff || (u >= 0xfdd0 && u <= 0xfdef)) return false;
    if (hi) {
      if (u < 0xdc00 || u > 0xdfff) return false;
      hi = false;
      continue;
    }
    if (u < 128 && !TEXT_CHAR[u]) return false;
    if (u >= 0xd800 && u <= 0xdbff) hi = true;
    else if (u >= 0xdc00 && u <= 0xdfff) return false;
  }
  return true;
}

function ucs32(b: Uint8Array, be: boolean): boolean {
  for (let i = 4; i + 3 < b.length; i += 4) {
    const u = be ? ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0 : (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
    if (u === 0xfffe) return false;
    if (u < 128 && !TEXT_CHAR[u]) return false;
  }
  return true;
}

/** The text libmagic's text rules see: without a UTF-8 BOM, UTF-16/32 decoded; one char per byte otherwise. */
function decodeText(b: Uint8Array, enc: TextEncoding): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  switch (enc) {
    case 'ascii':
      return buf.toString('latin1');
    case 'utf8-bom':
      return buf.toString('latin1', 3);
    case 'utf16le':
      return buf.subarray(2, 2 + ((b.length - 2) & ~1)).toString('utf16le');
    case 'utf16be': {
      const sw = Buffer.from(buf.subarray(2, 2 + ((b.length - 2) & ~1)));
      sw.swap16();
      return sw.toString('utf16le');
    }
    case 'utf32le':
    case 'utf32be': {
      let s = '';
      for (let i = 4; i + 3 < b.length; i += 4) {
        const u = enc === 'utf32be' ? buf.readUInt32BE(i) : buf.readUInt32LE(i);
        s += u <= 0x10ffff ? String.fromCodePoint(u) : '\ufffd';
      }
      return s;
    }
  }
}

// --- tar (libmagic is_tar.c): a header whose checksum adds up ------------------------------------

function isTar(b: Uint8Array): boolean {
  if (b.length < 512) return false;
  // Gentoo binary packages (a name ending in /gpkg-1) are left to the magic rules.
  const nul = b.subarray(0, 100).indexOf(0);
  if (nul >= 7 && Buffer.from(b.subarray(nul - 7, nul)).toString('latin1') === '/gpkg-1') return false;
  const recsum = fromOctal(b, 148, 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
  return sum === recsum;
}

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

function fromOctal(b: Uint8Array, at: number, digs: number): number {
  let i = at;
  const end = at + digs;
  while (i < end && isSpace(b[i])) i++;
  if (i === end) return -1;
  let v = 0;
  while (i < end && b[i] >= 0x30 && b[i] <= 0x37) v = (v << 3) | (b[i++] - 0x30);
  if (i < end && b[i] !== 0 && !isSpace(b[i])) return -1;
  return v;
}

// --- JSON (libmagic is_json.c, ported) ------------------------------------------------------------

interface JsonState {
  b: Uint8Array;
  i: number;
  /** objects + arrays seen: a document of bare strings or numbers is not JSON to libmagic */
  containers: number;
  /** the parse ran into the end of the head (so the file may go on validly) */
  ranOut: boolean;
}

const jsonSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isXDigit = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

function skipSpace(st: JsonState): void {
  while (st.i < st.b.length && jsonSpace(st.b[st.i])) st.i++;
}

function jsonString(st: JsonState): boolean {
  const { b } = st;
  while (st.i < b.length) {
    const c = b[st.i++];
    if (c === 0) return false;
    if (c === 0x22) return true;
    if (c === 0x5c) {
      if (st.i >= b.length) break;
      const e = b[st.i++];
      if (e === 0x75) {
        if (b.length - st.i < 4) {
          st.i = b.length;
          break;
        }
        for (let k = 0; k < 4; k++) if (!isXDigit(b[st.i++])) return false;
      } else if (!'"\\/bfnrt'.includes(String.fromCharCode(e)) || e === 0) return false;
    }
  }
  st.ranOut = true;
  return false;
}

function jsonNumber(st: JsonState): boolean {
  const { b } = st;
  let got = false;
  if (st.i === b.length) {
    st.ranOut = true;
    return false;
  }
  if (b[st.i] === 0x2d) st.i++;
  while (st.i < b.length && isDigit(b[st.i])) (st.i++, (got = true));
  if (st.i === b.length) return got;
  if (b[st.i] === 0x2e) st.i++;
  while (st.i < b.length && isDigit(b[st.i])) (st.i++, (got = true));
  if (st.i === b.length) return got;
  if (got && (b[st.i] === 0x65 || b[st.i] === 0x45)) {
    st.i++;
    got = false;
    if (st.i === b.length) return got;
    if (b[st.i] === 0x2b || b[st.i] === 0x2d) st.i++;
    while (st.i < b.length && isDigit(b[st.i])) (st.i++, (got = true));
  }
  return got;
}

function jsonConst(st: JsonState, word: string): boolean {
  // st.i is past the first letter; like libmagic, a constant cut short by the end still counts
  const start = st.i;
  st.i = Math.min(start + word.length - 1, st.b.length);
  for (let k = 1; k < word.length && start + k - 1 < st.b.length; k++) if (st.b[start + k - 1] !== word.charCodeAt(k)) return false;
  return true;
}

function jsonArray(st: JsonState, lvl: number): boolean {
  const { b } = st;
  while (st.i < b.length) {
    skipSpace(st);
    if (st.i === b.length) break;
    if (b[st.i] === 0x5d) {
      st.i++;
      st.containers++;
      return true;
    }
    if (!jsonValue(st, lvl + 1)) return false;
    if (st.i === b.length) break;
    if (b[st.i] === 0x2c) {
      st.i++;
      continue;
    }
    if (b[st.i] === 0x5d) {
      st.i++;
      st.containers++;
      return true;
    }
    return false;
  }
  st.ranOut = true;
  return false;
}

function jsonObject(st: JsonState, lvl: number): boolean {
  const { b } = st;
  while (st.i < b.length) {
    skipSpace(st);
    if (st.i === b.length) break;
    if (b[st.i] === 0x7d) {
      st.i++;
      st.containers++;
      return true;
    }
    if (b[st.i++] !== 0x22) return false;
    if (!jsonString(st)) return false;
    skipSpace(st);
    if (st.i === b.length) break;
    if (b[st.i++] !== 0x3a) return false;
    if (!jsonValue(st, lvl + 1)) return false;
    if (st.i === b.length) break;
    const c = b[st.i++];
    if (c === 0x2c) continue;
    if (c === 0x7d) {
      st.containers++;
      return true;
    }
    return false;
  }
  st.ranOut = true;
  return false;
}

function jsonValue(st: JsonState, lvl: number): boolean {
  skipSpace(st);
  if (st.i === st.b.length) {
    st.ranOut = true;
    return false;
  }
  if (lvl > 500) return false;
  let ok: boolean;
  switch (st.b[st.i++]) {
    case 0x22:
      ok = jsonString(st);
      break;
    case 0x5b:
      ok = jsonArray(st, lvl);
      break;
    case 0x7b:
      ok = jsonObject(st, lvl);
      break;
    case 0x74:
      ok = jsonConst(st, 'true');
      break;
    case 0x66:
      ok = jsonConst(st, 'false');
      break;
    case 0x6e:
      ok = jsonConst(st, 'null');
      break;
    default:
      st.i--;
      ok = jsonNumber(st);
  }
  skipSpace(st);
  return ok;
}

/**
 * application/json for one JSON object or array (surrounded by blanks), application/x-ndjson when
 * a second value follows that starts like the first; undefined otherwise. A head cut short in a
 * valid document counts as JSON when the whole file is within what libmagic reads.
 */
function jsonKind(b: Uint8Array, whole: boolean, size: number): string | undefined {
  const st: JsonState = { b, i: 0, containers: 0, ranOut: false };
  skipSpace(st);
  const first = st.i;
  const cutOk = () => !whole && st.ranOut && size <= MAGIC_BYTES_MAX && (b[first] === 0x7b || b[first] === 0x5b);
  if (!jsonValue(st, 0)) return cutOk() ? 'application/json' : undefined;
  if (st.containers === 0) return undefined;
  if (st.i === b.length) return whole || size <= MAGIC_BYTES_MAX ? 'application/json' : undefined;
  if (b[st.i] !== b[first]) return undefined;
  if (jsonValue(st, 1)) return 'application/x-ndjson';
  return cutOk() ? 'application/x-ndjson' : undefined;
}

// --- CSV (libmagic is_csv.c): the same number of commas on each of the first lines ---------------

function isCsv(b: Uint8Array): boolean {
  let nf = 0;
  let tf = 0;
  let nl = 0;
  let i = 0;
  while (i < b.length) {
    const c = b[i++];
    if (c === 0x22) {
      // skip a quoted field; "" is an escaped quote
      let quote = false;
      let done = false;
      while (i < b.length) {
        const d = b[i++];
        if (d !== 0x22) {
          if (quote) {
            i--;
            done = true;
            break;
          }
          continue;
        }
        quote = !quote;
      }
      if (!done) i = b.length;
    } else if (c === 0x2c) nf++;
    else if (c === 0x0a) {
      nl++;
      if (nl === 10) return tf !== 0 && tf === nf;
      if (tf === 0) {
        if (nf === 0) return false;
        tf = nf;
      } else if (tf !== nf) return false;
      nf = 0;
    }
  }
  return tf !== 0 && nl > 2;
}

// --- binary magic: signatures of the common binary kinds (and the few text rules libmagic runs as binary tests) ---

const SHELL = 'text/x-shellscript';

const ascii = (b: Uint8Array, at: number, s: string): boolean => {
  if (at + s.length > b.length) return false;
  for (let k = 0; k < s.length; k++) if (b[at + k] !== s.charCodeAt(k)) return false;
  return true;
};
const u16le = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u32le = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
const u16be = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const u32be = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
const latin1 = (b: Uint8Array, from: number, to: number) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1', from, Math.min(to, b.length));

function binaryMagic(b: Uint8Array): string | undefined {
  if (b.length < 2) return undefined;
  switch (b[0]) {
    case 0x89:
      if (ascii(b, 1, 'PNG\r\n\x1a\n\0\0\0\x0dIHDR')) return 'image/png';
      break;
    case 0xff:
      if (b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
      if (MPEG_AUDIO_SYNC.has(b[1]) && mpegAudio(b)) return 'audio/mpeg';
      break;
    case 0x47: // G
      if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'image/gif';
      break;
    case 0x52: // R
      if (ascii(b, 0, 'RIFF')) {
        if (ascii(b, 8, 'WEBP')) return 'image/webp';
        if (ascii(b, 8, 'WAVE')) return 'audio/x-wav';
        if (ascii(b, 8, 'AVI ')) return 'video/x-msvideo';
      }
      if (ascii(b, 0, 'Rar!\x1a\x07')) return 'application/x-rar';
      break;
    case 0x42: // B
      if (b[1] === 0x4d && b.length >= 18 && [12, 40, 52, 56, 64, 108, 124].includes(u32le(b, 14))) return 'image/bmp';
      if (ascii(b, 0, 'BZh') && b[3] >= 0x31 && b[3] <= 0x39) return 'application/x-bzip2';
      break;
    case 0x49: // I
      if (ascii(b, 0, 'II*\0')) return 'image/tiff';
      if (ascii(b, 0, 'ID3')) return 'audio/mpeg';
      break;
    case 0x4d: // M
      if (ascii(b, 0, 'MM\0*')) return 'image/tiff';
      if (b[1] === 0x5a) return msdos(b);
      break;
    case 0x25: // %
      if (ascii(b, 0, '%PDF-')) return 'application/pdf';
      if (b[1] === 0x21) return 'application/postscript';
      break;
    case 0x1f:
      if (b[1] === 0x8b) return 'application/gzip';
      break;
    case 0xfd:
      if (ascii(b, 1, '7zXZ\0')) return 'application/x-xz';
      break;
    case 0x28:
      if (b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'application/zstd';
      break;
    case 0x37: // 7
      if (ascii(b, 1, 'z\xbc\xaf\x27\x1c')) return 'application/x-7z-compressed';
      break;
    case 0x50: // P
      if (ascii(b, 0, 'PK\x03\x04')) return zip(b);
      if (ascii(b, 0, 'PK\x05\x06')) return 'application/zip';
      break;
    case 0x7f:
      if (ascii(b, 1, 'ELF')) return elf(b);
      break;
    case 0x00:
      if (ascii(b, 1, 'asm')) return 'application/wasm';
      if (b[1] === 0 && b[2] === 1 && b[3] === 0 && b.length >= 6 && u16le(b, 4) > 0) return 'image/vnd.microsoft.icon';
      if (ascii(b, 0, '\0\x01\0\0') && b.length >= 12 && u16be(b, 4) > 0 && u16be(b, 4) < 100) return 'font/sfnt';
      if (ascii(b, 4, 'ftyp')) return isoMedia(b);
      break;
    case 0x4f: // O
      if (ascii(b, 0, 'OggS')) return 'audio/ogg';
      if (ascii(b, 0, 'OTTO')) return 'application/vnd.ms-opentype';
      break;
    case 0x66: // f
      if (ascii(b, 0, 'fLaC')) return 'audio/flac';
      break;
    case 0x77: // w
      if (ascii(b, 0, 'wOFF')) return 'font/woff';
      if (ascii(b, 0, 'wOF2')) return 'font/woff2';
      break;
    case 0x1a:
      if (ascii(b, 0, '\x1a\x45\xdf\xa3')) return latin1(b, 0, 64).includes('webm') ? 'video/webm' : 'video/x-matroska';
      break;
    case 0x53: // S
      if (ascii(b, 0, 'SQLite format 3\0')) return 'application/vnd.sqlite3';
      break;
    case 0xca:
      if (ascii(b, 0, '\xca\xfe\xba\xbe') && b.length >= 8 && u32be(b, 4) > 30) return 'application/x-java-applet';
      break;
    case 0x21: // !
      if (ascii(b, 0, '!<arch>\n')) return ascii(b, 8, 'debian-binary') ? 'application/vnd.debian.binary-package' : 'application/x-archive';
      break;
    case 0xed:
      if (ascii(b, 0, '\xed\xab\xee\xdb')) return 'application/x-rpm';
      break;
    case 0x2d: // -
      if (ascii(b, 0, '-----BEGIN PGP ')) return pgpArmor(latin1(b, 15, 40));
      break;
    case 0x7b: // {
      if (ascii(b, 0, '{\\rtf')) return 'text/rtf';
      break;
    case 0x3c: // <
      if (ascii(b, 0, '<svg')) return 'image/svg+xml';
      // <?xml version=...?> with <svg in the first 4 KiB
      if (ascii(b, 0, '<?xml version=') && latin1(b, 19, 19 + 4096 + 4).includes('<svg')) return 'image/svg+xml';
      break;
    case 0x23: // #
      if (b[1] === 0x21) return BINARY_SHELLS.some((t) => t(latin1(b, 0, 64))) ? SHELL : perlScript(b);
      break;
  }
  // CPython 3.7+ bytecode: a 2-byte magic ending in \r, then \r\n, then a flags word below 4
  if (b.length >= 8 && b[1] === 0x0d && b[2] === 0x0d && b[3] === 0x0a && u32le(b, 4) < 4) return 'application/x-bytecode.python';
  if (b.length >= 12 && ascii(b, 4, 'ftyp')) return isoMedia(b);
  return undefined;
}

// MPEG audio frame sync words libmagic knows (layers I-III of MPEG 1, 2 and 2.5)
const MPEG_AUDIO_SYNC = new Set([0xfa, 0xfb, 0xf2, 0xf3, 0xe2, 0xe3, 0xfc, 0xfd, 0xf4, 0xf5, 0xf6, 0xf7]);

function pgpArmor(kind: string): string | undefined {
  if (kind.startsWith('SIGNATURE-')) return 'application/pgp-signature';
  if (kind.startsWith('PUBLIC KEY BLOCK-') || kind.startsWith('PRIVATE KEY BLOCK-')) return 'application/pgp-keys';
  if (kind.startsWith('MESSAGE-')) return 'application/pgp-encrypted';
  if (kind.startsWith('SIGNED MESSAGE-')) return 'text/PGP';
  return undefined;
}

/** An MPEG audio frame header: layer and bitrate fields must be valid. */
function mpegAudio(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const layer = (b[1] >> 1) & 3;
  const rate = b[2] >> 4;
  const freq = (b[2] >> 2) & 3;
  return layer !== 0 && rate !== 0 && rate !== 15 && freq !== 3;
}

function msdos(b: Uint8Array): string {
  if (b.length >= 0x40) {
    const pe = u32le(b, 0x3c);
    if (pe + 4 <= b.length && ascii(b, pe, 'PE\0\0')) return 'application/vnd.microsoft.portable-executable';
  }
  return 'application/x-dosexec';
}

function elf(b: Uint8Array): string {
  if (b.length < 20) return 'application/octet-stream';
  const le = b[5] !== 2;
  const half = (at: number) => (le ? u16le(b, at) : u16be(b, at));
  const word = (at: number) => (le ? u32le(b, at) : u32be(b, at));
  switch (half(16)) {
    case 1:
      return 'application/x-object';
    case 2:
      return 'application/x-executable';
    case 4:
      return 'application/x-coredump';
    case 3: {
      // libmagic says pie-executable when the dynamic section carries DF_1_PIE (past the head);
      // a program interpreter (PT_INTERP) is the sign that fits in it.
      const is64 = b[4] === 2;
      const phoff = is64 ? word(32) + word(36) * 2 ** 32 : word(28);
      const phentsize = half(is64 ? 54 : 42);
      const phnum = half(is64 ? 56 : 44);
      for (let k = 0; k < phnum; k++) {
        const at = phoff + k * phentsize;
        if (at + 4 > b.length) break;
        if (word(at) === 3) return 'application/x-pie-executable';
      }
      return 'application/x-sharedlib';
    }
  }
  return 'application/octet-stream';
}

function isoMedia(b: Uint8Array): string | undefined {
  const brand = latin1(b, 8, 12);
  if (brand === 'avif' || brand === 'avis') return 'image/avif';
  if (brand === 'heic' || brand === 'heix') return 'image/heic';
  if (brand === 'mif1' || brand === 'msf1') return 'image/heif';
  if (brand === 'qt  ') return 'video/quicktime';
  if (brand === 'M4A ') return 'audio/x-m4a';
  if (brand.startsWith('3gp')) return 'video/3gpp';
  if (brand.startsWith('3g2')) return 'video/3gpp2';
  if (['isom', 'iso2', 'mp41', 'mp42', 'avc1', 'dash', 'M4V ', 'MSNV'].includes(brand)) return 'video/mp4';
  return undefined;
}

function zip(b: Uint8Array): string {
  const nameLen = u16le(b, 26);
  const extraLen = u16le(b, 28);
  const name = latin1(b, 30, 30 + nameLen);
  if (name === 'mimetype') {
    const start = 30 + nameLen + extraLen;
    const m = /^[a-z0-9.+/-]+/.exec(latin1(b, start, start + 80));
    const t = m?.[0] ?? '';
    if (t === 'application/epub+zip' || t.startsWith('application/vnd.oasis.opendocument.')) return t;
  }
  // a jar marks its first entry with the 0xCAFE extra field
  if (name === 'META-INF/' && extraLen >= 2 && u16le(b, 30 + nameLen) === 0xcafe) return 'application/java-archive';
  if (name === '[Content_Types].xml' || name === '_rels/.rels') {
    const rest = latin1(b, 30, b.length);
    if (rest.includes('word/')) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    if (rest.includes('ppt/')) return 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
    if (rest.includes('xl/')) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  }
  return 'application/zip';
}

/** #!...perl: libmagic's Perl rules are binary tests (so they come before all the text rules). */
function perlScript(b: Uint8Array): string | undefined {
  const nl = b.indexOf(0x0a);
  const line = latin1(b, 0, nl < 0 ? b.length : nl);
  if (line.startsWith('#!/usr/bin/env perl') || line.startsWith('#! /usr/bin/env perl')) return 'text/x-perl';
  if (/^#!.*\/bin\/perl(\s.*)?$/.test(line)) return 'text/x-perl';
  return undefined;
}

// --- text magic: the text rules, strongest first --------------------------------------------------

interface TextRule {
  strength: number;
  type: string;
  test: (t: string) => boolean;
}

/** "#!" + optional blanks + path (blanks optional too), as a whole word: followed by a blank or the end (libmagic's string/fw). */
function shebang(path: string, fullWord = true): (t: string) => boolean {
  const esc = path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/ /g, '\\s*');
  const re = new RegExp(`^#!\\s*${esc}${fullWord ? '(?=\\s|\\0|$)' : ''}`);
  return (t) => re.test(t);
}

/** A match that starts within the first `range` characters. */
function searchIn(range: number, re: RegExp): (t: string) => boolean {
  return (t) => {
    const m = re.exec(t.length > range + 64 ? t.slice(0, range + 64) : t);
    return !!m && m.index < range;
  };
}

const JS = 'application/javascript';
const HTML = 'text/html';
// libmagic's regex rules see the first 8 KiB line by line ('^' at any line start).
const regex = (re: RegExp) => (t: string) => re.test(t);

// Shell scripts libmagic names whether their bytes look like text or not (string/fwb rules).
const BINARY_SHELLS = ['/bin/sh', '/bin/ksh', '/bin/bash', '/usr/bin/bash', '/usr/local/bash', '/usr/local/bin/bash'].map((p) => shebang(p));

const TEXT_RULES: TextRule[] = ([
  // Magdir/commands: shells and awk
  ...['/bin/sh', '/bin/csh', '/bin/ksh', '/bin/tcsh', '/usr/bin/tcsh', '/usr/local/tcsh', '/usr/local/bin/tcsh', '/bin/zsh', '/usr/bin/zsh', '/usr/local/bin/zsh', '/usr/bin/env zsh', '/bin/ash', '/usr/bin/ash', '/usr/local/bin/ash', '/usr/local/bin/ae', '/bin/bash', '/usr/bin/bash', '/usr/local/bash', '/usr/local/bin/bash', '/usr/bin/env bash', '/usr/local/bin/fish', '/usr/bin/fish', '/usr/bin/env fish'].map(
    (p): TextRule => ({ strength: 130 + p.length, type: SHELL, test: shebang(p) }),
  ),
  ...['/bin/nawk', '/usr/bin/nawk', '/usr/local/bin/nawk'].map((p): TextRule => ({ strength: 130 + p.length, type: 'text/x-nawk', test: shebang(p) })),
  ...['/bin/gawk', '/usr/bin/gawk', '/usr/local/bin/gawk'].map((p): TextRule => ({ strength: 130 + p.length, type: 'text/x-gawk', test: shebang(p) })),
  ...['/bin/awk', '/usr/bin/awk'].map((p): TextRule => ({ strength: 130 + p.length, type: 'text/x-awk', test: shebang(p) })),
  // Magdir/javascript: node
  ...['/bin/node', '/usr/bin/node', '/bin/nodejs', '/usr/bin/nodejs'].map((p): TextRule => ({ strength: 130 + p.length, type: JS, test: shebang(p, false) })),
  { strength: 240, type: JS, test: (t) => t.startsWith('#!/usr/bin/env node') },
  // Magdir/sgml
  { strength: 195, type: 'text/xml', test: (t) => t.startsWith('<?xml version="') || t.startsWith("<?xml version='") || t.startsWith('<?xml version "') },
  { strength: 170, type: HTML, test: (t) => /^<!doctype\s+html/i.test(t) },
  { strength: 90, type: HTML, test: (t) => /^<html>/i.test(t) },
  { strength: 71, type: HTML, test: (t) => /^<!--/.test(t) && searchIn(4096, /<!doctype\s+html|<html>/i)(t.slice(4)) },
  { strength: 58, type: 'image/svg+xml', test: searchIn(4096, /<!doctype\s+svg/i) },
  { strength: 55, type: 'text/xml', test: (t) => /^<\?xml/i.test(t) },
  { strength: 53, type: HTML, test: searchIn(4096, /<head>|<head\s|<title>|<title\s|<html>|<html\s|<script>|<script\s|<style>|<style\s|<table>|<table\s|<a\s*href=/i) },
  { strength: 49, type: HTML, test: searchIn(4096, /<!doctype\s+html/i) },
  // Magdir/javascript (libmagic 5.45 rules, which Debian's 5.44 carries)
  { strength: 112, type: JS, test: regex(/^export (function|class|default|const|var|let|async) /m) },
  { strength: 84, type: JS, test: regex(/^(const|var|let).*=.*require\(/m) },
  { strength: 82, type: JS, test: searchIn(128, /__BUNDLE_START_TIME__=/) },
  { strength: 81, type: JS, test: regex(/^(import|export).* from /m) },
  { strength: 80, type: JS, test: regex(/module(\.|\[["'])exports.*=/) },
  { strength: 79, type: JS, test: regex(/^(import|export) ["']\.\//m) },
  { strength: 78, type: JS, test: regex(/\((async )?function[( ]/) },
  { strength: 72, type: JS, test: (t) => t.includes('"use strict"') || t.includes("'use strict'") },
  { strength: 69, type: JS, test: regex(/^require\(["']/m) },
  { strength: 69, type: JS, test: regex(/typeof.*[!=]==/) },
  // PHP
  { strength: 70, type: 'text/x-php', test: (t) => /^<\?php/i.test(t) },
  // Magdir/python, Magdir/ruby: #! lines
  { strength: 69, type: 'text/x-script.python', test: shebang('/usr/local/bin/python', false) },
  { strength: 67, type: 'text/x-script.python', test: (t) => /^.{0,9}#!\s*\/usr\/bin\/env\s*python/s.test(t) },
  { strength: 63, type: 'text/x-script.python', test: shebang('/usr/bin/python', false) },
  { strength: 67, type: 'text/x-ruby', test: shebang('/usr/local/bin/ruby', false) },
  { strength: 65, type: 'text/x-ruby', test: (t) => t.startsWith('#! /usr/bin/env ruby') },
  { strength: 64, type: 'text/x-ruby', test: (t) => t.startsWith('#!/usr/bin/env ruby') },
  { strength: 61, type: 'text/x-ruby', test: shebang('/usr/bin/ruby', false) },
  // Magdir/assembler (which also names style sheets with a .text, .type, .file or .byte class)
  { strength: 37, type: 'text/x-asm', test: regex(/^[ \t]{0,50}\.(asciiz|byte|even|globl|text|file|type)/m) },
] satisfies TextRule[]).sort((a, b) => b.strength - a.strength);

/** libmagic's text rules over the first 8 KiB (the head here). */
function textMagic(t: string): string | undefined {
  for (const r of TEXT_RULES) if (r.test(t)) return r.type;
  return undefined;
}

// ------------------------------------------------------------------------------------------------
// Name: Python's mimetypes.guess_type (s3cmd --no-mime-magic)
// ------------------------------------------------------------------------------------------------

// Python 3.11's mimetypes with the system's /etc/mime.types (Debian's media-types), as s3cmd runs
// on Debian, for the common extensions. Extensions it has no type for (.gz, .bz2, .xz, .log, .yaml,
// .dat, ...) are left out: the upload then gets default_mime_type, as with s3cmd.
const TYPES_BY_EXT_TEXT = [
  'text/html html htm shtml',
  'application/xhtml+xml xhtml xht',
  'text/css css',
  'text/javascript js mjs',
  'application/json json',
  'application/ld+json jsonld',
  'application/manifest+json webmanifest',
  'application/xml xml',
  'application/xslt+xml xsl xslt',
  'application/xml-dtd dtd',
  'application/x-rss+xml rss',
  'application/atom+xml atom',
  'image/svg+xml svg svgz',
  'text/plain txt text srt',
  'text/markdown md markdown',
  'text/prs.fallenstein.rst rst',
  'text/csv csv',
  'text/tab-separated-values tsv',
  'text/calendar ics',
  'text/vcard vcf',
  'text/vtt vtt',
  'text/cache-manifest manifest appcache',
  'application/rtf rtf',
  'image/png png',
  'image/jpeg jpg jpeg jpe jfif',
  'image/gif gif',
  'image/webp webp',
  'image/bmp bmp',
  'image/vnd.microsoft.icon ico',
  'image/tiff tif tiff',
  'image/avif avif',
  'image/heic heic',
  'image/heif heif',
  'image/jxl jxl',
  'image/vnd.adobe.photoshop psd',
  'image/x-xcf xcf',
  'image/vnd.djvu djvu',
  'font/woff woff',
  'font/woff2 woff2',
  'font/ttf ttf',
  'font/otf otf',
  'application/vnd.ms-fontobject eot',
  'audio/mpeg mp3 mpga',
  'audio/x-wav wav',
  'audio/ogg ogg oga opus',
  'audio/flac flac',
  'audio/mp4 m4a',
  'audio/aac aac',
  'audio/sp-midi mid',
  'audio/x-aiff aiff aif',
  'audio/x-ms-wma wma',
  'audio/3gpp 3gp',
  'video/mp4 mp4 m4v',
  'video/webm webm',
  'video/x-matroska mkv',
  'video/quicktime mov qt',
  'video/x-msvideo avi',
  'video/mpeg mpeg mpg',
  'video/ogg ogv',
  'video/x-ms-wmv wmv',
  'video/x-flv flv',
  'application/zip zip',
  'application/x-tar tar',
  'application/gzip gz',
  'application/x-xz xz',
  'application/zstd zst',
  'application/x-7z-compressed 7z',
  'application/vnd.rar rar',
  'application/java-archive jar',
  'application/vnd.android.package-archive apk',
  'application/vnd.debian.binary-package deb',
  'application/x-redhat-package-manager rpm',
  'application/x-iso9660-image iso',
  'application/x-apple-diskimage dmg',
  'application/vnd.ms-cab-compressed cab',
  'application/x-cpio cpio',
  'application/pdf pdf',
  'application/postscript ps eps ai',
  'application/msword doc',
  'application/vnd.ms-excel xls',
  'application/vnd.ms-powerpoint ppt',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation pptx',
  'application/vnd.oasis.opendocument.text odt',
  'application/vnd.oasis.opendocument.spreadsheet ods',
  'application/vnd.oasis.opendocument.presentation odp',
  'application/vnd.oasis.opendocument.graphics odg',
  'application/epub+zip epub',
  'application/vnd.amazon.mobi8-ebook azw3',
  'text/x-sh sh',
  'text/x-csh csh',
  'text/x-python py',
  'application/x-python-code pyc pyo',
  'application/x-ruby rb',
  'text/x-perl pl pm',
  'text/x-csrc c',
  'text/x-chdr h',
  'text/x-c++src cc cpp cxx',
  'text/x-c++hdr hpp hh',
  'text/x-java java',
  'application/java-vm class',
  'text/x-scala scala',
  'application/sql sql',
  'text/x-diff diff patch',
  'text/x-tex tex sty',
  'application/x-latex latex',
  'text/x-bibtex bib',
  'application/vnd.coffeescript coffee',
  'application/x-msdos-program bat exe dll',
  'application/x-msi msi',
  'application/wasm wasm',
  'application/octet-stream bin so',
  'application/x-object o',
  'application/vnd.sqlite3 sqlite sqlite3',
  'application/pem-certificate-chain pem',
  'application/x-x509-ca-cert crt',
  'application/pkix-cert cer',
  'application/pkix-crl crl',
  'application/pkcs12 p12 pfx',
  'application/pkcs7-signature p7s',
  'application/pgp-keys key asc',
  'application/pgp-signature sig',
  'application/pgp-encrypted pgp',
  'application/x-bittorrent torrent',
  'application/vnd.adobe.flash.movie swf',
  'application/x-java-jnlp-file jnlp',
];

let typesByExt: Map<string, string> | undefined;
function typesMap(): Map<string, string> {
  if (!typesByExt) {
    typesByExt = new Map();
    for (const line of TYPES_BY_EXT_TEXT) {
      const [type, ...exts] = line.split(' ');
      for (const e of exts) typesByExt.set('.' + e, type);
    }
  }
  return typesByExt;
}

/** mimetypes.suffix_map: looked up lower-cased, then the name is split again. */
const SUFFIX_MAP: Record<string, string> = { '.svgz': '.svg.gz', '.tgz': '.tar.gz', '.taz': '.tar.gz', '.tz': '.tar.gz', '.tbz2': '.tar.bz2', '.txz': '.tar.xz' };
/** mimetypes.encodings_map: matched case-sensitively; such a suffix is a content encoding, not a type. */
const ENCODINGS = new Set(['.gz', '.Z', '.bz2', '.xz', '.br']);

/** posixpath.splitext: the last '.' of the last path element, unless the element only starts with dots. */
function splitext(p: string): [string, string] {
  const sep = p.lastIndexOf('/');
  const dot = p.lastIndexOf('.');
  if (dot > sep) {
    for (let i = sep + 1; i < dot; i++) if (p[i] !== '.') return [p.slice(0, dot), p.slice(dot)];
  }
  return [p, ''];
}

/** Python's mimetypes.guess_type(path)[0] (strict), for the extensions in the table above. */
export function extensionContentType(path: string): string | undefined {
  let [base, ext] = splitext(path);
  for (let mapped = SUFFIX_MAP[ext.toLowerCase()]; mapped !== undefined; mapped = SUFFIX_MAP[ext.toLowerCase()]) [base, ext] = splitext(base + mapped);
  if (ENCODINGS.has(ext)) [, ext] = splitext(base);
  return typesMap().get(ext.toLowerCase());
}
