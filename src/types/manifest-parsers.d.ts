// m3u8-parser and mpd-parser (video.js's manifest parsers) ship no type
// declarations; the tests use these parts of them.
declare module 'm3u8-parser' {
  export class Parser {
    push(text: string): void;
    end(): void;
    manifest: Record<string, any>;
  }
}
declare module 'mpd-parser' {
  export function parse(text: string, options: { manifestUri: string }): Record<string, any>;
}
