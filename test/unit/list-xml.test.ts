// The ListObjectsV2 scanner: entities, empty pages, prefixes only, optional fields, truncation.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseListObjectsV2, decodeEntities } from '../../src/s3/list-xml.ts';
import { parseXml } from '../../src/s3/xml.ts';

const wrap = (inner: string, head = '<IsTruncated>false</IsTruncated>') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>${head}${inner}</ListBucketResult>`;

describe('ListObjectsV2 scanner', () => {
  it('reads keys, sizes, ETags, classes and prefixes; decodes entities', () => {
    const doc = wrap(
      '<Contents><Key>a &amp; b &lt;c&gt; &#x01;&#233;</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD_IA</StorageClass></Contents>' +
        '<Contents><Key>no-class</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>"d-2"</ETag><Size>0</Size></Contents>' +
        '<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>',
      '<IsTruncated>true</IsTruncated><EncodingType>url</EncodingType>',
    ) + '';
    const withToken = doc.replace('</ListBucketResult>', '<NextContinuationToken>tok&amp;1</NextContinuationToken></ListBucketResult>');
    const p = parseListObjectsV2(Buffer.from(withToken));
    assert.deepEqual(p.contents.map((c) => c.key), ['a & b <c> \x01é', 'no-class']);
    assert.deepEqual(p.contents.map((c) => [c.size, c.etag, c.storageClass]), [['12', '"abc"', 'STANDARD_IA'], ['0', '"d-2"', '']]);
    assert.deepEqual(p.prefixes, ['dir/']);
    assert.equal(p.isTruncated, true);
    assert.equal(p.nextToken, 'tok&1');
    assert.equal(p.encodingType, 'url');
  });
  it('agrees with the general XML parser on an ordinary page', () => {
    let inner = '';
    for (let i = 0; i < 50; i++) inner += `<Contents><Key>k/${i}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>"${i}"</ETag><Size>${i}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    const doc = wrap(inner);
    const fast = parseListObjectsV2(doc).contents.map((c) => c.key);
    const slow = (parseXml(doc).ListBucketResult.Contents as { Key: string }[]).map((c) => c.Key);
    assert.deepEqual(fast, slow);
  });
  it('an empty page and a page with prefixes only', () => {
    assert.deepEqual(parseListObjectsV2(wrap('')).contents, []);
    assert.deepEqual(parseListObjectsV2(wrap('<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes>')).prefixes, ['a/', 'b/']);
  });
  it('refuses a truncated answer and a foreign document', () => {
    const doc = wrap('<Contents><Key>a</Key><Size>1</Size></Contents>');
    assert.throws(() => parseListObjectsV2(doc.slice(0, doc.length - 30)), /truncated|unterminated/);
    assert.throws(() => parseListObjectsV2('<Error><Code>x</Code></Error>'), /no ListBucketResult/);
    assert.throws(() => parseListObjectsV2(wrap('<Contents><Key>a</Key>')), /unterminated/);
  });
  it('decodes numeric and named entities only', () => {
    assert.equal(decodeEntities('&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&unknown;'), `&<>"'AB&unknown;`);
  });
});
