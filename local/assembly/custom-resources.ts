/**
 * Runs the stack's custom resources that are backed by the CDK provider
 * framework (cr.Provider): the framework's own function talks to AWS, so the
 * runtime skips it and invokes the user's onEvent function directly with the
 * CloudFormation request the framework would have passed on.
 */
import { randomUUID } from 'node:crypto';
import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';
import type { RuntimeEvents } from '../shared/runtime-events.ts';
import type { CustomResourceModel, FunctionModel, StackModel } from './stack-model.ts';

export class CustomResourceError extends Error {
  override name = 'CustomResourceError';
}

export interface CustomResourceResult {
  logicalId: string;
  physicalResourceId: string;
  data: Record<string, unknown>;
}

/** A custom resource and the function the runtime invokes for it, or why it is skipped. */
export function customResourceHandler(
  model: StackModel,
  resource: CustomResourceModel,
): FunctionModel | string {
  const service = model.functions.find((f) => f.logicalId === resource.serviceFunctionLogicalId);
  if (!service) return `its ServiceToken ${resource.serviceToken} is not a function of this stack`;
  if (!service.userOnEventFunctionArn) {
    return `its function ${service.displayName} is not a cr.Provider framework (it would talk to AWS)`;
  }
  const user = model.functions.find((f) => f.arn === service.userOnEventFunctionArn);
  if (!user) return `its onEvent function ${service.userOnEventFunctionArn} is not in this stack`;
  if (!user.code)
    return `its onEvent function ${user.displayName} cannot run locally: ${user.notHostedBecause}`;
  return user;
}

/**
 * Sends a Create request to every runnable custom resource, in template
 * order. Throws CustomResourceError when one fails: nothing else should run
 * on an unmigrated database.
 */
export async function runCustomResources(
  model: StackModel,
  invoke: (fn: FunctionModel, event: unknown) => Promise<unknown>,
  events: RuntimeEvents,
): Promise<CustomResourceResult[]> {
  const results: CustomResourceResult[] = [];
  for (const resource of model.customResources) {
    const handler = customResourceHandler(model, resource);
    if (typeof handler === 'string') {
      events.notice(
        'info',
        'runtime',
        `custom resource ${resource.logicalId} (${resource.type}) skipped: ${handler}`,
      );
      continue;
    }
    const service = model.functions.find((f) => f.logicalId === resource.serviceFunctionLogicalId);
    if (service?.userIsCompleteFunctionArn) {
      events.notice(
        'warn',
        'runtime',
        `custom resource ${resource.logicalId}: isComplete polling is not supported locally; onEvent only`,
      );
    }
    const event: CloudFormationCustomResourceCreateEvent = {
      RequestType: 'Create',
      ServiceToken: resource.serviceToken,
      // Nobody listens there: the provider framework, which would, is not run.
      ResponseURL: 'http://127.0.0.1:9/local-runtime/cloudformation-response',
      StackId: model.stackId,
      RequestId: randomUUID(),
      LogicalResourceId: resource.logicalId,
      ResourceType: resource.type,
      ResourceProperties:
        resource.properties as CloudFormationCustomResourceCreateEvent['ResourceProperties'],
    };
    let response: unknown;
    try {
      response = await invoke(handler, event);
    } catch (error) {
      const { name, message } =
        error instanceof Error ? error : { name: 'Error', message: String(error) };
      throw new CustomResourceError(
        `Custom resource ${resource.logicalId} (${resource.type}) failed in ${handler.displayName}: ${name}: ${message}`,
        { cause: error },
      );
    }
    const body = (response ?? {}) as { PhysicalResourceId?: unknown; Data?: unknown };
    const physicalResourceId =
      typeof body.PhysicalResourceId === 'string' ? body.PhysicalResourceId : event.RequestId;
    const data =
      body.Data && typeof body.Data === 'object' ? (body.Data as Record<string, unknown>) : {};
    events.notice(
      'info',
      'runtime',
      `custom resource ${resource.logicalId} (${resource.type}) created: ${physicalResourceId}`,
    );
    results.push({ logicalId: resource.logicalId, physicalResourceId, data });
  }
  return results;
}
