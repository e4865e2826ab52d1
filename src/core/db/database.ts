// The Kysely view of the whole schema. Each capability declares its own
// tables next to its queries; this file only assembles them.
import type { Generated } from 'kysely';
import type { AuthSessionsTable, RefreshTokensTable } from '../../auth/tables.ts';
import type { ChannelLinkTables, ChannelsTable, TagsTable, TaxonomyTable, ThemesTable } from '../../taxonomy/tables.ts';
import type { AccessGroupMembersTable, AccessGroupsTable, UsersTable } from '../../users/tables.ts';
import type { UploadsTable } from '../../uploads/tables.ts';
import type { EncodersTable, EncodingEventsTable, EncodingLeasesTable } from '../../encoding/tables.ts';
import type { VideoChaptersTable, VideoTracksTable } from '../../delivery/tables.ts';
import type { VideoAccessTokensTable, VideoLinkTables, VideosTable } from '../../videos/tables.ts';
import type { RunnerTasksTable } from '../../runner/tables.ts';
import type { MigrationMapTable } from '../../migration/tables.ts';
import type { PlaylistTables } from '../../playlists/tables.ts';
import type { ViewTables } from '../../views/tables.ts';
import type { PositionTables } from '../../positions/tables.ts';
import type { EnrichmentTables } from '../../enrichments/tables.ts';
import type { AuditLogTable } from '../../audit/tables.ts';

export interface SchemaMigrationsTable {
  version: string;
  name: string;
  checksum: string;
  applied_at: Generated<Date>;
}

export interface Database extends VideoLinkTables, ChannelLinkTables, PlaylistTables, ViewTables, PositionTables, EnrichmentTables {
  schema_migrations: SchemaMigrationsTable;
  users: UsersTable;
  access_groups: AccessGroupsTable;
  access_group_members: AccessGroupMembersTable;
  auth_sessions: AuthSessionsTable;
  refresh_tokens: RefreshTokensTable;
  types: TaxonomyTable;
  disciplines: TaxonomyTable;
  channels: ChannelsTable;
  themes: ThemesTable;
  tags: TagsTable;
  videos: VideosTable;
  video_access_tokens: VideoAccessTokensTable;
  uploads: UploadsTable;
  encoding_events: EncodingEventsTable;
  encoders: EncodersTable;
  encoding_leases: EncodingLeasesTable;
  video_tracks: VideoTracksTable;
  video_chapters: VideoChaptersTable;
  runner_tasks: RunnerTasksTable;
  migration_map: MigrationMapTable;
  audit_log: AuditLogTable;
}
