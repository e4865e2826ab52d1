// s3rver ships no type declarations; it is only used by tests.
declare module 's3rver' {
  export default class S3rver {
    constructor(options: Record<string, unknown>);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    middleware: ((ctx: any, next: () => Promise<void>) => unknown)[];
    store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
  }
}
