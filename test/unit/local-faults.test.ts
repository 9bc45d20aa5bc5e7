import { describe, expect, it } from 'vitest';
import { pickFault } from '../../local/lambda/faults.ts';

describe('pickFault', () => {
  const plan = { BatchConsumer: { crash: 0.1, timeout: 0.2 }, '*': { timeout: 0.5 } };

  it('turns a roll into a crash, a timeout or nothing, by the probabilities', () => {
    expect(pickFault(plan, 'BatchConsumer', 0.05)).toBe('crash');
    expect(pickFault(plan, 'BatchConsumer', 0.15)).toBe('timeout');
    expect(pickFault(plan, 'BatchConsumer', 0.29)).toBe('timeout');
    expect(pickFault(plan, 'BatchConsumer', 0.31)).toBeUndefined();
  });

  it('applies "*" to functions the plan does not name, and nothing without a plan', () => {
    expect(pickFault(plan, 'RealtimeConsumer', 0.4)).toBe('timeout');
    expect(pickFault(plan, 'RealtimeConsumer', 0.6)).toBeUndefined();
    expect(pickFault(undefined, 'RealtimeConsumer', 0)).toBeUndefined();
    expect(pickFault({}, 'RealtimeConsumer', 0)).toBeUndefined();
  });
});
