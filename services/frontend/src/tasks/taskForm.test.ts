import { describe, expect, it } from 'vitest';
import {
  MAX_INPUT_BYTES,
  MAX_LLM_INPUT_BYTES,
  MAX_JOBS,
  isFieldKey,
  newIdempotencyKey,
  normalizeErrorKeys,
  toCreateTaskRequest,
  utf8Length,
  validateTaskDraft,
  type JobDraft,
} from './taskForm';

const jobs = (...items: [string, string][]): JobDraft[] => items.map(([type, input], key) => ({ key, type, input }));

describe('validateTaskDraft', () => {
  it('accepts a goal, and explicit jobs of known types', () => {
    expect(validateTaskDraft({ mode: 'goal', goal: 'Summarise: x', jobs: [] })).toEqual({});
    expect(validateTaskDraft({ mode: 'jobs', goal: '', jobs: jobs(['echo', 'hi'], ['sleep', '250'], ['hash', ' x ']) })).toEqual({});
  });

  it('requires a goal in goal mode', () => {
    expect(validateTaskDraft({ mode: 'goal', goal: '   ', jobs: [] })).toHaveProperty('goal');
  });

  it('requires an input for every job, as the goal mode requires a goal', () => {
    const errors = validateTaskDraft({ mode: 'jobs', goal: '', jobs: jobs(['echo', 'ok'], ['echo', ''], ['llm', ' \n\t ']) });
    expect(errors).toEqual({ 'jobs[1].input': ['Give the job an input.'], 'jobs[2].input': ['Give the job an input.'] });
  });

  it('requires 1 to 100 jobs', () => {
    expect(validateTaskDraft({ mode: 'jobs', goal: '', jobs: [] })).toEqual({ jobs: ['At least one job is required.'] });
    const many = jobs(...Array.from({ length: MAX_JOBS + 1 }, (): [string, string] => ['echo', 'x']));
    expect(validateTaskDraft({ mode: 'jobs', goal: '', jobs: many }).jobs?.[0]).toMatch(/At most 100 jobs/);
    expect(validateTaskDraft({ mode: 'jobs', goal: '', jobs: many.slice(0, MAX_JOBS) })).toEqual({});
  });

  it('keys errors by field path like the server, for types and inputs', () => {
    const errors = validateTaskDraft({
      mode: 'jobs',
      goal: '',
      jobs: jobs(['echo', 'ok'], ['', 'x'], ['nope', 'x'], ['echo', 'x'.repeat(MAX_INPUT_BYTES + 1)], ['sleep', 'soon']),
    });
    expect(Object.keys(errors).sort()).toEqual(['jobs[1].type', 'jobs[2].type', 'jobs[3].input', 'jobs[4].input']);
    expect(errors['jobs[2].type']?.[0]).toMatch(/Unknown job type 'nope'/);
    expect(errors['jobs[3].input']?.[0]).toBe('The input is 65,537 bytes of UTF-8; at most 65,536 bytes (64 KiB) are allowed.');
  });

  it('holds an llm input to chat\'s 32 KiB, as the server does at submit', () => {
    const fits = 'x'.repeat(MAX_LLM_INPUT_BYTES);
    expect(validateTaskDraft({ mode: 'jobs', goal: '', jobs: jobs(['llm', fits], ['echo', fits + 'x']) })).toEqual({});
    const errors = validateTaskDraft({ mode: 'jobs', goal: '', jobs: jobs(['llm', fits + 'x']) });
    expect(errors['jobs[0].input']?.[0]).toBe('The input is 32,769 bytes of UTF-8; at most 32,768 bytes (32 KiB) are allowed.');
  });

  it('refuses a NUL character in an input or a goal, naming where it is', () => {
    expect(validateTaskDraft({ mode: 'jobs', goal: '', jobs: jobs(['echo', 'ab\0c']) })['jobs[0].input']?.[0]).toMatch(/NUL character \(U\+0000\) at position 2/);
    expect(validateTaskDraft({ mode: 'goal', goal: 'x\0', jobs: [] }).goal?.[0]).toMatch(/NUL character/);
  });

  it('counts the 64 KiB limit in UTF-8 bytes', () => {
    expect(utf8Length('é')).toBe(2);
    const exactly = 'x'.repeat(MAX_INPUT_BYTES);
    expect(validateTaskDraft({ mode: 'jobs', goal: '', jobs: jobs(['echo', exactly]) })).toEqual({});
    const overByOne = 'é'.repeat(MAX_INPUT_BYTES / 2 - 1) + 'xxx';
    expect(validateTaskDraft({ mode: 'jobs', goal: '', jobs: jobs(['echo', overByOne]) })).toHaveProperty(['jobs[0].input']);
  });

  it("holds a task's inputs together to 1 MiB, as the orchestrator does", () => {
    const full = 'x'.repeat(MAX_INPUT_BYTES);
    const sixteen = Array.from({ length: 16 }, () => ['echo', full] as [string, string]);
    expect(validateTaskDraft({ mode: 'jobs', goal: '', jobs: jobs(...sixteen) })).toEqual({});
    expect(validateTaskDraft({ mode: 'jobs', goal: '', jobs: jobs(...sixteen, ['echo', 'x']) }).jobs?.[0]).toBe(
      "The jobs' inputs come to 1,048,577 bytes of UTF-8; at most 1,048,576 bytes (1,024 KiB) are allowed in all. Split the work into several tasks.",
    );
  });
});

describe('request and keys', () => {
  it('builds the request body of either shape', () => {
    expect(toCreateTaskRequest({ mode: 'goal', goal: '  Summarise: x ', jobs: jobs(['echo', 'ignored']) })).toEqual({ goal: 'Summarise: x' });
    expect(toCreateTaskRequest({ mode: 'jobs', goal: 'ignored', jobs: jobs(['echo', ' a '], ['sleep', ' 50 ']) })).toEqual({
      jobs: [
        { type: 'echo', input: ' a ' },
        { type: 'sleep', input: '50' },
      ],
    });
  });

  it('normalizes server keys to the contract spelling', () => {
    expect(normalizeErrorKeys({ 'Jobs[0].Type': ['a'], '$.jobs[0].type': ['b'], Goal: ['c'] })).toEqual({
      'jobs[0].type': ['a', 'b'],
      goal: ['c'],
    });
  });

  it('tells field keys from form-level ones', () => {
    expect(isFieldKey('jobs[1].input', 'jobs', 2)).toBe(true);
    expect(isFieldKey('jobs[2].input', 'jobs', 2)).toBe(false);
    expect(isFieldKey('goal', 'jobs', 2)).toBe(false);
    expect(isFieldKey('goal', 'goal', 0)).toBe(true);
    expect(isFieldKey('', 'jobs', 1)).toBe(false);
  });

  it('makes distinct UUID-shaped idempotency keys, also without crypto.randomUUID (insecure contexts)', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(newIdempotencyKey()).toMatch(uuid);
    const original = crypto.randomUUID;
    try {
      Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true });
      const a = newIdempotencyKey();
      expect(a).toMatch(uuid);
      expect(newIdempotencyKey()).not.toBe(a);
    } finally {
      Object.defineProperty(crypto, 'randomUUID', { value: original, configurable: true });
    }
  });
});
