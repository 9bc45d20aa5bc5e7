/**
 * How Lambda's Invoke names a function: its name, its ARN or a partial ARN
 * (`123456789012:function:name`), each optionally with a qualifier
 * (`name:$LATEST`); locally also the short name (`Rollup`) and logical id.
 */

export interface NamedFunction {
  name: string;
  logicalId: string;
  functionName: string;
  arn: string;
}

export interface FunctionRef {
  /** The name, short name or logical id inside the reference. */
  name: string;
  qualifier: string | undefined;
}

/** Splits an Invoke FunctionName into the name and qualifier; undefined when the ARN is for another region or account. */
export function parseFunctionRef(
  ref: string,
  where: { region: string; account: string },
): FunctionRef | undefined {
  const full = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)(?::(.+))?$/.exec(ref);
  if (full) {
    if (full[1] !== where.region || full[2] !== where.account) return undefined;
    return { name: full[3] as string, qualifier: full[4] };
  }
  const partial = /^(\d{12}):function:([^:]+)(?::(.+))?$/.exec(ref);
  if (partial) {
    if (partial[1] !== where.account) return undefined;
    return { name: partial[2] as string, qualifier: partial[3] };
  }
  const [name = '', qualifier, extra] = ref.split(':');
  if (extra !== undefined) return undefined;
  return { name, qualifier };
}

/**
 * The function `ref` names, with `qualifier` (Invoke's Qualifier parameter)
 * or the one in the name; only $LATEST exists locally.
 */
export function matchFunction<F extends NamedFunction>(
  functions: readonly F[],
  ref: string,
  where: { region: string; account: string },
  qualifier?: string,
): F | undefined {
  const parsed = parseFunctionRef(ref, where);
  if (!parsed) return undefined;
  for (const q of [parsed.qualifier, qualifier]) {
    if (q !== undefined && q !== '' && q !== '$LATEST') return undefined;
  }
  return functions.find(
    (f) => f.functionName === parsed.name || f.name === parsed.name || f.logicalId === parsed.name,
  );
}
