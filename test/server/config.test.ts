import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/config';

// What the server reads from its environment: settings an operator gets wrong must
// stop it at start, with a message naming the setting, never start it half-right.

describe('TRUST_PROXY: how many proxies run in front of the service', () => {
  it.each([
    [undefined, 0],
    ['', 0],
    ['0', 0],
    ['false', 0],
    ['FALSE', 0],
    ['no', 0],
    ['No', 0],
    ['1', 1],
    ['true', 1],
    ['True', 1],
    ['YES', 1],
    ['2', 2],
    ['10', 10],
  ])('%j means %i trusted hops', (value, hops) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toBe(hops);
  });

  it.each(['11', '-1', '1.5', '2e0', 'on', 'maybe', '0x1', 'true,1', '999999999999'])('%j refuses to start', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/^TRUST_PROXY must be/);
  });
});

describe('AUTH_MAX_TOKEN_LIFETIME_SECONDS', () => {
  it('defaults to 30 days', () => {
    expect(loadConfig({}).auth.maxTokenLifetimeSeconds).toBe(2_592_000);
  });

  it('takes a positive whole number of seconds', () => {
    expect(loadConfig({ AUTH_MAX_TOKEN_LIFETIME_SECONDS: '3600' }).auth.maxTokenLifetimeSeconds).toBe(3600);
  });

  it.each(['0', '-5', '1.5', 'forever', '1e400', ''])('%j refuses to start', (value) => {
    expect(() => loadConfig({ AUTH_MAX_TOKEN_LIFETIME_SECONDS: value })).toThrow(/AUTH_MAX_TOKEN_LIFETIME_SECONDS must be a positive whole number/);
  });
});
