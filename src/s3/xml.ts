import { XMLParser } from 'fast-xml-parser';

const ARRAYS = new Set(['Contents', 'CommonPrefixes', 'Bucket', 'Part', 'Upload', 'Grant', 'Deleted', 'Error', 'Rule', 'CORSRule', 'Tag', 'Version', 'DeleteMarker']);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  processEntities: true,
  htmlEntities: false,
  isArray: (name, jpath) => ARRAYS.has(name) && !(name === 'Error' && jpath === 'Error'),
});

export type XmlNode = Record<string, any>;

/** Parse an XML document; throws a plain Error with a short reason on malformed input. */
export function parseXml(text: string | Buffer): XmlNode {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  // The parser is lenient with unclosed tags; a truncated answer must not pass for a short one.
  const root = /<([A-Za-z_][\w.:-]*)[\s>/]/.exec(s.replace(/^\s*<\?xml[^>]*\?>/, ''));
  if (!root) throw new Error('no XML element in the answer');
  const tail = s.trimEnd();
  if (!tail.endsWith(`</${root[1]}>`) && !tail.endsWith('/>')) throw new Error(`the answer is truncated or malformed (no closing </${root[1]}>)`);
  return parser.parse(s) as XmlNode;
}

/** Text of a node that may be a string, an object with #text, or absent. */
export function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && '#text' in (v as object)) return String((v as XmlNode)['#text']);
  if (typeof v === 'object') return '';
  return String(v);
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
