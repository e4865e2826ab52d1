// Contributors of a video (Pod's completion.Contributor): name, role from
// Pod's list, an optional web link; the e-mail is stored for the editors and
// never shown to viewers (nor in the player configuration).
import type { Kysely, Transaction } from 'kysely';
import Type from 'typebox';
import type { Database } from '../core/db/database.ts';
import { model } from '../core/openapi-models.ts';
import { childRoutes, trimmed } from './child-routes.ts';
import { checkedUrl, WebUrl } from './urls.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const CONTRIBUTOR_ROLES = ['actor', 'author', 'designer', 'director', 'editor', 'consultant', 'contributor',
  'soundman', 'speaker', 'technician', 'voice-over', 'writer'] as const;
const Role = Type.Enum([...CONTRIBUTOR_ROLES]);
const Name = Type.String({ minLength: 2, maxLength: 200 });
const Email = Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()]);
const Weblink = Type.Union([WebUrl, Type.Null()]);

/** A contributor as viewers (and the player configuration) see it. */
export const PublicContributor = Type.Object({
  id: Type.Integer(), name: Type.String(), role: Role, weblink: Type.Union([Type.String(), Type.Null()]),
});
export const Contributor = model('Contributor', Type.Object({
  ...PublicContributor.properties,
  email_address: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Editors only' })),
}));
const ContributorCreate = model('ContributorCreate', Type.Object({
  name: Name, role: Role, email_address: Type.Optional(Email), weblink: Type.Optional(Weblink),
}, { additionalProperties: false }));
const ContributorPatch = model('ContributorPatch', Type.Object({
  name: Type.Optional(Name), role: Type.Optional(Role), email_address: Type.Optional(Email), weblink: Type.Optional(Weblink),
}, { additionalProperties: false, minProperties: 1 }));

export type ContributorRow = { id: number; name: string; role: string; email: string | null; weblink: string | null };

export function contributorRows(db: Db, videoId: number): Promise<ContributorRow[]> {
  return db.selectFrom('video_contributors').select(['id', 'name', 'role', 'email', 'weblink']).where('video_id', '=', videoId)
    .orderBy('role').orderBy('name').execute();
}

/** As viewers (and the player configuration) see a contributor. */
export const publicContributor = (c: ContributorRow) => ({ id: c.id, name: c.name, role: c.role as (typeof CONTRIBUTOR_ROLES)[number], weblink: c.weblink });

export const contributorRoutes = childRoutes<ContributorRow>({
  path: 'contributors', noun: 'contributor', table: 'video_contributors',
  ids: ['listContributors', 'createContributor', 'updateContributor', 'deleteContributor'],
  model: Contributor, create: ContributorCreate, patch: ContributorPatch,
  errors: ['invalid_url'],
  duplicate: { code: 'contributor_exists', message: 'This person already has this role on the video', field: 'name' },
  values: (_video, input) => ({
    name: trimmed(input.name, 'name', 2), role: input.role, email: input.email_address ?? null,
    weblink: input.weblink ? checkedUrl(String(input.weblink), 'weblink') : null,
  }),
  json: (c, editor) => ({ ...publicContributor(c), ...(editor ? { email_address: c.email } : {}) }),
  rows: contributorRows,
});
