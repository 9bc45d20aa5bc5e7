import type pg from 'pg';
import { DASHBOARD, type DashboardDefinition } from '../../cdk/dashboard/definition.ts';
import {
  type CompareReport,
  compareConsumers,
  type LatencyCdf,
  latencyCdf,
  type ReportSettings,
} from '../shared/compare-report.ts';
import { createLogger } from '../shared/logger.ts';
import { inReadOnlySnapshot } from '../shared/read-only.ts';
import { DEFAULT_SINCE, parseBound, WindowError } from '../shared/report-window.ts';
import { dataBody } from '../shared/widget-query.ts';
import { errorHtml, widgetHtml } from './html.ts';
import {
  DESCRIBE,
  isCustomWidgetEvent,
  ReportRequestError,
  reportRequest,
  widgetRequest,
} from './requests.ts';

const logger = createLogger('reports');

/** What `{ report: 'compare' }` answers: the compare report, and the distributions when asked. */
export interface CompareAnswer {
  report: CompareReport;
  latencyCdf?: LatencyCdf[];
}

export interface ReportsDeps {
  pool: () => Promise<Pick<pg.Pool, 'connect'>>;
  settings: ReportSettings;
  definition?: DashboardDefinition;
}

/**
 * The reports function, read-only in the database's network:
 * - a CloudWatch custom widget event (`widgetContext`, parameter `widget`):
 *   the widget's SQL file for the dashboard's time range (zoomed, if
 *   zoomed), as HTML with SVG charts; `describe` gets the widget's docs;
 * - a named report (`{ report: 'compare', since?, until?, latencyCdf? }`):
 *   the compare report as JSON, for `npm run compare -- --aws` and
 *   `npm run report -- --aws`.
 * Both run inside one read-only snapshot. A widget shows its errors in one
 * line; a report request it will not serve fails as ReportRequestError.
 */
export function createHandler(deps: ReportsDeps) {
  const definition = deps.definition ?? DASHBOARD;
  return async (event: unknown): Promise<string | CompareAnswer> => {
    if (isCustomWidgetEvent(event)) {
      if (event.describe) return DESCRIBE;
      let request: ReturnType<typeof widgetRequest>;
      try {
        request = widgetRequest(event, definition);
      } catch (error) {
        if (error instanceof ReportRequestError) return errorHtml(error.message);
        throw error;
      }
      const { widget, from, to } = request;
      try {
        const body = await inReadOnlySnapshot(await deps.pool(), (client) =>
          dataBody(client, widget.query, widget.view, { from, to }),
        );
        return widgetHtml(widget, body, request);
      } catch (error) {
        logger.error('widget query failed', { widget: widget.id, error });
        return errorHtml(`The widget's query failed: ${(error as Error).message ?? error}`);
      }
    }
    const request = reportRequest(event);
    let bounds: Parameters<typeof compareConsumers>[1];
    try {
      bounds = {
        since: request.since === undefined ? DEFAULT_SINCE : parseBound('--since', request.since),
        until: parseBound('--until', request.until ?? 'now'),
      };
    } catch (error) {
      if (error instanceof WindowError) throw new ReportRequestError(error.message);
      throw error;
    }
    return inReadOnlySnapshot(await deps.pool(), async (client) => {
      let report: CompareReport;
      try {
        report = await compareConsumers(client, bounds, deps.settings);
      } catch (error) {
        if (error instanceof WindowError) throw new ReportRequestError(error.message);
        throw error;
      }
      if (!request.latencyCdf) return { report };
      const cdf = await latencyCdf(
        client,
        new Date(report.window.since),
        new Date(report.window.until),
      );
      return { report, latencyCdf: cdf };
    });
  };
}
