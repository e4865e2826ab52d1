import type { ColumnType, Generated } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: ColumnType<string, string | undefined, string>;
  first_name: ColumnType<string, string | undefined, string>;
  last_name: ColumnType<string, string | undefined, string>;
  password_hash: string | null;
  is_active: ColumnType<boolean, boolean | undefined, boolean>;
  is_staff: ColumnType<boolean, boolean | undefined, boolean>;
  is_superuser: ColumnType<boolean, boolean | undefined, boolean>;
  is_manager: ColumnType<boolean, boolean | undefined, boolean>;
  auth_type: ColumnType<'local' | 'oidc' | 'cas' | 'shibboleth', string | undefined, string>;
  affiliation: ColumnType<string, string | undefined, string>;
  establishment: ColumnType<string, string | undefined, string>;
  picture_url: ColumnType<string, string | undefined, string>;
  accepts_notifications: ColumnType<boolean, boolean | undefined, boolean>;
  /** The language of the e-mails they get. */
  language: ColumnType<'fr' | 'en', 'fr' | 'en' | undefined, 'fr' | 'en'>;
  /** E-mail notifications (encoding, retention, co-ownership); opt-out. */
  email_notifications: ColumnType<boolean, boolean | undefined, boolean>;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  last_login: Date | null;
  date_joined: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AccessGroupsTable {
  id: Generated<number>;
  code_name: string;
  display_name: ColumnType<string, string | undefined, string>;
  auto_sync: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AccessGroupMembersTable {
  group_id: number;
  user_id: number;
}
