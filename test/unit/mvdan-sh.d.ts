// mvdan-sh ships no types: the slice of its syntax package the command scan walks.
declare module 'mvdan-sh' {
  interface Word {
    Lit(): string;
  }
  interface Node {
    Name: { Value: string };
    Args: Word[];
    Body: Node;
    Cmd: Node | null;
    Stmts: Node[];
  }
  interface Syntax {
    LangBash: unknown;
    Variant(lang: unknown): unknown;
    NewParser(...options: unknown[]): { Parse(source: string, name: string): Node };
    Walk(node: unknown, visit: (node: Node | null) => boolean): void;
    NodeType(node: Node): string;
  }
  const sh: { syntax: Syntax };
  export default sh;
}
