// XML pretty-printing the way s3cmd shows lifecycle and notification documents (Python's
// xml.dom.minidom toprettyxml(): tab indent, `<?xml version="1.0" ?>` first, text-only elements on
// one line). A small tolerant tokenizer: comments kept, processing instructions and DOCTYPE dropped.

interface ElementNode {
  kind: 'element';
  name: string;
  attrs: [string, string][];
  children: XNode[];
}
type XNode = ElementNode | { kind: 'text'; data: string } | { kind: 'comment'; data: string };

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}
const escapeData = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/>/g, '&gt;');

/** Parse XML into nodes; throws Error on unbalanced tags. */
function parse(xml: string): XNode[] {
  const root: ElementNode = { kind: 'element', name: '#document', attrs: [], children: [] };
  const stack: ElementNode[] = [root];
  let i = 0;
  const top = () => stack[stack.length - 1];
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) {
      const t = xml.slice(i);
      if (stack.length > 1) top().children.push({ kind: 'text', data: decode(t) });
      break;
    }
    if (lt > i && stack.length > 1) top().children.push({ kind: 'text', data: decode(xml.slice(i, lt)) });
    if (xml.startsWith('<?', lt)) {
      const end = xml.indexOf('?>', lt);
      if (end < 0) throw new Error('unterminated processing instruction');
      i = end + 2;
    } else if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt);
      if (end < 0) throw new Error('unterminated comment');
      top().children.push({ kind: 'comment', data: xml.slice(lt + 4, end) });
      i = end + 3;
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt);
      if (end < 0) throw new Error('unterminated CDATA section');
      top().children.push({ kind: 'text', data: xml.slice(lt + 9, end) });
      i = end + 3;
    } else if (xml.startsWith('<!', lt)) {
      const end = xml.indexOf('>', lt);
      if (end < 0) throw new Error('unterminated declaration');
      i = end + 1;
    } else if (xml.startsWith('</', lt)) {
      const end = xml.indexOf('>', lt);
      if (end < 0) throw new Error('unterminated end tag');
      const name = xml.slice(lt + 2, end).trim();
      if (stack.length < 2 || top().name !== name) throw new Error(`unexpected </${name}>`);
      stack.pop();
      i = end + 1;
    } else {
      const m = /^<([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(xml.slice(lt));
      if (!m) throw new Error(`malformed tag at offset ${lt}`);
      const attrs: [string, string][] = [];
      for (const a of m[2].matchAll(/([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) attrs.push([a[1], decode(a[3] ?? a[4] ?? '')]);
      const el: ElementNode = { kind: 'element', name: m[1], attrs, children: [] };
      top().children.push(el);
      if (!m[3]) stack.push(el);
      i = lt + m[0].length;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${top().name}>`);
  return root.children.filter((n) => n.kind !== 'text');
}

function write(n: XNode, indent: string, out: string[]): void {
  if (n.kind === 'text') {
    out.push(`${indent}${escapeData(n.data)}\n`);
    return;
  }
  if (n.kind === 'comment') {
    out.push(`${indent}<!--${n.data}-->\n`);
    return;
  }
  out.push(`${indent}<${n.name}`);
  for (const [k, v] of n.attrs) out.push(` ${k}="${escapeData(v)}"`);
  if (!n.children.length) {
    out.push('/>\n');
    return;
  }
  out.push('>');
  if (n.children.length === 1 && n.children[0].kind === 'text') out.push(escapeData(n.children[0].data));
  else {
    out.push('\n');
    for (const c of n.children) write(c, indent + '\t', out);
    out.push(indent);
  }
  out.push(`</${n.name}>\n`);
}

/** minidom's toprettyxml() of the document (ends with a newline). Falls back to the input if it cannot be parsed. */
export function prettyXml(xml: string): string {
  let nodes: XNode[];
  try {
    nodes = parse(xml);
  } catch {
    return xml;
  }
  const out: string[] = ['<?xml version="1.0" ?>\n'];
  for (const n of nodes) write(n, '', out);
  return out.join('');
}
