import { describe, expect, it, vi } from 'vitest';
import { SseParser, StalledStreamError, readSse, type SseEvent } from './sse';

function parse(...chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser({ onEvent: (e) => events.push(e) });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return events;
}

function body(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSse(stream)) events.push(event);
  return events;
}

describe('SseParser', () => {
  it('parses named events and unnamed ones as "message"', () => {
    expect(parse('event: task\ndata: {"id":"t1"}\n\ndata: hello\n\n')).toEqual([
      { event: 'task', data: '{"id":"t1"}', id: '' },
      { event: 'message', data: 'hello', id: '' },
    ]);
  });

  it('joins multi-line data with newlines', () => {
    expect(parse('data: first\ndata: second\ndata:\ndata: fourth\n\n')).toEqual([
      { event: 'message', data: 'first\nsecond\n\nfourth', id: '' },
    ]);
  });

  it('assembles events split across chunks at any position', () => {
    const text = 'event: task\ndata: {"status":"running"}\n\nevent: task\ndata: {"status":"succeeded"}\n\n';
    const whole = parse(text);
    for (let i = 1; i < text.length; i++) {
      expect(parse(text.slice(0, i), text.slice(i))).toEqual(whole);
    }
    expect(parse(...text.split(''))).toEqual(whole);
  });

  it('accepts CRLF and CR line endings, also when a CRLF is split between chunks', () => {
    expect(parse('data: a\r\ndata: b\r\n\r\ndata: c\r\rdata: d\n\n')).toEqual([
      { event: 'message', data: 'a\nb', id: '' },
      { event: 'message', data: 'c', id: '' },
      { event: 'message', data: 'd', id: '' },
    ]);
    expect(parse('data: x\r', '\n\r', '\n')).toEqual([{ event: 'message', data: 'x', id: '' }]);
  });

  it('ignores comments (keep-alives) and unknown fields', () => {
    expect(parse(': keep-alive\n\n:another\ndata: real\nfoo: bar\n: in the middle\n\n')).toEqual([
      { event: 'message', data: 'real', id: '' },
    ]);
  });

  it('removes only one space after the colon, and takes a line without colon as a field with an empty value', () => {
    expect(parse('data:  two spaces\n\ndata:none\n\ndata\n\n')).toEqual([
      { event: 'message', data: ' two spaces', id: '' },
      { event: 'message', data: 'none', id: '' },
      { event: 'message', data: '', id: '' },
    ]);
  });

  it('keeps [DONE] as data for the caller to interpret', () => {
    expect(parse('data: {"delta":"Hi"}\n\ndata: [DONE]\n\n').map((e) => e.data)).toEqual(['{"delta":"Hi"}', '[DONE]']);
  });

  it('dispatches nothing for an event without data, and resets the event name after each dispatch', () => {
    expect(parse('event: task\n\ndata: plain\n\n')).toEqual([{ event: 'message', data: 'plain', id: '' }]);
  });

  it('tracks the last event id and reports retry', () => {
    const retry = vi.fn();
    const events: SseEvent[] = [];
    const parser = new SseParser({ onEvent: (e) => events.push(e), onRetry: retry });
    parser.push('id: 7\nretry: 3000\ndata: a\n\ndata: b\n\nretry: soon\n\n');
    expect(events.map((e) => e.id)).toEqual(['7', '7']);
    expect(retry).toHaveBeenCalledExactlyOnceWith(3000);
  });

  it('drops a leading byte order mark and an unfinished event at the end', () => {
    expect(parse('\uFEFFdata: a\n\ndata: never finished')).toEqual([{ event: 'message', data: 'a', id: '' }]);
  });
});

describe('readSse', () => {
  it('yields the events of a byte stream, decoding UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: {"delta":"héllo ✓"}\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // in the middle of "é"
    const events = await collect(body(bytes.slice(0, cut), bytes.slice(cut, cut + 12), bytes.slice(cut + 12), 'data: [DONE]\n\n'));

    expect(events.map((e) => e.data)).toEqual(['{"delta":"héllo ✓"}', '[DONE]']);
  });

  it('cancels the body when the consumer stops early', async () => {
    const cancel = vi.fn();
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('data: 1\n\ndata: 2\n\n'));
      },
      cancel,
    });

    for await (const event of readSse(stream)) {
      expect(event.data).toBe('1');
      break;
    }

    expect(cancel).toHaveBeenCalledOnce();
  });

  it('throws a StalledStreamError and cancels the body after idleTimeoutMs without data, keep-alives resetting the clock', async () => {
    vi.useFakeTimers();
    try {
      const cancel = vi.fn();
      const encoder = new TextEncoder();
      let feed: ReadableStreamDefaultController<Uint8Array> | undefined;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          feed = controller;
          controller.enqueue(encoder.encode('data: 1\n\n'));
        },
        cancel,
      });
      const events: string[] = [];
      const reading = (async () => {
        for await (const event of readSse(stream, { idleTimeoutMs: 1_000 })) events.push(event.data);
      })();
      const outcome = reading.then(
        () => 'ended',
        (error: unknown) => error,
      );

      await vi.advanceTimersByTimeAsync(900);
      feed!.enqueue(encoder.encode(': keep-alive\n\n'));
      await vi.advanceTimersByTimeAsync(900);
      expect(cancel).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(100);

      expect(await outcome).toBeInstanceOf(StalledStreamError);
      expect(events).toEqual(['1']);
      expect(cancel).toHaveBeenCalledOnce();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('passes a read error on', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(new TypeError('network error'));
      },
    });
    await expect(collect(stream)).rejects.toThrow('network error');
  });
});
