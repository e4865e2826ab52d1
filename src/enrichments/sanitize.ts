// Overlay HTML is shown inside the player, on the pages of whoever watches:
// it goes through sanitize-html with an allow-list before it is stored, so
// no script, event handler, javascript:/data: URL, frame, form or CSS
// expression survives (src/enrichments/sanitize.test.ts runs an XSS corpus).
// Only the formatting an overlay needs is kept.
import sanitizeHtml from 'sanitize-html';

const COLOR = /^(#[0-9a-f]{3,8}|rgba?\(\s*\d{1,3}%?\s*,\s*\d{1,3}%?\s*,\s*\d{1,3}%?\s*(,\s*(0|1|0?\.\d+))?\s*\)|[a-z]{3,20})$/i;
const ABSOLUTE = /^(https?:\/\/[^/]|mailto:)/i;
const LENGTH = /^\d{1,3}(\.\d{1,2})?(px|em|rem|%)$/;

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'b', 'strong', 'i', 'em', 'u', 's', 'sub', 'sup', 'small', 'mark', 'span', 'div', 'a', 'ul', 'ol', 'li',
    'h1', 'h2', 'h3', 'h4', 'blockquote', 'code', 'pre', 'hr', 'img'],
  allowedAttributes: {
    a: ['href', 'title', 'target', 'rel'],
    img: ['src', 'alt', 'width', 'height'],
    '*': ['style'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  // Properties with values matched in full: url(), expression() and friends cannot match.
  allowedStyles: {
    '*': {
      'color': [COLOR],
      'background-color': [COLOR],
      'text-align': [/^(left|right|center|justify)$/],
      'font-size': [LENGTH],
      'font-weight': [/^(normal|bold|[1-9]00)$/],
      'font-style': [/^(normal|italic)$/],
      'text-decoration': [/^(none|underline|line-through)$/],
    },
  },
  disallowedTagsMode: 'discard',
  transformTags: {
    // Links open outside the player and give the opened page no handle on it; a relative link (it would
    // resolve against whichever site shows the player) loses its href.
    a: (tagName, attribs) => {
      const { href, ...rest } = attribs;
      return { tagName, attribs: { ...rest, ...(href && ABSOLUTE.test(href) ? { href } : {}), target: '_blank', rel: 'noopener noreferrer nofollow' } };
    },
  },
  // An image needs an absolute http(s) source, or it goes.
  exclusiveFilter: (frame) => frame.tag === 'img' && !/^https?:\/\/[^/]/i.test(frame.attribs.src ?? ''),
};

/** The overlay HTML as stored and served: allow-listed tags, attributes, URL schemes and styles. */
export function sanitizeOverlayHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS).trim();
}

/** Comments and notes are text (Markdown at most): anything that looks like an HTML tag or comment is refused. */
export const HTML_TAG = /<\/?[a-z][a-z0-9-]*(\s[^<>]*)?\/?>|<!--|<![a-z[]/i;
