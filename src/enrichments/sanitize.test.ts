// Overlay HTML against an XSS corpus (OWASP filter-evasion classics, HTML5
// vectors, mXSS shapes): after sanitisation, parsed as a browser would parse
// it (htmlparser2, entities decoded), no element, attribute, URL or style can
// run code. The same corpus goes through the API in enrichments.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dangers, XSS_CORPUS } from '../test-support/xss.ts';
import { sanitizeOverlayHtml } from './sanitize.ts';

describe('overlay HTML sanitiser: XSS corpus', () => {
  it(`leaves nothing that runs in any of the ${XSS_CORPUS.length} payloads, and the checker sees them unsanitised`, () => {
    const unsafe: Record<string, string[]> = {};
    let caughtRaw = 0;
    for (const payload of XSS_CORPUS) {
      if (dangers(payload).length > 0) caughtRaw++;
      const found = dangers(sanitizeOverlayHtml(payload));
      if (found.length) unsafe[payload] = found;
    }
    assert.deepEqual(unsafe, {});
    // The checker is not blind: most raw payloads are flagged by it (the rest are broken markup browsers ignore too).
    assert.ok(caughtRaw >= XSS_CORPUS.length - 6, `only ${caughtRaw} of ${XSS_CORPUS.length} raw payloads flagged`);
  });

  it('keeps the formatting an overlay needs', () => {
    const html = '<p style="text-align: center; color: #ffcc00">Voir <strong>le cours</strong> <a href="https://univ.example/tp">TP</a></p><ul><li><em>un</em></li></ul><img src="https://univ.example/logo.png" alt="logo">';
    const clean = sanitizeOverlayHtml(html);
    assert.match(clean, /<p style="text-align:center;color:#ffcc00">Voir <strong>le cours<\/strong>/);
    assert.match(clean, /<a href="https:\/\/univ.example\/tp" target="_blank" rel="noopener noreferrer nofollow">TP<\/a>/);
    assert.match(clean, /<ul><li><em>un<\/em><\/li><\/ul>/);
    assert.match(clean, /<img src="https:\/\/univ.example\/logo.png" alt="logo" \/>/);
    assert.deepEqual(dangers(clean), []);
  });
});
