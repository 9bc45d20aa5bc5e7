/**
 * Milliseconds since the epoch. Code that decides by time (record age,
 * retention, windows, time ranges) takes a clock it can be given, so a test
 * sets "now" instead of depending on the day it runs.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
