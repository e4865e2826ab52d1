import type { ColumnType, Generated } from 'kysely';

type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface TaxonomyTable {
  id: Generated<number>;
  slug: string;
  title: string;
  description: Defaulted<string>;
  icon_url: Defaulted<string>;
  created_at: Generated<Date>;
}

export interface ChannelsTable {
  id: Generated<number>;
  slug: string;
  title: string;
  description: Defaulted<string>;
  color: Defaulted<string>;
  headband_url: Defaulted<string>;
  visible: Defaulted<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ThemesTable {
  id: Generated<number>;
  channel_id: number;
  parent_id: number | null;
  slug: string;
  title: string;
  description: Defaulted<string>;
  created_at: Generated<Date>;
}

export interface ChannelLinkTables {
  channel_owners: { channel_id: number; user_id: number };
  channel_users: { channel_id: number; user_id: number };
  channel_groups: { channel_id: number; group_id: number };
}

export interface TagsTable {
  id: Generated<number>;
  name: string;
}
