// Playlist JSON and inputs (Esup-Pod's fields: visibility, promoted, autoplay,
// additional editors).
import Type from 'typebox';
import { model } from '../core/openapi-models.ts';
import { Video } from '../videos/schemas.ts';

const Person = model('PlaylistPerson', Type.Object({ id: Type.Integer(), username: Type.String(), first_name: Type.String(), last_name: Type.String() }));
const VISIBILITIES = ['public', 'password', 'private'] as const;
const Visibility = Type.Union(VISIBILITIES.map((v) => Type.Literal(v)), {
  description: 'public: listed, open to all; password: listed, its videos shown once unlocked; private: its owner and editors only',
});

export const Playlist = model('Playlist', Type.Object({
  id: Type.Integer(),
  slug: Type.String({ description: '"%04d-title", fixed at creation' }),
  title: Type.String(),
  description: Type.String(),
  visibility: Visibility,
  promoted: Type.Boolean({ description: 'Chosen by managers for the home page' }),
  autoplay: Type.Boolean(),
  owner: Person,
  editors: Type.Array(Person, { description: 'Additional editors: they change its items and fields, not its editors' }),
  video_count: Type.Integer({ minimum: 0, description: 'Videos of it the caller may see (the video policy applies to every item)' }),
  is_locked: Type.Boolean({ description: 'A password protects its videos and this caller has not unlocked it' }),
  can_edit: Type.Boolean(),
  can_delete: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
}));

export const PlaylistItem = model('PlaylistItem', Type.Object({
  position: Type.Integer({ minimum: 0, description: 'Its place in the whole list (0 first); items the caller may not see keep theirs' }),
  added_at: Type.String({ format: 'date-time' }),
  video: Video,
}));

const Username = Type.String({ minLength: 1, maxLength: 150 });
const fields = {
  title: Type.String({ minLength: 1, maxLength: 250 }),
  description: Type.String({ maxLength: 10_000 }),
  visibility: Visibility,
  password: Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()], { description: 'Write-only; required with visibility password' }),
  autoplay: Type.Boolean(),
  editors: Type.Array(Username, { maxItems: 100, uniqueItems: true, description: 'Usernames (owner and managers only)' }),
  promoted: Type.Boolean({ description: 'Managers only; public playlists only' }),
};
export const PlaylistCreate = model('PlaylistCreate', Type.Object({
  title: fields.title,
  description: Type.Optional(fields.description),
  visibility: Type.Optional(fields.visibility),
  password: Type.Optional(fields.password),
  autoplay: Type.Optional(fields.autoplay),
  editors: Type.Optional(fields.editors),
  promoted: Type.Optional(fields.promoted),
}, { additionalProperties: false }));
export const PlaylistPatch = model('PlaylistPatch', Type.Object(
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)])) as { [K in keyof typeof fields]: ReturnType<typeof Type.Optional<(typeof fields)[K]>> },
  { additionalProperties: false },
));
export type PlaylistWrite = import('typebox').Static<typeof PlaylistPatch>;

export const PlaylistRefParams = Type.Object({
  ref: Type.String({ minLength: 1, maxLength: 300, pattern: '^[\\w-]+$', description: 'Playlist id or slug' }),
});
export const PlaylistVideoParams = Type.Object({
  ...PlaylistRefParams.properties,
  video: Type.String({ minLength: 1, maxLength: 300, pattern: '^[\\w-]+$', description: 'Video id or slug' }),
});
export const PlaylistTokenQuery = Type.Object({
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Unlock token of a password playlist (also accepted as X-Playlist-Token)' })),
});
export const ItemAdd = model('PlaylistItemAdd', Type.Object({
  video: Type.String({ minLength: 1, maxLength: 300, pattern: '^[\\w-]+$', description: 'Video id or slug' }),
  position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Where to insert it (default: at the end)' })),
}, { additionalProperties: false }));
export const ItemMove = model('PlaylistItemMove', Type.Object({
  position: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Its new place (0 first; past the end: last)' }),
}, { additionalProperties: false }));
export const ItemPosition = model('PlaylistItemPosition', Type.Object({ video_id: Type.Integer(), position: Type.Integer({ minimum: 0 }) }));

export const PLAYLIST_SORTS = ['-updated_at', 'title', '-title', '-created_at'] as const;
export const PlaylistListQuery = Type.Object({
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Words of the title or description (accents and case ignored)' })),
  owner: Type.Optional(Username),
  promoted: Type.Optional(Type.Boolean()),
  sort: Type.Optional(Type.Union(PLAYLIST_SORTS.map((s) => Type.Literal(s)), { description: 'Default -updated_at' })),
});
