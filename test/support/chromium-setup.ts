/**
 * Global setup of the projects with browser tests: unpacks the Chromium
 * inside @sparticuz/chromium (into the temp folder, on first use) once,
 * before any file runs. Files run side by side; the package checks for the
 * unpacked binary and then writes it in place, so two files unpacking at
 * once on a fresh temp folder could launch a half-written one.
 */
import { chromiumExecutable } from '../../scripts/browser.ts';

export default async function setup(): Promise<void> {
  await chromiumExecutable();
}
