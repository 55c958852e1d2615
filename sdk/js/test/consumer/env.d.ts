// The consumer declares `process` itself: the SDK's types must not need @types/node.
declare const process: { env: Record<string, string | undefined> };
