import { describe, expect, it } from 'vitest';
import { CodedError, DecoratorError } from './errors';

describe('CodedError', () => {
  it('is the base of the package error classes: instanceof, name, code and cause', () => {
    const cause = new Error('underlying');
    const err = new DecoratorError('ERR_EVENT_NAME_MISSING', 'EVENT needs a name');
    expect(err).toBeInstanceOf(CodedError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('DecoratorError');
    expect(err.code).toBe('ERR_EVENT_NAME_MISSING');
    expect(String(err)).toBe('DecoratorError: EVENT needs a name');
    expect(new CodedError('ERR_X', 'x', { cause }).cause).toBe(cause);
  });
});
