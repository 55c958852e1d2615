/** Report uploads: whatever the caller holds becomes bytes plus the media type its content shows. */

/** Anything `reports.upload` accepts. A string starting with `<` is XML; any other string is a file
 * path (Node, Bun, Deno), as is a `file:` URL. Streams are Node readables or web `ReadableStream`s. */
export type UploadInput =
  | Blob
  | ArrayBuffer
  | ArrayBufferView
  | string
  | URL
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>;

/** The media types the server takes as a raw report body. */
export const REPORT_MEDIA_TYPES = [
  'application/xml',
  'text/xml',
  'application/gzip',
  'application/zip',
  'message/rfc822',
  'application/octet-stream',
] as const;

const encoder = new TextEncoder();

// An RFC 5322 header line ("Received: ...", "From: ..."): the start of a whole report e-mail.
const HEADER_LINE = /^[!-9;-~]+:[ \t]/;

/** The media type of a report file from its first bytes (gzip, zip, XML, e-mail), else `fallback`. */
export function sniffMediaType(bytes: Uint8Array, fallback = 'application/octet-stream'): string {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'application/gzip';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05) && (bytes[3] === 0x04 || bytes[3] === 0x06)) {
    return 'application/zip';
  }
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3; // UTF-8 byte-order mark
  while (start < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[start] as number)) start++;
  if (bytes[start] === 0x3c) return 'application/xml'; // '<'
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  if (HEADER_LINE.test(head)) return 'message/rfc822';
  return fallback;
}

function isXmlText(text: string): boolean {
  return /^\uFEFF?\s*</.test(text);
}

function isAsyncIterable(value: object): value is AsyncIterable<Uint8Array | string> {
  return Symbol.asyncIterator in value;
}

function isReadableStream(value: object): value is ReadableStream<Uint8Array> {
  return typeof (value as ReadableStream).getReader === 'function';
}

async function collect(chunks: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    const part = typeof chunk === 'string' ? encoder.encode(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    parts.push(part);
    length += part.byteLength;
  }
  return concat(parts, length);
}

async function collectStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    length += value.byteLength;
  }
  return concat(parts, length);
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

async function readFile(path: string | URL): Promise<Uint8Array> {
  // A specifier in a variable keeps browser bundlers from trying to resolve a Node module.
  const specifier = 'node:fs/promises';
  let fs: { readFile(path: string | URL): Promise<Uint8Array> };
  try {
    fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as typeof fs;
  } catch (error) {
    throw new TypeError('A file path can only be uploaded where node:fs exists (Node, Bun, Deno); pass a Blob or bytes.', {
      cause: error,
    });
  }
  const buffer = await fs.readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * The whole upload as bytes (read into memory so that it can be retried; the server takes at most
 * 25 MiB) and its media type: `contentType` if given, else recognised from the content.
 */
export async function toUploadBody(
  data: UploadInput,
  contentType?: string,
): Promise<{ bytes: Uint8Array; contentType: string }> {
  let bytes: Uint8Array;
  let declared: string | undefined;
  if (typeof data === 'string') {
    bytes = isXmlText(data) ? encoder.encode(data) : await readFile(data);
  } else if (data instanceof URL) {
    bytes = await readFile(data);
  } else if (typeof Blob !== 'undefined' && data instanceof Blob) {
    bytes = new Uint8Array(await data.arrayBuffer());
    declared = data.type.split(';')[0]?.trim().toLowerCase();
  } else if (data instanceof ArrayBuffer) {
    bytes = new Uint8Array(data);
  } else if (ArrayBuffer.isView(data)) {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else if (isReadableStream(data)) {
    bytes = await collectStream(data);
  } else if (isAsyncIterable(data)) {
    bytes = await collect(data);
  } else {
    throw new TypeError('Upload a Blob, ArrayBuffer, typed array, XML string, file path, URL or stream.');
  }
  const known = (REPORT_MEDIA_TYPES as readonly string[]).includes(declared ?? '') ? declared : undefined;
  return { bytes, contentType: contentType ?? sniffMediaType(bytes, known) };
}
