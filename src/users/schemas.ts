import Type from 'typebox';
import { model } from '../core/openapi-models.ts';

const Username = Type.String({
  minLength: 1,
  maxLength: 150,
  pattern: '^[\\w.@+-]+$',
  description: 'Letters, digits and @/./+/-/_ (as Django)',
});
const Password = Type.String({ minLength: 8, maxLength: 1024 });
const Email = Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Literal('')]);
const Name = Type.String({ maxLength: 150 });
const Affiliation = Type.String({ maxLength: 50, description: 'eduPerson affiliation (faculty, student, staff, employee, member…)' });

export const User = model('User', Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  email: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  affiliation: Type.String(),
  establishment: Type.String(),
  picture_url: Type.String(),
  auth_type: Type.String({ description: 'local, oidc, cas or shibboleth' }),
  is_active: Type.Boolean(),
  is_staff: Type.Boolean(),
  is_superuser: Type.Boolean(),
  is_manager: Type.Boolean(),
  accepts_notifications: Type.Boolean({ description: 'Pod\'s web-push consent (kept from V4)' }),
  language: Type.Union([Type.Literal('fr'), Type.Literal('en')], { description: 'The language of the e-mails they get' }),
  email_notifications: Type.Boolean({ description: 'E-mails on encoding, retention and co-ownership (opt-out)' }),
  groups: Type.Array(Type.String(), { description: 'code_name of each access group' }),
  last_login: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  date_joined: Type.String({ format: 'date-time' }),
}));

const EditableByAdmin = {
  email: Type.Optional(Email),
  first_name: Type.Optional(Name),
  last_name: Type.Optional(Name),
  password: Type.Optional(Password),
  is_active: Type.Optional(Type.Boolean()),
  is_staff: Type.Optional(Type.Boolean()),
  is_superuser: Type.Optional(Type.Boolean()),
  is_manager: Type.Optional(Type.Boolean()),
  affiliation: Type.Optional(Affiliation),
  establishment: Type.Optional(Type.String({ maxLength: 50 })),
  picture_url: Type.Optional(Type.String({ maxLength: 2000 })),
  accepts_notifications: Type.Optional(Type.Boolean()),
  language: Type.Optional(Type.Union([Type.Literal('fr'), Type.Literal('en')])),
  email_notifications: Type.Optional(Type.Boolean()),
  groups: Type.Optional(Type.Array(Type.String({ maxLength: 150 }), { maxItems: 500, uniqueItems: true })),
};

export const UserCreate = model('UserCreate', Type.Object({ username: Username, ...EditableByAdmin }, { additionalProperties: false }));
export const UserUpdate = model('UserUpdate', Type.Object({ username: Type.Optional(Username), ...EditableByAdmin }, { additionalProperties: false }));

export const MeUpdate = model('MeUpdate', Type.Object(
  {
    email: Type.Optional(Email),
    first_name: Type.Optional(Name),
    last_name: Type.Optional(Name),
    picture_url: Type.Optional(Type.String({ maxLength: 2000 })),
    accepts_notifications: Type.Optional(Type.Boolean()),
    language: Type.Optional(Type.Union([Type.Literal('fr'), Type.Literal('en')], { description: 'The language of the e-mails you get' })),
    email_notifications: Type.Optional(Type.Boolean({ description: 'false: no e-mail from the platform' })),
  },
  { additionalProperties: false },
));

export const PasswordChange = model('PasswordChange', Type.Object(
  { current_password: Type.String({ maxLength: 1024 }), new_password: Password },
  { additionalProperties: false },
));

export const Credentials = model('Credentials', Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 150 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
));

export const UserListQuery = Type.Object({
  search: Type.Optional(Type.String({ maxLength: 150, description: 'Substring of username, names or email' })),
  is_staff: Type.Optional(Type.Boolean()),
  is_active: Type.Optional(Type.Boolean()),
  affiliation: Type.Optional(Type.String({ maxLength: 50 })),
  group: Type.Optional(Type.String({ maxLength: 150, description: 'Members of this access group (code_name)' })),
});

export const UserIdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) });

export const EraseQuery = Type.Object({
  transfer_to: Type.Optional(Type.String({ minLength: 1, maxLength: 150, description: 'Username who becomes the owner of every video (deleted ones included) and playlist of the erased account; their favorites go with it' })),
  delete_videos: Type.Optional(Type.Boolean({ description: 'true: their videos are deleted with the account (files purged after VIDEO_PURGE_DELAY_S)' })),
});

export const EraseOutcome = model('EraseOutcome', Type.Object({
  videos_transferred: Type.Integer({ minimum: 0 }),
  videos_deleted: Type.Integer({ minimum: 0 }),
}));
