// Types for the parts of webvtt-parser (W3C's WebVTT parser) we use.
declare module 'webvtt-parser' {
  interface Cue { id: string; startTime: number; endTime: number; text: string }
  interface ParseResult { cues: Cue[]; errors: { message: string; line: number; col?: number }[]; styles: unknown[] }
  const webvtt: {
    WebVTTParser: new () => { parse(input: string, mode?: 'subtitles' | 'chapters' | 'metadata'): ParseResult };
    WebVTTSerializer: new () => { serialize(cues: Cue[], styles?: unknown[]): string };
  };
  export default webvtt;
}
