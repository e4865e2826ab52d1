// oEmbed provider (https://oembed.com) for LMS and CMS embedding: Moodle's
// oEmbed filter, WordPress, Mattermost… Consumers fetch it server-side and
// anonymously, so it answers only for videos an anonymous visitor may see
// (V4 answered for drafts too and leaked their titles); the thumbnail only
// when anonymous visitors may also watch. The success body is the bare
// oEmbed object the standard requires (no envelope: consumers read
// `html`/`title` at the top level); errors keep the envelope.
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { frontendBase } from '../core/config.ts';
import { AppError, badRequest, notFound } from '../core/errors.ts';
import { canSee, canWatch } from '../policy/video-policy.ts';
import { factsOf, videoByRef } from '../videos/queries.ts';
import { mediaUrls } from './media-urls.ts';
import { model } from '../core/openapi-models.ts';

const OembedQuery = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2000, description: 'A video page URL of the frontend, e.g. https://pod.univ.fr/video/0042-amphi/' }),
  format: Type.Optional(Type.String({ maxLength: 10, description: 'json (xml answers 501)' })),
  maxwidth: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  maxheight: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
});

const Oembed = model('Oembed', Type.Object({
  type: Type.Literal('video'), version: Type.Literal('1.0'),
  title: Type.String(), author_name: Type.String(), provider_name: Type.String(), provider_url: Type.String(),
  html: Type.String(), width: Type.Integer(), height: Type.Integer(),
  thumbnail_url: Type.Optional(Type.String()), thumbnail_width: Type.Optional(Type.Integer()), thumbnail_height: Type.Optional(Type.Integer()),
}, { description: 'The oEmbed response object (not enveloped, as the oEmbed standard requires)' }));

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function oembedRoute(app: FastifyInstance) {
  const site = new URL(app.config.FRONTEND_URL ?? app.config.PUBLIC_URL);
  const embedTemplate = app.config.OEMBED_EMBED_URL ?? `${frontendBase(app.config)}/video/{slug}/?is_iframe=true`;

  app.get('/api/v1/oembed', {
    schema: {
      operationId: 'getOembed', errors: ['invalid_url', 'not_found', 'format_not_implemented'], tags: ['delivery'], summary: 'oEmbed for a video page URL (anonymously visible videos only; 404 otherwise)',
      querystring: OembedQuery, response: { 200: Oembed },
    },
  }, async (request, reply) => {
    const q = request.query as Static<typeof OembedQuery>;
    if (q.format && q.format !== 'json') throw new AppError(501, 'format_not_implemented', 'Only format=json is provided', { field: 'format' });
    let url: URL;
    try {
      url = new URL(q.url);
    } catch {
      throw badRequest('Not an absolute URL', 'url', 'invalid_url');
    }
    if (url.host !== site.host) throw notFound('This URL is not a video page of this platform');
    const slug = /\/videos?\/([\w-]{1,300})(?:\/|$)/.exec(url.pathname)?.[1];
    if (!slug) throw notFound('This URL is not a video page of this platform');
    const row = await videoByRef(app.dbh.db, slug);
    if (!row || !canSee(null, factsOf(row))) throw notFound('No such video');

    let width = 640;
    let height = 360;
    if (q.maxwidth && q.maxwidth < width) [width, height] = [q.maxwidth, Math.round((q.maxwidth * 9) / 16)];
    if (q.maxheight && q.maxheight < height) [width, height] = [Math.round((q.maxheight * 16) / 9), q.maxheight];
    const src = embedTemplate.replace('{slug}', encodeURIComponent(row.slug));
    const body: Static<typeof Oembed> = {
      type: 'video', version: '1.0', title: row.title,
      author_name: `${row.owner.first_name} ${row.owner.last_name}`.trim() || row.owner.username,
      provider_name: 'Pod', provider_url: site.origin,
      html: `<iframe src="${escapeAttr(src)}" width="${width}" height="${height}" style="border:0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen title="${escapeAttr(row.title)}"></iframe>`,
      width, height,
    };
    const facts = factsOf(row);
    if (canWatch(null, facts) && row.thumbnail_url) {
      const media = mediaUrls(app, { id: row.id, facts, version: row.encoding_updated_at });
      Object.assign(body, { thumbnail_url: media.url(row.thumbnail_url), thumbnail_width: 1280, thumbnail_height: 720 });
    }
    reply.header('cache-control', 'public, max-age=300');
    return body;
  });
}
