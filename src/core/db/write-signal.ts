// Tells this process that it wrote to the database, as soon as a writing
// statement returns (before its transaction commits). Read caches drop what
// they hold then, so a client reading right after its own write never gets
// the answer from before it; the notification sent at commit
// (core/change-feed.ts) drops anything computed in between, and tells the
// other API nodes.
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);
const RAW_WRITE = /^\s*(insert|update|delete|merge|truncate|with|select\s+pod_|call)\b/i;

export class WriteSignal implements KyselyPlugin {
  private readonly pending = new WeakSet<object>();
  /** Called after each writing statement; set by the app. */
  listener: () => void = () => {};

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    const raw = node.kind === 'RawNode' && RAW_WRITE.test((node as { sqlFragments: readonly string[] }).sqlFragments.join('?'));
    if (WRITES.has(node.kind) || raw) this.pending.add(queryId);
    return node;
  }

  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.pending.has(queryId)) {
      this.pending.delete(queryId);
      this.listener();
    }
    return result;
  }
}
