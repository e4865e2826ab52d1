// Reading an HLS master playlist's variants (EXT-X-STREAM-INF): the
// reference encoder reads back the master ffmpeg wrote, the V4 importer the
// masters Pod V4 wrote. One attribute-list reader for both.

export interface MasterVariant { uri: string; bandwidth?: number; width?: number; height?: number; codecs?: string }

/** The variants of a master playlist, in order; each URI is the next line that is neither blank nor a tag. */
export function masterVariants(master: string): MasterVariant[] {
  const lines = master.split(/\r?\n/);
  const out: MasterVariant[] = [];
  for (const [i, line] of lines.entries()) {
    if (!line.startsWith('#EXT-X-STREAM-INF:')) continue;
    const uri = lines.slice(i + 1).find((l) => l.trim() && !l.startsWith('#'))?.trim();
    if (!uri) continue;
    const attr: Record<string, string> = Object.fromEntries([...line.slice('#EXT-X-STREAM-INF:'.length).matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)]
      .map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, '')]));
    const resolution = /^(\d+)x(\d+)$/.exec(attr.RESOLUTION ?? '');
    out.push({
      uri, bandwidth: Number(attr.BANDWIDTH) || undefined, codecs: attr.CODECS,
      width: resolution ? Number(resolution[1]) : undefined, height: resolution ? Number(resolution[2]) : undefined,
    });
  }
  return out;
}
