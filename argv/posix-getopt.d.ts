// posix-getopt ships no types; this is the part of its API argv/getopt.ts uses.
declare module 'posix-getopt' {
  export interface GetoptResult {
    option: string;
    optarg?: string;
    optopt?: string;
    error?: boolean;
  }
  export class BasicParser {
    constructor(optstring: string, argv: string[], optind?: number);
    getopt(): GetoptResult | undefined;
    optind(): number;
  }
}
