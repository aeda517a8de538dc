// A scanner for ListObjectsV2 answers, the hot path of ls -r, sync and del -r: about ten times
// cheaper than a general XML parser on a 1,000-key page. It reads only the elements it needs and
// refuses a document that is cut short.

export interface RawListPage {
  contents: { key: string; size: string; lastModified: string; etag: string; storageClass: string }[];
  prefixes: string[];
  isTruncated: boolean;
  nextToken: string;
  encodingType: string;
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ENTITY[e],
  );
}

/** Text of the first <tag>...</tag> between from and to, or '' when absent. */
function tag(doc: string, name: string, from: number, to: number): string {
  const open = doc.indexOf(`<${name}>`, from);
  if (open < 0 || open >= to) {
    // an empty element may be written <Name/>
    return '';
  }
  const start = open + name.length + 2;
  const close = doc.indexOf(`</${name}>`, start);
  if (close < 0 || close > to) throw new Error(`unterminated <${name}>`);
  return decodeEntities(doc.slice(start, close));
}

export function parseListObjectsV2(body: Buffer | string): RawListPage {
  const doc = typeof body === 'string' ? body : body.toString('utf8');
  const rootStart = doc.indexOf('<ListBucketResult');
  if (rootStart < 0) throw new Error('no ListBucketResult element in the answer');
  const rootEnd = doc.lastIndexOf('</ListBucketResult>');
  if (rootEnd < 0) throw new Error('the answer is truncated or malformed (no closing </ListBucketResult>)');
  const contents: RawListPage['contents'] = [];
  const prefixes: string[] = [];
  let pos = rootStart;
  let headerEnd = rootEnd;
  // Each search starts where the last one ended, and an element is cut out before its fields are
  // read, so a page costs one pass over the text (also when a server omits optional fields).
  let nextC = doc.indexOf('<Contents>', pos);
  let nextP = doc.indexOf('<CommonPrefixes>', pos);
  while (nextC >= 0 || nextP >= 0) {
    if (nextC >= 0 && (nextP < 0 || nextC < nextP)) {
      const c = nextC;
      headerEnd = Math.min(headerEnd, c);
      const end = doc.indexOf('</Contents>', c);
      if (end < 0 || end > rootEnd) throw new Error('unterminated <Contents>');
      const block = doc.slice(c, end);
      contents.push({
        key: tag(block, 'Key', 0, block.length),
        size: tag(block, 'Size', 0, block.length),
        lastModified: tag(block, 'LastModified', 0, block.length),
        etag: tag(block, 'ETag', 0, block.length),
        storageClass: tag(block, 'StorageClass', 0, block.length),
      });
      pos = end + 11;
      nextC = doc.indexOf('<Contents>', pos);
    } else {
      const p = nextP;
      headerEnd = Math.min(headerEnd, p);
      const end = doc.indexOf('</CommonPrefixes>', p);
      if (end < 0 || end > rootEnd) throw new Error('unterminated <CommonPrefixes>');
      const block = doc.slice(p, end);
      prefixes.push(tag(block, 'Prefix', 0, block.length));
      pos = end + 17;
      nextP = doc.indexOf('<CommonPrefixes>', pos);
    }
  }
  // Top-level fields appear before the first entry or after the last one.
  const head = doc.slice(rootStart, headerEnd);
  const tail = doc.slice(pos, rootEnd);
  const field = (name: string) => tag(head, name, 0, head.length) || tag(tail, name, 0, tail.length);
  return {
    contents,
    prefixes,
    isTruncated: field('IsTruncated') === 'true',
    nextToken: field('NextContinuationToken'),
    encodingType: field('EncodingType'),
  };
}
