// An XSS corpus (OWASP filter-evasion classics, HTML5 vectors, mXSS shapes)
// and a checker that parses HTML as a browser would (htmlparser2, entities
// decoded) and lists every way it could still run code.
import { parseDocument } from 'htmlparser2';
import type { Element, Node } from 'domhandler';

export const XSS_CORPUS = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//xss.example/x.js></SCRIPT>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<img src=x onerror=alert(1)>',
  '<img src="javascript:alert(1)">',
  '<IMG SRC=JaVaScRiPt:alert(1)>',
  '<img src=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)>',
  '<img src="jav&#x09;ascript:alert(1)">',
  '<img src=" &#14;  javascript:alert(1)">',
  '<img """><script>alert(1)</script>">',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JAVASCRIPT:alert(1)">x</a>',
  '<a href="  javascript:alert(1)">x</a>',
  '<a href="java\nscript:alert(1)">x</a>',
  '<a href="&#x6A;avascript:alert(1)">x</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<a href="//evil.example/">x</a>',
  '<a href="x" onclick="alert(1)">x</a>',
  '<a href="https://ok.example/" onmouseover=alert(1)>x</a>',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<body onload=alert(1)>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="javascript:alert(1)">',
  '<form action="javascript:alert(1)"><input type=submit></form>',
  '<input onfocus=alert(1) autofocus>',
  '<details open ontoggle=alert(1)>',
  '<video><source onerror=alert(1)></video>',
  '<audio src=x onerror=alert(1)>',
  '<marquee onstart=alert(1)>x</marquee>',
  '<base href="javascript:alert(1)//">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<link rel=stylesheet href="javascript:alert(1)">',
  '<style>@import "javascript:alert(1)";</style>',
  '<style>body{background:url("javascript:alert(1)")}</style>',
  '<div style="width: expression(alert(1))">x</div>',
  '<div style="background:url(javascript:alert(1))">x</div>',
  '<div style="background-color: expression(alert(1))">x</div>',
  '<div style="color: red; behavior: url(x.htc)">x</div>',
  '<div style="-moz-binding: url(x.xml#xss)">x</div>',
  '<p style="color:red;/**/background:url(x)">x</p>',
  '<span style="font-size: 10px; color: e\\xpression(alert(1))">x</span>',
  '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
  '<div onmouseover="alert(1)">x</div>',
  '<p/onclick=alert(1)>x',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  '<textarea><script>alert(1)</script></textarea>',
  '<xmp><img src=x onerror=alert(1)></xmp>',
  '<template><script>alert(1)</script></template>',
  '"><script>alert(1)</script>',
  '<a href="https://ok.example/" target="_self">x</a>',
  '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  '<isindex action="javascript:alert(1)" type=image>',
  '<button formaction="javascript:alert(1)">x</button>',
  '<x contenteditable onblur=alert(1)>x',
];

const ALLOWED_TAGS = new Set(['p', 'br', 'b', 'strong', 'i', 'em', 'u', 's', 'sub', 'sup', 'small', 'mark', 'span', 'div', 'a', 'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'blockquote', 'code', 'pre', 'hr', 'img']);

/** Every way the HTML could still run code, as a browser would parse it; [] when safe. */
export function dangers(html: string): string[] {
  const found: string[] = [];
  const visit = (node: Node) => {
    if (node.type === 'tag' || node.type === 'script' || node.type === 'style') {
      const el = node as Element;
      if (!ALLOWED_TAGS.has(el.name)) found.push(`<${el.name}>`);
      for (const [name, raw] of Object.entries(el.attribs)) {
        // What a browser compares: control characters and spaces dropped, case folded.
        const value = raw.replace(/[\u0000-\u0020\u007f-\u009f]/g, '').toLowerCase();
        if (name.startsWith('on')) found.push(`${el.name}[${name}]`);
        if (['href', 'src', 'action', 'formaction', 'background', 'data', 'srcdoc'].includes(name) && !/^(https?:\/\/[^/]|mailto:)/.test(value)) found.push(`${el.name}[${name}=${raw}]`);
        if (name === 'style' && /expression|url\(|javascript|behavior|binding|@import|\\/.test(value)) found.push(`${el.name}[style=${raw}]`);
        if (name === 'target' && value !== '_blank') found.push(`${el.name}[target=${raw}]`);
        if (!['href', 'src', 'alt', 'title', 'width', 'height', 'style', 'target', 'rel'].includes(name)) found.push(`${el.name}[${name}]`);
      }
      if (el.name === 'a' && !/noopener/.test(el.attribs.rel ?? '')) found.push('<a> without rel=noopener');
    }
    for (const child of (node as Element).children ?? []) visit(child);
  };
  visit(parseDocument(html, { decodeEntities: true }));
  return found;
}
