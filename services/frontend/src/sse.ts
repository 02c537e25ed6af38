// Server-sent events over fetch. EventSource cannot send headers, and every /api call needs X-Api-Key, so the app
// reads text/event-stream bodies itself: fetch + ReadableStream + this parser, which follows the HTML standard's
// "event stream interpretation" (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
//   - lines end with CRLF, LF or CR, and a chunk may end anywhere (even between the CR and the LF of one line break);
//   - `:` starts a comment line (keep-alives), ignored;
//   - `field: value` with one optional space after the colon; `data` lines accumulate, joined with "\n";
//   - a blank line dispatches the event (none when it has no data); `event` names it ("message" by default);
//   - `id` sets the last event id, `retry` the reconnection delay in ms;
//   - an event not finished by a blank line when the stream ends is discarded.
// Interpreting `data` ([DONE], JSON) is the caller's business.

export interface SseEvent {
  /** The `event:` field, "message" when the event had none. */
  readonly event: string;
  /** The `data:` lines joined with "\n". */
  readonly data: string;
  /** The last event id seen on the stream so far ("" when none). */
  readonly id: string;
}

export interface SseParserHandlers {
  readonly onEvent: (event: SseEvent) => void;
  /** A `retry:` field: the server's reconnection delay in milliseconds. */
  readonly onRetry?: (milliseconds: number) => void;
}

export class SseParser {
  private buffer = '';
  private started = false;
  private eventType = '';
  private data: string[] = [];
  private lastEventId = '';

  constructor(private readonly handlers: SseParserHandlers) {}

  /** Feeds decoded text; dispatches every event completed by it. */
  push(chunk: string): void {
    if (!this.started && chunk !== '') {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1); // one leading BOM is ignored
    }
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const cr = this.buffer.indexOf('\r', start);
      const lf = this.buffer.indexOf('\n', start);
      if (cr === -1 && lf === -1) break;
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        // A CR at the very end may be the first half of a CRLF: wait for the next chunk to know.
        if (cr === this.buffer.length - 1) break;
        end = cr;
        next = this.buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
      } else {
        end = lf;
        next = lf + 1;
      }
      this.line(this.buffer.slice(start, end));
      start = next;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** The stream ended: a lone CR still buffered ends its line; an unfinished event is discarded. */
  end(): void {
    if (this.buffer.endsWith('\r')) this.line(this.buffer.slice(0, -1));
    this.buffer = '';
    this.eventType = '';
    this.data = [];
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return; // comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  private dispatch(): void {
    const type = this.eventType;
    const data = this.data;
    this.eventType = '';
    this.data = [];
    if (data.length === 0) return;
    this.handlers.onEvent({ event: type === '' ? 'message' : type, data: data.join('\n'), id: this.lastEventId });
  }
}

/** A stream that sent nothing, not even a keep-alive, for longer than its server's heartbeat allows: it hangs. */
export class StalledStreamError extends Error {
  constructor(idleMs: number) {
    super(`The event stream sent nothing for ${idleMs / 1000} s (a keep-alive comes every 15 s): the server hangs or the connection is lost.`);
    this.name = 'StalledStreamError';
  }
}

/** reader.read(), or a StalledStreamError after idleMs without data. */
function readWithin<T>(read: Promise<T>, idleMs: number | undefined): Promise<T> {
  if (idleMs === undefined) return read;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StalledStreamError(idleMs)), idleMs);
  });
  return Promise.race([read, stalled]).finally(() => clearTimeout(timer));
}

/**
 * The events of a text/event-stream body, as they arrive. Leaving the loop early (break, return, an exception)
 * cancels the body, which closes the connection; aborting the fetch's signal makes the next read throw. With
 * `idleTimeoutMs`, a body that sends nothing (comments included) for that long throws a StalledStreamError: a server
 * that stopped (SIGSTOP, a hung host) keeps the connection open and looks alive.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, options: { readonly idleTimeoutMs?: number } = {}): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const pending: SseEvent[] = [];
  const parser = new SseParser({ onEvent: (event) => pending.push(event) });
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await readWithin(reader.read(), options.idleTimeoutMs);
      if (done) {
        parser.push(decoder.decode());
        parser.end();
        finished = true;
      } else {
        parser.push(decoder.decode(value, { stream: true }));
      }
      while (pending.length > 0) yield pending.shift()!;
      if (finished) return;
    }
  } finally {
    if (!finished) reader.cancel().catch(() => {});
  }
}
