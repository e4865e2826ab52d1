// Tells this process that it wrote to the database, as soon as a writing
// statement returns (before its transaction commits). Read caches drop what
// they hold then, so a client reading right after its own write never gets
// the answer from before it; the notification sent at commit
// (core/change-feed.ts) drops anything computed in between, and tells the
// other API nodes.
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

// A raw statement names the table it writes by its first words, or in a leading `/* writes: table */`
// comment (a CTE); another raw CTE may write: counted as a write to an unknown table.
const RAW_WRITE = /^\s*(?:\/\*\s*writes:\s*(\w+)\s*\*\/|(?:insert\s+into|update|delete\s+from|merge\s+into|truncate(?:\s+table)?)\s+"?(\w+)|with\b)/i;

/** Tables no cached answer shows (bookkeeping of encoders, uploads, tokens…): writing them drops nothing. */
const UNSHOWN = new Set(['encoders', 'encoding_leases', 'encoding_events', 'uploads', 'runner_tasks', 'refresh_tokens', 'migration_map', 'schema_migrations',
  // Views are counted in video_view_counts (shown); their marks, daily series and resume positions are read uncached.
  'view_marks', 'video_views_daily', 'video_positions',
  // Comment votes and notes are read uncached (comments themselves count in video_view_counts: `counts`).
  'video_comment_votes', 'video_notes',
  // The audit trail is read uncached, by superusers only.
  'audit_log']);

type Node = { kind: string; [key: string]: any };

/** The table a write statement targets ('*' when it cannot tell). */
function targetTable(node: Node): string | undefined {
  const name = (n: Node | undefined): string => {
    if (!n) return '*';
    if (n.kind === 'AliasNode') return name(n.node);
    if (n.kind === 'TableNode') return n.table.identifier.name;
    return '*';
  };
  switch (node.kind) {
    case 'InsertQueryNode': return name(node.into);
    case 'UpdateQueryNode': return name(node.table);
    case 'DeleteQueryNode': return node.from?.froms?.length === 1 ? name(node.from.froms[0]) : '*';
    case 'MergeQueryNode': return name(node.into);
    case 'RawNode': {
      const m = RAW_WRITE.exec((node.sqlFragments as string[]).join('?'));
      return m ? (m[1] ?? m[2] ?? '*') : undefined;
    }
    default: return undefined;
  }
}

export class WriteSignal implements KyselyPlugin {
  private readonly pending = new WeakMap<object, string>();
  /** Called after each writing statement with the table it wrote ('*' when unknown); set by the app. */
  listener: (table: string) => void = () => {};

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    const table = targetTable(node as Node);
    if (table !== undefined && !UNSHOWN.has(table)) this.pending.set(queryId, table);
    return node;
  }

  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const table = this.pending.get(queryId);
    if (table !== undefined) {
      this.pending.delete(queryId);
      this.listener(table);
    }
    return result;
  }
}
